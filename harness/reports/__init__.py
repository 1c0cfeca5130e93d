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
from ..resources import write_atomic
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


def write_reports(cases: Sequence[Case], runtimes: Sequence[Runtime], paths: ReportPaths) -> None:
    """Write every requested report file, each atomically."""
    if paths.json is not None:
        text = json.dumps(json_document(cases, runtimes), indent=2, ensure_ascii=False) + "\n"
        write_atomic(paths.json, text.encode("utf-8"))
    if paths.junit is not None:
        write_atomic(paths.junit, junit_document(cases))
    if paths.html is not None:
        write_atomic(paths.html, render_html(cases, runtimes).encode("utf-8"))
    if paths.markdown is not None:
        write_atomic(paths.markdown, render_markdown(cases).encode("utf-8"))
