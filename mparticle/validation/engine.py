"""The generic rule engine: a :class:`Problem` type and the specs that check a JSON value.

A spec (:class:`Kind`, :class:`Obj`, :class:`ListOf`, :class:`MapOf`, ...) checks one JSON
value and appends a :class:`Problem` per violation; paths are built lazily and rendered only
for a problem. Nothing here knows the Events API's rules (only its UUID pattern, which the
models define): the rule tables are in :mod:`mparticle.validation.rules`.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Tuple

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


@dataclass(frozen=True)
class ListOf(Spec):
    """A JSON array of ``item`` values, at most ``max_items`` long."""

    item: Spec
    max_items: Optional[int] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, list):
            ARRAY.check(value, path, out)
            return
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        check = self.item.check
        for index, item in enumerate(value):
            if item is not None:
                check(item, (path, index), out)


@dataclass(frozen=True)
class MapOf(Spec):
    """A JSON object with free keys (at most ``key_max`` characters) and ``value`` values."""

    value: Spec
    max_items: Optional[int] = None
    key_max: Optional[int] = None

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, dict):
            OBJECT.check(value, path, out)
            return
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        key_max = self.key_max
        check = self.value.check
        for key, item in value.items():
            if key_max is not None and len(key) > key_max:
                _fail(out, (path, key), "max_length", f"has a name of {len(key)} characters; the limit is {key_max}")
            if item is not None:
                check(item, (path, key), out)


@dataclass(frozen=True)
class ScalarOrList(Spec):
    """SCHEMA ``StringOrArray``: a flat value, or an array of flat values."""

    scalar: Spec
    items: ListOf

    def check(self, value: Any, path: Path, out: Out) -> None:
        (self.items if isinstance(value, list) else self.scalar).check(value, path, out)


@dataclass(frozen=True)
class Obj(Spec):
    """A JSON object with known ``fields`` (key to spec).

    ``required`` keys must be present and not null; when ``any_of`` is set, at least one of
    those keys must be. A ``closed`` object reports other keys with ``unknown_rule``.
    """

    name: str
    fields: Mapping[str, Spec]
    required: Tuple[str, ...] = ()
    any_of: Tuple[str, ...] = ()
    closed: bool = True
    unknown_rule: str = "unknown_key"

    def check(self, value: Any, path: Path, out: Out) -> None:
        if not isinstance(value, dict):
            _fail(out, path, "type", f"({self.name}) must be an object, got {_json_type(value)}")
            return
        for key in self.required:
            if value.get(key) is None:
                _fail(out, (path, key), "required", f"is required in {self.name}")
        if self.any_of and all(value.get(key) is None for key in self.any_of):
            _fail(out, path, "required_any", f"({self.name}) needs one of: {', '.join(self.any_of)}")
        fields = self.fields
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                if self.closed:
                    self._unknown(key, (path, key), out)
            elif item is not None:
                spec.check(item, (path, key), out)

    def _unknown(self, key: str, path: Path, out: Out) -> None:
        allowed = list(self.fields)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        _fail(out, path, self.unknown_rule, f"is not allowed in {self.name}{hint}; allowed keys: {', '.join(allowed)}")


@dataclass(frozen=True)
class Tagged(Spec):
    """An envelope whose ``tag`` value selects the spec of its ``body`` (the event union)."""

    envelope: Obj
    tag: str
    body: str
    bodies: Mapping[str, Obj]
    fallback: Obj

    def check(self, value: Any, path: Path, out: Out) -> None:
        self.envelope.check(value, path, out)
        if not isinstance(value, dict) or not isinstance(value.get(self.body), dict):
            return  # the envelope check reported it
        tag = value.get(self.tag)
        spec = self.bodies.get(tag, self.fallback) if isinstance(tag, str) else self.fallback
        spec.check(value[self.body], (path, self.body), out)
