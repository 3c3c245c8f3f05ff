"""The conda environments of the rules (`envs/*.yaml`) pin the versions the tests run with.

conda cannot be reached from the project's machines, so the environments are not built in CI;
this test keeps their pins equal to what pip installed for the tests (`scripts/setup.sh`).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
# conda-forge name -> the distribution pip installs
PIP_NAME = {"pytorch": "torch", "matplotlib-base": "matplotlib", "pyyaml": "PyYAML"}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for spec in yaml.safe_load(path.read_text())["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)=([0-9][^=]*)(=.*)?", spec)
        assert match, f"{path.name}: {spec!r} is not pinned to one version"
        found[match[1]] = match[2]
    return found


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(PIP_NAME.get(name, name)).split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return None


@pytest.mark.parametrize("path", ENVS, ids=[p.stem for p in ENVS])
def test_every_package_is_pinned_to_the_tested_version(path):
    for name, version in pins(path).items():
        if name == "python":
            assert version == f"{sys.version_info.major}.{sys.version_info.minor}", path.name
            continue
        if name == "pytorch":  # the torch setup.sh pins (a GPU machine may bring its own build)
            setup = (ROOT / "scripts" / "setup.sh").read_text()
            assert version == re.search(r"SCULPT_TORCH:-torch==([0-9.]+)", setup)[1], path.name
            continue
        have = installed(name)
        if have is None:  # torchvision: optional, not installed beside the CPU torch of the tests
            assert name == "torchvision", f"{path.name}: {name} is not installed here"
            continue
        assert version == have, f"{path.name}: {name}={version}, tests run with {have}"


def test_the_cpu_and_gpu_environments_differ_only_in_the_torch_build():
    cpu, cuda = (pins(ROOT / "envs" / f"{kind}.yaml") for kind in ("cpu", "cuda"))
    assert cpu == cuda


def test_pip_installs_the_versions_conda_pins():
    conda = {PIP_NAME.get(name, name): version for name, version in pins(ENVS[0]).items()}
    lines = (ROOT / "envs" / "pip-constraints.txt").read_text().splitlines()
    pip = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert pip == {name: version for name, version in conda.items()
                   if name not in ("python", "torch", "torchvision")}  # fmt: skip
