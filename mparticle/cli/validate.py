"""``mparticle validate``: report the problems of batch files by file, line and path, against
the Events API rules and, with ``--data-plan``, a data plan."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, TextIO, Tuple

from mparticle import validation
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL
from mparticle.cli.input import Record, RecordReader
from mparticle.cli.plan_options import PlanOptionError, load_plan, plan_mode
from mparticle.validation import Problem

if TYPE_CHECKING:
    from mparticle.dataplan import DataPlan

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
    """``mparticle validate``: one line per problem (warnings too) and, with ``--data-plan``, per
    plan violation; 0 all valid (warnings allowed), 1 some invalid or violating the plan,
    2 unreadable input or unusable options (a plan that cannot be loaded).

    With ``--format json`` (which needs ``--data-plan``), stdout has one line per batch the
    plan was applied to: the plan's report in DPN's format
    (:meth:`~mparticle.dataplan.Report.to_dict`), or for a batch it cannot validate, an
    ``unknown`` result saying why; the other problem lines go to stderr.

    Every record is reported, whatever it holds (broken JSON, numbers too long to convert,
    invalid UTF-8, nesting too deep): never a traceback."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        plan = load_plan(args, err)
    except PlanOptionError as exc:
        return exc.exit_code
    if getattr(args, "format", "text") == "json" and plan is None:
        print("mparticle validate: error: --format json needs --data-plan", file=err)
        return EXIT_FAILURE
    run = _Validation(args, stdin if stdin is not None else sys.stdin.buffer, out, err, plan)
    for name in args.files:
        run.check_file(name)
    print(run.summary(), file=run.err)
    if run.unreadable:
        return EXIT_FAILURE
    return EXIT_PARTIAL if run.invalid or run.plan_batches else EXIT_OK


class _Validation:
    """One ``validate``: where it prints, the plan, and what it has found so far."""

    def __init__(
        self, args: argparse.Namespace, stdin: Any, out: TextIO, err: TextIO, plan: Optional[DataPlan] = None
    ) -> None:
        self.args, self.stdin, self.out, self.err = args, stdin, out, err
        self.plan, self.mode = plan, plan_mode(args)
        self.json = getattr(args, "format", "text") == "json"
        self.batches = self.invalid = self.problems = self.warnings = 0
        self.plan_violations = self.plan_batches = 0
        self.unreadable = False

    def summary(self) -> str:
        """``validate: 80 batches, 72 valid, 8 invalid (8 problems), 3 warnings, 4 plan violations in 2 batches``."""
        text = (
            f"validate: {self.batches:,} batches, {self.batches - self.invalid:,} valid, {self.invalid:,} invalid "
            f"({self.problems:,} problem{_s(self.problems)})"
        )
        if self.warnings:
            text += f", {self.warnings:,} warning{_s(self.warnings)}"
        if self.plan is not None:
            text += f", {self.plan_violations:,} plan violation{_s(self.plan_violations)}"
            if self.plan_batches:
                text += f" in {self.plan_batches:,} batch{'' if self.plan_batches == 1 else 'es'}"
        return text

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
                if self.plan is not None and record.error is None and isinstance(record.value, dict):
                    self._check_plan(display, record)
                elif self.plan is not None and self.json and not self.args.quiet:  # still one line each
                    reason = record.error or "the record is not a JSON object"
                    print(_json_line(_unknown(None, "the data plan cannot read the batch: " + reason)), file=self.out)
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
            where = self.err if self.json else self.out
            for path, message, rule, is_error in found:
                print(f"{display}:{line}: {path}: {'' if is_error else 'warning: '}{message} [{rule}]", file=where)

    def _check_plan(self, display: str, record: Record) -> None:
        """Validate one parsed batch against the plan and report its violations (a batch the
        plan cannot validate, such as ``events`` not a list, is one violation)."""
        assert self.plan is not None
        prefix = "" if record.array_index is None else f"[{record.array_index}]"
        try:
            report = self.plan.validate_batch(record.value, mode=self.mode)
            lines = [line for result in report for line in result.lines()]
            document = _json_line(report.to_dict()) if self.json else ""
        except RecursionError:
            self._plan_failure(display, record, prefix, "the batch is nested too deeply to be validated")
            return
        except Exception as exc:  # noqa: BLE001 - any input must end up as a reported problem
            from mparticle.dataplan import DataPlanError

            reason = str(exc) if isinstance(exc, DataPlanError) else f"{type(exc).__name__}: {exc}"
            self._plan_failure(display, record, prefix, f"the data plan cannot validate the batch: {reason}")
            return
        if lines:
            self.plan_violations += len(lines)
            self.plan_batches += 1
        if self.args.quiet:
            return
        if self.json:
            print(document, file=self.out)
            return
        for line in lines:
            print(_printable(f"{display}:{record.line}: {_join_path(prefix, line)}"), file=self.out)

    def _plan_failure(self, display: str, record: Record, prefix: str, message: str) -> None:
        self.plan_violations += 1
        self.plan_batches += 1
        if self.args.quiet:
            return
        where = self.err if self.json else self.out
        print(_printable(f"{display}:{record.line}: {prefix or '<batch>'}: {message[:500]} [data_plan]"), file=where)
        if self.json:  # still one line per batch on stdout: an "unknown" result saying why
            try:
                print(_json_line(_unknown(record.value, message)), file=self.out)
            except (RecursionError, ValueError, TypeError):  # a batch too deep to write back
                print(_json_line(_unknown(None, message)), file=self.out)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _unknown(batch: Any, message: str) -> Dict[str, Any]:
    """DPN's result format for a batch the plan could not be applied to: one ``unknown`` error."""
    entry = {"validation_error_type": "unknown", "error_pointer": "#", "actual": message[:500]}
    return {
        "batch": batch,
        "results": [
            {"event_type": "validation_result", "data": {"match": {"type": "batch"}, "validation_errors": [entry]}}
        ],
    }


def _json_line(document: Dict[str, Any]) -> str:
    """``document`` as one line of compact JSON; ``\\u`` escapes only for what UTF-8 cannot
    encode (a lone surrogate from a ``"\\ud800"`` in the input)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(document, separators=(",", ":"))
    return text


def _printable(text: str) -> str:
    """``text`` with any lone surrogate (which no output encoding takes) as a ``\\udxxx`` escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


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
