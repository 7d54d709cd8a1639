"""The generic rule engine: a :class:`Problem` type and the specs that check a JSON value.

A spec (:class:`Kind`, :class:`Text`, :class:`Enum`, ...; those of objects and arrays are in
:mod:`~mparticle.validation.containers`) checks one JSON value and appends a :class:`Problem`
per violation; paths are built lazily and rendered only for a problem. Nothing here knows
the Events API's rules (only its UUID pattern, which the models define): the rule tables are
in :mod:`mparticle.validation.rules`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from mparticle.models.base import UUID_PATTERN


@dataclass(frozen=True)
class Problem:
    """One rule violation: where (``path``), which rule (``rule``) and a human ``message``."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return "{0}: {1} [{2}]".format(self.path or "<batch>", self.message, self.rule)


# -- the engine: specs that check a JSON value and append problems --------------------------

Out = List[Problem]
#: A lazy path: ``None`` (the batch) or ``(parent, key)``; rendered only for a problem.
Path = Optional[Tuple[Any, Any]]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def render(path: Path) -> str:
    """``events[3].data.event_name``: ``.key`` for identifier keys, ``["key"]`` for others."""
    keys: List[Any] = []
    while path is not None:
        path, key = path
        keys.append(key)
    text = ""
    for key in reversed(keys):
        if isinstance(key, int):  # list index (object keys are strings after the JSON round trip)
            text += f"[{key}]"
        elif _IDENTIFIER.match(key):
            text = f"{text}.{key}" if text else key
        else:
            text += f"[{json.dumps(key)}]"
    return text


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _fail(out: Out, path: Path, rule: str, tail: str) -> None:
    """Append a problem whose message is the quoted path (or "the batch") followed by ``tail``."""
    text = render(path)
    out.append(Problem(text, rule, f"`{text}` {tail}" if text else f"the batch {tail}"))


class Spec:
    """A rule for one JSON value; ``check`` appends a :class:`Problem` per violation."""

    def check(self, value: Any, path: Path, out: Out) -> None:
        raise NotImplementedError


class Kind(Spec):
    """A JSON type test, e.g. integer, or flat scalar (string, number, boolean or null)."""

    def __init__(self, description: str, test: Callable[[Any], bool]) -> None:
        self.description = description
        self.test = test

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not self.test(value):
            _fail(out, path, "type", f"must be {self.description}, got {_json_type(value)}")


def _is_int(value: Any) -> bool:  # JSON Schema "integer": 3 and 3.0, never true/false
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


STRING = Kind("a string", lambda v: isinstance(v, str))
#: SCHEMA's ``String``: any flat JSON value (string, number, boolean, null).
SCALAR = Kind(
    "a flat value (string, number, boolean or null)",
    lambda v: v is None or isinstance(v, (str, int, float, bool)),
)


class Integer(Kind):
    """JSON Schema "integer" within the Events API's 64-bit range (ids, timestamps)."""

    def __init__(self) -> None:
        super().__init__("an integer", _is_int)

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not _is_int(value):
            super().check(value, path, out)
        elif not INT64_MIN <= value <= INT64_MAX:
            bits = int(value).bit_length()  # (str() of a huge int can itself raise)
            _fail(out, path, "range", f"must be a 64-bit integer ({INT64_MIN} to {INT64_MAX}), got a {bits}-bit one")


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INTEGER = Integer()
NUMBER = Kind("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOLEAN = Kind("a boolean", lambda v: isinstance(v, bool))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
ARRAY = Kind("an array", lambda v: isinstance(v, list))


class Format(Spec):
    """A string in a given format (``uuid``, ``ip``); other types are a ``type`` problem."""

    def __init__(self, rule: str, description: str, test: Callable[[str], bool]) -> None:
        self.rule = rule
        self.description = description
        self.test = test

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, str):
            STRING.check(value, path, out)
        elif not self.test(value):
            _fail(out, path, self.rule, f"must be {self.description}, got {_show(value)}")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


#: SCHEMA ``Uuid`` (:data:`~mparticle.models.base.UUID_PATTERN`; stricter than ``uuid.UUID``).
UUID = Format(
    "uuid", "a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)", lambda s: bool(UUID_PATTERN.match(s))
)
IP = Format("format", "an IPv4 or IPv6 address", _is_ip)


@dataclass(frozen=True)
class Text(Spec):
    """A value of ``kind`` whose string form may have at most ``max_length`` characters."""

    max_length: int
    kind: Spec = SCALAR

    def check(self, value: Any, path: Path, out: Out) -> None:
        before = len(out)
        self.kind.check(value, path, out)
        if len(out) == before and isinstance(value, str) and len(value) > self.max_length:
            _fail(out, path, "max_length", f"is {len(value)} characters; the limit is {self.max_length}")


@dataclass(frozen=True)
class Enum(Spec):
    """A string out of ``values``; ``other`` admits non-string values too (e.g. an integer)."""

    values: Tuple[str, ...]
    rule: str = "enum"
    other: Optional[Kind] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if isinstance(value, str):
            if value not in self.values:
                _fail(out, path, self.rule, f"is {_show(value)}; allowed values: {', '.join(self.values)}")
        elif self.other is None or not self.other.test(value):
            extra = f" or {self.other.description}" if self.other is not None else ""
            _fail(out, path, "type", f"must be one of {', '.join(self.values)}{extra}, got {_json_type(value)}")
