"""The ``/bulkevents/historical`` rules (schema.md 8): events, each timestamped, at least 72 hours old."""

from __future__ import annotations

from typing import Any, Dict, List

from mparticle.validation.engine import Out, Problem, _is_int

HISTORICAL_MIN_AGE_MS = 72 * 3600 * 1000  # /bulkevents/historical drops younger events


def _historical(batch: Dict[str, Any], now_ms: int, out: Out) -> None:
    """The /bulkevents/historical rules (schema.md 8): events, each timestamped, >= 72 h old."""
    events = batch.get("events")
    if events is None or events == []:
        out.append(Problem("events", "historical_no_events", "a historical batch must contain at least one event"))
        return
    if not isinstance(events, list):
        return  # reported as a type problem
    newest_allowed = now_ms - HISTORICAL_MIN_AGE_MS
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            continue  # reported by the event rules
        path = f"events[{index}].data.timestamp_unixtime_ms"
        timestamp = event["data"].get("timestamp_unixtime_ms")
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


def historical_problems(batch: Dict[str, Any], now_ms: int) -> List[Problem]:
    """Only the historical endpoint's rules, for one batch in wire (dict) form."""
    out: Out = []
    _historical(batch, now_ms, out)
    return out
