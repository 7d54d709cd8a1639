"""The /bulkevents/historical rules, judged against a fixed now_ms.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

from typing import Any, List

import pytest
from validation_data import (
    HISTORICAL_FAILING,
    HISTORICAL_PASSING,
    NOW,
    OLD,
    batch,
    custom,
    rules,
)

from mparticle.validation import (
    validate,
)


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
    assert rules(validate(recent, historical=True)) == ["historical_too_recent"]
