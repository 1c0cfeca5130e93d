"""JUnit XML (``--junit``): a test suite per runtime, a test case per case."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from typing import Sequence

from ..case import Case, Status, summary
from ..model.versions import DEFAULT_VERSION
from .grid import case_detail, display_file, interrupted_line


def junit_document(cases: Sequence[Case], *, interrupted: str | None = None,
                   spec_version: str = DEFAULT_VERSION.value) -> bytes:
    """The XML bytes; a failure's text is the case's detail lines. ``testsuites`` carries
    ``spec_version``, the WebAssembly version whose rules judged.

    A run a signal cut short has ``interrupted="SIGINT"`` on ``testsuites`` and says so in its ``system-err``.
    """
    root = ElementTree.Element("testsuites", name="linmem", spec_version=spec_version)
    if interrupted is not None:
        root.set("interrupted", interrupted)
        ElementTree.SubElement(root, "system-err").text = interrupted_line(interrupted)
    by_runtime: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_runtime[case.runtime.label].append(case)
    for label, mine in by_runtime.items():
        counts = summary(mine)
        suite = ElementTree.SubElement(root, "testsuite", name=label, tests=str(len(mine)),
                                       failures=str(counts["fail"]), errors=str(counts["error"]),
                                       skipped=str(counts["unsupported"]))
        for case in mine:
            _test_case(suite, case, label)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _test_case(suite: ElementTree.Element, case: Case, label: str) -> None:
    element = ElementTree.SubElement(suite, "testcase", name=case.id, classname=label, file=display_file(case.file))
    if case.line is not None:
        element.set("line", str(case.line))
    detail = "\n".join(case_detail(case))
    if case.status is Status.FAIL:
        message = f"{len(case.differences)} step(s) differ" if case.differences else case.detail
        ElementTree.SubElement(element, "failure", message=message).text = detail
    elif case.status is Status.ERROR:
        ElementTree.SubElement(element, "error", message=case.detail).text = detail
    elif case.status is Status.UNSUPPORTED:
        ElementTree.SubElement(element, "skipped", message=case.detail)
