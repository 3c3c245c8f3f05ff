"""config/README.md: generated from the config schema, a row for every key, no key undocumented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generate_config_readme.py"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
README = ROOT / "config" / "README.md"


def generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT
    )


def cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at the pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def tables(text: str) -> dict[str, list[list[str]]]:
    """Rows (as cells) of the table under each `###` heading of the README."""
    found: dict[str, list[list[str]]] = {}
    heading = None
    for line in text.splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
            found[heading] = []
        elif line.startswith("## "):  # a section of its own ends the key tables
            heading = None
        elif heading and line.startswith("| `"):
            found[heading].append(cells(line))
    return found


def test_committed_readme_is_the_generated_one(tmp_path):
    out = tmp_path / "README.md"
    result = generate("--output", str(out))
    assert result.returncode == 0, result.stderr
    assert README.read_text() == out.read_text(), "run python scripts/generate_config_readme.py"
    check = generate("--check")
    assert check.returncode == 0, check.stdout


def test_check_reports_a_stale_readme_in_one_line(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text("# old\n")
    result = generate("--check", "--output", str(stale))
    assert result.returncode == 1
    assert len(result.stdout.strip().splitlines()) == 1
    assert "out of date" in result.stdout
    assert stale.read_text() == "# old\n"


def test_every_key_of_every_level_has_a_row():
    schema = yaml.safe_load(SCHEMA.read_text())
    levels = {"Top level": schema["properties"]}
    levels |= {name: spec["properties"] for name, spec in schema["$defs"].items()
               if "properties" in spec}  # fmt: skip
    assert {"experiment", "train", "detection", "override"} <= set(levels)
    found = tables(README.read_text())
    for heading, properties in levels.items():
        assert heading in found, f"no table for {heading}"
        rows = {row[0].strip("`"): row for row in found[heading]}
        assert list(rows) == list(properties), heading
        for key, row in rows.items():
            assert len(row) == 4, f"{heading}.{key}: {row}"
            description = " ".join(properties[key]["description"].split())
            assert row[3].replace("\\|", "|").replace("\\<", "<") == description


def test_types_resolve_refs_and_show_enums_and_item_constraints():
    rows = {
        (heading, row[0].strip("`")): row[1]
        for heading, table in tables(README.read_text()).items()
        for row in table
    }
    assert rows["experiment", "widths"] == "non-empty list of integers >= 1"
    assert rows["experiment", "pu"] == "non-empty list of numbers in (0, 100)"
    assert rows["experiment", "mode"] == r"grid \| paper \| edge_only \| dense"
    assert rows["experiment", "train"] == "[train](#train) object"
    assert rows["experiment", "overrides"] == "list of [override](#override) objects"
    assert rows["train", "epochs"] == "integer in [1, 100000]"


def test_every_config_file_is_listed():
    text = README.read_text()
    for path in sorted((ROOT / "config").glob("*.yaml")):
        assert f"| `{path.name}` |" in text, path.name


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (("properties", "threads"), "threads"),
        (("$defs", "experiment", "properties", "archs"), "archs"),
        (("$defs", "detection", "properties", "merge_threshold"), "merge_threshold"),
        (("$defs", "override", "properties", "mode"), "mode"),
    ],
)
def test_a_key_without_description_stops_the_generator(tmp_path, path, key):
    schema = yaml.safe_load(SCHEMA.read_text())
    spec = schema
    for part in path:
        spec = spec[part]
    del spec["description"]
    copy = tmp_path / "config.schema.yaml"
    copy.write_text(yaml.safe_dump(schema, sort_keys=False))
    out = tmp_path / "README.md"
    for extra in ([], ["--check"]):
        result = generate("--schema", str(copy), "--output", str(out), *extra)
        assert result.returncode not in (0, 1), result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"'{key}'" in lines[0] and "no description" in lines[0]
    assert not out.exists()


def test_mnist_defaults_are_the_librarys():
    """The task-kind table states what the library fills in, not a copy typed by hand."""
    from neural_sculpting.study.experiments import load_study

    text = README.read_text().split("## Defaults by task kind")[1]
    rows = {row[0].strip("`"): row[1:] for row in (cells(line) for line in text.splitlines()
                                                   if line.startswith("| `"))}  # fmt: skip
    for column, task in enumerate(("boolean", "mnist_two_digits", "mnist_hierarchical")):
        spec = {"task": task, "seeds": [0]} | ({"graphs": ["reused"]} if task == "boolean" else {})
        trial = load_study({"experiments": {"e": spec}})["e"].trials[0]
        assert rows["train.epochs"][column] == str(trial.train.epochs)
        assert rows["widths"][column] == f"[{trial.hidden[0]}]"
        assert float(rows["accuracy_threshold"][column]) == trial.pruning.accuracy_threshold
        assert float(rows["detection.merge_threshold"][column]) == trial.detection.merge_threshold


def test_every_command_shown_puts_its_target_before_the_configfile():
    """`--configfile` swallows the words after it: a target written there is read as a config."""
    shown = [ROOT / "README.md", README, *sorted((ROOT / "config").glob("*.yaml"))]
    shown += [*sorted((ROOT / "scripts").glob("*.sh")), *sorted((ROOT / "docs").rglob("*.md"))]
    swallowed = re.compile(r"--configfile\s+\S+\s+([A-Za-z_][\w/.]*)")
    for path in shown:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = swallowed.search(line)
            assert match is None, f"{path.name}:{number}: {match[1]!r} after --configfile"
