"""Wire order does not depend on assignment order: a model built by setters, in any order,
serializes to exactly the bytes of the same model built by its constructor.

Fields live in slots, and the wire form (``Model._wire``) reads them in declaration order,
whatever order they were assigned in.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mparticle.models as models
from mparticle.models.base import Field, Model
from mparticle.serialization import dumps, to_jsonable

UUID = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
MODELS = sorted(
    (c for c in vars(models).values() if isinstance(c, type) and issubclass(c, Model) and c.fields),
    key=lambda c: c.__name__,
)


def _instance(model: Any) -> Any:
    """An instance of ``model`` with its required fields set, or None."""
    required = {f.name: _value(f, nested=False) for f in model.fields if f.required is not None}
    try:
        return model(**required)
    except (TypeError, ValueError):
        return None


def _candidates(field: Field, nested: bool) -> List[Any]:
    if field.enum:
        return list(field.enum[:1])
    kind, text = field.field_type.kind, field.field_type.text
    if kind == "list":
        item = field.field_type.value_type
        if item is not None and item.kind == "model":
            sub = _instance(item.model) if nested else None
            return [[sub]] if sub is not None else [[]]
        return [["a", "b"], [1, 2]]
    if kind == "model":
        sub = _instance(field.field_type.model) if nested else None
        return ([sub] if sub is not None else []) + [{}]
    if kind in ("dict", "map", "object"):
        return [{"k": "v", "n": 1}]
    return {"int": [7], "float": [1.5], "bool": [True], "str": ["s", UUID]}.get(text, ["s", 7, UUID])


def _value(field: Field, nested: bool = True) -> Any:
    """A value the field's setter accepts (None when none of the candidates is)."""
    probe = type("Probe", (), {})()
    for candidate in _candidates(field, nested):
        check = field.validator()
        try:
            return candidate if check is None else check(probe, copy.deepcopy(candidate))
        except (TypeError, ValueError):
            continue
    return None


VALUES: Dict[str, Dict[str, Any]] = {
    m.__name__: {f.name: v for f in m.fields if (v := _value(f)) is not None} for m in MODELS
}


def _constructed(model: Any, values: Dict[str, Any]) -> Optional[Any]:
    try:
        return model(**copy.deepcopy(values))
    except (TypeError, ValueError):  # cross-field rules (e.g. a commerce event's product action)
        return None


def _smallest_start(model: Any, values: Dict[str, Any], required: List[str]) -> List[str]:
    """The constructor arguments to start from: the required fields, plus one more where a
    cross-field rule needs it (a CommerceEvent needs an action or impressions)."""
    start = [name for name in required if name in values]
    if _constructed(model, {k: values[k] for k in start}) is not None:
        return start
    for name in values:
        if name not in start and _constructed(model, {k: values[k] for k in start + [name]}) is not None:
            return start + [name]
    return list(values)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_assignment_order_gives_the_constructor_bytes(data: Any) -> None:
    model = data.draw(st.sampled_from(MODELS), label="model")
    available = VALUES[model.__name__]
    required = [f.name for f in model.fields if f.required is not None]
    chosen = data.draw(st.lists(st.sampled_from(sorted(available)), unique=True), label="fields") if available else []
    values = {name: available[name] for name in set(chosen) | set(required) if name in available}
    expected = _constructed(model, values)
    if expected is None:
        return
    initial = _smallest_start(model, values, required)
    built = model(**copy.deepcopy({k: values[k] for k in initial}))
    for name in data.draw(st.permutations([n for n in values if n not in initial]), label="order"):
        setattr(built, name, copy.deepcopy(values[name]))
    assert dumps(built) == dumps(expected)
    assert json.dumps(to_jsonable(built)) == json.dumps(to_jsonable(expected))
    assert list(built._wire().items()) == list(expected._wire().items())


def test_a_batch_built_by_setters_out_of_order_is_sent_in_declaration_order() -> None:
    event = models.AppEvent("Home", "navigation")
    event.custom_attributes = {"b": 2}
    event.timestamp_unixtime_ms = 1700000000000
    batch = models.Batch()
    batch.events = [event]
    batch.user_attributes = {"plan": "pro"}
    batch.environment = "development"
    assert dumps(batch) == (
        b'{"events":[{"data":{"timestamp_unixtime_ms":1700000000000,"custom_attributes":{"b":2},'
        b'"custom_event_type":"navigation","event_name":"Home"},"event_type":"custom_event"}],'
        b'"environment":"development","user_attributes":{"plan":"pro"}}'
    )


def test_order_survives_copies_and_pickling_of_an_unordered_model() -> None:
    event = models.AppEvent("Home", "navigation")
    event.timestamp_unixtime_ms = 1
    wire = dumps(event)
    for clone in (copy.copy(event), copy.deepcopy(event), pickle.loads(pickle.dumps(event))):
        assert dumps(clone) == wire and clone == event
    assert dumps(event) == wire  # serializing twice: the same bytes


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_of_every_model_has_a_sample_value(model: Any) -> None:
    """The property test above reaches every field (a sample the setter accepts exists)."""
    missing = [f.name for f in model.fields if f.name not in VALUES[model.__name__]]
    assert not missing
