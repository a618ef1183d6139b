"""The packages' imports point one way: readers -> loader -> orchestration, reports read
only the published warehouse, nothing imports orchestration but itself (and the tests).

Read from the source with `ast`, function-local imports included: an import inside a
function is still an arrow (it only hides a circle until the function runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

from ingest.settings import REPO_ROOT

#: package -> its folder; the sample generator is a distribution of its own (samples/).
FOLDERS = {
    "ingest": REPO_ROOT / "ingest",
    "expectations": REPO_ROOT / "expectations",
    "publishing": REPO_ROOT / "publishing",
    "reports": REPO_ROOT / "reports",
    "orchestration": REPO_ROOT / "orchestration",
    "slc_samples": REPO_ROOT / "samples" / "slc_samples",
}
PACKAGES = tuple(FOLDERS)
#: package -> the packages it may import (besides itself). No runtime package imports the
#: sample generator; the generator reads the runtime's readers and registries.
ALLOWED = {
    "ingest": set(),
    "expectations": {"ingest"},
    "publishing": {"ingest"},
    "reports": {"ingest", "publishing"},
    "orchestration": {"ingest", "expectations", "publishing", "reports"},
    "slc_samples": {"ingest"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = (package, *path.relative_to(folder).with_suffix("").parts)
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports (the longest known prefix of each name)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in known:
                out.add(candidate)
                break
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(path, known) - {name} for name, path in found.items()}


def test_layers_point_one_way():
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if (src := module.split(".")[0]) != (dst := target.split(".")[0])
        and dst not in ALLOWED[src]
    ]
    assert not wrong, wrong


def circles_in(edges: dict[str, set[str]]) -> list[str]:
    """Every circle a depth-first walk of `edges` meets, as "a -> b -> a"."""
    circles: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return circles


def test_the_graph_is_read_and_a_circle_is_seen():
    edges = graph()
    assert "ingest.registry" in edges["ingest.deliveries"]
    assert "publishing.publish" in edges["reports.output"]
    assert "orchestration.assets.bronze" in edges["orchestration.jobs"]
    assert circles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]


def test_no_import_circle():
    # A module importing its own package (its __init__) is no circle.
    edges = {
        module: {t for t in targets if not module.startswith(f"{t}.")}
        for module, targets in graph().items()
    }
    assert not circles_in(edges), circles_in(edges)
