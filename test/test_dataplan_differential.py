"""Differential test: our strict mode against mParticle's Node validator (DPN) on a generated corpus.

Runs each installed backend over the same seeded corpus and asserts that ``to_dict()`` equals
DPN's answer exactly. Needs node and npm (``test/dataplan_oracle`` installs DPN 1.0.3 into
``~/.cache`` once); skipped with the reason where they are missing, except with
``MPARTICLE_REQUIRE_DPN=1`` (what ``.ci/run`` sets where node and npm are installed).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from dataplan_corpus import corpus
from dataplan_oracle.oracle import DataPlanOracle, oracle_or_skip_reason

from mparticle import dataplan

BACKENDS = dataplan.available_backends()
if not BACKENDS:
    pytest.skip(
        'neither jsonschema-rs nor jsonschema is installed: pip install "mparticle[dataplan]"', allow_module_level=True
    )

SEED, COUNT = 11, 400
PAIRS = corpus(SEED, COUNT)


@pytest.fixture(scope="module")
def oracle() -> Iterator[DataPlanOracle]:
    found, reason = oracle_or_skip_reason()
    if found is None:
        if os.environ.get("MPARTICLE_REQUIRE_DPN") == "1":  # .ci/run, where node and npm are installed
            pytest.fail("MPARTICLE_REQUIRE_DPN=1 but the Node validator is unavailable: " + reason)
        pytest.skip(reason)
    with found:
        yield found


@pytest.fixture(scope="module")
def answers(oracle: DataPlanOracle) -> List[Dict[str, Any]]:
    return [oracle.validate_batch(plan, batch) for plan, batch in PAIRS]


def _normal(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_the_corpus_is_varied(answers: List[Dict[str, Any]]) -> None:
    assert len(PAIRS) >= 300
    errors = [e for a in answers for r in a["results"] for e in r["data"]["validation_errors"]]
    kinds = {e["validation_error_type"] for e in errors}
    keywords = {e.get("schema_keyword") for e in errors}
    assert kinds == {"invalid_value", "unplanned", "missing_required", "unknown"}
    assert {
        "type",
        "enum",
        "const",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "required",
        "additionalProperties",
        "minItems",
        "uniqueItems",
        "dependencies",
        "anyOf",
    } <= keywords
    assert sum(1 for a in answers if not a["results"]) > 10  # some batches are valid
    assert not [a for a in answers if "error" in a]


@pytest.mark.parametrize("backend", BACKENDS)
def test_strict_mode_equals_dpn(backend: str, answers: List[Dict[str, Any]]) -> None:
    plans: Dict[int, dataplan.DataPlan] = {}
    mismatches: List[Tuple[int, Any, Any]] = []
    for index, ((plan, batch), expected) in enumerate(zip(PAIRS, answers)):
        loaded = plans.get(id(plan))
        if loaded is None:
            loaded = plans[id(plan)] = dataplan.load(plan, backend=backend)
        got = _normal(loaded.validate_batch(batch).to_dict())
        if got != expected:
            mismatches.append((index, expected["results"], got["results"]))
    assert not mismatches, "%d of %d differ; first: %s" % (
        len(mismatches),
        len(PAIRS),
        json.dumps(mismatches[0])[:3000],
    )


def test_dpn_1_0_3_adds_an_entry_without_a_user_attributes_point(oracle: DataPlanOracle) -> None:
    """1.0.3 reports "Invalid JSON Schema" for a plan without a user_attributes point; 1.0.4+ and we do not."""
    plan = {
        "data_points": [{"match": {"type": "session_start"}, "validator": {"type": "json_schema", "definition": {}}}]
    }
    batch = {"events": [{"event_type": "session_end", "data": {}}], "user_attributes": {"a": 1}}
    ours = dataplan.load(plan).validate_batch(batch).to_dict()
    theirs = oracle.validate_batch(plan, batch)
    assert theirs["results"][:-1] == ours["results"]
    assert theirs["results"][-1] == {
        "event_type": "validation_result",
        "data": {
            "match": {"type": "user_attributes"},
            "validation_errors": [
                {
                    "validation_error_type": "unknown",
                    "error_pointer": "#",
                    "actual": "Invalid JSON Schema",
                    "key": "user_attributes",
                }
            ],
        },
    }
