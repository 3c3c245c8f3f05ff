"""JSON schemas (draft 2020-12, written as YAML) of the task files: `function_graph` for
`config/graphs/*.yaml` and `mnist_task` for `config/tasks/*.yaml`.

A schema holds the shape of a file (keys, types, ranges); the loaders keep only the checks a schema
cannot express. `schema_problem` turns the most relevant violation into the (entry, problem) pair
of the loaders' one-line messages, ``<file>: <entry>: <problem>``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_DIR = Path(__file__).resolve().parent
TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
SHORT = 60  # characters of a value quoted in a message


def schema_path(kind: str) -> Path:
    """The schema file of a kind of task file (`function_graph` or `mnist_task`)."""
    return SCHEMA_DIR / f"{kind}.schema.yaml"


@functools.cache
def validator(kind: str) -> Draft202012Validator:
    """The validator of a kind of task file, read once; a broken schema fails here, loudly."""
    schema = yaml.safe_load(schema_path(kind).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problem(data: Any, kind: str) -> tuple[str, str] | None:
    """The entry and the problem of the most relevant schema violation in `data`, or None."""
    error = best_match(validator(kind).iter_errors(data))
    if error is None:
        return None
    path = list(error.absolute_path)
    if "propertyNames" in error.absolute_schema_path:
        # A bad key is reported at its mapping; name the key itself as the entry.
        return location(data, [*path, error.instance]), f"the key {describe(error)}"
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        return location(data, [*path, missing]), "missing required key"
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        extra = next(k for k in error.instance if k not in allowed)
        return location(data, [*path, extra]), f"unknown key (allowed: {', '.join(allowed)})"
    return location(data, path), describe(error)


def location(data: Any, path: Sequence[Any]) -> str:
    """A JSON-path-like name of an entry: `gates.f0.in[1]`, `collapse.1`, or `(top level)`."""
    text = ""
    node = data
    for key in path:
        # Walk the data, as mapping keys may be integers too (`collapse.1`, not `collapse[1]`).
        if isinstance(node, list):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
        node = node[key] if isinstance(node, list | dict) and key in _keys(node) else None
    return text or "(top level)"


def _keys(node: list | dict) -> range | dict:
    return range(len(node)) if isinstance(node, list) else node


def describe(error: ValidationError) -> str:
    """The problem in words, quoting the value briefly (jsonschema's own message may quote a
    whole mapping over many lines)."""
    value, rule, schema = error.instance, error.validator_value, error.schema
    if error.validator == "type" or (error.validator == "minimum" and rule == 1):
        return f"{short(value)} is not {wanted(schema)}"
    if error.validator == "minimum":
        return f"{short(value)} is below the minimum {rule}"
    if error.validator == "enum":
        return f"unknown {_label(error)} {short(value)} (allowed: {', '.join(map(str, rule))})"
    if error.validator == "const":
        return f"{short(value)}: only {rule!r} is allowed"
    if error.validator == "pattern":
        return f"{short(value)} must match {rule.removeprefix('^').removesuffix('$')}"
    if error.validator in ("minItems", "maxItems", "minProperties"):
        return _size_problem(value, schema)
    if error.validator == "uniqueItems":
        twice = next(v for i, v in enumerate(value) if v in value[:i])
        return f"{short(twice)} is listed twice"
    if error.validator == "not":
        # The negated schema's description says what is forbidden.
        return f"{short(value)} is not allowed: {rule.get('description', 'see the schema')}"
    return error.message.splitlines()[0]


def wanted(schema: dict) -> str:
    """What a schema's `type` (and a minimum of 1) asks for, in words."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if types == ["integer"] and schema.get("minimum") == 1:
        return "a positive integer"
    return " or ".join(TYPE_WORDS.get(t, t) for t in types) or "allowed"


def _size_problem(value: list | dict, schema: dict) -> str:
    low = schema.get("minItems", schema.get("minProperties", 0))
    high = schema.get("maxItems")
    if not value and low == 1 and high is None:
        return "must not be empty"
    if low == high:
        expected = f"exactly {low}"
    elif high is not None and len(value) > high:
        expected = f"at most {high}"
    else:
        expected = f"at least {low}"
    noun = ("entry", "entries") if isinstance(value, dict) else ("item", "items")
    return f"{short(value)} has {len(value)} {noun[len(value) != 1]}, expected {expected}"


def _label(error: ValidationError) -> str:
    """The key a value sits under (`op`), or `value` for an item of a list."""
    last = error.absolute_path[-1] if error.absolute_path else None
    return last if isinstance(last, str) else "value"


def short(value: Any) -> str:
    """`repr` of a value, cut to one short line."""
    text = repr(value)
    return text if len(text) <= SHORT else text[: SHORT - 3] + "..."
