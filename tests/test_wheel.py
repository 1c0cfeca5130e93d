"""linmem installed from its wheel, as a user installs it, works outside the source tree.

The wheel is built (from the sdist, itself built from a copy of the source
tree) and installed with its dependencies and pytest into a fresh venv once
per session (:mod:`tests.wheel_install`). Every check runs that venv's
``linmem`` or pytest from a directory outside the source tree, with no
``PYTHONPATH``, and with the suite's cache (so the npm side and the runtimes
are reused).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness.resources import OWN_FILES
from tests import wheel_install
from tests.conftest import INLINE_SUM_SCENARIO
from tests.wheel_install import Installed, clean_environment

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 180

SCENARIO = INLINE_SUM_SCENARIO
WRONG_SCENARIO = SCENARIO.replace("expect = [7, 4, 11]", "expect = [7, 4, 12]")
SCRIPT = """(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
"""


def run(argv: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (no shell) from ``cwd`` in the clean environment; output captured as text."""
    return subprocess.run([str(part) for part in argv], capture_output=True, text=True, cwd=str(cwd),
                          env=env if env is not None else clean_environment(), timeout=RUN_TIMEOUT)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel, built and installed once per session (shared by the xdist workers)."""
    return wheel_install.installed(tmp_path_factory)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the source tree."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_the_wheel_and_the_sdist_carry_linmems_own_files(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    with tarfile.open(installed.sdist) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"harness/_data/{name}" for name in OWN_FILES} <= in_wheel
    assert set(OWN_FILES) <= in_sdist
    assert {"setup.py", "MANIFEST.in", "pyproject.toml", "harness/resources.py"} <= in_sdist
    assert not [name for name in in_wheel if name.startswith(("js/", "wat/", "tests/"))]


def test_the_installed_package_reads_its_own_copy(installed: Installed, elsewhere: Path) -> None:
    completed = run([installed.python, "-c", "import harness.resources as r; print(r.PROJECT_ROOT)"], cwd=elsewhere)
    assert completed.returncode == 0, completed.stderr
    root = Path(completed.stdout.strip())
    assert root.parts[-2:] == ("harness", "_data") and installed.venv in root.parents


def test_reproduce_agrees(installed: Installed, elsewhere: Path) -> None:
    completed = run([installed.linmem, "reproduce"], cwd=elsewhere)
    assert completed.returncode == 0, completed.stderr + completed.stdout
    assert "verdict: AGREE" in completed.stdout


def test_run_passes_a_scenario_and_fails_a_wrong_one_naming_the_step(installed: Installed, elsewhere: Path) -> None:
    (elsewhere / "sum.scenario.toml").write_text(SCENARIO, encoding="utf-8")
    (elsewhere / "wrong.scenario.toml").write_text(WRONG_SCENARIO, encoding="utf-8")
    passing = run([installed.linmem, "run", "sum.scenario.toml"], cwd=elsewhere)
    assert passing.returncode == 0, passing.stderr + passing.stdout
    assert "summary: 1 pass, 0 fail" in passing.stdout
    failing = run([installed.linmem, "run", "wrong.scenario.toml"], cwd=elsewhere)
    assert failing.returncode == 1, failing.stderr + failing.stdout
    assert "  step 3 (read):\n    observed:  [7, 4, 11]\n    reference: [7, 4, 11]\n    expect:    [7, 4, 12]" \
        in failing.stdout


def test_the_plugin_collects_scenarios_in_a_project_of_its_own(installed: Installed, elsewhere: Path) -> None:
    tests = elsewhere / "project" / "tests"
    tests.mkdir(parents=True)
    (tests / "sum.scenario.toml").write_text(SCENARIO, encoding="utf-8")
    (tests / "wrong.scenario.toml").write_text(WRONG_SCENARIO, encoding="utf-8")
    (tests / "one.wast").write_text(SCRIPT, encoding="utf-8")
    completed = run([installed.python, "-m", "pytest", "-p", "no:cacheprovider"], cwd=tests.parent)
    output = completed.stdout
    assert completed.returncode == 1, output + completed.stderr
    # two scenarios on the default Node; the script on the reference model and on the default Node
    assert re.search(r"^=+ 1 failed, 3 passed in [\d.]+s =+$", output, re.M), output
    assert re.search(r"^fail: wrong\.scenario\.toml on \S+\n  step 3 \(read\):\n    observed:  \[7, 4, 11\]\n"
                     r"    reference: \[7, 4, 11\]\n    expect:    \[7, 4, 12\]$", output, re.M), output
    assert "Traceback" not in output


def test_run_takes_a_directory_of_scenarios_and_scripts(installed: Installed, elsewhere: Path) -> None:
    (elsewhere / "sum.scenario.toml").write_text(SCENARIO, encoding="utf-8")
    (elsewhere / "spec").mkdir()
    (elsewhere / "spec" / "one.wast").write_text(SCRIPT, encoding="utf-8")
    completed = run([installed.linmem, "run", "."], cwd=elsewhere)
    assert completed.returncode == 0, completed.stderr + completed.stdout
    assert "summary: 5 pass, 0 fail, 0 error, 0 unsupported" in completed.stdout  # 1 scenario + 2 commands x 2


def broken_copy(installed: Installed, elsewhere: Path) -> Path:
    """A copy of the installed package without ``js/identify.js``, to put first on ``PYTHONPATH``."""
    located = run([installed.python, "-c", "import harness; print(harness.__file__)"], cwd=elsewhere)
    package = Path(located.stdout.strip()).parent
    broken = elsewhere / "broken"
    shutil.copytree(package, broken / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "harness" / "_data" / "js" / "identify.js").unlink()
    return broken


def test_the_plugin_in_a_broken_install_names_the_missing_file(installed: Installed, elsewhere: Path) -> None:
    broken = broken_copy(installed, elsewhere)
    (elsewhere / "sum.scenario.toml").write_text(SCENARIO, encoding="utf-8")
    completed = run([installed.python, "-m", "pytest", "-p", "no:cacheprovider"], cwd=elsewhere,
                    env=dict(clean_environment(), PYTHONPATH=str(broken)))
    assert completed.returncode != 0
    assert "linmem's own file js/identify.js is missing from" in completed.stdout, completed.stdout
    assert "no working Node" not in completed.stdout


def test_a_broken_install_names_the_missing_file(installed: Installed, elsewhere: Path) -> None:
    broken = broken_copy(installed, elsewhere)
    completed = run([installed.python, "-m", "harness", "reproduce"], cwd=elsewhere,
                    env=dict(clean_environment(), PYTHONPATH=str(broken)))
    assert completed.returncode == 2, completed.stderr + completed.stdout
    assert completed.stderr == (f"linmem: error: linmem's own file js/identify.js is missing from "
                                f"{broken / 'harness' / '_data'}: the installation is incomplete; reinstall linmem\n")
