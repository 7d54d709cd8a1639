"""Errors that stop a ``send`` with exit code 2."""

__all__ = ["OutputError", "UsageError"]


class UsageError(Exception):
    """A problem with the command line or its inputs (exit code 2)."""


class OutputError(Exception):
    """An output file (the reject file) cannot be written: the run stops (exit code 2)."""
