"""Errors that stop a ``send`` before or while it runs, with their exit codes."""

from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_UNFINISHED

__all__ = ["OutputError", "UnfinishedCheckpoint", "UsageError"]


class UsageError(Exception):
    """A problem with the command line or its inputs (exit code :attr:`exit_code`, 2)."""

    exit_code = EXIT_FAILURE


class UnfinishedCheckpoint(UsageError):
    """A run without ``--resume`` or ``--restart`` found the checkpoint of an unfinished one (exit code 3)."""

    exit_code = EXIT_UNFINISHED


class OutputError(Exception):
    """An output file (the reject file) cannot be written: the run stops (exit code 2)."""
