"""Operator and developer commands, each runnable as ``python -m tools.<name>``."""
