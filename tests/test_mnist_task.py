"""MNIST task descriptions and their scoring, against the paper's facts (Section 5.5, Appendix F):
digit 1 in columns 0-27 and digit 2 in columns 28-55 of a row-major 28x56 image; two-digit task:
outputs 0-9 one-hot digit 1, 10-19 one-hot digit 2, two separate modules; hierarchical task (Fig.
13a): digit modules a and b, then three output sub-functions f_i = bit i of d1 XOR bit i of d2.
The networks are built by hand, so the right answer is known without running the code."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from schema_checks import undocumented

from neural_sculpting.analysis.module_detection import DetectionSettings, detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.tasks.catalog import expected_structure, load_task
from neural_sculpting.tasks.mnist_task import TaskError, parse_task
from neural_sculpting.tasks.schemas import schema_path

WIDTH = 56
MNIST_DETECTION = DetectionSettings(modularity_threshold=-0.3, merge_threshold=0.6)


def pixel(row: int, col: int) -> int:
    return row * WIDTH + col


def test_input_groups_are_the_two_image_halves():
    task = load_task("mnist_two_digits")
    d1, d2 = task.input_groups["d1"], task.input_groups["d2"]
    assert len(d1) == len(d2) == 28 * 28 and not d1 & d2 and len(d1 | d2) == 1568
    assert pixel(0, 0) in d1 and pixel(0, 27) in d1 and pixel(0, 28) in d2
    assert pixel(1, 0) == 56 and 56 in d1 and pixel(27, 55) == 1567 and 1567 in d2


def test_two_digit_ground_truth_is_two_separate_modules():
    expected = expected_structure(load_task("mnist_two_digits"), 2)
    assert {name: (set(s.inputs), set(s.outputs)) for name, s in expected.signatures.items()} == {
        "digit1": ({0}, set(range(10))),
        "digit2": ({1}, set(range(10, 20))),
    }
    assert expected.module_graph.number_of_edges() == 0
    assert expected.output_partition == {frozenset(range(10)), frozenset(range(10, 20))}


def test_hierarchical_ground_truth_is_fig_13a():
    expected = expected_structure(load_task("mnist_hierarchical"), 3)
    sigs = {name: (set(s.inputs), set(s.outputs)) for name, s in expected.signatures.items()}
    assert sigs == {
        "a": ({0}, {0, 1, 2}),
        "b": ({1}, {0, 1, 2}),
        "f0": ({0, 1}, {0}),
        "f1": ({0, 1}, {1}),
        "f2": ({0, 1}, {2}),
    }
    assert set(expected.module_graph.edges) == {(m, f"f{i}") for m in "ab" for i in range(3)}
    assert expected.input_partition == {frozenset({0}), frozenset({1})}
    assert expected.output_partition == {frozenset({0}), frozenset({1}), frozenset({2})}


# --- scoring hand-built two-digit networks: 1568 inputs -> 4 hidden -> 20 outputs ----------------

D1_PIXELS = [pixel(10, 5), pixel(14, 14), pixel(20, 27)]
D2_PIXELS = [pixel(10, 33), pixel(14, 42), pixel(20, 55)]


def two_digit_network(mixed: bool = False):
    """Hidden units 0-1 read digit-1 pixels and feed outputs 0-9; units 2-3 read digit-2 pixels
    and feed outputs 10-19. `mixed`: hidden unit 0 also reads a digit-2 pixel."""
    w1 = np.zeros((4, 1568), dtype=bool)
    w1[np.ix_([0, 1], D1_PIXELS)] = True
    w1[np.ix_([2, 3], D2_PIXELS)] = True
    if mixed:
        w1[0, D2_PIXELS[0]] = True
    w2 = np.zeros((20, 4), dtype=bool)
    w2[:10, :2] = True
    w2[10:, 2:] = True
    return [w1, w2]


def two_digit_labels(input_labels=None):
    inputs = [None] * 1568
    for u in D1_PIXELS:
        inputs[u] = "A"
    for u in D2_PIXELS:
        inputs[u] = "B"
    for u, lab in (input_labels or {}).items():
        inputs[u] = lab
    return [inputs, ["A", "A", "B", "B"], ["A"] * 10 + ["B"] * 10]


def test_two_separate_modules_match_although_most_pixels_are_pruned():
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    score = score_modules(two_digit_network(), two_digit_labels(), expected)
    assert score.structure_match and score.modules_found == ("digit1", "digit2")
    assert score.condensed_arch == (6, 4, 20)


def test_the_detector_finds_the_two_modules_of_a_separable_network():
    masks = two_digit_network()
    detection = detect_modules(masks, MNIST_DETECTION)
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    assert score_modules(masks, detection.module_labels, expected).structure_match


def test_a_unit_reading_both_digits_breaks_the_structure():
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    masks = two_digit_network(mixed=True)
    labels = two_digit_labels({D2_PIXELS[0]: "A"})  # the shared pixel joins unit 0's module
    score = score_modules(masks, labels, expected)
    assert not score.input_modules_match and not score.structure_match
    # Unit 0's module now depends on both digits: no expected sub-function has that signature.
    assert not score.hidden_modules_match


def test_one_digits_pixels_may_split_over_several_input_modules():
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    labels = two_digit_labels({D1_PIXELS[0]: "A2"})  # a module of digit-1 pixels alone
    score = score_modules(two_digit_network(), labels, expected)
    assert score.input_modules_match and score.structure_match


def test_an_input_module_holding_pixels_of_both_digits_fails_the_input_partition():
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    labels = two_digit_labels({D1_PIXELS[0]: "P", D2_PIXELS[0]: "P"})
    assert not score_modules(two_digit_network(), labels, expected).input_modules_match


def test_a_digit_with_every_pixel_pruned_fails():
    expected = expected_structure(load_task("mnist_two_digits"), 1)
    masks = two_digit_network()
    masks[0][:, D2_PIXELS] = False
    labels = two_digit_labels({u: None for u in D2_PIXELS})
    assert not score_modules(masks, labels, expected).input_modules_match


# --- the hierarchical task and the categories of Fig. 13b ----------------------------------------


def hierarchical_network():
    """Digit-1 pixels -> units 0-1 (module a), digit-2 pixels -> units 2-3 (module b); layer 2:
    unit i reads all of layer 1 and feeds output i (module f_i)."""
    w1 = np.zeros((4, 1568), dtype=bool)
    w1[np.ix_([0, 1], D1_PIXELS)] = True
    w1[np.ix_([2, 3], D2_PIXELS)] = True
    w2 = np.ones((3, 4), dtype=bool)
    w3 = np.eye(3, dtype=bool)
    return [w1, w2, w3]


def hierarchical_labels(first_layer=("a", "a", "b", "b")):
    inputs = [None] * 1568
    for u in D1_PIXELS:
        inputs[u] = first_layer[0]
    for u in D2_PIXELS:
        inputs[u] = first_layer[2]
    return [inputs, list(first_layer), ["f0", "f1", "f2"], ["f0", "f1", "f2"]]


def categories(labels) -> dict[str, bool]:
    task = load_task("mnist_hierarchical")
    score = score_modules(hierarchical_network(), labels, expected_structure(task, 2))
    return task.category_flags(score.to_json())


def test_the_fig_13a_structure_meets_all_three_categories():
    assert categories(hierarchical_labels()) == {
        "input_separable": True,
        "output_modules": True,
        "middle_layers": True,
    }


def test_digit_modules_merged_into_one_fail_input_separability_only():
    merged = hierarchical_labels(first_layer=("ab", "ab", "ab", "ab"))
    assert categories(merged) == {
        "input_separable": False,
        "output_modules": True,
        "middle_layers": False,  # the merged module's signature is no sub-function's
    }


def test_outputs_in_one_module_fail_the_output_category():
    labels = hierarchical_labels()
    labels[2] = ["f", "f", "f"]
    labels[3] = ["f", "f", "f"]
    result = categories(labels)
    assert not result["output_modules"] and result["input_separable"]


# --- task files: one-line errors ------------------------------------------------------------------

VALID = {
    "name": "t",
    "kind": "mnist",
    "dataset": "two_digits",
    "image": {"height": 2, "width": 4},
    "input_groups": {"l": {"columns": [0, 1]}, "r": {"columns": [2, 3]}},
    "outputs": ["o"],
    "subfunctions": {"s": {"reads": ["l", "r"], "writes": ["o"]}},
}


def test_a_small_valid_description_parses():
    task = parse_task(VALID, "t.yaml")
    assert task.input_groups["l"] == {0, 1, 4, 5} and task.input_groups["r"] == {2, 3, 6, 7}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": 1}, r"colour: unknown key"),
        ({"kind": "boolean"}, r"kind: .*only 'mnist'"),
        ({"input_groups": {"l": {"columns": [0, 9]}}}, r"input_groups.l: columns"),
        ({"input_groups": {"l": {"columns": [0, 2]}, "r": {"columns": [2, 3]}}}, r"overlap"),
        ({"subfunctions": {"s": {"reads": ["x"], "writes": ["o"]}}}, r"'x' is not an input group"),
        (
            {"subfunctions": {"s": {"uses": ["u"], "writes": ["o"]}, "u": {"uses": ["s"]}}},
            r"cycle",
        ),
        ({"subfunctions": {"s": {"reads": ["l"]}}}, r"'o' is written by no sub-function"),
        (
            {"categories": {"c": {"flags": ["nope"]}}},
            r"categories\.c\.flags\[0\]: unknown value 'nope'",
        ),
    ],
)
def test_malformed_descriptions_are_one_line_errors(change, message):
    with pytest.raises(TaskError, match=message) as info:
        parse_task({**VALID, **change}, "t.yaml")
    assert "\n" not in str(info.value) and str(info.value).startswith("t.yaml: ")


# Shape problems the schema alone rejects: (change, the exact entry, words of the problem).
SHAPE = [
    ({"image": {"height": 2}}, "image.width", "missing required key"),
    ({"image": {"height": 2, "width": "4"}}, "image.width", "'4' is not a positive integer"),
    ({"image": {"height": 2, "width": 4, "depth": 1}}, "image.depth", "unknown key"),
    ({"dataset": "fashion"}, "dataset", "unknown dataset 'fashion'"),
    ({"description": 1}, "description", "1 is not a string"),
    ({"name": "T"}, "name", "'T' must match [a-z0-9_]+"),
    ({"input_groups": {}}, "input_groups", "must not be empty"),
    ({"input_groups": {"l": [0, 1]}}, "input_groups.l", "[0, 1] is not a mapping"),
    ({"input_groups": {"l": {"columns": [0]}}}, "input_groups.l.columns", "expected exactly 2"),
    ({"input_groups": {"l": {"columns": [-1, 1]}}}, "input_groups.l.columns[0]", "below"),
    ({"outputs": ["o", "o"]}, "outputs", "'o' is listed twice"),
    ({"outputs": ["o", 1]}, "outputs[1]", "1 is not a string"),
    ({"subfunctions": {"s": {"reads": "l"}}}, "subfunctions.s.reads", "'l' is not a list"),
    ({"subfunctions": {"s": {"reads": ["l"], "via": []}}}, "subfunctions.s.via", "unknown key"),
    ({"categories": {"c": {}}}, "categories.c", "must not be empty"),
    ({"categories": []}, "categories", "[] is not a mapping or null"),
    ({"params": [1]}, "params", "[1] is not a mapping or null"),
]


def task_schema() -> dict:
    return yaml.safe_load(schema_path("mnist_task").read_text())


@pytest.mark.parametrize(("change", "entry", "problem"), SHAPE)
def test_schema_rejects_a_bad_shape_in_one_line_naming_the_entry(change, entry, problem):
    data = {**VALID, **change}
    # The schema itself rejects the description, so loosening it fails here.
    assert not jsonschema.Draft202012Validator(task_schema()).is_valid(data)
    with pytest.raises(TaskError) as info:
        parse_task(data, "t.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"t.yaml: {entry}: ")
    assert problem in message


@pytest.mark.parametrize("key", ["name", "kind", "dataset", "image", "input_groups", "outputs"])
def test_a_missing_required_key_is_named(key):
    data = {k: v for k, v in VALID.items() if k != key}
    with pytest.raises(TaskError, match=rf"^t\.yaml: {key}: missing required key$"):
        parse_task(data, "t.yaml")


def test_a_description_that_is_no_mapping_is_a_top_level_error():
    with pytest.raises(TaskError, match=r"^t\.yaml: \(top level\): None is not a mapping$"):
        parse_task(None, "t.yaml")


def test_the_task_schema_ships_in_the_package_and_documents_every_property():
    path = schema_path("mnist_task")
    assert path.parent == Path(__file__).resolve().parents[1] / "neural_sculpting/tasks/schemas"
    schema = task_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert undocumented(schema) == []


def test_every_shipped_task_file_validates_against_its_schema():
    files = sorted((Path(__file__).resolve().parents[1] / "config" / "tasks").glob("*.yaml"))
    assert [p.stem for p in files] == [
        "digits_two_digits",
        "mnist_hierarchical",
        "mnist_two_digits",
    ]
    for path in files:
        data = yaml.safe_load(path.read_text())
        kind = "dataset_task" if data["kind"] == "dataset" else "mnist_task"
        schema = yaml.safe_load(schema_path(kind).read_text())
        validator = jsonschema.Draft202012Validator(schema)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{path.name}: {errors}"
