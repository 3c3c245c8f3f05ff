"""Atomic file writes: a result file either exists complete or not at all.

Every writer of the project goes through `write_with`: it fills a temporary file in the target's
folder, gives it the permissions a plain `open()` would (mkstemp makes 0600, which would hide
results from colleagues on shared storage), flushes it to disk unless told not to, and renames it
over the target (`os.replace` is atomic on POSIX within one file system), so a killed job never
leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path | str, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `path` for a writer that wants a file name (numpy, matplotlib,
    pygraphviz); on success it is synced and renamed to `path`, else removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.chmod(0o666 & ~_umask())
    try:
        yield tmp_path
        if durable:
            with open(tmp_path, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_with(
    path: Path | str, write: Callable[[IO], None], binary: bool = False, durable: bool = True
) -> None:
    """Write `path` atomically through `write(handle)`. `durable=False` skips the fsync: the
    rename stays atomic for a killed process (the page cache survives it), only not for a power
    cut; the pruning loop's per-round states use it, as they are saved often."""
    with atomic_path(path, durable=False) as tmp, open(tmp, "wb" if binary else "w") as handle:
        write(handle)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


def write_text(path: Path | str, text: str) -> None:
    write_with(path, lambda handle: handle.write(text))


def write_json(path: Path | str, data: Any) -> None:
    write_text(path, json.dumps(data, indent=1, sort_keys=False) + "\n")


def file_sha256(path: Path | str) -> str:
    """The SHA-256 of a file (records hold it, so that a file that is not theirs is never used)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
