"""Automatic scoring of detected modules against the task's true structure.

The paper's authors judged every trial by eye; here each trial is scored by one rule. Both sides
get a *signature*: for a sub-function of the task, the input groups it depends on and the output
nodes that depend on it (`hierarchy.Signature`); for a detected module, the input groups of the
input units with a path into any of its units and the output units reachable from any of its units
(paths through alive units only; an input unit reaches itself, an output unit is reached from
itself). For a function graph every input is a group of its own; for an MNIST task a group is the
pixels of one digit. The flags:

- `input_modules_match`: the detected partition of the input groups the task depends on equals the
  expected one (groups by the set of sub-functions using them). Two groups are together when their
  alive units carry the same module labels, and the label sets of different groups must be equal or
  disjoint (one digit's pixels may split over several modules, as long as none holds pixels of the
  other digit). Groups the task ignores are left out of both sides; a needed group whose units were
  all pruned away is a mismatch (for a function graph: a needed input that was pruned away).
- `output_modules_match`: the detected partition of the outputs equals the expected one.
- `hidden_modules_match`: every alive hidden unit sits in a module whose signature is that of an
  expected sub-function.
- `modules_found`: the expected sub-functions that some detected module (not made of input units
  alone) matches by signature.
- `structure_match`: both partitions match, and the signatures of the detected modules other than
  those of input units alone, each counted once, are exactly the expected sub-functions' signatures.
  Modules of output units alone take part, since an output unit may compute a top-level
  sub-function itself (an OR, say).

The expected sub-functions are the graph's modules merged as its `collapse` entry says for the
network's number of hidden layers (`hierarchy.task_hierarchy`). Beside the flags, a score says why
a trial failed: the expected sub-functions and the detected modules with their signatures, and one
line per failed check (`TrialScore.failures`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from neural_sculpting.tasks.hierarchy import Signature, TaskHierarchy, group_by

Labels = Sequence[Sequence[Hashable | None]]  # per layer, per original unit: module label or None


@dataclass(frozen=True)
class TrialScore:
    input_modules_match: bool
    output_modules_match: bool
    hidden_modules_match: bool
    structure_match: bool
    modules_found: tuple[str, ...]
    n_modules: int  # modules holding at least one hidden unit
    modules_per_layer: tuple[int, ...]  # distinct module labels among the alive units of each layer
    condensed_arch: tuple[int, ...]  # alive units per layer
    # Why: each expected sub-function's signature, each detected module's (those not made of
    # input units alone), and one line per failed check.
    expected: dict[str, str]
    detected: tuple[str, ...]
    failures: tuple[str, ...]

    def to_json(self) -> dict:
        record = asdict(self)
        for key in ("modules_found", "modules_per_layer", "condensed_arch", "detected", "failures"):
            record[key] = list(record[key])
        return record


def _alive_masks(masks: Sequence[np.ndarray], labels: Labels) -> list[np.ndarray]:
    alive = [np.array([lab is not None for lab in layer], dtype=bool) for layer in labels]
    return [
        (np.asarray(m) != 0) & alive[i + 1][:, None] & alive[i][None, :]
        for i, m in enumerate(masks)
    ]


def reachability(
    masks: Sequence[np.ndarray], labels: Labels
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per layer l: `from_inputs[l]` [n_inputs, n_l], which inputs reach each unit, and
    `to_outputs[l]` [n_l, n_outputs], which outputs each unit reaches (alive units only)."""
    kept = _alive_masks(masks, labels)
    n_in, n_out = kept[0].shape[1], kept[-1].shape[0]
    alive_in = np.array([lab is not None for lab in labels[0]], dtype=bool)
    alive_out = np.array([lab is not None for lab in labels[-1]], dtype=bool)
    from_inputs = [np.diag(alive_in).astype(np.int64)]
    for m in kept:
        from_inputs.append(((from_inputs[-1] @ m.T.astype(np.int64)) > 0).astype(np.int64))
    to_outputs = [np.diag(alive_out).astype(np.int64)]
    for m in reversed(kept):
        to_outputs.insert(0, ((m.T.astype(np.int64) @ to_outputs[0]) > 0).astype(np.int64))
    assert from_inputs[0].shape == (n_in, n_in) and to_outputs[-1].shape == (n_out, n_out)
    return [f > 0 for f in from_inputs], [t > 0 for t in to_outputs]


def unit_groups(input_groups: Sequence[frozenset[int]], n_inputs: int) -> np.ndarray:
    """The input group of each input unit, -1 for units of no group."""
    group_of = np.full(n_inputs, -1, dtype=np.int64)
    for g, units in enumerate(input_groups):
        group_of[sorted(units)] = g
    return group_of


def module_signatures(
    masks: Sequence[np.ndarray],
    labels: Labels,
    input_groups: Sequence[frozenset[int]] | None = None,
) -> dict[Hashable, Signature]:
    """Each module's signature; with `input_groups`, its inputs are the groups of the input units
    reaching it (without: the input units themselves)."""
    from_inputs, to_outputs = reachability(masks, labels)
    n_inputs = from_inputs[0].shape[0]
    group_of = (
        unit_groups(input_groups, n_inputs) if input_groups is not None else np.arange(n_inputs)
    )
    inputs: dict[Hashable, set[int]] = {}
    outputs: dict[Hashable, set[int]] = {}
    for layer, layer_labels in enumerate(labels):
        for unit, label in enumerate(layer_labels):
            if label is None:
                continue
            reaching = group_of[np.flatnonzero(from_inputs[layer][:, unit])]
            inputs.setdefault(label, set()).update(reaching[reaching >= 0])
            outputs.setdefault(label, set()).update(np.flatnonzero(to_outputs[layer][unit, :]))
    return {
        label: Signature(frozenset(map(int, inputs[label])), frozenset(map(int, outputs[label])))
        for label in inputs
    }


def _partition(layer_labels: Sequence[Hashable | None], keep) -> frozenset[frozenset[int]]:
    return group_by({u: lab for u, lab in enumerate(layer_labels) if u in keep})


def _input_labels(
    input_labels: Sequence[Hashable | None], expected: TaskHierarchy
) -> dict[int, frozenset]:
    """The module labels of the alive units of each input group the task depends on."""
    needed = set().union(*expected.input_partition) if expected.input_partition else set()
    return {
        g: frozenset(input_labels[u] for u in expected.input_groups[g]) - {None} for g in needed
    }


def _input_partition_matches(
    input_labels: Sequence[Hashable | None], expected: TaskHierarchy
) -> bool:
    labels_of = _input_labels(input_labels, expected)
    if not all(labels_of.values()):  # every unit of a needed group was pruned away
        return False
    sets = list(set(labels_of.values()))
    if any(a & b for i, a in enumerate(sets) for b in sets[i + 1 :]):
        return False  # a module holds units of groups the task keeps apart, and others too
    return group_by(labels_of) == expected.input_partition


def _linked(labels_of: dict[int, frozenset]) -> list[set[int]]:
    """Input groups joined where they share a module: the input partition a network shows."""
    blocks: list[tuple[set[int], set]] = []
    for g, labels in labels_of.items():
        joined = [b for b in blocks if b[1] & labels]
        groups, seen = {g}, set(labels)
        for b in joined:
            groups |= b[0]
            seen |= b[1]
            blocks.remove(b)
        blocks.append((groups, seen))
    return [groups for groups, _ in blocks]


def _blocks(partition, name) -> str:
    ordered = sorted(sorted(block) for block in partition)
    return " ".join("{" + ",".join(name(i) for i in block) + "}" for block in ordered) or "{}"


def _failures(
    labels: Labels, expected: TaskHierarchy, considered: dict, flags: dict[str, bool]
) -> tuple[str, ...]:
    """One line per failed check, naming what was expected and what was found."""
    names = expected.input_group_names
    group = (lambda i: names[i]) if names else (lambda i: f"x{i}")
    wanted = {sig: name for name, sig in expected.signatures.items()}
    lines = []
    if not flags["input"]:
        labels_of = _input_labels(labels[0], expected)
        pruned = sorted(g for g, found in labels_of.items() if not found)
        found = _linked({g: found for g, found in labels_of.items() if found})
        line = (f"input partition: expected {_blocks(expected.input_partition, group)}, "
                f"found {_blocks(found, group)}")  # fmt: skip
        if pruned:
            line += f" ({', '.join(map(group, pruned))} pruned away)"
        lines.append(line)
    if not flags["output"]:
        found = _partition(labels[-1], set(range(len(labels[-1]))))
        lines.append(
            f"output partition: expected {_blocks(expected.output_partition, lambda j: f'y{j}')}, "
            f"found {_blocks(found, lambda j: f'y{j}')}"
        )
    missing = [name for name, sig in expected.signatures.items()
               if sig not in considered.values()]  # fmt: skip
    if missing:
        lines.append("sub-functions not found: " + "; ".join(
            f"{n} ({expected.signatures[n].describe(names)})" for n in missing))  # fmt: skip
    unexpected = sorted({sig.describe(names) for sig in considered.values() if sig not in wanted})
    if unexpected:
        lines.append("modules of no expected sub-function: " + "; ".join(unexpected))
    if not flags["hidden"] and not unexpected:
        lines.append("hidden units in modules of no expected sub-function")
    return tuple(lines)


def score_modules(
    masks: Sequence[np.ndarray], labels: Labels, expected: TaskHierarchy
) -> TrialScore:
    """Score detected module labels (`labels[l][unit]`, None for dead units) of a network with
    masks `masks[l]` of shape [n_{l+1}, n_l] against `expected`."""
    if len(labels) != len(masks) + 1:
        raise ValueError(f"got labels for {len(labels)} layers, masks for {len(masks)} layers")
    signatures = module_signatures(masks, labels, expected.input_groups)
    input_labels, output_labels = labels[0], labels[-1]
    hidden_layers = labels[1:-1]

    input_match = _input_partition_matches(input_labels, expected)
    output_match = _partition(output_labels, set(range(len(output_labels)))) == (
        expected.output_partition
    )

    only_inputs = {lab for lab in signatures} - {
        lab for layer in labels[1:] for lab in layer if lab is not None
    }
    wanted = {sig: name for name, sig in expected.signatures.items()}
    considered = {lab: sig for lab, sig in signatures.items() if lab not in only_inputs}
    hidden_match = all(
        signatures[lab] in wanted for layer in hidden_layers for lab in layer if lab is not None
    )
    found = tuple(
        sorted(
            {wanted[sig] for sig in considered.values() if sig in wanted},
            key=list(expected.signatures).index,
        )
    )
    structure = (
        input_match
        and output_match
        and set(considered.values()) == set(expected.signatures.values())
    )
    hidden_modules = {lab for layer in hidden_layers for lab in layer if lab is not None}
    flags = {"input": input_match, "output": output_match, "hidden": hidden_match}
    names = expected.input_group_names
    return TrialScore(
        input_modules_match=bool(input_match),
        output_modules_match=bool(output_match),
        hidden_modules_match=bool(hidden_match),
        structure_match=bool(structure),
        modules_found=found,
        n_modules=len(hidden_modules),
        modules_per_layer=tuple(len({lab for lab in layer if lab is not None}) for layer in labels),
        condensed_arch=tuple(sum(lab is not None for lab in layer) for layer in labels),
        expected={name: sig.describe(names) for name, sig in expected.signatures.items()},
        detected=tuple(sorted({sig.describe(names) for sig in considered.values()})),
        failures=() if structure else _failures(labels, expected, considered, flags),
    )


def _compact(indices: Sequence[int], prefix: str) -> str:
    """Consecutive indices as ranges: x0-x63,x70."""
    parts, run = [], []
    for i in sorted(indices):
        if run and i != run[-1] + 1:
            parts.append(run)
            run = []
        run.append(i)
    if run:
        parts.append(run)
    return ",".join(
        f"{prefix}{r[0]}" if len(r) == 1 else f"{prefix}{r[0]}-{prefix}{r[-1]}" for r in parts
    )


def describe_signature(signature: Signature, input_names: Sequence[str] | None = None) -> str:
    """A signature as text, with runs of inputs without names (and of outputs) as ranges, for
    tasks of many inputs (a dataset file's features, each its own group)."""
    ins = (
        ",".join(input_names[i] for i in sorted(signature.inputs))
        if input_names
        else _compact(signature.inputs, "x")
    )
    return f"inputs {{{ins}}} -> outputs {{{_compact(signature.outputs, 'y')}}}"


def found_modules(
    masks: Sequence[np.ndarray],
    labels: Labels,
    input_groups: Sequence[frozenset[int]] | None = None,
    input_names: Sequence[str] | None = None,
) -> dict:
    """What detection found, where nothing is expected to compare it with (a dataset task without
    sub-functions): the modules holding hidden units, modules and alive units per layer, and the
    signature of each module not made of input units alone."""
    signatures = module_signatures(masks, labels, input_groups)
    deeper = {lab for layer in labels[1:] for lab in layer if lab is not None}
    hidden = {lab for layer in labels[1:-1] for lab in layer if lab is not None}
    return {
        "n_modules": len(hidden),
        "modules_per_layer": [len({lab for lab in layer if lab is not None}) for layer in labels],
        "condensed_arch": [sum(lab is not None for lab in layer) for layer in labels],
        "detected": sorted(
            {
                describe_signature(sig, input_names)
                for lab, sig in signatures.items()
                if lab in deeper
            }
        ),
    }
