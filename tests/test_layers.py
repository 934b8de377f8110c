"""The package's layers, read from the source: data flows one way (vocabulary → data → study → scorers → solvers
→ tasks → analysis; warmth, finetune and models beside; run and the commands on top), with no import circle.

Every ``import`` counts, those inside functions too. Unit: one module of ``src/inspect_warmth``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "inspect_warmth"
#: What the analysis may import: the study's vocabulary and material, the readers of data and replies; never a
#: runner, trainer, engine or model loader.
ANALYSIS_MAY_IMPORT = {"analysis", "vocabulary", "study", "data", "scorers"}


def _module(path: Path) -> str:
    return ".".join(("inspect_warmth", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")


def _imports() -> dict[str, set[str]]:
    """module -> the package modules it imports (``from a.b import c`` counts as ``a.b.c`` when that is a module)."""
    modules = {_module(p) for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        source = _module(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inspect_warmth"):
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    graph[source].add(child if child in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[source].update(a.name for a in node.names if a.name.startswith("inspect_warmth."))
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_analysis_imports_no_runner() -> None:
    offending = sorted(f"{source} imports {target}" for source, targets in _imports().items()
                       if _package(source) == "analysis" for target in targets
                       if _package(target) not in ANALYSIS_MAY_IMPORT)
    assert not offending, offending


@pytest.mark.parametrize("level", ["module", "package"])
def test_no_import_circle(level: str) -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, targets in _imports().items():
        for target in targets:
            a, b = (source, target) if level == "module" else (_package(source), _package(target))
            if a != b and not (a.endswith("__init__") or b in ("", "inspect_warmth")):
                graph[a].add(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_package_names_no_unshipped_file() -> None:
    """Docstrings and help texts cite the paper and the libraries, not files users do not have."""
    named = [f"{path.relative_to(SRC)}:{n}" for path in SRC.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "PAPER.md" in line or "CONTRACTS.md" in line]
    assert not named, named
