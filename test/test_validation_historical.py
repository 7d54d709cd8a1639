"""The /bulkevents/historical rules, judged against a fixed now_ms.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, List, Optional

import pytest
from validation_data import (
    HISTORICAL_FAILING,
    HISTORICAL_PASSING,
    HOUR,
    NOW,
    OLD,
    batch,
    custom,
    rules,
)

from mparticle.models import AppEvent, Batch, SessionStartEvent
from mparticle.serialization import dumps
from mparticle.validation import check_historical, historical_problems, validate


@pytest.mark.parametrize("description, data, expected", HISTORICAL_PASSING, ids=[c[0] for c in HISTORICAL_PASSING])
def test_historical_passing(description: str, data: Any, expected: List[str]) -> None:
    assert validate(data, historical=True, now_ms=NOW) == []


@pytest.mark.parametrize("description, data, expected", HISTORICAL_FAILING, ids=[c[0] for c in HISTORICAL_FAILING])
def test_historical_failing(description: str, data: Any, expected: List[str]) -> None:
    assert rules(validate(data, historical=True, now_ms=NOW)) == sorted(expected)


def test_historical_rules_only_when_asked() -> None:
    data = batch(custom(), events=[])
    assert validate(data) == []
    assert validate(batch(custom())) == []


def test_historical_paths() -> None:
    data = batch(custom(timestamp_unixtime_ms=OLD), custom(), custom(timestamp_unixtime_ms=NOW))
    problems = validate(data, historical=True, now_ms=NOW)
    assert [(p.path, p.rule) for p in problems] == [
        ("events[1].data.timestamp_unixtime_ms", "historical_timestamp"),
        ("events[2].data.timestamp_unixtime_ms", "historical_too_recent"),
    ]
    assert "72 hours" in problems[1].message


def test_historical_defaults_to_the_clock() -> None:
    assert validate(batch(custom(timestamp_unixtime_ms=OLD)), historical=True) == []  # 2023 is old now
    recent = batch(custom(timestamp_unixtime_ms=10**14))  # the year 5138
    assert rules(validate(recent, historical=True)) == ["historical_too_recent", "timestamp"]  # (a warning)


# --------------------------------------------------------------------------------------------
# check_historical: the EventsApi wording, on models or dicts as given
# --------------------------------------------------------------------------------------------


def _raised(batches: Any, now_ms: float = NOW) -> Optional[str]:
    try:
        check_historical(batches, now_ms)
    except ValueError as error:
        return str(error)
    return None


def test_check_historical_messages() -> None:
    old = batch(custom(timestamp_unixtime_ms=OLD))
    assert _raised([old, old]) is None
    no_events = "the historical endpoint needs at least one event"
    assert _raised([old, Batch(environment="production")]) == f"batch 1: {no_events}"
    assert _raised([old, batch(events=[])]) == f"batch 1: {no_events}"
    assert _raised(["not a batch"]) == f"batch 0: {no_events}"
    assert _raised([batch(custom(timestamp_unixtime_ms=OLD), custom())]) == (
        "batch 0 events[1].data.timestamp_unixtime_ms is required for historical data"
    )
    assert _raised([batch(custom(timestamp_unixtime_ms=NOW - HOUR))], NOW + 0.5) == (
        "batch 0 events[0].data.timestamp_unixtime_ms is less than 72 hours old; send recent data to bulk_upload_events"
    )
    # the first problem of the first batch that has one
    assert _raised([old, batch(custom(), custom(timestamp_unixtime_ms=NOW))]) == (
        "batch 1 events[0].data.timestamp_unixtime_ms is required for historical data"
    )


MODEL_BATCHES = [
    Batch(environment="production"),
    Batch(events=[]),
    Batch(events=[SessionStartEvent(timestamp_unixtime_ms=OLD)]),
    Batch(events=[SessionStartEvent(timestamp_unixtime_ms=OLD), AppEvent("Play")]),
    Batch(events=[AppEvent("Play", timestamp_unixtime_ms=NOW - HOUR)]),
    Batch(events=[{"event_type": "custom_event", "data": {"timestamp_unixtime_ms": OLD}}]),
    Batch(events=[{"event_type": "custom_event", "data": {"timestamp_unixtime_ms": Decimal(NOW)}}]),
    Batch(events=[AppEvent("Play", timestamp_unixtime_ms=True)]),
    {"events": (custom(timestamp_unixtime_ms=OLD),)},
    {"events": ()},
    {"events": [AppEvent("not wrapped", timestamp_unixtime_ms=NOW)]},
    {"events": "x"},
]
CASES = [data for _, data, _ in HISTORICAL_PASSING + HISTORICAL_FAILING] + MODEL_BATCHES


@pytest.mark.parametrize("data", CASES, ids=[str(i) for i in range(len(CASES))])
def test_models_and_dicts_are_judged_as_their_json(data: Any) -> None:
    wire = json.loads(dumps(data))
    assert historical_problems(data, NOW) == historical_problems(wire, NOW)
    assert _raised([data]) == _raised([wire])
