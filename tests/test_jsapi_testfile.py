"""Finding a JS API test file's scripts: META paths in the spec's and web-platform-tests' layouts, the harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputError
from harness.jsapi.testfile import read_test_file, resolve_meta, tree_harness
from tests.conftest import write_file

HEADER = "// META: global=window,dedicatedworker,jsshell\n// META: script=/wasm/jsapi/assertions.js\n" \
         "// META: script=/wasm/jsapi/memory/assertions.js\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path: text) below ``root``; return ``root``."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        write_file(root, name, text)
    return root


def test_spec_layout_maps_wasm_jsapi_to_test_js_api_and_finds_test_harness(tmp_path: Path) -> None:
    root = tree(tmp_path, {"test/harness/testharness.js": "// spec harness", "test/js-api/assertions.js": "// a",
                           "test/js-api/memory/assertions.js": "// m", "test/js-api/memory/grow.any.js": HEADER})
    test_file = read_test_file(root / "test/js-api/memory/grow.any.js")
    assert test_file.harness.text == "// spec harness"
    assert [script.text for script in test_file.scripts] == ["// a", "// m"]  # in the order the META lines give
    assert test_file.test.text == HEADER


def test_wpt_layout_maps_absolute_paths_to_the_root_and_finds_resources_harness(tmp_path: Path) -> None:
    root = tree(tmp_path, {"resources/testharness.js": "// wpt harness", "wasm/jsapi/assertions.js": "// a",
                           "wasm/jsapi/memory/assertions.js": "// m", "wasm/jsapi/memory/grow.any.js": HEADER})
    test_file = read_test_file(root / "wasm/jsapi/memory/grow.any.js")
    assert test_file.harness.text == "// wpt harness"
    assert [Path(script.name) for script in test_file.scripts] == [
        (root / "wasm/jsapi/assertions.js").resolve(), (root / "wasm/jsapi/memory/assertions.js").resolve()]


def test_a_relative_meta_path_is_relative_to_the_test_file(tmp_path: Path) -> None:
    root = tree(tmp_path, {"t/helper.js": "// h", "t/x.any.js": "// META: script=helper.js\n"})
    assert resolve_meta(root / "t/x.any.js", "helper.js") == root / "t/helper.js"


def test_a_missing_meta_script_names_the_test_file_and_line(tmp_path: Path) -> None:
    root = tree(tmp_path, {"test/harness/testharness.js": "", "test/js-api/memory/grow.any.js": HEADER})
    with pytest.raises(InputError) as caught:
        read_test_file(root / "test/js-api/memory/grow.any.js")
    assert caught.value.one_line().startswith(f"{root / 'test/js-api/memory/grow.any.js'}:2: META script "
                                              "/wasm/jsapi/assertions.js not found")


def test_testharness_given_overrides_the_trees(tmp_path: Path) -> None:
    root = tree(tmp_path, {"resources/testharness.js": "// tree's", "mine.js": "// mine",
                           "wasm/jsapi/x.any.js": "test(() => {}, 'x');\n"})
    assert read_test_file(root / "wasm/jsapi/x.any.js", testharness=root / "mine.js").harness.text == "// mine"


def test_without_a_harness_in_the_tree_the_fallback_is_used_or_its_absence_said(tmp_path: Path) -> None:
    root = tree(tmp_path, {"jsapi/x.any.js": "", "elsewhere/th.js": "// npm's"})
    assert tree_harness(root / "jsapi/x.any.js") is None
    assert read_test_file(root / "jsapi/x.any.js", fallback_harness=lambda: root / "elsewhere/th.js").harness.text == "// npm's"
    with pytest.raises(InputError, match="no testharness.js in the test's tree; give one with --testharness"):
        read_test_file(root / "jsapi/x.any.js")
