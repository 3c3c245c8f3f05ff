"""User-facing errors share one base and print one line; a bug keeps its traceback."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import neural_sculpting
from neural_sculpting.foundations.errors import SculptError

# The module (the package exports its `main` function under the same name).
cli_main = importlib.import_module("neural_sculpting.cli.main")
graphs_cli = importlib.import_module("neural_sculpting.cli.graphs")


def project_modules():
    for info in pkgutil.walk_packages(neural_sculpting.__path__, "neural_sculpting."):
        if info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


def test_every_error_class_of_the_project_is_a_sculpt_error():
    classes = {
        obj
        for module in project_modules()
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__.startswith("neural_sculpting") and issubclass(obj, Exception)
    }
    assert len(classes) >= 29
    assert [c.__name__ for c in classes if not issubclass(c, SculptError)] == []


def test_a_user_error_is_one_line_and_status_2(capsys):
    assert cli_main.main(["graph", "show", "no_such_graph"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sculpt: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("bug", [ZeroDivisionError("division by zero"), ValueError("a bug")])
def test_a_bug_keeps_its_traceback(monkeypatch, bug):
    def broken(args):
        raise bug

    monkeypatch.setattr(graphs_cli, "_graph_show", broken)
    with pytest.raises(type(bug)) as info:
        cli_main.main(["graph", "show", "reused"])
    assert info.value is bug and info.traceback  # raised through, not turned into a line


@pytest.mark.parametrize(
    "drawing, message",
    [
        (["--cell", "xor", "two", "a.png"], "the depth must be a whole number"),
        (["--cell", "xor", "1", "a.png", "--graph", "xor"], "not both"),
        (["--graph", "xor", "--depth", "1"], "needs --graph, --depth and -o"),
    ],
)
def test_draw_cell_refuses_a_bad_cell_list_in_one_line(capsys, tmp_path, drawing, message):
    trials = tmp_path / "trials.csv"
    trials.write_text("graph,depth\n")
    assert cli_main.main(["draw-cell", "--trials", str(trials), *drawing]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.png"))
