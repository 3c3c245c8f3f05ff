"""Packaging beyond pyproject.toml: a wheel carries the paper's own files as package data.

The paper's task files, the authors' (Pu, Pe) choices, its study and the config schema live in
the checkout (`config/`, `workflow/schemas/`), where the workflow and its users read them. A wheel
installed without the checkout still needs them: the build copies them into
`neural_sculpting/_data/` with the same layout, where `foundations.paths.package_data_root` finds
them. An editable install reads the checkout itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PAPER_FILES = (
    "config/graphs",
    "config/tasks",
    "config/paper_choices.csv",
    "config/appendix_epochs.csv",
    "config/config.yaml",
    "workflow/schemas/config.schema.yaml",
)


class BuildWithPaperFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        data = Path(self.build_lib) / "neural_sculpting" / "_data"
        for name in PAPER_FILES:
            source, target = root / name, data / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithPaperFiles})
