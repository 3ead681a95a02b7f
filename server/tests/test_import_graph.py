"""The server's modules import one another without a cycle.

Every import counts, those inside functions too: a cycle hidden in a function (config.py
once imported ratelimit.py inside its validators while ratelimit.py imported config.py) still
ties two modules together, and breaks as soon as someone moves the import to the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import buena_server

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

PACKAGE = Path(buena_server.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                # ``from a import b``: the module a.b when there is one, else a itself.
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = [stack.pop()]
            while component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_check_finds_a_cycle_hidden_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_function_level_imports_are_read() -> None:
    config = imported("buena_server.config", MODULES["buena_server.config"])
    assert "buena_server.kit.ratelimit_rules" in config  # at the top
    assert "buena_server.kit.cors" in config  # inside a validator


def test_no_module_imports_itself_through_others() -> None:
    graph = {name: imported(name, path) for name, path in MODULES.items()}
    assert cycles(graph) == []
