"""Validation reads a batch as it is: the same problems as its JSON, no serialization.

Properties: for random batches (dicts with every kind of value the wire carries differently:
escapes, astral characters, big and huge ints, tuples, Decimal, dates, NaN, unknown objects,
subclasses of JSON types, non-string keys) and for model batches built by setters in random
orders, ``validate(x)`` equals ``validate(json.loads(dumps(x)))`` (or the ``json`` problem when
``x`` does not serialize), and the size bound of the walk is never below the real size.
"""

from __future__ import annotations

import datetime
import json
import math
import random
from decimal import Decimal
from typing import Any, Callable, Dict, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validation_data import MINIMAL, OLD, UUID_A, batch, custom, ev, sized

import mparticle.validation.api as api
from mparticle.models import (
    AppEvent,
    Batch,
    CommerceEvent,
    DeviceInformation,
    Product,
    ProductAction,
    ScreenViewEvent,
    SessionEndEvent,
    UserIdentities,
)
from mparticle.serialization import dumps
from mparticle.validation import MAX_BATCH_BYTES, Problem, validate, validate_request
from mparticle.validation.engine import UNIT, Unusual, plain_size
from mparticle.validation.rules import BATCH, EVENT_DATA


def as_wire(data: Any) -> List[Problem]:
    """The reference: the problems of the batch's JSON (or the encoder's refusal)."""
    try:
        raw = dumps(data)
    except (TypeError, ValueError, RecursionError) as error:
        return [Problem("", "json", f"the batch is not valid JSON: {error}")]
    return validate(json.loads(raw))


def bound(data: Any) -> int:
    return UNIT * BATCH.check(data, None, [])


# --------------------------------------------------------------------------------------------
# Random dict batches
# --------------------------------------------------------------------------------------------


class Text(str):
    pass


class Count(int):
    pass


_EVENT_TYPES = sorted(EVENT_DATA) + ["bogus"]
_TEXT = st.text(alphabet=st.sampled_from('ab"\\\n\x00\x7f\xe9\u2028\U0001f600'), max_size=8)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.sampled_from(["navigation", "production", "development", UUID_A, "Play", "purchase", "iOS"]),
)
_ODD = st.one_of(
    st.sampled_from([math.nan, math.inf, Decimal("1.5"), datetime.date(2024, 1, 2), object()]),
    st.integers(5000, 5001).map(lambda digits: 10**digits),  # too long to print
    st.builds(Text, _TEXT),
    st.builds(Count, st.integers(0, 9)),
)
_KEYS = st.one_of(
    _TEXT,
    st.sampled_from(["event_name", "custom_event_type", "timestamp_unixtime_ms", "custom_attributes", "id", "price"]),
)


def _values(odd: bool) -> Any:
    leaves = st.one_of(_SCALARS, _ODD) if odd else _SCALARS
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(st.one_of(_KEYS, st.integers(0, 2)) if odd else _KEYS, inner, max_size=3),
        ),
        max_leaves=8,
    )


def _event(values: Any) -> Any:
    data = st.fixed_dictionaries(
        {},
        optional={
            "event_name": values,
            "custom_event_type": values,
            "timestamp_unixtime_ms": values,
            "custom_attributes": st.dictionaries(_KEYS, values, max_size=4),
            "product_action": st.fixed_dictionaries(
                {"action": values}, optional={"products": st.lists(st.dictionaries(_KEYS, values, max_size=3))}
            ),
            "screen_name": values,
            "bogus": values,
        },
    )
    return st.one_of(
        st.builds(lambda t, d: {"event_type": t, "data": d}, st.sampled_from(_EVENT_TYPES), data),
        st.builds(lambda t, d, x: {"event_type": t, "data": d, "x": x}, st.sampled_from(_EVENT_TYPES), data, values),
        values,
    )


def _batches(odd: bool) -> Any:
    values = _values(odd)
    return st.fixed_dictionaries(
        {},
        optional={
            "environment": values,
            "events": st.one_of(st.lists(_event(values), max_size=3), st.lists(_event(values), max_size=2).map(tuple)),
            "user_attributes": st.dictionaries(_KEYS, values, max_size=4),
            "user_identities": st.dictionaries(_KEYS, values, max_size=3),
            "device_info": st.dictionaries(
                st.sampled_from(["platform", "ios_advertising_id", "brand", "is_tablet"]), values, max_size=3
            ),
            "mpid": values,
            "ip": values,
            "deleted_user_attributes": values,
            "unknown": values,
        },
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(odd=False))
def test_plain_batches_are_judged_as_their_json(data: Dict[str, Any]) -> None:
    assert validate(data) == as_wire(data)
    assert validate(data, historical=True, now_ms=OLD) == validate(json.loads(dumps(data)), historical=True, now_ms=OLD)
    assert bound(data) >= len(dumps(data))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(odd=True))
def test_any_batch_is_judged_as_its_json(data: Dict[str, Any]) -> None:
    assert validate(data) == as_wire(data)


@settings(max_examples=200, deadline=None)
@given(_values(odd=False))
def test_the_size_bound_is_never_below_the_size(value: Any) -> None:
    assert UNIT * plain_size(value) >= len(dumps(value))


_UNUSUAL = [
    Decimal("1"),
    datetime.date(2024, 1, 1),
    math.nan,
    -math.inf,
    object(),
    Text("x"),
    Count(1),
    {1: "a"},
    10**5000,
]


@pytest.mark.parametrize("value", _UNUSUAL, ids=[type(v).__name__ for v in _UNUSUAL])
def test_values_the_wire_carries_differently_are_unusual(value: Any) -> None:
    with pytest.raises(Unusual):
        plain_size({"a": [value]})


def test_nesting_beyond_the_walk_is_left_to_the_encoder() -> None:
    deep: Any = "x"
    for _ in range(150):
        deep = {"a": deep}
    data = batch(custom(custom_flags=deep), user_attributes={"a": 1})
    with pytest.raises(Unusual):
        plain_size(deep)
    assert validate(data) == as_wire(data) != []  # custom_flags values must be strings
    cycle: Dict[str, Any] = {}
    cycle["self"] = cycle
    problems = validate(batch(ev("push_reaction", anything=cycle)))
    assert [(p.path, p.rule) for p in problems] == [("", "json")] and "circular" in problems[0].message


# --------------------------------------------------------------------------------------------
# Model graphs built by setters in any order
# --------------------------------------------------------------------------------------------


def _assign(model: Any, values: Dict[str, Any], rng: random.Random) -> Any:
    names = list(values)
    rng.shuffle(names)
    for name in names:
        setattr(model, name, values[name])
    return model


def setter_batch(rng: random.Random, valid: bool) -> Batch:
    """The same batch whatever ``rng``: only the order of the assignments changes."""
    products = [
        _assign(Product(), {"id": f"sku-{i}", "name": "Shoe", "price": 9.5, "quantity": i + 1}, rng) for i in range(3)
    ]
    action = _assign(
        ProductAction(),
        {"action": "purchase", "transaction_id": "t-1", "total_amount": 28.5, "products": products},
        rng,
    )
    events = [
        _assign(
            AppEvent("placeholder"),
            {
                "event_name": "e" * (300 if not valid and i == 1 else 5),
                "custom_event_type": "unknown" if not valid and i == 2 else "navigation",
                "timestamp_unixtime_ms": OLD + i,
                "custom_attributes": {"screen": "home", "position": i, "ltv": 1.5},
            },
            rng,
        )
        for i in range(4)
    ]
    events.append(
        _assign(CommerceEvent(product_action=action), {"currency_code": "USD", "timestamp_unixtime_ms": OLD}, rng)
    )
    events.append(_assign(ScreenViewEvent(), {"screen_name": "Home", "timestamp_unixtime_ms": OLD}, rng))
    end = {"timestamp_unixtime_ms": OLD} if not valid else {"timestamp_unixtime_ms": OLD, "session_duration_ms": 10}
    events.append(_assign(SessionEndEvent(), end, rng))
    device = {
        "platform": "Unknown" if not valid else "iOS",
        "ios_advertising_id": UUID_A if valid else "{" + UUID_A + "}",
    }
    return _assign(
        Batch(),
        {
            "events": events,
            "environment": "development",
            "user_identities": _assign(UserIdentities(), {"customerid": "c-1", "email": "a@b.c"}, rng),
            "device_info": _assign(DeviceInformation(), device, rng),
            "user_attributes": {"plan": "premium", "age": 36, "tags": ["a", "b"]},
            "mpid": 123,
            "mp_deviceid": UUID_A if valid else "not-a-uuid",
        },
        rng,
    )


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_setter_built_models_get_the_problems_of_their_json_in_any_assignment_order(valid: bool) -> None:
    expected = as_wire(setter_batch(random.Random(0), valid))
    assert (expected == []) is valid
    if not valid:  # several problems, from several models, in the order of the JSON
        assert [(p.path, p.rule) for p in expected] == [
            ("events[1].data.event_name", "max_length"),
            ("events[2].data.custom_event_type", "enum"),
            ("events[6].data.session_duration_ms", "required"),
            ("device_info.platform", "enum"),
            ("device_info.ios_advertising_id", "uuid"),
            ("mp_deviceid", "uuid"),
        ]
    for seed in range(40):
        model = setter_batch(random.Random(seed), valid)
        assert validate(model) == expected, seed
        assert validate(model, historical=True, now_ms=OLD + 73 * 3_600_000) == as_wire_historical(model)


def as_wire_historical(data: Any) -> List[Problem]:
    return validate(json.loads(dumps(data)), historical=True, now_ms=OLD + 73 * 3_600_000)


# --------------------------------------------------------------------------------------------
# No serialization unless the size needs measuring
# --------------------------------------------------------------------------------------------


@pytest.fixture
def counted_dumps(monkeypatch: pytest.MonkeyPatch) -> List[Any]:
    calls: List[Any] = []
    real: Callable[[Any], bytes] = api.dumps

    def counting(obj: Any) -> bytes:
        calls.append(obj)
        return real(obj)

    monkeypatch.setattr(api, "dumps", counting)
    return calls


def test_a_batch_within_the_bound_is_never_serialized(counted_dumps: List[Any]) -> None:
    model = setter_batch(random.Random(1), valid=True)
    assert validate(model) == []
    assert validate(json.loads(dumps(model))) == []
    assert validate(batch(*(ev(t, **d) for t, d in MINIMAL.items()))) == []
    assert validate_request([model] * 10) == []
    assert counted_dumps == []
    assert validate_request([model] * 100) == []  # a request's bound may exceed 256 KB: measured
    assert len(counted_dumps) == 100


def test_the_size_is_measured_only_past_the_bound(counted_dumps: List[Any]) -> None:
    at_limit = sized(MAX_BATCH_BYTES)
    assert validate(at_limit) == []
    assert counted_dumps == [at_limit]  # its bound is over the limit: measured, and fine
    over = sized(MAX_BATCH_BYTES + 1)
    assert [(p.path, p.rule) for p in validate(over)] == [("", "max_bytes")]


def test_unusual_values_take_the_serialized_path(counted_dumps: List[Any]) -> None:
    data = batch(custom(custom_attributes={"price": Decimal("9.99"), "day": datetime.date(2024, 1, 2)}))
    assert validate(data) == []
    assert counted_dumps == [data]
    data = batch(custom(custom_attributes={"price": Decimal("9.99"), "long": "v" * 4097}))
    assert [(p.path, p.rule) for p in validate(data)] == [("events[0].data.custom_attributes.long", "max_length")]
