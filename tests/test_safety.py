"""Nothing unsafe: checkpoints and YAML load safely, and no config string reaches a shell command
unquoted. These scan the sources, so a new call or rule that breaks a rule fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p
    for folder in ("neural_sculpting", "scripts", "benchmarks", "tests")
    for p in (ROOT / folder).rglob("*.py")
)
# Shell placeholders allowed without `:q`: built with shlex.quote (sculpt, args, trials, task),
# numbers (threads, seed, thresholds, budget: empty or an option and a number), or values the
# Snakefile's wildcard constraints and the config schema restrict to [a-z0-9_.-] (target, depth,
# device).
PREQUOTED = {
    "params.sculpt", "params.args", "params.trials", "params.thresholds", "params.seed",
    "params.device", "params.budget", "params.task", "threads", "wildcards.target",
    "wildcards.depth", "params.cells",  # quoted by `Drawings.cell_options` (shlex)
}  # fmt: skip


def calls(tree: ast.AST, dotted: str):
    owner, name = dotted.split(".")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == name
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == owner
        ):
            yield node


def test_every_torch_load_is_weights_only():
    found = 0
    for path in SOURCES:
        for call in calls(ast.parse(path.read_text()), "torch.load"):
            found += 1
            flags = {k.arg: k.value for k in call.keywords}
            assert isinstance(flags.get("weights_only"), ast.Constant), f"{path}:{call.lineno}"
            assert flags["weights_only"].value is True, f"{path}:{call.lineno}"
    assert found >= 1


def test_yaml_is_read_with_safe_loaders_only():
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for name in ("load", "load_all", "unsafe_load", "full_load"):
            for call in calls(tree, f"yaml.{name}"):
                loader = {k.arg: k.value for k in call.keywords}.get("Loader")
                text = ast.unparse(loader) if loader is not None else ""
                assert name == "load" and "Unique" in text, f"{path}:{call.lineno} uses yaml.{name}"
    # The one custom loader derives from SafeLoader.
    import yaml

    from neural_sculpting.tasks.function_graph import _UniqueKeyLoader

    assert issubclass(_UniqueKeyLoader, yaml.SafeLoader)


def test_shell_commands_quote_every_value():
    placeholders = re.compile(r"\{([^{}:]+)(:q)?\}")
    checked = 0
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = path.read_text()
        for block in re.findall(r"shell:\n((?:\s+\".*\"\n)+)", text):
            for field, quoted in placeholders.findall(block):
                checked += 1
                assert quoted or field in PREQUOTED, f"{path.name}: {{{field}}} is not quoted"
    assert checked > 20


def test_names_reaching_paths_are_validated(tmp_path):
    """A graph or experiment name with shell or path characters is refused before any use."""
    from neural_sculpting.study.experiments import ConfigError, load_study
    from neural_sculpting.tasks.function_graph import GraphError, graph_path

    for bad in ("a;rm -rf", "$(x)", "a b"):
        try:
            graph_path(bad)
        except GraphError:
            pass
        else:
            raise AssertionError(f"graph name {bad!r} was accepted")
        try:
            load_study({"experiments": {bad: {"graphs": ["reused"]}}})
        except ConfigError:
            pass
        else:
            raise AssertionError(f"experiment name {bad!r} was accepted")
