"""Property: ``dumps`` either produces JSON equal to ``to_jsonable`` or names the bad field path.

Random model graphs are drawn from the model registry: fields get JSON scalars, NaN/Infinity,
nested dicts and lists, tuples, Decimal and dates, unserializable objects (sets, bytes, bare
objects), sub-models, plain dicts standing in for sub-models, bad dict keys and cycles. Each
generator also returns the paths (relative to the value) of everything it planted that JSON
cannot carry, so the test knows whether ``dumps`` must fail and which path the error must name.
"""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal
from functools import cache
from typing import Any, List, Tuple

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import mparticle.models as models
from mparticle.models.base import Field, Model, attribute_bag_check
from mparticle.models.batch import wrap_events
from mparticle.models.checks import attribute_values_check
from mparticle.serialization import dumps, to_jsonable

Drawn = Tuple[Any, List[str]]  # a value and the relative paths of its unencodable parts

CLASSES = [getattr(models, name) for name in models.__all__]
EVENT_CLASSES = [cls for cls in CLASSES if isinstance(cls.event_type, str)]
UUID_FIELDS = {
    "ios_advertising_id",
    "android_advertising_id",
    "ios_idfv",
    "roku_advertising_id",
    "fire_advertising_id",
}

keys = st.text(max_size=6)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
convertible = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, datetime.timezone.utc])),
    st.times(),
)
non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
unserializable = st.one_of(
    st.sets(st.integers(), max_size=2),
    st.binary(max_size=3),
    st.builds(object),
    st.builds(bytearray, st.binary(max_size=2)),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
)


# Unencodable kinds are rare so that most graphs still encode (about half of them do).
LEAF_KINDS = ["json"] * 24 + ["convertible"] * 4 + ["non_finite", "unserializable", "cycle"]
CONTAINER_KINDS = ["list"] * 3 + ["tuple"] * 2 + ["dict"] * 4 + ["model"] * 3 + ["bad_key"]
VALUE_KINDS = {
    False: st.sampled_from(LEAF_KINDS),
    True: st.sampled_from(LEAF_KINDS + CONTAINER_KINDS),
}
BAD_KEYS = st.sampled_from([(1, "tuple key"), Decimal("1"), math.nan, math.inf, frozenset()])
EVENT_KINDS = st.sampled_from(["event", "event", "wrapper", "dict"])
BAG = st.dictionaries(
    st.text(max_size=6), st.one_of(json_scalars, json_scalars, json_scalars, non_finite), max_size=3
)


@cache
def cached(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Build each strategy once: building and validating them per draw dominates the run time."""
    return factory(*args, **kwargs)


def good(value: Any) -> Drawn:
    return value, []


def bad(value: Any) -> Drawn:
    return value, [""]


def prefixed(prefix: str, paths: List[str]) -> List[str]:
    return [prefix + p for p in paths]


@st.composite
def _any_value(draw: Any, depth: int) -> Drawn:
    """Anything a loosely typed field can hold."""
    kind = draw(VALUE_KINDS[depth > 0])
    if kind == "json":
        return good(draw(json_scalars))
    if kind == "convertible":
        return good(draw(convertible))
    if kind == "non_finite":
        return bad(draw(non_finite))
    if kind == "unserializable":
        return bad(draw(unserializable))
    if kind == "cycle":
        loop: dict = {}
        loop["loop"] = loop
        return loop, ["['loop']"]
    if kind in ("list", "tuple"):
        items = draw(cached(st.lists, any_value(depth - 1), max_size=3))
        paths = [p for i, (_, sub) in enumerate(items) for p in prefixed("[{0}]".format(i), sub)]
        values = [v for v, _ in items]
        return (values if kind == "list" else tuple(values)), paths
    if kind == "model":
        return draw(model_value(depth - 1))
    drawn = draw(plain_dict(depth - 1))
    if kind == "bad_key":
        value, paths = drawn
        value = dict(value)
        value[draw(BAD_KEYS)] = None
        return value, paths + [""]
    return drawn


@st.composite
def _plain_dict(draw: Any, depth: int) -> Drawn:
    items = draw(cached(st.dictionaries, keys, any_value(depth), max_size=3))
    paths = [p for k, (_, sub) in items.items() for p in prefixed("[{0!r}]".format(k), sub)]
    return {k: v for k, (v, _) in items.items()}, paths


@st.composite
def attribute_bag(draw: Any) -> Drawn:
    bag = draw(BAG)
    paths = [
        "[{0!r}]".format(k) for k, v in bag.items() if isinstance(v, float) and not math.isfinite(v)
    ]
    return bag, paths


@st.composite
def _sub_model(draw: Any, type_name: str, depth: int) -> Drawn:
    """A value for a sub-model field: a model of that class, or a plain dict standing in."""
    if depth > 0 and draw(st.booleans()):
        return draw(model_value(depth - 1, getattr(models, type_name)))
    return draw(plain_dict(max(depth - 1, 0)))


@st.composite
def _events_list(draw: Any, depth: int) -> Drawn:
    values: List[Any] = []
    paths: List[str] = []
    for index in range(draw(cached(st.integers, 0, 3))):
        kind = draw(EVENT_KINDS)
        if kind == "event":
            event, sub = draw(model_value(depth, draw(cached(st.sampled_from, tuple(EVENT_CLASSES)))))
            values.append(event)
            paths += prefixed("[{0}].data".format(index), sub)
        elif kind == "wrapper":
            wrapper, sub = draw(model_value(depth, models.EventBase))
            values.append(wrapper)
            paths += prefixed("[{0}]".format(index), sub)
        else:
            raw, sub = draw(plain_dict(depth))
            values.append(raw)
            paths += prefixed("[{0}]".format(index), sub)
    return (tuple(values) if draw(st.booleans()) else values), paths


@st.composite
def _field_value(draw: Any, cls: type, field: Field, depth: int) -> Drawn:
    if field.enum is not None:
        return good(draw(cached(st.sampled_from, tuple(field.enum))))
    if cls is models.DeviceInformation and field.name in UUID_FIELDS:
        return good(str(draw(st.uuids())))
    if field.check in (attribute_bag_check, attribute_values_check):
        return draw(attribute_bag())
    if field.check is wrap_events:
        return draw(events_list(depth))
    type_name = field.type
    if type_name.startswith("list["):
        inner = type_name[5:-1]
        if inner[:1].isupper():
            items = draw(cached(st.lists, sub_model(inner, depth), max_size=2))
        else:
            items = draw(cached(st.lists, any_value(max(depth - 1, 0)), max_size=3))
        paths = [p for i, (_, sub) in enumerate(items) for p in prefixed("[{0}]".format(i), sub)]
        values = [v for v, _ in items]
        return (tuple(values) if draw(st.booleans()) else values), paths
    if type_name.startswith("dict"):
        return draw(plain_dict(max(depth - 1, 0)))
    if type_name[:1].isupper():
        return draw(sub_model(type_name, depth))
    return draw(any_value(depth))


@cache
def any_value(depth: int) -> Any:
    return _any_value(depth)


@cache
def plain_dict(depth: int) -> Any:
    return _plain_dict(depth)


@cache
def sub_model(type_name: str, depth: int) -> Any:
    return _sub_model(type_name, depth)


@cache
def events_list(depth: int) -> Any:
    return _events_list(depth)


@cache
def field_value(cls: type, field: Field, depth: int) -> Any:
    return _field_value(cls, field, depth)


@cache
def model_value(depth: int, cls: Any = None) -> Any:
    return _model_value(depth, cls)


REQUIRED_FIELDS = {"AppEvent": "event_name", "CommerceEvent": "product_action"}


@st.composite
def _model_value(draw: Any, depth: int, cls: Any = None) -> Drawn:
    """A model with a random subset of its fields set, and the paths of its bad parts."""
    if cls is None:
        cls = draw(cached(st.sampled_from, tuple(CLASSES)))
    kwargs = {}
    paths: List[str] = []
    required = REQUIRED_FIELDS.get(cls.__name__)
    for field in cls.fields:
        if field.name != required and draw(cached(st.integers, 0, 3 + 4 * (depth < 2))) != 0:
            continue
        value, sub = draw(field_value(cls, field, depth))
        if field.name == "event_name" and cls is models.AppEvent and value is None:
            value, sub = "required", []
        if value is None:
            continue
        kwargs[field.name] = value
        paths += prefixed("." + field.key, sub)
    return cls(**kwargs), paths


@st.composite
def graphs(draw: Any) -> Tuple[Any, str, List[str]]:
    """A root (a model, or a list of models as for bulk uploads), its path name and bad paths."""
    if draw(cached(st.integers, 0, 3)) == 0:
        items = draw(cached(st.lists, model_value(2), min_size=1, max_size=2))
        paths = [p for i, (_, sub) in enumerate(items) for p in prefixed("[{0}]".format(i), sub)]
        return [m for m, _ in items], "$", paths
    root_class = draw(cached(st.sampled_from, (models.Batch, models.Batch, None)))
    model, paths = draw(model_value(2, root_class))
    return model, type(model).__name__, paths


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_dumps_is_json_or_names_the_bad_path(graph: Tuple[Any, str, List[str]]) -> None:
    root, root_path, bad_paths = graph
    try:
        body = dumps(root)
    except (ValueError, TypeError) as error:
        event("rejected: " + type(error).__name__)
        assert bad_paths, "dumps failed on an encodable graph: {0}".format(error)
        message = str(error)
        candidates = tuple(root_path + p + ": " for p in bad_paths)
        assert message.startswith(candidates), (message, candidates)
        return
    event("encoded")
    assert not bad_paths, "dumps accepted unencodable values at {0}".format(bad_paths)
    assert isinstance(body, bytes)
    assert json.loads(body) == to_jsonable(root)


@settings(max_examples=50, deadline=None, database=None)
@given(model_value(2))
def test_to_jsonable_drops_none_and_uses_json_keys(drawn: Tuple[Model, List[str]]) -> None:
    model, bad_paths = drawn
    if bad_paths:
        return
    data = to_jsonable(model)
    assert list(data) == [key for key in type(model).attribute_map.values() if key in data]
    assert all(value is not None for value in data.values())
    assert dumps(model) == dumps(data)


def test_decimal_nan_is_a_string_not_an_error() -> None:
    assert dumps(models.Product(price=Decimal("NaN"))) == b'{"price":"NaN"}'
