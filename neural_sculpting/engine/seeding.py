"""Per-lane random numbers from seeds derived by hashing the lane's identity.

No generator is shared between lanes or carried across rounds: a lane's initialisation, shuffles and
noise depend only on its key, e.g. (trial seed, "init") or (trial seed, pu, round, epoch). So a lane
gives the same result alone, inside any batch, on any number of devices, and after a resume.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import torch

KeyPart = int | float | str


# Cached (typed, so 5, 5.0 and True are different entries): every lane and epoch of a search
# derives a seed from the same few parts.
@functools.lru_cache(maxsize=65536, typed=True)
def _canonical(part: KeyPart) -> str:
    # Tag the type so that 5 (an int) and 5.0 (a float) and "5" are different keys; floats go
    # through repr, which round-trips exactly.
    if isinstance(part, bool):
        raise TypeError("seed key parts must be int, float or str, not bool")
    if isinstance(part, int):
        return f"i{part}"
    if isinstance(part, float):
        return f"f{part!r}"
    if isinstance(part, str):
        return f"s{part}"
    raise TypeError(f"seed key parts must be int, float or str, not {type(part).__name__}")


SEED_BITS = (1 << 63) - 1


def derive_seed(*key: KeyPart) -> int:
    """A 63-bit seed from a key tuple (blake2b of its canonical text)."""
    text = "|".join(_canonical(p) for p in key).encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "little") & SEED_BITS


class KeySeeds:
    """`derive_seed(*key, last)` for each of a fixed list of keys and any `last` part (a
    training's lanes, epoch after epoch), each key's text hashed once: blake2b's state after
    it is copied and given the last part, which hashes the same text."""

    def __init__(self, keys: Sequence[tuple[KeyPart, ...]]) -> None:
        self._states = [
            hashlib.blake2b("".join(_canonical(p) + "|" for p in key).encode(), digest_size=8)
            for key in keys
        ]

    def seeds(self, last: KeyPart) -> list[int]:
        tail = _canonical(last).encode()
        out = []
        for state in self._states:
            h = state.copy()
            h.update(tail)
            out.append(int.from_bytes(h.digest(), "little") & SEED_BITS)
        return out


def generator(*key: KeyPart) -> torch.Generator:
    """A fresh CPU generator for this key (draw on CPU, then move: device-independent)."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(derive_seed(*key))
    return gen
