"""mparticle.dataplan.load: sources, versions, DPN's point rules, load-time errors, the extra."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from mparticle import dataplan
from mparticle.dataplan import DataPlanError

BACKENDS = dataplan.available_backends()
if not BACKENDS:
    pytest.skip(
        'neither jsonschema-rs nor jsonschema is installed: pip install "mparticle[dataplan]"', allow_module_level=True
    )

EXAMPLE_A: Dict[str, Any] = json.loads((Path(__file__).parent / "dataplan_fixtures" / "example_a.json").read_text())
SESSION = {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {"required": ["x"]}}}


def version(points: List[Any], number: int = 1) -> Dict[str, Any]:
    return {"data_plan_id": "p", "version": number, "version_document": {"data_points": points}}


@pytest.fixture(params=BACKENDS)
def backend(request: Any) -> str:
    return str(request.param)


def test_load_a_version_dict_text_path_and_bytes(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(EXAMPLE_A))
    for source in (EXAMPLE_A, json.dumps(EXAMPLE_A), str(path), path, json.dumps(EXAMPLE_A).encode()):
        plan = dataplan.load(source, backend=backend)
        assert (plan.data_plan_id, plan.version, plan.backend) == ("acme_server_plan", 2, backend)
        assert sorted(plan.points) == [
            "custom_event:transaction:Order Placed",
            "product_action:purchase",
            "screen_view::Checkout",
            "user_attributes",
            "user_identities",
        ]
        assert plan.warnings == []


def test_load_a_bare_version_document() -> None:
    plan = dataplan.load({"data_points": [SESSION]})
    assert (plan.data_plan_id, plan.version, list(plan.points)) == (None, None, ["session_start"])


def test_a_whole_plan_needs_a_version_present_in_it() -> None:
    whole = {"data_plan_id": "acme", "data_plan_versions": [dict(EXAMPLE_A, version=1), EXAMPLE_A]}
    plan = dataplan.load(whole, version=2)
    assert (plan.data_plan_id, plan.version) == ("acme_server_plan", 2)
    with pytest.raises(DataPlanError) as missing:
        dataplan.load(whole, version=3)
    assert str(missing.value) == "data plan 'acme' has no version 3; versions present: [1, 2]"
    with pytest.raises(DataPlanError) as unnamed:
        dataplan.load(whole)
    assert str(unnamed.value) == "data plan 'acme' has several versions: pass version= (one of [1, 2])"


def test_a_version_that_is_not_the_one_asked_for() -> None:
    with pytest.raises(DataPlanError, match="this is version 2 of the plan, not version 5"):
        dataplan.load(EXAMPLE_A, version=5)
    assert dataplan.load(EXAMPLE_A, version=2).version == 2


@pytest.mark.parametrize(
    "source, message",
    [
        ({"version": 1}, "Data Plan Version does not contain a valid Version Document"),
        ({"version_document": {}}, "Data Plan Document must have data points"),
        ("{not json", "data plan is not valid JSON"),
        ("/nonexistent/plan.json", "cannot read data plan file /nonexistent/plan.json"),
        ([1], "a data plan must be a JSON object, not list"),
    ],
)
def test_unusable_sources(source: Any, message: str) -> None:
    with pytest.raises(DataPlanError, match=message.replace("(", r"\(")):
        dataplan.load(json.dumps(source) if isinstance(source, list) else source)


def test_bad_arguments_name_the_argument_and_the_allowed_values() -> None:
    with pytest.raises(TypeError, match="source must be a dict, JSON text or a path, not int"):
        dataplan.load(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="version must be an int or None"):
        dataplan.load(EXAMPLE_A, version="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"backend must be one of \['jsonschema-rs', 'jsonschema'\], not 'ajv'"):
        dataplan.load(EXAMPLE_A, backend="ajv")


def test_points_skipped_replaced_and_duplicated_as_dpn_does(caplog: Any) -> None:
    points = [
        {"match": {"type": "session_start"}},  # no validator
        {"validator": {"type": "json_schema", "definition": {}}},  # no match
        {"match": {"type": "session_end"}, "validator": {"type": "custom", "definition": {"required": ["x"]}}},
        {"match": {"type": "first_run"}, "validator": {"type": "json_schema"}},
        SESSION,
        {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {"required": ["y"]}}},
    ]
    with caplog.at_level(logging.WARNING, logger="mparticle.dataplan"):
        plan = dataplan.load(version(points))
    assert plan.warnings == [
        "Data Plan Point is not valid (data_points[0] skipped)",
        "Data Plan Point is not valid (data_points[1] skipped)",
        "Non-JSON-Schema validator session_end",
        "Non-JSON-Schema validator first_run",
        "Duplicate match key session_start",
    ]
    assert [r.getMessage() for r in caplog.records] == ["data plan p v1: " + w for w in plan.warnings]
    assert plan.points["session_start"].schema == {"required": ["y"]}  # the last wins
    assert plan.points["session_end"].schema == {}


@pytest.mark.parametrize(
    "point, message",
    [
        (
            {"match": {"type": "custom_event"}, "validator": {"type": "json_schema", "definition": {}}},
            "data_points[0]: a custom_event point needs match.criteria (DPN cannot read this plan)",
        ),
        (
            {
                "match": {"type": "screen_view", "criteria": None},
                "validator": {"type": "json_schema", "definition": {}},
            },
            "data_points[0]: a screen_view point needs match.criteria",
        ),
        (
            {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": "{}"}},
            "data_points[0]: schema should be object or boolean",
        ),
        (
            {
                "match": {"type": "session_start"},
                "validator": {"type": "json_schema", "definition": {"properties": {"x": {"format": "int64"}}}},
            },
            'point session_start: unknown format "int64" is used in schema at path "#/properties/x"',
        ),
        (
            {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {"type": "strin"}}},
            "point session_start: schema is invalid: ",
        ),
        (
            {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {"required": "x"}}},
            "point session_start: schema is invalid: ",
        ),
        (
            {"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {"pattern": "("}}},
            "point session_start: schema is invalid: ",
        ),
        (
            {
                "match": {"type": "session_start"},
                "validator": {"type": "json_schema", "definition": {"exclusiveMinimum": True}},
            },
            "point session_start: schema is invalid: ",
        ),
        (
            {
                "match": {"type": "session_start"},
                "validator": {
                    "type": "json_schema",
                    "definition": {"$schema": "http://json-schema.org/draft-04/schema#"},
                },
            },
            "point session_start: $schema 'http://json-schema.org/draft-04/schema#' is not draft-07",
        ),
        (
            {
                "match": {"type": "session_start"},
                "validator": {"type": "json_schema", "definition": {"$ref": "#/definitions/s"}},
            },
            "point session_start: can't resolve reference #/definitions/s from id #",
        ),
    ],
)
def test_what_dpn_throws_at_validation_fails_at_load(point: Dict[str, Any], message: str, backend: str) -> None:
    with pytest.raises(DataPlanError) as failure:
        dataplan.load(version([point]), backend=backend)
    assert str(failure.value).startswith(message), str(failure.value)


def test_points_dpn_never_compiles_are_accepted() -> None:
    broken = {"type": "json_schema", "definition": {"type": "strin", "format": "int64"}}
    plan = dataplan.load(
        version(
            [
                {"match": {"type": "user_identities"}, "validator": broken},
                {"match": {"type": "commerce_event"}, "validator": broken},
            ]
        )
    )
    assert sorted(plan.points) == ["unknown", "user_identities"]
    assert plan.validate_batch({"user_identities": {"email": "x"}}).ok


def test_draft_07_schema_and_boolean_definitions_load() -> None:
    plan = dataplan.load(
        version(
            [
                {
                    "match": {"type": "session_start"},
                    "validator": {
                        "type": "json_schema",
                        "definition": {"$schema": "http://json-schema.org/draft-07/schema#"},
                    },
                },
                {"match": {"type": "session_end"}, "validator": {"type": "json_schema", "definition": False}},
                {"match": {"type": "first_run"}, "validator": {"type": "json_schema", "definition": True}},
            ]
        )
    )
    assert plan.warnings == ["Non-JSON-Schema validator session_end"]  # false is falsy in JS: no definition
    for kind in ("session_start", "session_end", "first_run"):
        assert plan.validate_event({"event_type": kind, "data": {}}).to_dict() == {"results": [{}]}


def test_importing_mparticle_imports_no_schema_library() -> None:
    code = (
        "import sys, mparticle, mparticle.dataplan; print(sorted(m for m in sys.modules if m.startswith('jsonschema')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_the_extra_load_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['jsonschema_rs'] = None; sys.modules['jsonschema'] = None\n"
        "from mparticle import dataplan\n"
        "try:\n    dataplan.load({'data_points': []})\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == 'data plan validation needs the "dataplan" extra: pip install "mparticle[dataplan]"'
