"""A sculpted network as a notebook works with it: its modules as plain Python objects, the
pruned network as a networkx graph with module labels on its nodes, or back as a
`torch.nn.Sequential` with its masks applied, and the modules as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neural_sculpting.foundations import atomic
from neural_sculpting.foundations.errors import UsageError


@dataclass(frozen=True)
class Module:
    """One detected module: its units per layer (0 = inputs, last = outputs), the input groups
    reaching it and the outputs it reaches (by name)."""

    label: int
    units: dict[int, list[int]]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    hidden_units: int


@dataclass(frozen=True)
class SculptResult:
    """A sculpted network: its selection (the chosen Pu and Pe, density, accuracies; None for a
    network detected as given), masks and weights ([out, in] per layer), biases where known, the
    detection, and the score where the task's structure is known (None otherwise)."""

    task: Any
    selection: Any
    masks: list[np.ndarray]
    weights: list[np.ndarray]
    detection: Any
    score: dict[str, Any] | None
    out_dir: Path | None
    biases: list[np.ndarray] | None = None

    @property
    def density(self) -> float:
        return sum(int(m.sum()) for m in self.masks) / sum(m.size for m in self.masks)

    def _input_names(self) -> list[str]:
        n_inputs = self.masks[0].shape[1]
        return list(getattr(self.task, "input_names", None) or [f"x{i}" for i in range(n_inputs)])

    def _output_names(self) -> list[str]:
        n_outputs = self.masks[-1].shape[0]
        return list(getattr(self.task, "output_names", None) or [f"y{j}" for j in range(n_outputs)])

    @property
    def modules(self) -> list[Module]:
        """The modules holding hidden units, in label order."""
        from neural_sculpting.analysis.scoring import module_signatures

        if self.detection is None:
            return []
        labels = self.detection.module_labels
        groups = getattr(self.task, "input_groups", None)
        names = list(groups) if groups else self._input_names()
        signatures = module_signatures(
            self.masks, labels, list(groups.values()) if groups else None
        )
        outputs = self._output_names()
        last = len(labels) - 1
        found = []
        for label, units in self.detection.modules().items():
            if not any(0 < layer < last for layer in units):
                continue
            sig = signatures[label]
            found.append(
                Module(
                    label=int(label),
                    units=units,
                    inputs=tuple(names[i] for i in sorted(sig.inputs)),
                    outputs=tuple(outputs[j] for j in sorted(sig.outputs)),
                    hidden_units=sum(len(u) for layer, u in units.items() if 0 < layer < last),
                )
            )
        return found

    @property
    def structure_match(self) -> bool | None:
        """Whether the modules are exactly the task's sub-functions (None: nothing expected)."""
        return None if self.score is None else self.score.get("structure_match")

    # --- exports ------------------------------------------------------------------------------

    def graph(self):
        """The pruned network as a `networkx.DiGraph`: one node per alive unit, named
        (layer, unit), with its `layer`, `unit`, `name` (x0, y3, or h<layer>_<unit>) and `module`
        (the detected module's label, None where detection left it out); one edge per kept
        weight, from the lower layer, with its `weight`."""
        import networkx as nx

        labels = self.detection.module_labels if self.detection is not None else None
        inputs, outputs, last = self._input_names(), self._output_names(), len(self.masks)
        graph = nx.DiGraph()
        for k, mask in enumerate(self.masks):
            weight = self.weights[k]
            for out, inp in zip(*np.nonzero(mask), strict=True):
                for layer, unit in ((k, int(inp)), (k + 1, int(out))):
                    if (layer, unit) in graph:
                        continue
                    name = (inputs[unit] if layer == 0 else outputs[unit] if layer == last
                            else f"h{layer}_{unit}")  # fmt: skip
                    module = None if labels is None else labels[layer][unit]
                    graph.add_node((layer, unit), layer=layer, unit=unit, name=name,
                                   module=None if module is None else int(module))  # fmt: skip
                graph.add_edge((k, int(inp)), (k + 1, int(out)), weight=float(weight[out, inp]))
        return graph

    def to_torch(self):
        """The pruned network as a `torch.nn.Sequential` of Linear and ReLU layers, weights
        multiplied by their masks (pruned weights are exact zeros); biases where the result
        holds them, else zeros (a network given to `detect_modules` without biases)."""
        import torch

        layers: list[torch.nn.Module] = []
        for k, (mask, weight) in enumerate(zip(self.masks, self.weights, strict=True)):
            linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
            with torch.no_grad():
                kept = np.where(mask, weight, 0.0).astype(np.float32)
                linear.weight.copy_(torch.from_numpy(kept))
                bias = self.biases[k] if self.biases is not None else np.zeros(weight.shape[0])
                linear.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float32)))
            layers.append(linear)
            if k < len(self.masks) - 1:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    def modules_json(self) -> dict[str, Any]:
        """The modules as plain JSON-ready data: each module's units per layer, inputs and
        outputs; the selection and the score where there are."""
        modules = []
        for module in self.modules:
            record = asdict(module)
            record["units"] = {str(layer): units for layer, units in module.units.items()}
            record["inputs"], record["outputs"] = list(module.inputs), list(module.outputs)
            modules.append(record)
        chosen = getattr(self.selection, "chosen", None) or {}
        widths = (self.masks[0].shape[1], *(m.shape[0] for m in self.masks))
        return {
            "task": getattr(self.task, "name", None),
            "arch": "-".join(str(w) for w in widths),
            "density": self.density,
            "pu": chosen.get("pu"),
            "pe": chosen.get("pe"),
            "modules": modules,
            "structure_match": self.structure_match,
        }

    def save_modules(self, path: str | Path) -> Path:
        """`modules_json()` written to `path`, atomically."""
        atomic.write_json(Path(path), self.modules_json())
        return Path(path)

    # --- pictures and text --------------------------------------------------------------------

    def draw(self, path: str | Path) -> Path:
        """The pruned network with its modules, as PNG, SVG or PDF."""
        from neural_sculpting.figures.drawing import draw_network
        from neural_sculpting.figures.trial_drawing import drawn_groups, input_unit, module_colours

        if self.detection is None:
            raise UsageError("the dense network was not pruned (untrainable); nothing to draw")
        labels = self.detection.module_labels
        depth = len(self.masks) - 1
        title = f"{self.task.name}: density {100 * self.density:.2f}%"
        if self.selection is not None:
            chosen = self.selection.chosen or {}
            title = (
                f"{self.task.name}: arch {self.selection.arch}, density "
                f"{100 * self.density:.2f}%, Pu = {chosen.get('pu', '-')}, "
                f"Pe = {chosen.get('pe', '-')}, seed {self.selection.seed}"
            )
        colours = module_colours(self.masks, labels, self.task, depth)
        draw_network(self.masks, labels, path, title, depth=depth, colours=colours,
                     input_groups=drawn_groups(self.task),
                     input_unit=input_unit(self.task))  # fmt: skip
        return Path(path)

    def summary(self) -> str:
        head = f"{self.task.name}: density {100 * self.density:.2f}%"
        if self.selection is not None:
            head = (
                f"{self.task.name} {self.selection.arch} seed {self.selection.seed}: density "
                f"{100 * self.density:.2f}%, val accuracy {self.selection.val_accuracy:.2f}% "
                f"(dense {self.selection.dense_val_accuracy:.2f}%)"
            )
        lines = [f"{head}, {len(self.modules)} modules"]
        for m in self.modules:
            lines.append(
                f"  module {m.label}: {m.hidden_units} hidden units, inputs "
                f"{{{','.join(m.inputs)}}} -> outputs {{{','.join(m.outputs)}}}"
            )
        if self.score is not None:
            lines.append(f"  structure_match {self.structure_match}")
        return "\n".join(lines)
