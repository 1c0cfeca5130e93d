"""Build hook: linmem's own non-Python files go into the built package.

``js/``, ``wat/*.wat``, ``package.json`` and ``package-lock.json`` stay at the
top of the repository; when setuptools builds the package (wheel, or wheel
from the sdist, whose ``MANIFEST.in`` carries them), they are copied into
``harness/_data/`` in the *build* directory only, where
:mod:`harness.resources` looks for them first. Editable installs copy nothing
and keep reading them from the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: the package directory (below the build directory) that receives the files
DATA_PACKAGE_DIR = Path("harness") / "_data"


def own_files(root: Path) -> list[Path]:
    """linmem's run-time files below ``root``, relative to it: ``js/**``, ``wat/*.wat`` and the npm manifest."""
    found = [path for path in sorted((root / "js").rglob("*"))
             if path.is_file() and "__pycache__" not in path.parts and "node_modules" not in path.parts]
    found += sorted((root / "wat").glob("*.wat"))
    found += [root / "package.json", root / "package-lock.json"]
    return [path.relative_to(root) for path in found]


class BuildPyWithOwnFiles(build_py):
    """``build_py`` that also copies linmem's run-time files into ``harness/_data``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the repository
        target = Path(self.build_lib) / DATA_PACKAGE_DIR
        shutil.rmtree(target, ignore_errors=True)  # nothing stale from an earlier build
        for relative in own_files(ROOT):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / relative, destination)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs += [str(Path(self.build_lib) / DATA_PACKAGE_DIR / relative) for relative in own_files(ROOT)]
        return outputs


setup(cmdclass={"build_py": BuildPyWithOwnFiles})
