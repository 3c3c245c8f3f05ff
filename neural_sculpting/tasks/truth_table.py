"""The truth table of a function graph: all 2^n input rows and the output columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neural_sculpting.tasks.function_graph import FunctionGraph, Literal


@dataclass(frozen=True)
class TruthTable:
    """`inputs` is uint8 [2^n, n] (row r is r in binary, x0 the most significant bit);
    `outputs` is uint8 [2^n, m], one column per output node."""

    inputs: np.ndarray
    outputs: np.ndarray
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    def to_frame(self):  # -> pandas.DataFrame; imported here to keep `sculpt` quick to start
        import pandas as pd

        data = np.concatenate([self.inputs, self.outputs], axis=1)
        return pd.DataFrame(data, columns=[*self.input_names, *self.output_names])


def input_rows(n_inputs: int) -> np.ndarray:
    """All 2^n rows; column i holds bit (n-1-i) of the row index, so x0 is the most significant."""
    rows = np.arange(2**n_inputs, dtype=np.int64)[:, None]
    shifts = np.arange(n_inputs - 1, -1, -1, dtype=np.int64)[None, :]
    return ((rows >> shifts) & 1).astype(np.uint8)


def node_values(graph: FunctionGraph) -> dict[str, np.ndarray]:
    """The boolean column of every input and gate node over all input rows."""
    rows = input_rows(graph.n_inputs).astype(bool)
    values: dict[str, np.ndarray] = {name: rows[:, i] for i, name in enumerate(graph.input_names)}

    def read(lit: Literal) -> np.ndarray:
        column = values[lit.node]
        return ~column if lit.negated else column

    for gate_name in graph.topological_gates:
        gate = graph.gates[gate_name]
        columns = [read(lit) for lit in gate.inputs]
        if gate.op == "and":
            values[gate_name] = np.logical_and.reduce(columns)
        elif gate.op == "or":
            values[gate_name] = np.logical_or.reduce(columns)
        else:
            values[gate_name] = columns[0]
    return values


def truth_table(graph: FunctionGraph) -> TruthTable:
    values = node_values(graph)
    outputs = np.stack(
        [~values[lit.node] if lit.negated else values[lit.node] for lit in graph.outputs], axis=1
    )
    return TruthTable(
        inputs=input_rows(graph.n_inputs),
        outputs=outputs.astype(np.uint8),
        input_names=graph.input_names,
        output_names=graph.output_names,
    )
