"""The CPU lanes' compiled calls (engine rules 5), and their build.

`csrc/lane_kernels.cpp` runs each lane's forward and backward pass from its own small matrices,
and around them, one call each, what would otherwise be many small torch calls from Python: the
training step (`step.py`), the epoch plan and batches (`data.py`), the evaluation of a whole
truth table and the best-epoch rule (`training.py`), all with torch's own operations. It is built
with torch's extension builder at first use (a C++ compiler and ninja; about 40 s once, then
kept in `build_root()`) and used for float32 lanes on the CPU; CUDA lanes keep torch's batched
products. `python -m neural_sculpting.engine.kernels`
builds it ahead of a run (`scripts/setup.sh` does), so parallel jobs never wait on a build.
"""

from __future__ import annotations

import hashlib
import importlib.util
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
    """(buffer, tensor): a CPU float32 buffer of whole `VECTOR_BODY`s and, at its start, a
    contiguous tensor of `shape` (a view of it, uninitialised); the buffer's tail is zeros."""
    n = math.prod(shape)
    buffer = torch.empty(-(-n // VECTOR_BODY) * VECTOR_BODY)
    buffer[n:].zero_()
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
    flags = compile_flags(vector)
    # The name carries the digest of the source, the flags and torch's version: an edited
    # source, another CPU's flags or another torch get a build of their own, never a stale one.
    stamp = SOURCE.read_bytes() + " ".join(flags).encode() + torch.__version__.encode()
    name = f"neural_sculpting_lanes_{hashlib.sha256(stamp).hexdigest()[:12]}"
    folder = build_root() / name
    built = folder / f"{name}.so"
    if built.is_file():
        # Built before: imported as it is (asking the builder would import it and run ninja,
        # a few tenths of a second in every search job).
        spec = importlib.util.spec_from_file_location(name, built)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    # torch runs `ninja` from PATH; the one pip installed sits beside this interpreter, which a
    # job started as `.venv/bin/python` without an activated environment does not have on PATH.
    if shutil.which("ninja") is None:
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    from torch.utils import cpp_extension

    folder.mkdir(parents=True, exist_ok=True)
    try:
        return cpp_extension.load(
            name=name, sources=[str(SOURCE)], extra_cflags=flags, build_directory=str(folder)
        )
    except (OSError, RuntimeError, ImportError) as err:
        raise KernelBuildError(
            f"the engine's compiled passes ({SOURCE.name}) did not build: {err}. "
            "They need a C++ compiler and ninja (pip install ninja); see README, Quick start"
        ) from err


def build_root() -> Path:
    """Where the builds are kept: `$SCULPT_KERNELS_DIR`, else ~/.cache/neural_sculpting/kernels
    (one folder per build; parallel jobs that find none wait on the first one's build)."""
    root = os.environ.get("SCULPT_KERNELS_DIR")
    return Path(root) if root else Path.home() / ".cache" / "neural_sculpting" / "kernels"


def runs_on(x: torch.Tensor) -> bool:
    """Whether the compiled passes take lanes of this tensor's device and type."""
    return x.device.type == "cpu" and x.dtype == torch.float32


def main() -> int:
    try:
        module = lane_kernels()
    except KernelBuildError as err:
        print(f"kernels: {err}", file=sys.stderr)
        return 1
    print(f"kernels: {module.__name__} ready ({' '.join(compile_flags())}) in {build_root()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
