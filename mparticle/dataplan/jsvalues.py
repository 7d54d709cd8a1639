"""JavaScript's view of JSON values: number text, key order, ``JSON.stringify`` and equality.

DPN runs in Node, so its messages print numbers the way JS does (``1.0`` as ``1``,
``1e-7``, ``0.000001``), objects list integer-like keys first, and ``1 == 1.0``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Iterator, List, Mapping, Tuple

_MAX_INDEX = 4294967294  # the largest array index a JS object orders numerically


def is_index_key(key: str) -> bool:
    """Whether JS orders ``key`` as an integer-like property name (first, ascending)."""
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) <= _MAX_INDEX


def js_keys(obj: Mapping[str, Any]) -> List[str]:
    """The keys of ``obj`` in JS property order: integer-like keys ascending, then insertion order."""
    keys = list(obj)
    indices = [k for k in keys if is_index_key(k)]
    if not indices:
        return keys
    indices.sort(key=int)
    return indices + [k for k in keys if not is_index_key(k)]


def js_items(obj: Mapping[str, Any]) -> Iterator[Tuple[str, Any]]:
    """``(key, value)`` pairs of ``obj`` in JS property order."""
    for key in js_keys(obj):
        yield key, obj[key]


def js_number(value: Any) -> str:
    """``value`` as JS's ``String(number)`` prints it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) < 10**21:
        return str(value)
    number = float(value)
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign, digits_tuple, exponent = Decimal(repr(number)).as_tuple()
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    exponent += len(digits_tuple) - len(digits)
    k = len(digits)
    n = exponent + k
    prefix = "-" if sign else ""
    if k <= n <= 21:
        return prefix + digits + "0" * (n - k)
    if 0 < n <= 21:
        return prefix + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return prefix + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return prefix + mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def js_string(value: Any) -> str:
    """``value`` as JS's ``String(value)`` or array ``join`` prints it (``None`` as ``""``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return js_number(value)
    if isinstance(value, list):
        return ",".join(js_string(v) for v in value)
    return "[object Object]"


def js_stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, JS key order and number text, raw non-ASCII."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return "null"
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(js_stringify(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{"
            + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + js_stringify(v) for k, v in js_items(value))
            + "}"
        )
    return "null"


def js_equal(a: Any, b: Any) -> bool:
    """Deep equality as Ajv's ``equal`` sees it: ``1 == 1.0``, ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(js_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(js_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def js_value(value: Any) -> Any:
    """A number as JS would hand it back (an integral float as an int); anything else as is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
