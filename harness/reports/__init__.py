"""Reports of a run, one set of writers for every kind of case.

- :mod:`.grid`: what every report shows the same way (files x runtimes, each case's detail)
- :mod:`.terminal`: the table printed at the end of a run
- :mod:`.document`: ``--json``, the scenario contract's shape
- :mod:`.junit`: ``--junit``, a suite per runtime
- :mod:`.html`: ``--html``, one self-contained page with filters
- :mod:`.markdown`: ``--markdown``, the table for pull requests
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..case import Case
from ..model.versions import DEFAULT_VERSION
from ..outputs import check_output_path, write_outputs
from ..runtimes.discovery import Runtime
from .document import json_document
from .html import render_html
from .junit import junit_document
from .markdown import render_markdown


@dataclass(frozen=True)
class ReportPaths:
    """Where to write each report file (``None``: not asked for)."""

    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    markdown: Path | None = None

    def requested(self) -> list[tuple[str, Path]]:
        """Each report asked for, as its option and its path."""
        return [(f"--{name}", path) for name, path in vars(self).items() if path is not None]


def check_report_paths(paths: ReportPaths) -> None:
    """Raise :class:`~harness.errors.OutputPathError` for the first report that could not be written."""
    for option, path in paths.requested():
        check_output_path(path, option)


def write_reports(cases: Sequence[Case], runtimes: Sequence[Runtime], paths: ReportPaths, *,
                  interrupted: str | None = None, spec_version: str = DEFAULT_VERSION.value) -> None:
    """Write every requested report file: all of them, or (an error, a signal) none changed.

    ``interrupted`` names the signal that cut the run short; every report says
    so, and which WebAssembly version's rules judged (``spec_version``). How each file is written: :func:`harness.outputs.write_outputs`.
    """
    outputs: list[tuple[Path, bytes, str]] = []
    if paths.json is not None:
        document = json_document(cases, runtimes, interrupted=interrupted, spec_version=spec_version)
        outputs.append((paths.json, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                        "--json"))
    if paths.junit is not None:
        outputs.append((paths.junit, junit_document(cases, interrupted=interrupted, spec_version=spec_version), "--junit"))
    if paths.html is not None:
        outputs.append((paths.html, render_html(cases, runtimes, interrupted=interrupted, spec_version=spec_version).encode("utf-8"), "--html"))
    if paths.markdown is not None:
        outputs.append((paths.markdown, render_markdown(cases, interrupted=interrupted, spec_version=spec_version).encode("utf-8"),
                        "--markdown"))
    write_outputs(outputs)
