"""``mparticle send --data-plan``: each valid record through the plan before it is handed over.

The policies of ``data_plan=`` (:mod:`mparticle.dataplan.enforce`), as a command line run
needs them: ``report`` sends every batch and prints the first violations; ``block`` sends
what mParticle's blocking keeps and counts what it removed; ``raise`` puts a violating
record in the reject file (naming its violations) instead of stopping the run, so that a
resumed run, or ``mparticle validate --data-plan``, can deal with it. Every batch sent
carries the plan's ``context.data_plan`` unless it had one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, TextIO, Tuple

from mparticle.serialization import dumps

if TYPE_CHECKING:
    from mparticle.dataplan import DataPlan, Enforcer, Verdict
    from mparticle.dataplan.enforce import Mode, Policy

__all__ = ["PlanGate", "SHOWN"]

#: Violations printed on stderr in a run (``mparticle validate --data-plan`` lists them all).
SHOWN = 20


class PlanGate:
    """The plan of one ``send``: applies it to each record and tallies the outcome."""

    def __init__(
        self, plan: "DataPlan", policy: "Policy", mode: "Mode", plan_file: str, err: TextIO, quiet: bool
    ) -> None:
        from mparticle.dataplan import Enforcer

        self.enforcer: Enforcer = Enforcer(plan, policy, mode, on_violation=self._violation)
        self.plan_file: str = plan_file
        self.err: TextIO = err
        self.quiet: bool = quiet
        self.shown: int = 0  #: violation lines printed, or counted past SHOWN
        self._where = ""

    def apply(self, where: str, batch: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, str]]]:
        """``(batch to send, [])``, or with policy ``raise`` and a violation ``(None, problems)``
        (the reject file's ``{path, rule, message}`` entries); ``where`` is ``FILE:LINE``."""
        from mparticle.dataplan import DataPlanViolation

        self._where = where
        try:
            data = dumps(batch)
            sent = self.enforcer.apply_encoded(data)
            return (batch if sent is data else json.loads(sent)), []
        except DataPlanViolation as refused:
            return None, [
                {"path": _path(result.index, result.where, error), "rule": "data_plan", "message": line}
                for result in refused.report
                for error, line in zip(result.errors, result.lines())
            ]

    def _violation(self, verdict: "Verdict") -> None:
        if self.quiet:
            return
        for line in str(verdict.report).splitlines():
            self.shown += 1
            if self.shown <= SHOWN:
                print(f"send: data plan: {self._where}: {line}", file=self.err)
            elif self.shown == SHOWN + 1:
                print(
                    f"send: data plan: more violations not shown: mparticle validate --data-plan {self.plan_file} "
                    "lists them all",
                    file=self.err,
                )

    def summary(self) -> str:
        """``data plan: 3 batches violating it (7 violations), blocked 2 events, 1 event attribute``."""
        s = self.enforcer.stats()
        if not s.violating:
            return "data plan: no violations"
        text = (
            f"data plan: {s.violating:,} {_batches(s.violating)} violating it "
            f"({s.violations:,} violation{_s(s.violations)})"
        )
        blocked = [
            (s.events_blocked, "event"),
            (s.event_attributes_blocked, "event attribute"),
            (s.user_attributes_blocked, "user attribute"),
        ]
        shown = [f"{count:,} {name}{_s(count)}" for count, name in blocked if count]
        if shown:
            text += ", blocked " + ", ".join(shown)
        return text


def _path(index: Optional[int], where: str, error: Dict[str, Any]) -> str:
    """``events[2].data.custom_attributes.item_count``, ``user_attributes.tier``."""
    head = where if index is None else f"events[{index}]"
    pointer = str(error.get("error_pointer", "#"))
    tail = [part.replace("~1", "/").replace("~0", "~") for part in pointer[2:].split("/")] if len(pointer) > 1 else []
    return ".".join([head, *tail])


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _batches(count: int) -> str:
    return "batch" if count == 1 else "batches"
