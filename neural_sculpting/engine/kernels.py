"""The lanes' forward and backward passes as one compiled call each (engine rules 5).

`csrc/lane_kernels.cpp` runs each lane's whole pass from its own small matrices. It is built
with torch's extension builder at first use (a C++ compiler and ninja; about 40 s once, then
cached in torch's extension folder, `TORCH_EXTENSIONS_DIR`) and used for float32 lanes on the
CPU; CUDA lanes keep torch's batched products. `python -m neural_sculpting.engine.kernels`
builds it ahead of a run (`scripts/setup.sh` does), so parallel jobs never wait on a build.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

import torch

from neural_sculpting.foundations.errors import SculptError

SOURCE = Path(__file__).resolve().parent / "csrc" / "lane_kernels.cpp"


# Elements per vector body of torch's elementwise CPU kernels, with room for unrolling (AVX-512:
# 2 x 16). A tensor's last elements past whole bodies go through scalar code, which rounds
# transcendental functions (sigmoid, log-sigmoid) differently; so tensors whose lanes' numbers
# must not depend on how many lanes share them are laid out in buffers of whole bodies (`padded`).
VECTOR_BODY = 64


def padded(*shape: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(buffer, tensor): a zeroed CPU float32 buffer of whole `VECTOR_BODY`s and, at its start, a
    contiguous tensor of `shape` (a view of it)."""
    n = math.prod(shape)
    buffer = torch.zeros(-(-n // VECTOR_BODY) * VECTOR_BODY)
    return buffer, buffer[:n].view(shape)


def lanewise(fn: Callable[[torch.Tensor], torch.Tensor], t: torch.Tensor) -> torch.Tensor:
    """The elementwise `fn` of `t`, computed over the whole padded buffer `t` starts (`padded`)
    when it has one, so that every element is in a vector body; else `fn(t)`."""
    base = t._base
    if (
        base is not None
        and base.dim() == 1
        and base.numel() % VECTOR_BODY == 0
        and t.is_contiguous()
        and t.data_ptr() == base.data_ptr()
    ):
        return fn(base)[: t.numel()].view(t.shape)
    return fn(t)


class KernelBuildError(SculptError):
    """The compiled passes could not be built (no compiler or ninja, or a failed build)."""


def compile_flags(vector: bool | None = None) -> list[str]:
    """-O3 without contracting a*b+c on its own (the code says where it fuses), plus AVX2 and FMA
    for the vector path (`vector` None: where torch found them on this CPU). Both paths give the
    same numbers (one fused multiply-add per term, in order); the vector one is faster."""
    flags = ["-O3", "-ffp-contract=off"]
    if vector is None:
        vector = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
    if vector:
        flags += ["-mavx2", "-mfma"]
    return flags


@cache
def lane_kernels(vector: bool | None = None) -> ModuleType:
    """The built module (built on first call in this process, reused from the cache after);
    `vector` as in `compile_flags`."""
    from torch.utils import cpp_extension

    flags = compile_flags(vector)
    # torch runs `ninja` from PATH; the one pip installed sits beside this interpreter, which a
    # job started as `.venv/bin/python` without an activated environment does not have on PATH.
    if shutil.which("ninja") is None:
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    # The name carries the source's and the flags' digest: an edited source or another CPU's
    # flags get their own build folder instead of a stale one.
    digest = hashlib.sha256(SOURCE.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
    try:
        return cpp_extension.load(
            name=f"neural_sculpting_lanes_{digest}",
            sources=[str(SOURCE)],
            extra_cflags=flags,
            verbose=False,
        )
    except (OSError, RuntimeError, ImportError) as err:
        raise KernelBuildError(
            f"the engine's compiled passes ({SOURCE.name}) did not build: {err}. "
            "They need a C++ compiler and ninja (pip install ninja); see README, Set-up"
        ) from err


def runs_on(x: torch.Tensor) -> bool:
    """Whether the compiled passes take lanes of this tensor's device and type."""
    return x.device.type == "cpu" and x.dtype == torch.float32


def main() -> int:
    try:
        module = lane_kernels()
    except KernelBuildError as err:
        print(f"kernels: {err}", file=sys.stderr)
        return 1
    print(
        f"kernels: {module.__name__} built ({' '.join(compile_flags())}), "
        f"cache {os.environ.get('TORCH_EXTENSIONS_DIR', 'torch default')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
