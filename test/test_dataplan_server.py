"""``mode="server"``: string and raw numbers/booleans are equivalent, identities are checked
under their plan-side names; everything else as in strict mode."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mparticle import dataplan
from mparticle.dataplan.server import IDENTITY_NAMES, coerce, plan_identities

BACKENDS = dataplan.available_backends()
if not BACKENDS:
    pytest.skip(
        'neither jsonschema-rs nor jsonschema is installed: pip install "mparticle[dataplan]"', allow_module_level=True
    )

FIXTURES = Path(__file__).parent / "dataplan_fixtures"
EXAMPLE_A: Dict[str, Any] = json.loads((FIXTURES / "example_a.json").read_text())
EXAMPLE_A_BATCH: Dict[str, Any] = json.loads((FIXTURES / "example_a_batch.json").read_text())
NUM = "^-?\\d+(\\.\\d+)?([eE][+\\-]?\\d+)?$"
BOOL = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"


@pytest.fixture(params=BACKENDS)
def backend(request: Any) -> str:
    return str(request.param)


def attributes_plan(properties: Dict[str, Any], identities: Any = None) -> Dict[str, Any]:
    """A plan with one custom event "E" (other) whose attributes are ``properties``."""
    points: List[Dict[str, Any]] = [
        {
            "match": {"type": "custom_event", "criteria": {"event_name": "E", "custom_event_type": "other"}},
            "validator": {
                "type": "json_schema",
                "definition": {
                    "properties": {
                        "data": {
                            "type": "object",
                            "properties": {
                                "custom_attributes": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": properties,
                                }
                            },
                        }
                    }
                },
            },
        }
    ]
    if identities is not None:
        points.append(
            {
                "match": {"type": "user_identities", "criteria": {}},
                "validator": {"type": "json_schema", "definition": identities},
            }
        )
    return {"data_plan_id": "p", "version": 1, "version_document": {"data_points": points}}


def event(**attributes: Any) -> Dict[str, Any]:
    return {
        "event_type": "custom_event",
        "data": {"event_name": "E", "custom_event_type": "other", "custom_attributes": attributes},
    }


def errors(plan: dataplan.DataPlan, ev: Dict[str, Any], mode: str) -> List[Dict[str, Any]]:
    return list(plan.validate_event(ev, mode=mode).errors)


def test_example_a_differs_from_strict_exactly_where_the_server_rules_apply(backend: str) -> None:
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    strict = plan.validate_batch(EXAMPLE_A_BATCH).to_dict()["results"]
    server = plan.validate_batch(EXAMPLE_A_BATCH, mode="server").to_dict()["results"]
    # "9.99" for a planned number price and "37" for a planned number $Age are fine on the server
    expected = copy.deepcopy(strict)
    for result in expected:
        result["data"]["validation_errors"] = [
            e for e in result["data"]["validation_errors"] if e.get("actual") not in ("9.99", "37")
        ]
    identities = {
        "event_type": "validation_result",
        "data": {
            "match": {"type": "user_identities", "criteria": {}},
            "validation_errors": [
                {
                    "actual": "not-an-email",
                    "error_pointer": "#/email",
                    "schema_keyword": "format",
                    "key": "email",
                    "validation_error_type": "invalid_value",
                    "expected": 'should match format "email"',
                }
            ],
        },
    }
    assert server == expected + [identities]
    assert len(strict) == len(server) - 1  # no event lost all its errors here
    assert str(plan.validate_batch(EXAMPLE_A_BATCH, mode="server")).splitlines()[-1] == (
        'user_identities: email: should match format "email" [invalid_value]'
    )


@pytest.mark.parametrize(
    "schema, good, bad",
    [
        (
            {"type": "number", "maximum": 100},
            ["5", "-2.5", "1e2", "+7", 5, 7.25],
            ["abc", "", "5 apples", True, "0x10", " 7 ", "\u0663", "\uff11\uff12", "1_000"],  # Arabic-Indic, full width
        ),
        ({"type": "integer"}, ["3", "-12", 4, "1e2"], ["3.5", "three", 3.5, True, "\u0661\u0662"]),
        ({"type": "boolean"}, ["true", "FALSE", "True", True, False], ["yes", "1", 1, "t"]),
        ({"type": "string", "pattern": NUM}, ["42", 42, -1.5, 1e21], ["4 2", True, [1]]),
        ({"type": "string", "pattern": BOOL}, ["TRUE", True, False], ["1", 1, "yes"]),
        ({"type": ["number", "null"]}, ["4", 4, None], ["four"]),
        ({"enum": [1, 2, 3]}, [2, "2", "3.0"], ["4", "two"]),
        ({"enum": ["1", "2"]}, ["1", 2], [3, "3"]),
        ({"const": True}, [True, "true", "TRUE"], [False, "false", 1]),
        ({"type": "array", "items": {"type": "number"}}, [["1", 2, "3.5"], []], [["x"], ["1", "y"]]),
    ],
)
def test_strings_and_raw_values_are_equivalent(
    schema: Dict[str, Any], good: List[Any], bad: List[Any], backend: str
) -> None:
    plan = dataplan.load(attributes_plan({"a": schema}), backend=backend)
    for value in good:
        assert errors(plan, event(a=value), "server") == [], value
    for value in bad:
        found = errors(plan, event(a=value), "server")
        assert [e["validation_error_type"] for e in found] == ["invalid_value"], value
        assert found[0]["error_pointer"].startswith("#/data/custom_attributes/a"), value


def test_strict_mode_still_tells_them_apart(backend: str) -> None:
    plan = dataplan.load(
        attributes_plan({"n": {"type": "number"}, "s": {"type": "string", "pattern": NUM}}), backend=backend
    )
    assert [e["expected"] for e in errors(plan, event(n="5", s=5), "strict")] == [
        "should be number",
        "should be string",
    ]
    assert errors(plan, event(n="5", s=5), "server") == []


def test_messages_quote_the_value_as_sent(backend: str) -> None:
    plan = dataplan.load(attributes_plan({"n": {"type": "number", "maximum": 100}}), backend=backend)
    assert errors(plan, event(n="150"), "server") == [
        {
            "actual": "150",
            "error_pointer": "#/data/custom_attributes/n",
            "schema_keyword": "maximum",
            "key": "n",
            "validation_error_type": "invalid_value",
            "expected": "should be <= 100",
        }
    ]


def test_the_batch_is_not_modified(backend: str) -> None:
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    batch = copy.deepcopy(EXAMPLE_A_BATCH)
    report = plan.validate_batch(batch, mode="server")
    assert batch == EXAMPLE_A_BATCH
    assert report.to_dict()["batch"] == EXAMPLE_A_BATCH


IDENTITIES_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["customerid"],
    "properties": {
        "customerid": {"type": "string", "pattern": "^C-[0-9]+$"},
        "other2": {"type": "string"},
        "facebookcustomaudienceid": {"type": "string"},
        "ios_idfa": {"type": "string", "format": "uuid"},
        "android_aaid": {"type": "string"},
    },
}


def identity_errors(plan: dataplan.DataPlan, batch: Dict[str, Any]) -> List[Dict[str, Any]]:
    results = [r for r in plan.validate_batch(batch, mode="server") if r.match and r.match["type"] == "user_identities"]
    return results[0].errors if results else []


def test_identities_under_plan_side_names(backend: str) -> None:
    plan = dataplan.load(attributes_plan({}, IDENTITIES_SCHEMA), backend=backend)
    good = {
        "user_identities": {"customer_id": "C-1", "other_id_2": "x", "facebook_custom_audience_id": "f"},
        "device_info": {"ios_advertising_id": "6D92078A-8246-4BA4-AE5B-76104861E7DC", "android_advertising_id": "a"},
    }
    assert identity_errors(plan, good) == []
    bad = {"user_identities": {"customer_id": "c1", "other_id_3": "y", "email": None}}
    found = {(e["validation_error_type"], e["key"], e["error_pointer"]) for e in identity_errors(plan, bad)}
    assert found == {("unplanned", "other3", "#"), ("invalid_value", "customerid", "#/customerid")}
    unplanned_email = identity_errors(plan, {"user_identities": {"email": "a@b.co"}})
    assert [(e["validation_error_type"], e.get("key", e.get("expected"))) for e in unplanned_email] == [
        ("unplanned", "email"),
        ("missing_required", "customerid"),
    ]
    # strict mode (DPN) never looks at identities
    assert [r for r in plan.validate_batch(bad) if r.match and r.match["type"] == "user_identities"] == []


def test_identity_names_cover_every_events_api_identity() -> None:
    keys = (
        "other customer_id facebook twitter google microsoft yahoo email alias facebook_custom_audience_id "
        "other_id_2 other_id_3 other_id_4 other_id_5 other_id_6 other_id_7 other_id_8 other_id_9 other_id_10 "
        "mobile_number phone_number_2 phone_number_3"
    ).split()
    assert sorted(IDENTITY_NAMES) == sorted(keys)
    assert IDENTITY_NAMES["customer_id"] == "customerid" and IDENTITY_NAMES["other_id_10"] == "other10"
    batch = {
        "user_identities": {"customer_id": "1", "unknown_kind": "2"},
        "device_info": {"android_uuid": "u", "brand": "b"},
    }
    assert plan_identities(batch) == {"customerid": "1", "unknown_kind": "2", "android_uuid": "u"}
    assert plan_identities({"user_identities": "nonsense", "device_info": 3}) == {}


def test_no_identities_point_no_identity_result(backend: str) -> None:
    plan = dataplan.load(attributes_plan({}), backend=backend)
    assert plan.validate_batch({"user_identities": {"customer_id": "x"}}, mode="server").ok


def test_a_broken_identities_schema_loads_and_is_reported_in_server_mode(backend: str) -> None:
    plan = dataplan.load(attributes_plan({}, {"type": "strnig"}), backend=backend)
    assert any("user_identities" in w and "identities are not checked" in w for w in plan.warnings)
    assert plan.validate_batch({"user_identities": {}}).ok  # DPN never reads it
    [result] = plan.validate_batch({"user_identities": {}}, mode="server")
    assert result.errors == [
        {
            "validation_error_type": "unknown",
            "error_pointer": "#",
            "actual": "Invalid JSON Schema",
            "key": "user_identities",
        }
    ]


def test_coerce_leaves_hostile_shapes_alone() -> None:
    loop: Dict[str, Any] = {"$ref": "#"}
    assert coerce(loop, {"a": "1"}) == {"a": "1"}
    assert coerce({"$ref": "#/nowhere"}, "1") == "1"
    assert coerce({"type": "number"}, "1e999") == "1e999"
    assert coerce({"type": "number"}, float("nan")) != "NaN"
    assert coerce({"items": [{"type": "number"}], "additionalItems": {"type": "boolean"}}, ["1", "true", "x"]) == [
        1,
        True,
        "x",
    ]
    assert coerce({"properties": {"a": {"type": "string"}}}, {"a": 1.0, "b": 2}) == {"a": "1", "b": 2}


def test_a_recursive_schema_coerces_at_every_level() -> None:
    node = {"type": "object", "properties": {"v": {"type": "number"}, "next": {"$ref": "#/definitions/n"}}}
    schema = {"definitions": {"n": node}, "$ref": "#/definitions/n"}
    data: Dict[str, Any] = {"v": "0"}
    for level in range(1, 60):
        data = {"v": str(level), "next": data}
    out = coerce(schema, data)
    seen = []
    while out is not None:
        seen.append(out["v"])
        out = out.get("next")
    assert seen == list(range(59, -1, -1))
