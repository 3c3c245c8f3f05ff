"""Command-line flags made from the settings classes' fields, so that a flag, its help and its
default cannot drift from the setting it sets.

A field becomes a flag when its metadata has a `help`: `--<flag or field name>`, parsed by its
`kind` (the default's type, `floats` for a list, `threshold` for a percent or dense, `negation`
for a switch that sets the field False) or `choices`. Every flag defaults to None, so that
`study.trial_settings` fills what was not given from the task kind's defaults; the help states
the Boolean tasks' default in the config's own words (`config/README.md` shows the same).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import yaml

from neural_sculpting.study.defaults import DEFAULTS


def config_default(key: str) -> str:
    """A config key's default (`train.lr` for a nested one) as the config writes it, in YAML
    flow style (e.g. `[0.5, 1.0]`)."""
    value: Any = DEFAULTS["boolean"].as_config()
    for part in key.split("."):
        value = value[part]
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def threshold_value(text: str) -> float | str:
    if text == "dense":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a percent or dense: {text!r}") from None


def _help(field: dataclasses.Field) -> str:
    text = field.metadata["help"]
    key = field.metadata.get("config")
    if key is None:
        return f"{text} (default {field.default})"
    return f"{text} (config {key}, default {config_default(key)})".replace("%", "%%")


def add_settings_flags(parser: argparse.ArgumentParser, settings: type) -> None:
    """One flag per field of `settings` that has a help text (its value lands in args.<field>)."""
    for field in dataclasses.fields(settings):
        meta = field.metadata
        if "help" not in meta:
            continue
        flag = "--" + meta.get("flag", field.name).replace("_", "-")
        kind = meta.get("kind")
        options: dict[str, Any] = {"dest": field.name, "default": None, "help": _help(field)}
        if kind == "negation":
            options |= {"action": "store_const", "const": False}
        elif "choices" in meta:
            options |= {"choices": meta["choices"]}
        elif kind == "floats":
            options |= {"type": float, "nargs": "+"}
        elif kind == "threshold":
            options |= {"type": threshold_value}
        elif kind == "float":
            options |= {"type": float}
        else:
            options |= {"type": type(field.default)}
        if "metavar" in meta:
            options["metavar"] = meta["metavar"]
        parser.add_argument(flag, **options)


def given(args: argparse.Namespace, settings: type) -> dict[str, Any]:
    """The fields of `settings` set on the command line (None: left to the defaults)."""
    return {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(settings)
        if "help" in f.metadata and getattr(args, f.name, None) is not None
    }
