"""The engine: paths, messages, the Problem type and the 64-bit integer range."""

from __future__ import annotations

import pytest
from validation_data import (
    batch,
    custom,
)

from mparticle.validation import (
    Problem,
    validate,
)

# --------------------------------------------------------------------------------------------
# Paths and messages
# --------------------------------------------------------------------------------------------


def test_paths_and_messages() -> None:
    data = batch(
        custom(),
        custom(custom_event_type="bogus", custom_attributes={"Google.Category": {"x": 1}}),
        user_attributes={"$age": {"a": 1}},
        user_identities={"customerid": "1"},
        environment="staging",
    )
    by_path = {p.path: p for p in validate(data)}
    assert set(by_path) == {
        "events[1].data.custom_event_type",
        'events[1].data.custom_attributes["Google.Category"]',
        'user_attributes["$age"]',
        "user_identities.customerid",
        "environment",
    }
    enum = by_path["events[1].data.custom_event_type"]
    assert enum.rule == "enum"
    for value in ("navigation", "media", "attribution", "bogus"):
        assert value in enum.message
    assert "unknown" not in enum.message.replace("bogus", "")
    assert "did you mean `customer_id`" in by_path["user_identities.customerid"].message
    env = by_path["environment"].message
    assert "development" in env and "production" in env
    assert "flat" in by_path['events[1].data.custom_attributes["Google.Category"]'].message
    assert str(by_path["environment"]).startswith("environment: ")


def test_problem_is_frozen() -> None:
    problem = Problem("environment", "environment", "bad")
    with pytest.raises(AttributeError):
        problem.rule = "x"  # type: ignore[misc]
    assert problem == Problem("environment", "environment", "bad")


@pytest.mark.parametrize(
    "value", [2**63, -(2**63) - 1, int("9" * 4000), 10**5000], ids=["2^63", "-2^63-1", "4000 digits", "5001 digits"]
)
def test_integers_beyond_64_bits_are_refused_naming_the_field(value: int) -> None:
    problems = validate({"environment": "development", "mpid": value})
    if value.bit_length() > 15_000:  # over 4,300 digits, too long for JSON at all: the encoder refuses it, naming it
        assert [p.rule for p in problems] == ["json"] and "['mpid']" in problems[0].message
    else:
        assert [(p.path, p.rule) for p in problems] == [("mpid", "range")]
    assert validate({"environment": "development", "mpid": 2**63 - 1}) == []
