"""``mparticle validate``: report the problems of batch files by file, line and path."""

from __future__ import annotations

import argparse
import sys
from typing import Any, List, Optional, TextIO, Tuple

from mparticle import validation
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL
from mparticle.cli.input import Record, RecordReader
from mparticle.validation import Problem

__all__ = ["check_batch", "run_validate"]


def check_batch(value: Any, historical: bool, now_ms: Optional[int] = None, warnings: bool = False) -> List[Problem]:
    """The validation errors (and with ``warnings``, the warnings) of one parsed record (checked
    as parsed: serialized only when its size needs measuring); a failure of the validator
    itself (such as nesting too deep for it) is one problem too, never an exception."""
    try:
        return validation.validate(value, historical=historical, now_ms=now_ms, warnings=warnings)
    except RecursionError:
        return [Problem("", "nesting", "the batch is nested too deeply to be validated")]
    except Exception as exc:  # noqa: BLE001 - any input must end up as a reported problem
        return [Problem("", "validator", f"the batch could not be validated ({type(exc).__name__}: {exc})"[:500])]


def run_validate(
    args: argparse.Namespace, stdin: Optional[Any] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None
) -> int:
    """``mparticle validate``: one line per problem (warnings too); 0 all valid (warnings allowed),
    1 some invalid, 2 unreadable input.

    Every record is reported, whatever it holds (broken JSON, numbers too long to convert,
    invalid UTF-8, nesting too deep): never a traceback."""
    run = _Validation(args, stdin if stdin is not None else sys.stdin.buffer, out or sys.stdout, err or sys.stderr)
    for name in args.files:
        run.check_file(name)
    warnings = f", {run.warnings:,} warning{'' if run.warnings == 1 else 's'}" if run.warnings else ""
    print(
        f"validate: {run.batches:,} batches, {run.batches - run.invalid:,} valid, {run.invalid:,} invalid "
        f"({run.problems:,} problem{'' if run.problems == 1 else 's'}){warnings}",
        file=run.err,
    )
    if run.unreadable:
        return EXIT_FAILURE
    return EXIT_PARTIAL if run.invalid else EXIT_OK


class _Validation:
    """One ``validate``: where it prints, and what it has found so far."""

    def __init__(self, args: argparse.Namespace, stdin: Any, out: TextIO, err: TextIO) -> None:
        self.args, self.stdin, self.out, self.err = args, stdin, out, err
        self.batches = self.invalid = self.problems = self.warnings = 0
        self.unreadable = False

    def check_file(self, name: str) -> None:
        """Check and report every record of the input ``name`` (``-``: stdin)."""
        display = "<stdin>" if name == "-" else name
        try:
            handle = self.stdin if name == "-" else open(name, "rb")
        except OSError as exc:
            print(f"mparticle validate: error: cannot read {name}: {exc.strerror or exc}", file=self.err)
            self.unreadable = True
            return
        try:
            for record in RecordReader(handle):
                self._report(display, record.line, _record_problems(record, self.args.historical))
        except BrokenPipeError:  # writing our report, not reading: the command ends (see commands.main)
            raise
        except OSError as exc:
            print(f"mparticle validate: error reading {name}: {exc}", file=self.err)
            self.unreadable = True
        finally:
            if handle is not self.stdin:
                handle.close()

    def _report(self, display: str, line: int, found: List[Tuple[str, str, str, bool]]) -> None:
        self.batches += 1
        if not found:
            return
        errors = sum(1 for *_, is_error in found if is_error)
        self.invalid += 1 if errors else 0
        self.problems += errors
        self.warnings += len(found) - errors
        if not self.args.quiet:
            for path, message, rule, is_error in found:
                print(f"{display}:{line}: {path}: {'' if is_error else 'warning: '}{message} [{rule}]", file=self.out)


def _record_problems(record: Record, historical: bool) -> List[Tuple[str, str, str, bool]]:
    """(path, message, rule, whether an error) of each problem of one record; paths inside an
    array start ``[i]``."""
    prefix = "" if record.array_index is None else f"[{record.array_index}]"
    if record.error is not None:
        return [(prefix or "<batch>", record.error, "json", True)]
    found = check_batch(record.value, historical, warnings=True)
    return [(_join_path(prefix, p.path), p.message, p.rule, p.is_error) for p in found]


def _join_path(prefix: str, path: str) -> str:
    if not path:
        return prefix or "<batch>"
    if not prefix or path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"
