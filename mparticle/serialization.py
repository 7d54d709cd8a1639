"""Model graph to JSON: the wire bytes in one pass, and the JSON-ready data form.

:func:`dumps` hands the graph straight to the C JSON encoder: models are dicts of their set
fields, so it calls back into Python only for the few non-JSON scalars the original SDK
converted (``Decimal`` to str, dates and times to ISO 8601). When the encoder refuses
something (NaN, Infinity, an unknown object, a cycle), :func:`to_jsonable` walks the graph
again to raise an error that names the offending field path.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from typing import Any, Callable, Dict, Optional, Set

from mparticle.models.base import Model

__all__ = ["dumps", "encode_batch", "join_batches", "to_jsonable"]


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
    convert = _converter(value)
    if convert is None:
        raise TypeError(type(value).__name__)
    return convert(value)


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_default, check_circular=False)
try:  # the C encoder itself, made once: no per-call setup, no circular-reference bookkeeping
    from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

    _C_ENCODE = c_make_encoder(None, _default, encode_basestring_ascii, None, ":", ",", False, False, False)
except (ImportError, TypeError):  # pragma: no cover - interpreters without the C accelerator
    _C_ENCODE = None


def dumps(obj: Any) -> bytes:
    """Encode a model, list of models or plain data as compact ASCII JSON bytes.

    Raises ValueError (NaN, Infinity, cycles) or TypeError (unserializable objects) naming the
    field path, e.g. ``Batch.events[2].data.custom_attributes['price']``.
    """
    try:
        text = "".join(_C_ENCODE(obj, 0)) if _C_ENCODE is not None else _ENCODER.encode(obj)
        return text.encode("ascii")
    except (TypeError, ValueError, RecursionError):  # a cycle surfaces as RecursionError
        try:
            to_jsonable(obj)  # raises the precise error, naming the path
        except RecursionError:
            raise ValueError("{0}: nested too deeply to serialize".format(type(obj).__name__)) from None
        raise


def to_jsonable(obj: Any, path: Optional[str] = None) -> Any:
    """Return ``obj`` as JSON-ready data: models become dicts of their set fields (JSON keys),
    tuples become lists, Decimal becomes str and dates become ISO strings.

    None values are dropped at model level and kept inside plain dicts and lists.
    """
    root = path if path is not None else (type(obj).__name__ if isinstance(obj, Model) else "$")
    return _walk(obj, root, set())


def _walk(obj: Any, path: str, active: Set[int]) -> Any:
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{path}: {obj!r} is not valid JSON (NaN and Infinity are not allowed)")
        return obj
    if isinstance(obj, (Model, dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"{path}: circular reference")
        active.add(id(obj))
        try:
            if isinstance(obj, Model):
                return {k: _walk(v, f"{path}.{k}", active) for k, v in obj.items()}
            if isinstance(obj, dict):
                out = {}
                for k, v in obj.items():
                    if not isinstance(k, (str, int, float, bool)) and k is not None:
                        raise TypeError(f"{path}: dict key {k!r} is not a string")
                    if isinstance(k, float) and not math.isfinite(k):
                        raise ValueError(f"{path}: dict key {k!r} is not valid JSON (NaN and Infinity are not allowed)")
                    out[k] = _walk(v, f"{path}[{k!r}]", active)
                return out
            return [_walk(v, f"{path}[{i}]", active) for i, v in enumerate(obj)]
        finally:
            active.discard(id(obj))
    convert = _converter(obj)
    if convert is None:
        raise TypeError(f"{path}: object of type {type(obj).__name__} is not JSON serializable")
    return convert(obj)


def encode_batch(batch: Any, max_bytes: int, label: str = "batch") -> bytes:
    """Serialize one batch and refuse it when it exceeds ``max_bytes``."""
    data = dumps(batch)
    if len(data) > max_bytes:
        raise ValueError(f"{label} is {len(data)} bytes serialized, over the {max_bytes}-byte limit per batch")
    return data


def join_batches(parts: "list[bytes]") -> bytes:
    """A bulk request body (JSON array) from already serialized batches."""
    return b"[" + b",".join(parts) + b"]"
