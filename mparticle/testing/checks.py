"""Which batches the local endpoint refuses, judged by the SDK's own rules (:mod:`mparticle.validation`).

Lenient (the default) refuses, with 400, only what the real Events API refuses (schema.md
sections 8 and 9: malformed JSON or missing required fields; the historical endpoint's
rules): a batch that is not an object; ``events`` that is not an array; an event that is not
an object, lacks a ``data`` object, or whose ``event_type`` is missing or not an Events API
event type; on ``/bulkevents/historical`` also a batch without events and an event without
an integer ``data.timestamp_unixtime_ms``. Everything else the validator reports (unknown
identity keys, enum values, lengths, a batch over 128 KB, events younger than 72 hours on the
historical endpoint, ...) is accepted, as the real service accepts (or silently drops) it.

Strict refuses a batch with any problem :func:`mparticle.validation.validate` reports.

One difference from the service, in both modes: it answers a bulk request 202 even when some
of its batches fail (schema.md section 1) and drops those; this endpoint answers the whole
request 400, so that a test sees the problem.
"""

from __future__ import annotations

import re
from typing import Any, List, Sequence

from mparticle.validation import Problem, validate

__all__ = ["batch_errors", "refused"]

#: Rules whose every problem the service refuses.
_REFUSED_RULES = frozenset(("event_type", "historical_no_events", "historical_timestamp"))
#: Paths of the batch's envelope: a missing or mistyped one is refused.
_ENVELOPE = re.compile(r"(?:events(?:\[\d+\](?:\.(?:data|event_type))?)?)?\Z")
_TIMESTAMP = re.compile(r"events\[\d+\]\.data\.timestamp_unixtime_ms\Z")


def refused(problem: Problem, historical: bool) -> bool:
    """Whether the real service refuses a batch with ``problem`` (the lenient rules)."""
    if problem.rule in _REFUSED_RULES:
        return True
    if problem.rule not in ("type", "required"):
        return False
    if _ENVELOPE.match(problem.path):
        return True
    return historical and problem.rule == "type" and _TIMESTAMP.match(problem.path) is not None


def batch_errors(batches: Sequence[Any], *, historical: bool, single: bool, strict: bool) -> List[str]:
    """One message per refused problem, ``"batches[2]: <message> [rule]"`` (``"batch: ..."`` for one)."""
    errors: List[str] = []
    for index, batch in enumerate(batches):
        where = "batch" if single else f"batches[{index}]"
        for problem in validate(batch, historical=historical):
            if strict or refused(problem, historical):
                errors.append(f"{where}: {problem.message} [{problem.rule}]")
    return errors
