"""plan.validate_batch / validate_event in strict mode: DPN's exact results, for every backend.

``dataplan_fixtures/dpn_cases.json`` holds DPN 1.0.3's answers as recorded in the data plan
findings (each verified through the oracle): every keyword, Ajv's order, matching, points,
user attributes and batch shapes. The tests below them spell out the main behaviours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import mparticle
from mparticle import dataplan
from mparticle.dataplan import DataPlanError

BACKENDS = dataplan.available_backends()
if not BACKENDS:
    pytest.skip(
        'neither jsonschema-rs nor jsonschema is installed: pip install "mparticle[dataplan]"', allow_module_level=True
    )

FIXTURES = Path(__file__).parent / "dataplan_fixtures"
CASES: List[Dict[str, Any]] = json.loads((FIXTURES / "dpn_cases.json").read_text())["cases"]
EXAMPLE_A: Dict[str, Any] = json.loads((FIXTURES / "example_a.json").read_text())
EXAMPLE_A_BATCH: Dict[str, Any] = json.loads((FIXTURES / "example_a_batch.json").read_text())
#: Where DPN validates fine until an event matches a broken point, we refuse the plan at load.
FAILS_AT_LOAD = ("C43.", "C45.")
UA_POINT = {
    "match": {"type": "user_attributes", "criteria": {}},
    "validator": {"type": "json_schema", "definition": {"type": "object"}},
}
NUM = "^-?\\d+(\\.\\d+)?([eE][+\\-]?\\d+)?$"
BOOL = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"


@pytest.fixture(params=BACKENDS)
def backend(request: Any) -> str:
    return str(request.param)


def run(case: Dict[str, Any], backend: str) -> Dict[str, Any]:
    plan = dataplan.load(case["plan"], backend=backend)
    if case["kind"] == "batch":
        return plan.validate_batch(case["input"]).to_dict()
    return plan.validate_event(case["input"]).to_dict()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_dpn_recorded_answers(case: Dict[str, Any], backend: str) -> None:
    expected = case["expected"]
    if "error" in expected or any(marker in case["id"] for marker in FAILS_AT_LOAD):
        with pytest.raises((DataPlanError, TypeError)):
            run(case, backend)
    elif "validation_errors" in expected:
        results = run(case, backend)["results"]
        assert len(results) == 1 and results[0]["data"]["validation_errors"] == expected["validation_errors"]
    else:
        expected = dict(expected)
        expected.pop("dpn_1_0_3_extra", None)  # 1.0.3's entry for a plan without a user_attributes point
        assert run(case, backend) == expected


def errors(report: dataplan.Report) -> List[Dict[str, Any]]:
    return list(report.errors)


def test_example_a(backend: str) -> None:
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    report = plan.validate_batch(EXAMPLE_A_BATCH)
    assert not report.ok
    assert report.to_dict()["batch"] is EXAMPLE_A_BATCH
    assert [(r.index, (r.match or {}).get("type")) for r in report] == [
        (0, "custom_event"),
        (1, "custom_event"),
        (3, "product_action"),
        (4, "product_action"),
        (5, "session_start"),
        (None, "user_attributes"),
    ]
    assert str(report) == "\n".join(  # noqa: E501 - one report line each
        [
            'events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" [unplanned]',
            'events[0] custom_event "Order Placed": data.custom_attributes.order_id: should match pattern "^ORD-[0-9]+$" [invalid_value]',  # noqa: E501
            'events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be >= 1 [invalid_value]',
            'events[1] custom_event "order placed": unplanned event [unplanned]',
            'events[3] product_action "purchase": data.product_action.products.0: unplanned attribute "color" [unplanned]',  # noqa: E501
            'events[3] product_action "purchase": data.product_action.products.0.price: should be number [invalid_value]',  # noqa: E501
            'events[4] product_action "refund": unplanned event [unplanned]',
            "events[5] session_start: unplanned event [unplanned]",
            'user_attributes: unplanned attribute "favorite_color" [unplanned]',
            "user_attributes: tier: should be equal to one of the allowed values [invalid_value]",
            "user_attributes: $Age: should be number [invalid_value]",
        ]
    )
    assert errors(report)[2] == {
        "actual": 0,
        "error_pointer": "#/data/custom_attributes/item_count",
        "schema_keyword": "minimum",
        "key": "item_count",
        "validation_error_type": "invalid_value",
        "expected": "should be >= 1",
    }
    assert list(errors(report)[2]) == [
        "actual",
        "error_pointer",
        "schema_keyword",
        "key",
        "validation_error_type",
        "expected",
    ]


def test_each_validation_error_type(backend: str) -> None:
    points = [
        UA_POINT,
        {
            "match": {"type": "custom_event", "criteria": {"event_name": "E", "custom_event_type": "other"}},
            "validator": {
                "type": "json_schema",
                "definition": {
                    "properties": {
                        "data": {
                            "properties": {
                                "custom_attributes": {
                                    "additionalProperties": False,
                                    "required": ["r"],
                                    "properties": {
                                        "n": {"type": "number"},
                                        "l": {"type": "array", "minItems": 2},
                                        "r": {},
                                    },
                                }
                            }
                        }
                    }
                },
            },
        },
    ]
    plan = dataplan.load({"data_points": points}, backend=backend)
    event = {
        "event_type": "custom_event",
        "data": {"event_name": "E", "custom_event_type": "other", "custom_attributes": {"n": "1", "l": [1], "x": 1}},
    }
    report = plan.validate_batch({"events": [event, {"event_type": "screen_view", "data": {"screen_name": "S"}}]})
    assert [(e["validation_error_type"], e.get("schema_keyword"), e["key"]) for e in report.errors] == [
        ("missing_required", "required", "custom_attributes"),
        ("unplanned", "additionalProperties", "x"),
        ("invalid_value", "type", "n"),
        ("unknown", "minItems", "l"),
        ("unplanned", None, "S"),
    ]


def test_legacy_string_typed_plan(backend: str) -> None:
    custom = {
        "additionalProperties": False,
        "required": ["count"],
        "properties": {
            "count": {"type": "string", "pattern": NUM},
            "vip": {"type": "string", "pattern": BOOL},
            "seen_at": {"type": "string", "format": "date-time"},
        },
    }
    definition = {
        "properties": {
            "data": {
                "additionalProperties": True,
                "required": ["screen_name"],
                "properties": {"screen_name": {"const": "Home"}, "custom_attributes": custom},
            }
        }
    }
    plan = dataplan.load(
        {
            "data_plan_id": "legacy",
            "version": 1,
            "version_document": {
                "settings": {
                    "validation_actions": {"event": "allow", "event_attribute": "allow", "user_attribute": "allow"}
                },
                "data_points": [
                    {
                        "match": {"type": "screen_view", "criteria": {"screen_name": "Home"}},
                        "validator": {"type": "json_schema", "definition": definition},
                    },
                    UA_POINT,
                ],
            },
        },
        backend=backend,
    )
    home = {"event_type": "screen_view", "data": {"screen_name": "Home", "custom_attributes": {}}}
    batch = {
        "events": [
            {
                **home,
                "data": {
                    "screen_name": "Home",
                    "custom_attributes": {"count": "42", "vip": "TRUE", "seen_at": "2024-01-01T10:00:00Z"},
                },
            },
            {
                **home,
                "data": {
                    "screen_name": "Home",
                    "custom_attributes": {"count": 42, "vip": "yes", "seen_at": "2024-01-01", "extra": "1"},
                },
            },
            {**home, "data": {"screen_name": "Home", "custom_attributes": {"vip": True}}},
        ]
    }
    match = {"type": "screen_view", "criteria": {"screen_name": "Home"}}
    assert plan.validate_batch(batch).to_dict() == {
        "batch": batch,
        "results": [  # as DPN 1.0.3 answered
            {
                "event_type": "validation_result",
                "data": {
                    "match": match,
                    "validation_errors": [
                        {
                            "actual": "extra",
                            "error_pointer": "#/data/custom_attributes",
                            "schema_keyword": "additionalProperties",
                            "key": "extra",
                            "validation_error_type": "unplanned",
                        },
                        {
                            "actual": 42,
                            "error_pointer": "#/data/custom_attributes/count",
                            "schema_keyword": "type",
                            "key": "count",
                            "validation_error_type": "invalid_value",
                            "expected": "should be string",
                        },
                        {
                            "actual": "yes",
                            "error_pointer": "#/data/custom_attributes/vip",
                            "schema_keyword": "pattern",
                            "key": "vip",
                            "validation_error_type": "invalid_value",
                            "expected": 'should match pattern "%s"' % BOOL,
                        },
                        {
                            "actual": "2024-01-01",
                            "error_pointer": "#/data/custom_attributes/seen_at",
                            "schema_keyword": "format",
                            "key": "seen_at",
                            "validation_error_type": "invalid_value",
                            "expected": 'should match format "date-time"',
                        },
                    ],
                },
            },
            {
                "event_type": "validation_result",
                "data": {
                    "match": match,
                    "validation_errors": [
                        {
                            "error_pointer": "#/data/custom_attributes",
                            "schema_keyword": "required",
                            "key": "custom_attributes",
                            "validation_error_type": "missing_required",
                            "expected": "count",
                        },
                        {
                            "actual": "true",
                            "error_pointer": "#/data/custom_attributes/vip",
                            "schema_keyword": "type",
                            "key": "vip",
                            "validation_error_type": "invalid_value",
                            "expected": "should be string",
                        },
                    ],
                },
            },
        ],
    }


def test_user_attributes_only_with_a_point(backend: str) -> None:
    """DPN 1.0.4+: no user_attributes point, no user-attributes result (1.0.3 adds "Invalid JSON Schema")."""
    plan = dataplan.load({"data_points": []}, backend=backend)
    assert plan.validate_batch({"user_attributes": {"a": 1}}).to_dict() == {
        "batch": {"user_attributes": {"a": 1}},
        "results": [],
    }
    assert plan.validate_batch({}).ok


def test_models_are_validated_in_their_wire_form(backend: str) -> None:
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    event = mparticle.AppEvent("Order Placed", "transaction", custom_attributes={"order_id": "ORD-1", "channel": "web"})
    assert plan.validate_event(event).to_dict() == {"results": [{}]}
    assert plan.validate_event(event).ok
    batch = mparticle.Batch(environment="development")
    batch.events = [
        event,
        mparticle.AppEvent("Order Placed", "transaction", custom_attributes={"order_id": "1", "channel": "web"}),
    ]
    batch.user_attributes = {"tier": "gold"}
    report = plan.validate_batch(batch)
    assert report.to_dict()["batch"]["environment"] == "development"
    assert (
        str(report)
        == 'events[1] custom_event "Order Placed": data.custom_attributes.order_id: should match pattern "^ORD-[0-9]+$" [invalid_value]'  # noqa: E501
    )
    assert str(plan.validate_batch({"events": [], "user_attributes": {"tier": "gold"}})) == "no data plan violations"


def test_validate_event_reports_one_result(backend: str) -> None:
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    report = plan.validate_event({"event_type": "custom_event", "data": {"event_name": "Nope"}})
    assert report.to_dict() == {
        "results": [
            {
                "event_type": "validation_result",
                "data": {
                    "match": {"type": "custom_event", "criteria": {"event_name": "Nope", "custom_event_type": "other"}},
                    "validation_errors": [{"validation_error_type": "unplanned", "key": "Nope", "error_pointer": "#"}],
                },
            }
        ]
    }
    assert str(report) == 'event custom_event "Nope": unplanned event [unplanned]'
    assert len(report) == 1 and not report.ok


def test_modes_and_bad_arguments() -> None:
    plan = dataplan.load(EXAMPLE_A)
    with pytest.raises(ValueError) as lenient:
        plan.validate_batch({}, mode="lenient")
    assert str(lenient.value) == "mode must be one of 'strict', 'server', not 'lenient'"
    with pytest.raises(ValueError, match="mode must be one of 'strict', 'server', not 'lenient'"):
        plan.validate_event({"event_type": "session_start"}, mode="lenient")
    with pytest.raises(TypeError, match="batch must be a mparticle model or a wire-form dict, not list"):
        plan.validate_batch([])
    with pytest.raises(DataPlanError, match="batch events must be a list, not dict"):
        plan.validate_batch({"events": {"a": 1}})
    with pytest.raises(DataPlanError, match="events\\[1\\] must be an object, not NoneType"):
        plan.validate_batch({"events": [{"event_type": "session_start"}, None]})


def test_js_number_text_in_messages(backend: str) -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"minimum": 1.0},
            "b": {"maximum": 1e21},
            "c": {"exclusiveMinimum": 1e-7},
            "d": {"multipleOf": 0.000001},
            "e": {"multipleOf": 0.01},
        },
    }
    point = {
        "match": {"type": "session_start"},
        "validator": {"type": "json_schema", "definition": {"properties": {"data": schema}}},
    }
    plan = dataplan.load({"data_points": [point]}, backend=backend)
    report = plan.validate_event(
        {"event_type": "session_start", "data": {"a": 0, "b": 1e22, "c": 0, "d": 0.0000015, "e": 19.99}}
    )
    assert [e["expected"] for e in report.errors] == [
        "should be >= 1",
        "should be <= 1e+21",
        "should be > 1e-7",
        "should be multiple of 0.000001",
        "should be multiple of 0.01",
    ]
