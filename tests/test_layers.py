"""The layering, checked: import-linter's contracts in pyproject.toml (the pure core imports no
workbook, Excel or terminal library nor the adapters and commands built on it; the writers import
no batch, inbox, runner or command-line code), and no import cycle between nmr-xl's modules.

A cycle counts whatever closes it: an import at the top of a module, inside a function (a
"late" import) or only for the type checker. import-linter's own acyclic_siblings contract is
not used: it compares packages, and config.load sits above the rules while config.model sits
below them by design (a package-level loop, no module-level one).
"""

from __future__ import annotations

import grimp
import pytest
from conftest import REPO_ROOT
from importlinter.cli import lint_imports


def test_import_contracts_are_kept(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO_ROOT)  # where pyproject.toml is
    code = lint_imports(no_cache=True, no_logo=True)
    assert code == 0, capsys.readouterr().out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = grimp.build_graph("nmr_xl", cache_dir=None)
    cycles = _cycles(graph)
    details = [
        f"{a} -> {b} (line {d['line_number']}: {d['line_contents']})"
        for cycle in cycles for a in cycle for b in graph.find_modules_directly_imported_by(a)
        if b in cycle for d in graph.get_import_details(importer=a, imported=b)]
    assert not cycles, "import cycles:\n" + "\n".join(details)


def test_a_cycle_is_found_through_a_late_import() -> None:
    """The cycle finder is no test that cannot fail: a loop closed inside a function counts."""
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert _cycles(graph) == []
    graph.add_import(importer="pkg.c", imported="pkg.a")  # e.g. `def f(): from pkg import a`
    assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
