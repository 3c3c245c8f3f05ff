"""Per-lane random numbers from seeds derived by hashing the lane's identity.

No generator is shared between lanes or carried across rounds: a lane's initialisation, shuffles and
noise depend only on its key, e.g. (trial seed, "init") or (trial seed, pu, round, epoch). So a lane
gives the same result alone, inside any batch, on any number of devices, and after a resume.
"""

from __future__ import annotations

import functools
import hashlib

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


def derive_seed(*key: KeyPart) -> int:
    """A 63-bit seed from a key tuple (blake2b of its canonical text)."""
    text = "|".join(_canonical(p) for p in key).encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def generator(*key: KeyPart) -> torch.Generator:
    """A fresh CPU generator for this key (draw on CPU, then move: device-independent)."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(derive_seed(*key))
    return gen
