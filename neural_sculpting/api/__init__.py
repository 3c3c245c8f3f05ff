"""The Python API, for notebooks: a task trained, pruned, analysed and drawn in one call
(`sculpt`), a researcher's own trained model sculpted (`sculpt_model`) or an already sparse one
analysed (`detect_modules`), and a workflow's results read back (`load_results`, `load_trial`).
Every call returns or holds `SculptResult`s: modules as plain objects, the network as a networkx
graph or a torch model, modules as JSON."""

from neural_sculpting.api.loading import load_results, load_trial
from neural_sculpting.api.result import Module, SculptResult
from neural_sculpting.api.sculpting import detect_modules, sculpt, sculpt_model

__all__ = [
    "Module",
    "SculptResult",
    "detect_modules",
    "load_results",
    "load_trial",
    "sculpt",
    "sculpt_model",
]
