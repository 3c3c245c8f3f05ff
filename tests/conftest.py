"""Shared test settings."""

from __future__ import annotations

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    # Tests marked `cuda` need a GPU: without one they are skipped, not failed.
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny kernels on a shared 2-core machine run fastest on one thread; restore afterwards.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
