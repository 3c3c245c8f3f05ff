"""Graph-file validation (one line naming file, entry and problem) and the derived structure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from schema_checks import undocumented
from user_task import MY_TASK

from neural_sculpting.tasks.function_graph import GraphError, load_graph, read_yaml
from neural_sculpting.tasks.hierarchy import task_hierarchy
from neural_sculpting.tasks.schemas import schema_path

VALID = """\
name: {name}
inputs: 4
gates:
  a1: {{op: and, in: [x0, x1, ~x2, ~x3]}}
  a2: {{op: and, in: [x0, ~x1, x2, ~x3]}}
  f0: {{op: or, in: [a1, a2]}}
outputs: [f0, ~f0]
modules:
  g: [a1, a2]
  f0: [f0]
"""


def write(tmp_path: Path, text: str, name: str = "tiny") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_file_loads(tmp_path):
    graph = load_graph(str(write(tmp_path, VALID.format(name="tiny"))))
    assert graph.n_inputs == 4
    assert graph.n_outputs == 2
    assert [str(lit) for lit in graph.outputs] == ["f0", "~f0"]


# (mutation of the valid file, entry the message must name, words the problem must contain)
MALFORMED = [
    (VALID.replace("in: [a1, a2]", "in: [a1, a9]"), "gates.f0", "unknown node 'a9'"),
    (VALID.replace("in: [a1, a2]", "in: [a1, f0]"), "gates", "cycle"),
    (VALID.replace("op: or", "op: xor"), "gates.f0", "unknown op 'xor'"),
    (VALID.replace("in: [a1, a2]", "in: [a1]"), "gates.f0.in", "has 1 item, expected at least 2"),
    (VALID.replace("  a2: {{op: and", "  a1: {{op: and"), "(file)", "duplicate name 'a1'"),
    (VALID.replace("  f0: [f0]", "  f0: [f0, a2]"), "modules.f0", "already in module 'g'"),
    (VALID.replace("inputs: 4", "inputs: -1"), "inputs", "not a positive integer"),
    (VALID.replace("inputs: 4", "inputs: two"), "inputs", "not a positive integer"),
    (VALID.replace("outputs: [f0, ~f0]", "outputs: [f0, ~q]"), "outputs", "unknown node 'q'"),
    (VALID.replace("  f0: [f0]\n", ""), "modules", "belongs to no module"),
    (VALID + "colour: red\n", "colour", "unknown key"),
    (VALID.replace("op: or, in: [a1, a2]", "op: id, in: [a1, a2]"), "gates.f0.in", "exactly 1"),
    (VALID + "collapse:\n  1: [[g, nope]]\n", "collapse.1", "unknown module 'nope'"),
    (VALID + "repeat: 0\n", "repeat", "not a positive integer"),
    ("name: [tiny\n", "line", ""),
]


@pytest.mark.parametrize(("text", "entry", "problem"), MALFORMED)
def test_malformed_file_names_file_entry_and_problem(tmp_path, text, entry, problem):
    path = write(tmp_path, text.format(name="tiny") if "{name}" in text else text)
    with pytest.raises(GraphError) as info:
        load_graph(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {entry}")
    assert problem in message


# Shape problems the schema alone rejects: (mutation, the exact entry, words of the problem).
SHAPE = [
    (VALID.replace("inputs: 4", "inputs: '4'"), "inputs", "'4' is not a positive integer"),
    (VALID.replace("inputs: 4", "inputs: true"), "inputs", "True is not a positive integer"),
    (VALID + "description: 3\n", "description", "3 is not a string"),
    (VALID + "params: {{use: true}}\n", "params.use", "True is not a number or a string"),
    (VALID + "params: [1]\n", "params", "[1] is not a mapping"),
    (VALID + "repeat: 1.5\n", "repeat", "1.5 is not a positive integer"),
    (VALID + "gatez: {{}}\n", "gatez", "unknown key (allowed: name, description, inputs,"),
    (VALID.replace("outputs: [f0, ~f0]\n", ""), "outputs", "missing required key"),
    (VALID.replace("name: {name}\n", ""), "name", "missing required key"),
    (VALID.replace("op: or, ", ""), "gates.f0.op", "missing required key"),
    (VALID.replace("in: [a1, a2]", "in: [a1, a2], out: 1"), "gates.f0.out", "unknown key"),
    (VALID.replace("in: [a1, a2]", "in: a1"), "gates.f0.in", "'a1' is not a list"),
    (VALID.replace("in: [a1, a2]", "in: [a1, 3]"), "gates.f0.in[1]", "3 is not a string"),
    (VALID.replace("in: [a1, a2]", "in: [a1, ~~a2]"), "gates.f0.in[1]", "must match"),
    (VALID.replace("outputs: [f0, ~f0]", "outputs: []"), "outputs", "must not be empty"),
    (VALID.replace("  g: [a1, a2]", "  g: []"), "modules.g", "must not be empty"),
    (VALID.replace("  g: [a1, a2]", "  9g: [a1, a2]"), "modules.9g", "the key '9g' must match"),
    (VALID.replace("a1:", "x9:").replace("[a1, a2]", "[x9, a2]"), "gates.x9", "an input node"),
    (VALID + "collapse: {{0: [[g, f0]]}}\n", "collapse.0", "the key 0 is not a positive integer"),
    (VALID + "collapse: {{1: [[g]]}}\n", "collapse.1[0]", "has 1 item, expected at least 2"),
    (VALID + "collapse: {{1: [g]}}\n", "collapse.1[0]", "'g' is not a list"),
    ("", "(top level)", "None is not a mapping"),
    ("[tiny]\n", "(top level)", "['tiny'] is not a mapping"),
]


def graph_schema() -> dict:
    return yaml.safe_load(schema_path("function_graph").read_text())


@pytest.mark.parametrize(("text", "entry", "problem"), SHAPE)
def test_schema_rejects_a_bad_shape_in_one_line_naming_the_entry(tmp_path, text, entry, problem):
    path = write(tmp_path, text.format(name="tiny"))
    # The schema itself rejects the file, so loosening it fails here even if code checked too.
    assert not jsonschema.Draft202012Validator(graph_schema()).is_valid(read_yaml(path))
    with pytest.raises(GraphError) as info:
        load_graph(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {entry}: ")
    assert problem in message


def test_the_schema_ships_in_the_package_and_documents_every_property():
    path = schema_path("function_graph")
    assert path.parent == Path(__file__).resolve().parents[1] / "neural_sculpting/tasks/schemas"
    schema = graph_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "inputs", "gates", "outputs"}
    assert undocumented(schema) == []


def test_every_shipped_graph_file_validates_against_the_schema():
    validator = jsonschema.Draft202012Validator(graph_schema())
    files = sorted((Path(__file__).resolve().parents[1] / "config" / "graphs").glob("*.yaml"))
    assert len(files) > 30
    for path in files:
        errors = [e.message for e in validator.iter_errors(read_yaml(path))]
        assert errors == [], f"{path.name}: {errors}"


def test_name_must_equal_file_name(tmp_path):
    path = write(tmp_path, VALID.format(name="other"), name="tiny")
    with pytest.raises(GraphError, match=r"tiny\.yaml: name: 'other' differs from the file name"):
        load_graph(str(path))


def test_cli_reports_malformed_file_in_one_line_with_status_2(tmp_path):
    path = write(tmp_path, VALID.format(name="tiny").replace("op: or", "op: nand"))
    result = subprocess.run(
        [sys.executable, "-m", "neural_sculpting.cli", "graph", "show", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "gates.f0" in lines[0] and "unknown op 'nand'" in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_show_prints_truth_table_and_structure():
    result = subprocess.run(
        [sys.executable, "-m", "neural_sculpting.cli", "graph", "show", "input_separable"],
        capture_output=True,
        text=True,
        check=True,
    )
    # Row 0110: y0 = x0 XOR x1 = 1, y1 = 0, y2 = x2 XOR x3 = 1, y3 = 0.
    assert re.search(r"^\s*0\s+1\s+1\s+0\s+1\s+0\s+1\s+0\s*$", result.stdout, re.M)
    assert "input partition:  {x0,x1} | {x2,x3}" in result.stdout


def partition(groups) -> list[list[int]]:
    return sorted(sorted(g) for g in groups)


def test_reused_structure_and_its_collapse_at_one_hidden_layer():
    graph = load_graph("reused")
    full = task_hierarchy(graph)
    assert partition(full.input_partition) == [[0, 1, 2, 3]]
    assert partition(full.output_partition) == [list(range(0, 16, 2)), list(range(1, 16, 2))]
    assert sorted(full.module_graph.edges()) == [("g", "f0"), ("g", "f1")]
    assert full.signatures["f0"].outputs == frozenset(range(0, 16, 2))
    one = task_hierarchy(graph, hidden_layers=1)
    assert len(one.subfunctions) == 1
    assert partition(one.output_partition) == [list(range(16))]
    # Deeper networks keep the full structure.
    assert task_hierarchy(graph, 3).signature_set == full.signature_set


def test_overlap_inputs_split_into_specific_and_shared_groups():
    # overlap 2: F0 = g(x0..x3), F1 = g'(x2..x5): x0,x1 specific, x2,x3 shared, x4,x5 specific.
    structure = task_hierarchy(load_graph("overlap2_use4"))
    assert partition(structure.input_partition) == [[0, 1], [2, 3], [4, 5]]
    assert partition(structure.output_partition) == [[0, 2, 4, 6], [1, 3, 5, 7]]


def test_hierarchy_levels_and_collapse_below_three_hidden_layers():
    graph = load_graph("hierarchy_use2")
    deep = task_hierarchy(graph, 3)
    assert set(deep.subfunctions) == {"a", "b", "c", "f0", "f1"}
    assert deep.signatures["a"].inputs == frozenset(range(4))
    assert deep.signatures["b"].inputs == frozenset(range(4, 8))
    assert deep.signatures["c"].outputs == frozenset(range(4))
    for depth in (1, 2):
        shallow = task_hierarchy(graph, depth)
        assert set(shallow.subfunctions) == {"a", "b", "c+f0+f1"}
        assert partition(shallow.input_partition) == [[0, 1, 2, 3], [4, 5, 6, 7]]
        assert partition(shallow.output_partition) == [[0, 1, 2, 3]]


def test_separable_reused_has_three_input_pairs_and_three_outputs():
    structure = task_hierarchy(load_graph("separable_reused"))
    assert partition(structure.input_partition) == [[0, 1], [2, 3], [4, 5]]
    assert partition(structure.output_partition) == [[0], [1], [2]]
    assert structure.module_graph.number_of_edges() == 6


def test_generator_output_is_committed_and_up_to_date():
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "generate_graphs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# --- where task files are looked up ---------------------------------------------------------------


def sculpt(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "neural_sculpting.cli", *args], cwd=cwd, capture_output=True,
        text=True, env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


def test_a_projects_own_task_is_found_from_its_folder(tmp_path):
    project = tmp_path / "project"
    (project / "config" / "graphs").mkdir(parents=True)
    (project / "config" / "graphs" / "two_xor.yaml").write_text(MY_TASK)
    checked = sculpt(project, "graph", "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "39 graph file(s) valid"  # the paper's 38 and the project's
    assert sculpt(project, "graph", "check", "two_xor").returncode == 0
    shown = sculpt(project, "graph", "show", "two_xor")
    assert "s0" in shown.stdout and "{x0,x1}" in shown.stdout


def test_a_missing_task_names_every_folder_searched(tmp_path):
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    result = sculpt(tmp_path, "graph", "check", "nosuch", env={"SCULPT_GRAPHS_DIR": str(elsewhere)})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert f"no nosuch.yaml in {elsewhere}/, config/graphs/, " in line
    assert line.endswith("config/graphs/")


def test_a_project_file_shadowing_a_paper_task_is_warned_about(tmp_path):
    graphs = tmp_path / "config" / "graphs"
    graphs.mkdir(parents=True)
    (graphs / "reused.yaml").write_text(MY_TASK.replace("two_xor", "reused"))
    result = sculpt(tmp_path, "graph", "show", "reused")
    assert result.returncode == 0, result.stderr
    assert "warning: config/graphs/reused.yaml shadows the paper's task reused" in result.stderr
    assert "s0" in result.stdout  # the project's file, not the paper's (g, f0, f1)


def test_a_built_wheel_carries_the_papers_files(tmp_path):
    """Installed without the checkout, the package still finds the paper's tasks, its choices and
    the config schema (package data that setup.py copies in)."""
    import zipfile

    root = Path(__file__).resolve().parents[1]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "wheel"), str(root)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    data = installed / "neural_sculpting" / "_data"
    assert len(list((data / "config" / "graphs").glob("*.yaml"))) == 38
    assert (data / "config" / "tasks" / "mnist_two_digits.yaml").is_file()
    assert (data / "workflow" / "schemas" / "config.schema.yaml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    run = [sys.executable, "-m", "neural_sculpting.cli"]
    checked = subprocess.run([*run, "graph", "check"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.stdout.strip() == "38 graph file(s) valid", checked.stderr
    where = subprocess.run(
        [sys.executable, "-c", "from neural_sculpting.foundations import paths; "
         "print(paths.config_schema(), paths.paper_choices_csv())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert where.stdout.split() == [str(data / "workflow" / "schemas" / "config.schema.yaml"),
                                    str(data / "config" / "paper_choices.csv")]  # fmt: skip
