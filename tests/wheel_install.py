"""linmem's wheel, built and installed into a fresh venv once per test session.

The sdist is built from a copy of the source tree (nothing is written into the
tree itself) and the wheel from the sdist, as ``python -m build`` does; the
wheel then goes, with its dependencies and pytest, into a new venv. Every
xdist worker of a session shares the result through a directory and a file
lock. ``tests/conftest.py`` starts the work in a background thread as soon as
``tests/test_wheel.py`` is collected, so that it overlaps the rest of the
suite; the fixture in that module waits for it (or does it, if nobody did),
and every process waits for it before it ends.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: what a clean clone does not have: never copied into the tree the sdist is built from
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", ".tox", "build", "dist", "*.egg-info", "__pycache__",
                                    "node_modules", ".pytest_cache", ".hypothesis", ".linmem-cache", "*.wasm")
BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 600
_RECORD = "installed.json"
_BACKGROUND: list[threading.Thread] = []


class WheelSetupFailed(Exception):
    """Building or installing the wheel failed; the message has the command's output."""


@dataclass(frozen=True)
class Installed:
    """The built distributions and the venv the wheel is installed in."""

    wheel: Path
    sdist: Path
    venv: Path

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.venv / "bin" / "python"

    @property
    def linmem(self) -> Path:
        """The venv's ``linmem`` console script."""
        return self.venv / "bin" / "linmem"


def clean_environment() -> dict[str, str]:
    """This environment less what would let the venv see the source tree, another runtime or pytest's setup."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "LINMEM_NODE")
    environment = {key: value for key, value in os.environ.items()
                   if key not in dropped and not key.startswith("PYTEST_")}
    environment["LINMEM_CACHE_DIR"] = os.environ["LINMEM_CACHE_DIR"]  # the suite's (tests/conftest.py)
    return environment


def run_checked(argv: list[str | Path], *, timeout: float, cwd: Path, env: dict[str, str]) -> str:
    """Run ``argv`` (no shell) and return its stdout; raise :class:`WheelSetupFailed` unless it exits 0."""
    completed = subprocess.run([str(part) for part in argv], capture_output=True, text=True, cwd=str(cwd),
                               env=env, timeout=timeout)
    if completed.returncode != 0:
        raise WheelSetupFailed(f"{' '.join(map(str, argv))} exited {completed.returncode}:\n"
                               f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed.stdout


def build_distributions(directory: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """The sdist (from a copy of the source tree) and the wheel (from the sdist), in ``directory/dist``."""
    source = directory / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    run_checked([sys.executable, "-m", "build", "--outdir", directory / "dist", source], timeout=BUILD_TIMEOUT,
                cwd=directory, env=env)
    shutil.rmtree(source)
    (wheel,) = (directory / "dist").glob("linmem-*.whl")
    (sdist,) = (directory / "dist").glob("linmem-*.tar.gz")
    return wheel, sdist


def pip_has_python_option(env: dict[str, str]) -> bool:
    """Whether this pip installs into another interpreter's environment (``--python``, pip 22.3)."""
    version = run_checked([sys.executable, "-m", "pip", "--version"], timeout=60, cwd=ROOT, env=env).split()[1]
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2]) >= (22, 3)


def install_into_fresh_venv(wheel: Path, venv: Path, env: dict[str, str]) -> None:
    """A new venv with the wheel (not editable), its dependencies and pytest."""
    wanted: list[str | Path] = [wheel, "pytest", "--prefer-binary", "--quiet", "--disable-pip-version-check"]
    if pip_has_python_option(env):  # the venv needs no pip of its own: seconds saved
        run_checked([sys.executable, "-m", "venv", "--without-pip", venv], timeout=60, cwd=venv.parent, env=env)
        command: list[str | Path] = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
                                     *wanted]
    else:
        run_checked([sys.executable, "-m", "venv", venv], timeout=120, cwd=venv.parent, env=env)
        command = [venv / "bin" / "python", "-m", "pip", "install", *wanted]
    run_checked(command, timeout=INSTALL_TIMEOUT, cwd=venv.parent, env=env)


def shared_directory(factory: pytest.TempPathFactory) -> Path:
    """The session's directory for the wheel, shared by its xdist workers (below the common base)."""
    base = factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "linmem-wheel"


def prepare(directory: Path, env: dict[str, str]) -> None:
    """Build and install the wheel into ``directory`` unless done; record the paths, or the failure."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / _RECORD).is_file():
            return
        for leftover in ("source", "dist", "venv"):  # from a process that died while it was building
            shutil.rmtree(directory / leftover, ignore_errors=True)
        try:
            wheel, sdist = build_distributions(directory, env)
            install_into_fresh_venv(wheel, directory / "venv", env)
            record = {"wheel": str(wheel), "sdist": str(sdist)}
        except (WheelSetupFailed, OSError, subprocess.TimeoutExpired, ValueError) as failure:
            record = {"error": f"{type(failure).__name__}: {failure}"}
        (directory / _RECORD).write_text(json.dumps(record))


def start_in_background(factory: pytest.TempPathFactory) -> None:
    """Begin :func:`prepare` in a daemon thread, with this environment as it is now (tests change it later)."""
    thread = threading.Thread(target=prepare, args=(shared_directory(factory), clean_environment()),
                              name="linmem wheel", daemon=True)
    thread.start()
    _BACKGROUND.append(thread)


def finish_background() -> None:
    """Wait for :func:`start_in_background`'s work, so that no process ends in the middle of a build."""
    for thread in _BACKGROUND:
        thread.join(timeout=BUILD_TIMEOUT + INSTALL_TIMEOUT)


def installed(factory: pytest.TempPathFactory) -> Installed:
    """The installed wheel, waiting for (or doing) :func:`prepare`; a failure fails the calling test."""
    directory = shared_directory(factory)
    prepare(directory, clean_environment())
    record = json.loads((directory / _RECORD).read_text())
    if "error" in record:
        pytest.fail(f"building or installing the wheel failed: {record['error']}", pytrace=False)
    return Installed(Path(record["wheel"]), Path(record["sdist"]), directory / "venv")
