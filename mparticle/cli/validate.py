"""``mparticle validate``: report the problems of batch files by file, line and path."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, List, Optional, TextIO

from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL

if TYPE_CHECKING:
    from mparticle.validation import Problem

__all__ = ["check_batch", "run_validate"]


def check_batch(value: Any, historical: bool, now_ms: Optional[int] = None) -> List["Problem"]:
    """The validation problems of one parsed record; a failure of the validator itself (such
    as nesting too deep for it) is one problem too, never an exception."""
    from mparticle.validation import Problem, validate

    try:
        return validate(value, historical=historical, now_ms=now_ms)
    except RecursionError:
        return [Problem("", "nesting", "the batch is nested too deeply to be validated")]
    except Exception as exc:  # noqa: BLE001 - any input must end up as a reported problem
        return [Problem("", "validator", f"the batch could not be validated ({type(exc).__name__}: {exc})"[:500])]


def run_validate(
    args: argparse.Namespace, stdin: Optional[Any] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None
) -> int:
    """``mparticle validate``: one line per problem; 0 all valid, 1 some invalid, 2 unreadable input.

    Every record is reported, whatever it holds (broken JSON, numbers too long to convert,
    invalid UTF-8, nesting too deep): never a traceback."""
    from mparticle.cli.input import RecordReader

    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin if stdin is not None else sys.stdin.buffer
    batches = invalid = problems = 0
    unreadable = False
    for name in args.files:
        display = "<stdin>" if name == "-" else name
        try:
            handle = stdin if name == "-" else open(name, "rb")
        except OSError as exc:
            print(f"mparticle validate: error: cannot read {name}: {exc.strerror or exc}", file=err)
            unreadable = True
            continue
        try:
            for record in RecordReader(handle):
                batches += 1
                prefix = "" if record.array_index is None else f"[{record.array_index}]"
                if record.error is not None:
                    found = [(prefix or "<batch>", record.error, "json")]
                else:
                    found = [
                        (_join_path(prefix, p.path), p.message, p.rule)
                        for p in check_batch(record.value, args.historical)
                    ]
                if found:
                    invalid += 1
                    problems += len(found)
                    if not args.quiet:
                        for path, message, rule in found:
                            print(f"{display}:{record.line}: {path}: {message} [{rule}]", file=out)
        except OSError as exc:
            print(f"mparticle validate: error reading {name}: {exc}", file=err)
            unreadable = True
        finally:
            if handle is not stdin:
                handle.close()
    print(
        f"validate: {batches:,} batches, {batches - invalid:,} valid, {invalid:,} invalid ({problems:,} problems)",
        file=err,
    )
    if unreadable:
        return EXIT_FAILURE
    return EXIT_PARTIAL if invalid else EXIT_OK


def _join_path(prefix: str, path: str) -> str:
    if not path:
        return prefix or "<batch>"
    if not prefix or path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"
