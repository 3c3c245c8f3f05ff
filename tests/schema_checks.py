"""Checks shared by the tests of the task-file schemas."""

from __future__ import annotations


def undocumented(node: object, where: str = "") -> list[str]:
    """Every property, at any depth of a schema, without a description (the `if`/`then`/`else`
    of a conditional only constrain properties documented elsewhere)."""
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in undocumented(item, f"{where}[{i}]")]
    if not isinstance(node, dict):
        return []
    found = [
        f"{where}.{key}"
        for key, spec in node.get("properties", {}).items()
        if "description" not in spec
    ]
    for key, value in node.items():
        if key not in ("if", "then", "else"):
            found += undocumented(value, f"{where}/{key}")
    return found
