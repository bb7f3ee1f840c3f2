"""How tools/ is put together, read from its source (no synth, under a second): the commands are
leaves that no module of tools/ imports, and the modules of tools/ import one another without a
cycle and without reaching for another module's private names.

A command is a module run as one: ``python -m tools.X`` in the Pipfile's ``[scripts]`` or in a
workflow of ``.github/workflows/``. Everything a second command needs lives in a library module
(docs/development.md, "Layout").
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
RUN_AS_MODULE = re.compile(r"python -m (tools(?:\.\w+)*)")


def module_name(path: Path) -> str:
    """``tools/plan/report.py`` -> ``tools.plan.report``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(TOOLS.rglob("*.py"))}


def run_module(name: str) -> str | None:
    """The module ``python -m name`` runs: the module itself, or a package's ``__main__``."""
    if f"{name}.__main__" in MODULES:
        return f"{name}.__main__"
    return name if name in MODULES else None


def commands() -> dict[str, str]:
    """Every command's module name, and where it is named (the Pipfile or a workflow)."""
    named: dict[str, str] = {}
    scripts = tomllib.loads((ROOT / "Pipfile").read_text())["scripts"]
    for script, line in scripts.items():
        for name in RUN_AS_MODULE.findall(line):
            named[name] = f"Pipfile [scripts] {script}"
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name in RUN_AS_MODULE.findall(workflow.read_text()):
            named.setdefault(name, str(workflow.relative_to(ROOT)))
    return named


def imports(name: str) -> list[tuple[str, list[str]]]:
    """Each tools module that module ``name`` imports (at the top or inside a function), with the
    names it takes from it."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "tools"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per dot after the first
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "tools":
                continue
            taken = [alias.name for alias in node.names]
            submodules = [f"{base}.{n}" for n in taken if f"{base}.{n}" in MODULES]
            found += [(module, []) for module in submodules]
            if len(submodules) < len(taken):
                found.append((base, [n for n in taken if f"{base}.{n}" not in MODULES]))
    return [(module, names) for module, names in found if module in MODULES]


GRAPH = {name: sorted({module for module, _ in imports(name)} - {name}) for name in MODULES}


def test_every_command_is_a_module_of_tools():
    """Each ``python -m tools...`` of the Pipfile and the workflows runs a module that is here (a
    moved module must be renamed where it is run)."""
    named = commands()
    assert "tools.plan" in named and "tools.plan.compare" in named, named
    missing = {name: where for name, where in named.items() if run_module(name) is None}
    assert not missing, f"run as python -m but not in tools/: {missing}"


@pytest.mark.parametrize("command", sorted(commands()))
def test_no_module_of_tools_imports_a_command(command):
    """A command is a leaf: no module (command or library) imports it, so what two commands share
    has one home in a library."""
    module = run_module(command)
    importers = sorted(name for name, imported in GRAPH.items() if module in imported and name != module)
    assert not importers, (
        f"{command} is a command ({commands()[command]}), imported by {importers}: move what they need to a library"
    )


def test_no_import_cycle_among_the_modules_of_tools():
    """Imports inside functions count: an import put off to run time is still a cycle."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        path.append(name)
        for imported in GRAPH[name]:
            if state.get(imported) == "open":
                cycle = path[path.index(imported) :] + [imported]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if imported not in state:
                visit(imported)
        path.pop()
        state[name] = "done"

    for name in MODULES:
        if name not in state:
            visit(name)


def test_no_private_name_is_imported_from_another_module():
    """``from tools.x import _y``: what another module needs is public in its one home."""
    private = [
        f"{name} imports {', '.join(taken)} from {module}"
        for name in MODULES
        for module, names in imports(name)
        if module != name and (taken := [n for n in names if n.startswith("_")])
    ]
    assert not private, private


def test_the_graph_is_read_from_the_imports():
    """The reading above sees top-level, function-level, ``from tools import x`` and relative
    imports, so that the tests above can fail."""
    assert "tools.plan.report" in GRAPH["tools.plan.review"]
    assert "tools.terraform" in GRAPH["tools.deployment"]  # from tools import terraform
    assert "tools.common" in GRAPH["tools.plan.__main__"]
