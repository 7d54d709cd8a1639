"""Model graph to JSON: the wire bytes in one pass, and the JSON-ready data form.

:func:`dumps` hands the graph straight to the C JSON encoder, which calls each model's
generated ``_wire`` (its set fields by JSON key, in declaration order, the checks setters
skip applied) and, on a second pass only when needed, converts the few non-JSON scalars the
original SDK converted (``Decimal`` to str, dates and times to ISO 8601). When the encoder refuses
something (NaN, Infinity, an unknown object, a cycle, nesting too deep for it),
:func:`to_jsonable` walks the graph again to raise an error that names the offending field
path.

The encoder does not look at dict keys beyond their type, so two keys that JSON sends under
one name (``1`` and ``"1"``) are found elsewhere: model fields refuse such dicts (when set,
constructed or serialized), :func:`to_jsonable` refuses them, and :func:`check_keys` finds them in plain data
(EventsApi runs it on plain-dict bodies).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from operator import methodcaller
from typing import Any, Callable, Dict, List, Optional, Sequence, Set

from mparticle.models.base import Model, colliding_keys, collision_message, safe_text
from mparticle.models.batch import Batch

__all__ = ["MAX_DEPTH", "check_keys", "dumps", "encode_batch", "encode_bulk", "join_batches", "to_jsonable"]

#: Deepest nesting of containers (models, dicts, lists) :func:`to_jsonable` accepts. Valid
#: batches nest about 6 levels deep.
MAX_DEPTH = 100


def _isoformat(value: Any) -> str:
    return value.isoformat()  # type: ignore[no-any-return]


#: Scalars the original SDK converted before encoding, and how (0.16.0 behaviour).
_CONVERTERS: Dict[type, Callable[[Any], Any]] = {
    decimal.Decimal: str,
    datetime.datetime: _isoformat,
    datetime.date: _isoformat,
    datetime.time: _isoformat,
}


def _converter(value: Any) -> Optional[Callable[[Any], Any]]:
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        for kind, candidate in _CONVERTERS.items():
            if isinstance(value, kind):
                return candidate
    return convert


def _default(value: Any) -> Any:
    if isinstance(value, Model):
        return value._wire()
    convert = _converter(value)
    if convert is None:
        raise TypeError(type(value).__name__)
    return _convert(convert, value, "$")


def _convert(convert: Callable[[Any], Any], value: Any, path: str) -> Any:
    try:
        return convert(value)
    except Exception as exc:  # noqa: BLE001 - a subclass's broken __str__/isoformat: name the field
        raise TypeError(f"{path}: {type(value).__name__} value could not be converted ({type(exc).__name__})") from exc


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_default, check_circular=False)
try:  # the C encoder itself, made once: no per-call setup, no circular-reference bookkeeping
    from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

    _C_ENCODE = c_make_encoder(None, _default, encode_basestring_ascii, None, ":", ",", False, False, False)
    #: The usual case: nothing but models and JSON data. The encoder calls each model's
    #: ``_wire`` directly (no Python frame in between); anything else it meets (a Decimal, a
    #: date) fails the attribute lookup and the graph is encoded again with :func:`_default`.
    _C_ENCODE_MODELS = c_make_encoder(
        None, methodcaller("_wire"), encode_basestring_ascii, None, ":", ",", False, False, False
    )
except (ImportError, TypeError):  # pragma: no cover - interpreters without the C accelerator
    _C_ENCODE = _C_ENCODE_MODELS = None


def dumps(obj: Any) -> bytes:
    """Encode a model, list of models or plain data as compact ASCII JSON bytes.

    Raises ValueError (NaN, Infinity, cycles) or TypeError (unserializable objects) naming the
    field path, e.g. ``Batch.events[2].data.custom_attributes['price']``.
    """
    if _C_ENCODE_MODELS is not None:
        try:
            return "".join(_C_ENCODE_MODELS(obj, 0)).encode("ascii")
        except (AttributeError, TypeError, ValueError, RecursionError):
            pass  # a value needing conversion, or an error to report: the full encoder decides
    try:
        text = "".join(_C_ENCODE(obj, 0)) if _C_ENCODE is not None else _ENCODER.encode(obj)
        return text.encode("ascii")
    except (TypeError, ValueError, RecursionError):  # a cycle or deep nesting surfaces as RecursionError
        to_jsonable(obj)  # raises the precise error, naming the path
        raise


def to_jsonable(obj: Any, path: Optional[str] = None) -> Any:
    """Return ``obj`` as JSON-ready data: models become dicts of their set fields (JSON keys),
    tuples become lists, Decimal becomes str and dates become ISO strings.

    None values are dropped at model level and kept inside plain dicts and lists. Raises
    ValueError/TypeError naming the field path for anything JSON cannot carry faithfully:
    NaN/Infinity, unknown objects, cycles, nesting deeper than :data:`MAX_DEPTH`, ints too
    long to print, and dict keys that JSON would send under one name (``1`` and ``"1"``).
    """
    root = path if path is not None else (type(obj).__name__ if isinstance(obj, Model) else "$")
    return _walk(obj, root, set(), 0)


def _walk(obj: Any, path: str, active: Set[int], depth: int) -> Any:
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, int):
        if obj.bit_length() > 4096:  # beyond what int-to-str conversion may allow
            _int_text(obj, path)
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{path}: {float.__repr__(obj)} is not valid JSON (NaN and Infinity are not allowed)")
        return obj
    if isinstance(obj, (Model, dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"{path}: circular reference")
        if depth >= MAX_DEPTH:
            raise ValueError(f"{path}: nested deeper than {MAX_DEPTH} levels")
        active.add(id(obj))
        depth += 1
        try:
            if isinstance(obj, Model):
                _wire_checks(obj, path)
                return {k: _walk(v, f"{path}.{k}", active, depth) for k, v in obj._data().items()}
            if isinstance(obj, dict):
                return _walk_dict(obj, path, active, depth)
            return [_walk(v, f"{path}[{i}]", active, depth) for i, v in enumerate(obj)]
        finally:
            active.discard(id(obj))
    convert = _converter(obj)
    if convert is None:
        raise TypeError(f"{path}: object of type {type(obj).__name__} is not JSON serializable")
    return _convert(convert, obj, path)


def _wire_checks(model: Model, path: str) -> None:
    """Run the checks ``model._wire`` applies to its own fields, naming the model's path."""
    try:
        model._checks()
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _walk_dict(obj: Dict[Any, Any], path: str, active: Set[int], depth: int) -> Dict[Any, Any]:
    out = {}
    for k, v in obj.items():
        if not isinstance(k, (str, int, float, bool)) and k is not None:
            raise TypeError(f"{path}: dict key {_key_text(k)} is not a string")
        if isinstance(k, float) and not math.isfinite(k):
            raise ValueError(f"{path}: dict key {_key_text(k)} is not valid JSON (NaN and Infinity are not allowed)")
        if isinstance(k, int) and not isinstance(k, bool) and k.bit_length() > 4096:
            _int_text(k, f"{path} (a dict key)")
        out[k] = _walk(v, f"{path}[{_key_text(k)}]", active, depth)
    collision = colliding_keys(obj)
    if collision is not None:
        raise ValueError(collision_message(path, collision))
    return out


def _int_text(value: int, path: str) -> str:
    try:
        return int.__repr__(value)
    except ValueError:
        raise ValueError(f"{path}: integer of {value.bit_length()} bits is too long to send") from None


def _key_text(key: Any) -> str:
    """A dict key as shown in a path: its repr, cut short, never failing."""
    if isinstance(key, str):
        text = str.__repr__(key)
    elif isinstance(key, (bool, float)) or key is None:
        text = repr(bool(key) if isinstance(key, bool) else key)
    elif isinstance(key, int):
        try:
            text = int.__repr__(key)
        except ValueError:
            text = f"<int of {key.bit_length()} bits>"
    else:
        text = safe_text(key, repr)
    return text if len(text) <= 60 else text[:57] + "..."


def check_keys(obj: Any, path: Optional[str] = None) -> None:
    """Raise ValueError naming the field path if a dict in ``obj`` has keys that JSON would
    send under one name (``{1: "a", "1": "b"}``). Quick when every key is a str.

    Meant for data the encoder accepted (no cycles); costs roughly as much as encoding."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if colliding_keys(item) is not None:
                to_jsonable(obj, path)  # raises, naming the path
            values: Any = item.values()
        elif isinstance(item, (list, tuple)):
            values = item
        else:
            continue
        if not _SCALARS.issuperset(map(type, values)):
            stack.extend(v for v in values if type(v) not in _SCALARS)


_SCALARS = frozenset((str, int, float, bool, type(None)))


def encode_batch(batch: Any, max_bytes: int, label: str = "batch") -> bytes:
    """Serialize one batch (a Batch, or a dict in wire form) and refuse it when it exceeds
    ``max_bytes``. Any other value, including other models such as an AppEvent, raises
    TypeError."""
    if type(batch) is not Batch:
        _check_batch_type(batch, label)
    data = dumps(batch)
    if len(data) > max_bytes:
        raise _too_big(label, len(data), max_bytes)
    return data


def encode_bulk(batches: Sequence[Any], max_bytes: int, check_dict_keys: bool = True) -> bytes:
    """The bulk request body (JSON array) of ``batches``: :func:`join_batches` of each
    :func:`encode_batch` (labelled ``batch <i>``), checked in order, with plain-dict batches
    also run through :func:`check_keys` when ``check_dict_keys``. The body is copied once
    (small per-batch pieces, then one join: cheaper than joining text and encoding it)."""
    parts: List[bytes] = []
    append = parts.append
    for i, batch in enumerate(batches):
        if type(batch) is not Batch:
            _check_batch_type(batch, f"batch {i}")
        data = dumps(batch)
        if len(data) > max_bytes:
            raise _too_big(f"batch {i}", len(data), max_bytes)
        if check_dict_keys and not isinstance(batch, Model):
            check_keys(batch, f"batch {i}")
        append(data)
    return join_batches(parts)


def _too_big(label: str, size: int, max_bytes: int) -> ValueError:
    return ValueError(f"{label} is {size} bytes serialized, over the {max_bytes}-byte limit per batch")


def _check_batch_type(batch: Any, label: str) -> None:
    if isinstance(batch, Batch) or (isinstance(batch, dict) and not isinstance(batch, Model)):
        return
    hint = " (wrap events in a Batch: Batch(events=[...]))" if isinstance(batch, Model) else ""
    raise TypeError(f"{label}: expected a Batch or a dict, got {type(batch).__name__}{hint}")


def join_batches(parts: "list[bytes]") -> bytes:
    """A bulk request body (JSON array) from already serialized batches (one copy of them)."""
    ends = list(parts)
    if len(ends) < 2:
        return b"".join((b"[", ends[0], b"]")) if ends else b"[]"
    ends[0] = b"".join((b"[", ends[0]))  # any bytes-like part; the caller's parts are left alone
    ends[-1] = b"".join((ends[-1], b"]"))
    return b",".join(ends)
