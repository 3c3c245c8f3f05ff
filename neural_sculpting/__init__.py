"""Neural Sculpting: uncover a task's hierarchy of sub-functions by pruning and network analysis."""

__version__ = "0.1.0"

__all__ = [
    "Module",
    "SculptResult",
    "detect_modules",
    "load_results",
    "load_trial",
    "sculpt",
    "sculpt_model",
]


def __getattr__(name: str):
    # The API imports torch: only when it is asked for, so `sculpt graph ...` starts fast.
    if name in __all__:
        from neural_sculpting import api

        return getattr(api, name)
    raise AttributeError(f"module 'neural_sculpting' has no attribute {name!r}")
