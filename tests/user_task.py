"""A user's own Boolean task, as a researcher would write it in their project's config/graphs/."""

MY_TASK = """\
name: two_xor
description: Two XORs of separate input pairs (a user's own task).
inputs: 4
gates:
  a: {op: and, in: [x0, ~x1]}
  b: {op: and, in: [~x0, x1]}
  c: {op: and, in: [x2, ~x3]}
  d: {op: and, in: [~x2, x3]}
  f0: {op: or, in: [a, b]}
  f1: {op: or, in: [c, d]}
outputs: [f0, f1]
modules:
  s0: [a, b, f0]
  s1: [c, d, f1]
"""
