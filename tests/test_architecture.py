"""The package's structure: floors whose imports all point down, and no circle of modules.

Every module of `neural_sculpting` belongs to a room (its subpackage, or for a top-level module
its own name). Rooms stand on floors, lowest first; a module may import (at any place in it,
lazily or for type checking too) from its own room or a lower floor only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "neural_sculpting"

FLOORS = (
    ("foundations",),  # paths, atomic writes, errors: nothing of the project
    ("tasks",),  # function graphs, truth tables, dataset and MNIST tasks
    ("study",),  # settings, the config, trials, the catalogue of figures
    ("store",),  # the files a trial leaves: records, stage files, arrays
    ("engine",),  # lanes, training, pruning, the search
    ("analysis",),  # module detection and scoring
    ("figures",),  # tables, figures, drawings
    ("reproduction",),  # the report against the paper
    ("workflow", "api", "cli"),  # what users call
)
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str | None:
    """The module's room; None for the package's own `__init__` (its version, and `sculpt` and
    `SculptResult` imported when asked for), which any module may import and which is exempt."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def room_edges() -> list[tuple[str, str]]:
    """The imports between modules of rooms (the package's own `__init__` left out)."""
    return [(a, b) for a, b in import_graph().edges if room(a) is not None and room(b) is not None]


def import_graph() -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` imports the module; `from module import name`
                # the module.
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                    else node.module
                    for a in node.names
                ]  # fmt: skip
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_every_room_has_a_floor():
    rooms = {room(m) for m in import_graph()} - {None}
    assert rooms <= set(FLOOR), f"rooms without a floor: {sorted(rooms - set(FLOOR))}"


def test_no_import_runs_back_up():
    upward = [f"{a} -> {b}" for a, b in room_edges() if FLOOR[room(b)] > FLOOR[room(a)]]
    assert upward == []


def test_rooms_of_one_floor_do_not_import_each_other():
    sideways = [
        f"{a} -> {b}"
        for a, b in room_edges()
        if room(a) != room(b) and FLOOR[room(a)] == FLOOR[room(b)]
    ]
    assert sideways == []


def test_no_circle_of_modules():
    graph = import_graph()
    graph.remove_nodes_from([m for m in list(graph) if room(m) is None])
    assert list(nx.simple_cycles(graph)) == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a lower room importing a higher one is found."""
    package = tmp_path / "neural_sculpting"
    for folder, text in (("tasks", "from neural_sculpting.figures import x\n"), ("figures", "")):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
        (package / folder / "x.py").write_text(text)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", package)
    edges = list(import_graph().edges)
    assert ("neural_sculpting.tasks.x", "neural_sculpting.figures.x") in edges


def test_library_files_stay_small():
    """One concern a file: none over 450 lines, at most one over 400."""
    sizes = {p.relative_to(PACKAGE).as_posix(): len(p.read_text().splitlines())
             for p in PACKAGE.rglob("*.py")}  # fmt: skip
    assert {name: n for name, n in sizes.items() if n > 450} == {}
    assert len([n for n in sizes.values() if n > 400]) <= 1
