"""The package's layers: core imports neither io nor ui, io does not import ui, and no module
imports the package's top level (where the console script lives)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "screener"
ALLOWED = {"core": {"core"}, "io": {"core", "io"}, "ui": {"core", "io", "ui"}}


def imported_layers(path: Path, layer: str) -> set[str]:
    """The layers a module imports from, through relative or absolute imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.add(layer)
            elif node.level == 2:
                found.add((node.module or "(package)").split(".")[0])
            elif node.module and node.module.startswith("screener"):
                found.add(node.module.split(".")[1] if "." in node.module else "(package)")
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("screener."))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer):
    modules = sorted((PACKAGE / layer).glob("*.py"))
    assert modules
    for module in modules:
        assert imported_layers(module, layer) <= ALLOWED[layer], module.name


def test_the_layers_hold_every_module():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]
