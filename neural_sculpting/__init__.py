"""Neural Sculpting: uncover a task's hierarchy of sub-functions by pruning and network analysis."""

__version__ = "0.1.0"
