"""Every paper task's truth table, checked against the paper's definitions (Sec. 5, Apps. B-E).

The expected columns are computed here from the written definitions (g and g' as their published
columns, XOR/AND/OR on integer bits), not from the gate graphs the files hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from neural_sculpting.tasks.function_graph import available_graphs, load_graph
from neural_sculpting.tasks.truth_table import truth_table

# The paper's truth tables: columns for rows 0000..1111 (a the most significant bit).
G_COLUMN = "0001000000101000"
G_PRIME_COLUMN = "0000010001000001"
USES = (1, 2, 4, 6, 8)


def bit(row: int, i: int, n: int) -> int:
    """Input x_i of truth-table row `row` with n inputs (x0 is the most significant bit)."""
    return (row >> (n - 1 - i)) & 1


def g(a: int, b: int, c: int, d: int) -> int:
    return int(G_COLUMN[a * 8 + b * 4 + c * 2 + d])


def g_prime(a: int, b: int, c: int, d: int) -> int:
    return int(G_PRIME_COLUMN[a * 8 + b * 4 + c * 2 + d])


def expected_table(n: int, outputs) -> np.ndarray:
    rows = []
    for r in range(2**n):
        x = [bit(r, i, n) for i in range(n)]
        rows.append([f(x) for f in outputs])
    return np.array(rows, dtype=np.uint8)


def repeated(pair, use: int):
    return list(pair) * use


def expected_outputs(name: str) -> tuple[int, list]:
    if name == "input_separable":
        return 4, [
            lambda x: x[0] ^ x[1],
            lambda x: 1 - (x[0] ^ x[1]),
            lambda x: x[2] ^ x[3],
            lambda x: 1 - (x[2] ^ x[3]),
        ]
    reuse_pair = (lambda x: g(*x[:4]) & x[0], lambda x: g(*x[:4]) & x[2])
    if name == "reused":
        return 4, repeated(reuse_pair, 8)
    if name.startswith("reused_use"):
        return 4, repeated(reuse_pair, int(name.removeprefix("reused_use")))
    if name == "separable_reused":
        a, b, c = (lambda x: x[0] & x[1]), (lambda x: x[2] & x[3]), (lambda x: x[4] & x[5])
        return 6, [lambda x: a(x) | b(x), lambda x: a(x) | c(x), lambda x: b(x) | c(x)]
    if name == "non_modular":
        return 4, [lambda x: g(*x[:4])] * 4
    if name.startswith("overlap"):
        shared, use = (int(v) for v in name.removeprefix("overlap").split("_use"))
        k = 4 - shared
        pair = (lambda x: g(*x[0:4]), lambda x: g_prime(*x[k : k + 4]))
        return 8 - shared, repeated(pair, use)
    if name.startswith("hierarchy_use"):
        use = int(name.removeprefix("hierarchy_use"))
        big_a, big_b = (lambda x: g(*x[0:4])), (lambda x: g_prime(*x[4:8]))
        pair = (lambda x: big_a(x) & (1 - big_b(x)), lambda x: big_b(x) & (1 - big_a(x)))
        return 8, repeated(pair, use)
    raise KeyError(name)


PAPER_TASKS = (
    ["input_separable", "reused", "separable_reused", "non_modular"]
    + [f"reused_use{u}" for u in (1, 2, 4, 6)]
    + [f"overlap{k}_use{u}" for k in range(5) for u in USES]
    + [f"hierarchy_use{u}" for u in USES]
)


def test_every_paper_task_has_its_file():
    # A user may add tasks of their own beside the paper's 38: only the paper's are pinned.
    assert len(set(PAPER_TASKS)) == 38
    assert set(PAPER_TASKS) <= set(available_graphs())


@pytest.mark.parametrize("name", PAPER_TASKS)
def test_truth_table_matches_the_papers_definition(name: str):
    n, outputs = expected_outputs(name)
    table = truth_table(load_graph(name))
    assert table.inputs.shape == (2**n, n)
    np.testing.assert_array_equal(table.outputs, expected_table(n, outputs))


def test_rows_are_binary_expansions_with_x0_most_significant():
    table = truth_table(load_graph("reused"))
    # Row 12 is 1100: x0 = x1 = 1.
    assert table.inputs[12].tolist() == [1, 1, 0, 0]
    assert table.inputs[1].tolist() == [0, 0, 0, 1]


def test_g_blocks_match_their_published_columns():
    # non_modular's outputs are g itself; the overlap-4 task's F1 is g' on the same inputs.
    g_col = truth_table(load_graph("non_modular")).outputs[:, 0]
    assert "".join(map(str, g_col)) == G_COLUMN
    gp_col = truth_table(load_graph("overlap4_use1")).outputs[:, 1]
    assert "".join(map(str, gp_col)) == G_PRIME_COLUMN


def test_output_counts_follow_use():
    for use in USES:
        assert load_graph(f"hierarchy_use{use}").n_outputs == 2 * use
        assert load_graph(f"overlap2_use{use}").n_outputs == 2 * use
    assert load_graph("reused").n_outputs == 16
