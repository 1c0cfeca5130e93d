"""The HTML matrix (checked in a real headless Chromium) and the Markdown table."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.compiler.wabt import Compiler
from harness.reports.html import STATUS_COLOURS, render_html
from harness.reports.markdown import render_markdown
from harness.runtimes.discovery import find_node_default
from tests.conftest import write_file
from tests.oracle import run_paths

SCENARIOS = Path(__file__).parent / "scenarios"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def matrix(compiler: Compiler, provisioned, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("matrix")
    sum_wat = (SCENARIOS.parent.parent / "wat" / "sum.wat").resolve()
    write_file(directory, "broken-on-purpose.scenario.toml",
               (SCENARIOS / "article" / "sum.scenario.toml").read_text()
               .replace("../../../wat/sum.wat", str(sum_wat)).replace("[7, 4, 11]", "[7, 4, 99]"))
    runtimes = [find_node_default(), provisioned("14")]  # a report test: two fixed Nodes
    paths = [SCENARIOS / "article", SCENARIOS / "memory" / "four-gib-memory.scenario.toml", directory]
    return run_paths(paths, compiler, runtimes), runtimes


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it: apt-get install chromium)")
    return found


def browse(page: Path, tmp_path: Path, *arguments: str) -> str:
    command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout


def test_html_has_the_matrix_a_legend_and_every_difference(matrix) -> None:
    cases, runtimes = matrix
    page = render_html(cases, runtimes)
    assert page.count('<tr data-name=') == 6  # four article scenarios, the 4 GiB one, the broken one
    assert "http" not in page.replace("http-equiv", "")  # self-contained: nothing to fetch
    for status, colour in STATUS_COLOURS.items():
        assert f'background:{colour}">{status}</span>' in page
    assert "expect:    [7, 4, 99]" in page
    assert "allocates at most 32767 pages" in page


def test_markdown_is_a_table_for_pull_requests(matrix) -> None:
    cases, runtimes = matrix
    text = render_markdown(cases)
    header, rule = text.splitlines()[:2]
    assert header == f"| file | {runtimes[0].label()} | node-14.19.3 |"
    assert rule == "| --- | --- | --- |"
    assert re.search(r"\| `.*four-gib-memory.scenario.toml` \| pass \| unsupported \|", text)
    assert "**fail**: `" in text


def test_the_page_renders_in_headless_chromium(matrix, tmp_path: Path) -> None:
    cases, runtimes = matrix
    page = tmp_path / "matrix.html"
    page.write_text(render_html(cases, runtimes), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom", page.as_uri())
    assert dom.count('class="cell status-') == 12
    assert 'id="summary">' in dom
    screenshot = tmp_path / "matrix.png"
    browse(page, tmp_path, "--window-size=1200,900", f"--screenshot={screenshot}", page.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000


def test_the_status_filter_hides_rows_in_the_browser(matrix, tmp_path: Path) -> None:
    cases, runtimes = matrix
    page = tmp_path / "matrix.html"
    page.write_text(render_html(cases, runtimes), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom", page.as_uri() + "?show=fail")
    rows = re.findall(r'<tr data-name="([^"]+)" data-statuses="[^"]*"( style="display: none;")?>', dom)
    visible = [name for name, hidden in rows if not hidden]
    assert len(rows) == 6 and [Path(name).name for name in visible] == ["broken-on-purpose.scenario.toml"]
