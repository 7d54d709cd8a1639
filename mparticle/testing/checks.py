"""Which batches the local endpoint refuses, judged by the SDK's own rules (:mod:`mparticle.validation`).

Lenient (the default) refuses, with 400, only what the real Events API refuses (schema.md
sections 8 and 9: malformed JSON or missing required fields; the historical endpoint's
rules): a batch that is not an object; ``events`` that is not an array; an event that is not
an object, lacks a ``data`` object, or whose ``event_type`` is missing or not an Events API
event type; on ``/bulkevents/historical`` also a batch without events and an event without
an integer ``data.timestamp_unixtime_ms``. Everything else the validator reports (unknown
identity keys, enum values, lengths, a batch over 128 KB, events younger than 72 hours on the
historical endpoint, ...) is accepted, as the real service accepts (or silently drops) it.

Strict refuses a batch with any error :func:`mparticle.validation.validate` reports (its
warnings, such as a batch without ``environment``, are accepted in both modes).

One difference from the service, in both modes: it answers a bulk request 202 even when some
of its batches fail (schema.md section 1) and drops those; this endpoint answers the whole
request 400, so that a test sees the problem.
"""

from __future__ import annotations

import functools
import re
from typing import Any, FrozenSet, List, Sequence

from mparticle.models.shared import EVENT_TYPES
from mparticle.validation import Problem, validate

__all__ = ["batch_errors", "clean_envelope", "refused"]

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


@functools.lru_cache(maxsize=1)
def _known_event_types() -> FrozenSet[str]:
    """The event types the validator accepts: asked of it once, so that the two cannot disagree."""
    return frozenset(
        t for t in EVENT_TYPES
        if not any(p.rule == "event_type" for p in validate({"events": [{"event_type": t, "data": {}}]}))
    )


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def clean_envelope(batch: Any, historical: bool) -> bool:
    """True when ``batch`` cannot have a problem the lenient rules refuse.

    A cheap pre-check (a batch object, an array of event objects, each with a known
    ``event_type`` and a ``data`` object, timestamped on the historical endpoint): lenient mode
    runs the validator only on the batches that fail it, and the validator's problems decide.
    """
    if not isinstance(batch, dict):
        return False
    events = batch.get("events")
    if events is None:
        return not historical
    if not isinstance(events, list) or (historical and not events):
        return False
    known = _known_event_types()
    return all(_clean_event(event, historical, known) for event in events)


def _clean_event(event: Any, historical: bool, known: FrozenSet[str]) -> bool:
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return False
    event_type = event.get("event_type")
    if not isinstance(event_type, str) or event_type not in known:
        return False
    return not historical or _is_integer(event["data"].get("timestamp_unixtime_ms"))


def batch_errors(batches: Sequence[Any], *, historical: bool, single: bool, strict: bool) -> List[str]:
    """One message per refused problem, ``"batches[2]: <message> [rule]"`` (``"batch: ..."`` for one)."""
    errors: List[str] = []
    for index, batch in enumerate(batches):
        if not strict and clean_envelope(batch, historical):
            continue
        where = "batch" if single else f"batches[{index}]"
        for problem in validate(batch, historical=historical, warnings=False):
            if strict or refused(problem, historical):
                errors.append(f"{where}: {problem.message} [{problem.rule}]")
    return errors
