"""The ``/bulkevents/historical`` rules (schema.md 8): events, each timestamped, at least 72 hours old.

The one home of these rules: :func:`mparticle.validate` reports them as :class:`Problem`
objects (``historical=True``), :func:`historical_problems` for one batch, and
:func:`check_historical` raises the ValueError ``EventsApi.bulk_upload_events_historical``
raises, with its wording (:data:`EVENTS_API_MESSAGES`).

A batch is read as its JSON object: a ``Batch`` model *is* that object (a dict by JSON key,
events wrapped), so models, their JSON form and plain dicts are judged alike, without
serializing them first.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence

from mparticle.models.base import Model
from mparticle.validation.engine import Out, Problem, _is_int, fields_of

__all__ = ["EVENTS_API_MESSAGES", "HISTORICAL_MIN_AGE_MS", "check_historical", "historical_problems"]

HISTORICAL_MIN_AGE_MS = 72 * 3600 * 1000  # /bulkevents/historical drops younger events

#: How EventsApi words each historical rule (after ``batch {i}`` and the path).
EVENTS_API_MESSAGES = {
    "historical_no_events": "the historical endpoint needs at least one event",
    "historical_timestamp": "is required for historical data",
    "historical_too_recent": "is less than 72 hours old; send recent data to bulk_upload_events",
}


def _historical(batch: Any, now_ms: int, out: Out) -> None:
    """The /bulkevents/historical rules (schema.md 8): events, each timestamped, >= 72 h old.

    ``batch`` is a JSON object, or a model or dict that serializes to one (a tuple of events
    counts as the array it is sent as).
    """
    events = (_mapping(batch) or {}).get("events")
    if events is None or (isinstance(events, (list, tuple)) and not events):
        out.append(Problem("events", "historical_no_events", "a historical batch must contain at least one event"))
        return
    if not isinstance(events, (list, tuple)):
        return  # reported as a type problem
    newest_allowed = now_ms - HISTORICAL_MIN_AGE_MS
    for index, event in enumerate(events):
        event = _mapping(event)
        data = _mapping(event.get("data")) if event is not None else None
        if data is None:
            continue  # reported by the event rules
        path = f"events[{index}].data.timestamp_unixtime_ms"
        timestamp = data.get("timestamp_unixtime_ms")
        if timestamp is None:
            out.append(Problem(path, "historical_timestamp", f"`{path}` is required for the historical endpoint"))
        elif _is_int(timestamp) and timestamp > newest_allowed:
            age_hours = (now_ms - timestamp) / 3_600_000
            out.append(
                Problem(
                    path,
                    "historical_too_recent",
                    f"`{path}` is {age_hours:.1f} hours old; historical events must be at least 72 hours "
                    f"old (at most {newest_allowed})",
                )
            )


def _mapping(value: Any) -> Any:
    """The object the rules read (``fields_of``) for a dict or a model; None for anything else."""
    return fields_of(value) if isinstance(value, (dict, Model)) else None


def historical_problems(batch: Mapping[str, Any], now_ms: int) -> List[Problem]:
    """Only the historical endpoint's rules, for one batch (its dict form, or a ``Batch`` model)."""
    out: Out = []
    _historical(batch, now_ms, out)
    return out


def check_historical(batches: Sequence[Any], now_ms: float) -> None:
    """Raise ValueError for the first batch the historical endpoint would skip, as EventsApi words it.

    ``batches``: ``Batch`` models or dicts, as given to ``bulk_upload_events_historical`` (or
    their JSON form); anything else counts as a batch without events. ``now_ms``: epoch
    milliseconds. Messages: ``batch 0: the historical endpoint needs at least one event``,
    ``batch 1 events[2].data.timestamp_unixtime_ms is required for historical data``, ...
    """
    now = int(now_ms)
    for index, batch in enumerate(batches):
        out: Out = []
        _historical(batch if isinstance(batch, (dict, Model)) else {}, now, out)
        if out:
            problem = out[0]
            where = ":" if problem.rule == "historical_no_events" else " " + problem.path
            raise ValueError(f"batch {index}{where} {EVENTS_API_MESSAGES[problem.rule]}")
