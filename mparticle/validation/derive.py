"""From the models' declarations to specs: a model's fields, types and enums as an :class:`Obj`."""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Sequence, Tuple, Type

from mparticle.models.base import Model
from mparticle.models.field_types import FieldType
from mparticle.validation.containers import ListOf, MapOf, Obj
from mparticle.validation.engine import (
    ANY_LENGTH,
    BOOLEAN,
    INTEGER,
    NUMBER,
    OBJECT,
    SCALAR,
    TIMESTAMP,
    Enum,
    Kind,
    Spec,
)

# -- from the models' declarations to specs -------------------------------------------------------

#: Any JSON value (a model field declared ``object``).
ANY = Kind("any JSON value", lambda v: True, ANY_LENGTH, frozenset((int, float, bool)))

#: The spec of each plain swagger type. A model's ``str`` is SCHEMA's lenient ``String`` (any
#: flat value); the tables say ``STRING`` where the schema wants a JSON string.
_TYPE_SPECS: Dict[str, Spec] = {
    "str": SCALAR,
    "int": INTEGER,
    "float": NUMBER,
    "bool": BOOLEAN,
    "object": ANY,
    "dict": OBJECT,
}

#: The spec derived from each model, by class name: how ``GeoLocation`` or ``list[Product]`` in a
#: later declaration resolves (so a model is derived before the models that embed it).
_MODEL_SPECS: Dict[str, Obj] = {}


def _schema_values(model_values: Sequence[str], legacy: Sequence[str] = ("unknown",)) -> Tuple[str, ...]:
    """A model's enum list without its ``legacy`` non-schema entries (default: ``unknown``)."""
    return tuple(v for v in model_values if v not in legacy)


def _type_spec(field_type: FieldType) -> Spec:
    """The spec of a field's type: ``int``, ``list[Product]``, ``dict(str, str)``, ``GeoLocation``."""
    if field_type.kind == "list":
        return ListOf(_type_spec(field_type.value_type))
    if field_type.kind == "map":  # dict(str, X): free keys, X values
        return MapOf(_type_spec(field_type.value_type))
    specs = _MODEL_SPECS if field_type.kind == "model" else _TYPE_SPECS
    spec = specs.get(field_type.text)
    if spec is None:
        raise LookupError(f"no spec for the type {field_type.text!r}: derive a model before the models that embed it")
    return spec


def _spec_from_model(
    model: Type[Model],
    name: str,
    *,
    required: Tuple[str, ...] = (),
    any_of: Tuple[str, ...] = (),
    closed: bool = True,
    unknown_rule: str = "unknown_key",
    legacy: Sequence[str] = ("unknown",),
    overrides: Optional[Mapping[str, Spec]] = None,
    extra: Optional[Mapping[str, Spec]] = None,
    omit: Tuple[str, ...] = (),
) -> Obj:
    """The spec of ``model``'s JSON object (``name`` in messages): the model plus the schema's rules.

    Every declared field counts under its JSON key with the spec of its type; an enum allows the
    model's values minus the ``legacy`` ones; an ``int`` field named ``*_unixtime_ms`` is a
    :data:`~mparticle.validation.engine.TIMESTAMP`. What the schema adds: ``overrides`` replace the spec
    of declared keys, ``extra`` adds keys the model lacks, ``omit`` drops declared keys (an open
    object then passes them unchecked); ``required``, ``any_of``, ``closed`` and ``unknown_rule``
    as in :class:`Obj` (objects are closed unless ``closed=False``). The result also serves the
    later models that embed this one.
    """
    overrides = overrides or {}
    extra = extra or {}
    fields: Dict[str, Spec] = {}
    for f in model.fields:
        if f.key in omit:
            continue
        if f.key in overrides:
            fields[f.key] = overrides[f.key]
        elif f.enum is not None:
            fields[f.key] = Enum(_schema_values(f.enum, legacy))
        elif f.key.endswith("_unixtime_ms") and f.field_type.text == "int":  # warns on seconds
            fields[f.key] = TIMESTAMP
        else:
            fields[f.key] = _type_spec(f.field_type)
    declared = {f.key for f in model.fields}
    stray = ({*overrides, *omit} - declared) | (set(extra) & declared) | ({*required, *any_of} - {*fields, *extra})
    if stray:  # the model changed, or a rule names a key that does not exist
        raise LookupError(f"the rules for {model.__name__} do not match its declared keys: {sorted(stray)}")
    spec = Obj(name, {**fields, **extra}, required, any_of, closed, unknown_rule)
    _MODEL_SPECS[model.__name__] = spec
    return spec
