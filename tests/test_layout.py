"""The package layout: imports point down the layers, with no circle between modules or groups.

The graph is read from the source (every ``import`` and ``from ... import``,
lazy ones inside functions included), so a cycle hidden in a function body
counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(HARNESS.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The harness modules ``path`` imports (a name imported from a package counts as its submodule if one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in HARNESS.rglob("*.py")}
    return {name: imported_modules(path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as a list of nodes, or ``[]``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def group_of(module: str) -> str:
    """``harness.wast.script`` -> ``wast``; a top-level module is its own group."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "harness"


def test_no_module_imports_itself_through_others() -> None:
    assert find_cycle(import_graph()) == []


def test_no_group_imports_itself_through_others() -> None:
    groups: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        if module == "harness":
            continue
        groups.setdefault(group_of(module), set()).update(
            group_of(target) for target in targets if group_of(target) != group_of(module) and target != "harness")
    assert find_cycle(groups) == []


@pytest.mark.parametrize("lower, upper", [("model", "runtimes"), ("runtimes", "compiler"), ("compiler", "scenarios"),
                                          ("scenarios", "pipeline"), ("wast", "pipeline"), ("case", "reports")])
def test_lower_layers_never_import_upper_ones(lower: str, upper: str) -> None:
    graph = import_graph()
    offending = [(module, target) for module, targets in graph.items() for target in targets
                 if group_of(module) == lower and group_of(target) == upper]
    assert offending == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
