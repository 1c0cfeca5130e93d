"""A JS API test file (``*.any.js``, testharness.js) and every script it needs, found and read.

A test file is run as the classic scripts a browser's shell environment
would load: testharness.js, then each ``// META: script=PATH`` file in order,
then the file itself. Two tree layouts are known:

* the WebAssembly spec repository: tests under ``test/js-api/``, the harness at
  ``test/harness/testharness.js``; a META path ``/wasm/jsapi/x.js`` names
  ``test/js-api/x.js``;
* web-platform-tests: tests under ``wasm/jsapi/``, the harness at
  ``resources/testharness.js``; a META path ``/x/y.js`` names ``x/y.js`` below the
  tree's root.

A tree of neither layout (linmem's own ``tests/jsapi/``) maps ``/wasm/jsapi/x.js``
to ``x.js`` in the nearest enclosing directory named ``jsapi`` or ``js-api``.
Relative META paths are relative to the test file. testharness.js comes from
``--testharness`` when given, else from the tree, else from the pinned npm
package ``wpt-runner``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from ..errors import InputError

SUFFIX = ".any.js"
#: ``// META: script=/wasm/jsapi/assertions.js``; other META keys (global=, timeout=) do not change a shell run
META_SCRIPT = re.compile(r"^//\s*META:\s*script=(?P<path>\S+)\s*$")
#: where the spec repository's META paths point: ``/wasm/jsapi/`` is its ``test/js-api/``
WPT_JSAPI_PREFIX = PurePosixPath("/wasm/jsapi")
#: a test in a file: ``test(``, ``promise_test(``, ``async_test(`` (an estimate for progress only: loops make more)
SUBTEST_CALL = re.compile(r"\b(?:promise_|async_)?test\(")


@dataclass(frozen=True)
class Source:
    """One classic script: the name its errors carry, and its text."""

    name: str
    text: str

    def as_json(self) -> dict[str, str]:
        """The driver's shape (``js/jsapi_driver.js``)."""
        return {"name": self.name, "source": self.text}


@dataclass(frozen=True)
class JsApiFile:
    """A test file, read with the harness and the META scripts it runs after."""

    path: Path
    harness: Source
    scripts: tuple[Source, ...]
    test: Source

    @property
    def subtest_estimate(self) -> int:
        """How many subtests the file's text seems to define (at least one): for progress only."""
        return max(1, len(SUBTEST_CALL.findall(self.test.text)))


def read_test_file(path: Path, *, testharness: Path | None = None,
                   fallback_harness: Callable[[], Path] | None = None) -> JsApiFile:
    """Read ``path``, its META scripts and the harness; an :class:`InputError` names what is missing.

    ``fallback_harness`` gives the harness when neither ``testharness`` nor the tree has one.
    """
    text = _read(path, path)
    scripts = tuple(_meta_scripts(path, text))
    harness_path = testharness or tree_harness(path)
    if harness_path is None:
        if fallback_harness is None:
            raise InputError("no testharness.js in the test's tree; give one with --testharness", path=path)
        harness_path = fallback_harness()
    return JsApiFile(path, Source(str(harness_path), _read(harness_path, path)), scripts, Source(str(path), text))


def _read(source: Path, test: Path) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source} does not exist", path=test) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {source}: {error}", path=test) from None


def _meta_scripts(path: Path, text: str) -> list[Source]:
    scripts = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = META_SCRIPT.match(line.strip())
        if match is None:
            continue
        found = resolve_meta(path, match["path"])
        if found is None:
            raise InputError(f"META script {match['path']} not found (looked for the spec repository's and "
                             "web-platform-tests' layouts)", path=path, line=number)
        scripts.append(Source(str(found), _read(found, path)))
    return scripts


def resolve_meta(test: Path, meta_path: str) -> Path | None:
    """The file a META ``script=`` path names for ``test``, or ``None`` when there is none.

    >>> resolve_meta(Path("/nowhere/memory/grow.any.js"), "/wasm/jsapi/assertions.js") is None
    True
    """
    if not meta_path.startswith("/"):
        candidate = test.parent / meta_path
        return candidate if candidate.is_file() else None
    absolute = PurePosixPath(meta_path)
    for candidate in _absolute_candidates(test.resolve().parent, absolute):
        if candidate.is_file():
            return candidate
    return None


def _absolute_candidates(start: Path, absolute: PurePosixPath) -> list[Path]:
    """Where an absolute META path may point, nearest tree first, for every layout."""
    candidates = []
    below_jsapi = absolute.relative_to(WPT_JSAPI_PREFIX) if absolute.is_relative_to(WPT_JSAPI_PREFIX) else None
    for directory in (start, *start.parents):
        if (directory / "resources" / "testharness.js").is_file():  # web-platform-tests' root
            candidates.append(directory.joinpath(*absolute.parts[1:]))
        if below_jsapi is not None and directory.name in ("js-api", "jsapi"):  # the spec's, or our own
            candidates.append(directory / below_jsapi)
    return candidates


def tree_harness(test: Path) -> Path | None:
    """The testharness.js of the tree ``test`` lies in (spec or web-platform-tests layout), if any."""
    for directory in test.resolve().parents:
        for candidate in (directory / "harness" / "testharness.js", directory / "resources" / "testharness.js"):
            if candidate.is_file():
                return candidate
    return None
