"""The package tree is the architecture: each folder is a layer and imports point down.

A module may import from its own layer or a lower one, never a higher one, and no chain of
imports (counting those inside functions) may lead back to where it started.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

# Lowest first. A top-level module (errors, paths) is the foundation; cli and web are the
# front ends over the library.
LAYERS = ("errors", "paths", "rules", "lang", "speech", "judge", "interviewer", "analysis",
          "store", "present", "practice", "web", "cli", "__main__")


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every simulator module `name` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def layer(name: str) -> int:
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


GRAPH = {name: imports(name, path, set(modules())) for name, path in modules().items()}


def test_every_module_has_a_layer():
    strays = [n for n in GRAPH if n != "simulator" and n.split(".")[1] not in LAYERS]
    assert not strays, f"modules outside the layers: {strays}"


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_point_down(name):
    upward = [t for t in GRAPH[name] if t != "simulator" and layer(t) > layer(name)]
    assert not upward, f"{name} imports from a higher layer: {upward}"


def test_no_import_circles():
    done: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            pytest.fail("import circle: " + " → ".join(chain[chain.index(name):] + (name,)))
        if name in done:
            return
        for target in sorted(GRAPH[name]):
            # A package's __init__ re-exporting its own modules is not a circle.
            if not name.startswith(target + "."):
                visit(target, chain + (name,))
        done.add(name)

    for name in sorted(GRAPH):
        visit(name, ())


def test_the_checks_catch_an_upward_import_and_a_circle(tmp_path):
    """The two checks above would fail on a bad tree (a test that cannot fail proves nothing)."""
    bad = {"simulator.rules.bank": {"simulator.practice.session"}, "simulator.practice.session": set()}
    assert any(layer(t) > layer(n) for n, ts in bad.items() for t in ts)
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from simulator.practice import session\n", encoding="utf-8")
    assert imports("simulator.rules.bank", source, set(GRAPH)) == {"simulator.practice.session"}


def test_tests_share_code_through_support_only():
    """A test module imports shared helpers from tests/support and fixtures come from
    conftest.py; one importing another test module (or conftest) runs that module's tests'
    imports and fixtures twice and hides where a helper lives."""
    tests = Path(__file__).resolve().parent
    own = {p.stem for p in tests.glob("*.py")}
    for path in tests.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong = [n for n in names if n.split(".")[0] in own]
            assert not wrong, f"{path.name}:{node.lineno} imports {wrong[0]}: share it through tests/support"
