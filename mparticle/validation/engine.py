"""The generic rule engine: the :class:`Problem` type, paths, and the specs of single values.

A spec checks one value and appends a :class:`Problem` per violation; paths are built lazily
and rendered only for a problem. This module has the specs of scalars (:class:`Kind`,
:class:`Integer`, :class:`Format`, :class:`Text`, :class:`Enum`, ...);
:mod:`~mparticle.validation.containers` has those of objects and arrays. Nothing here knows
the Events API's rules (only its UUID pattern, which the models define): the rule tables are
in :mod:`mparticle.validation.rules`.

A spec reads a JSON value or a model graph *as it is*, never serialized first: a model is the
dict of its set fields by JSON key, whose ``items()`` gives them in the order they are sent.
``check`` sees every value once and returns a *size bound*: at least the bytes the value takes
serialized, in units of :data:`UNIT` bytes, the most one character of a string may take (so a
string counts a unit per character) and, in an object or array, :data:`SLOT` units per entry
for the rest (the key's quotes, a colon, a comma; a string's quotes, a number, true, false or
null). A value that is not plain JSON data the way it is sent (a
``Decimal`` or a date, which the serializer converts; NaN; an unknown object; a subclass of a
JSON type; a key that is not a string; nesting deeper than :data:`MAX_PLAIN_DEPTH`) raises
:class:`Unusual`, and the caller checks the serialized form instead
(:mod:`mparticle.validation.api`).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, FrozenSet, Iterator, List, Literal, Optional, Tuple

import mparticle.models  # noqa: F401 - every model declared before OBJECTS is made
from mparticle.models.base import UUID_PATTERN, Model, registry

#: How bad a :class:`Problem` is: ``error`` (the batch breaks a rule of the Events API) or
#: ``warning`` (the server accepts it, but probably not as meant).
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding: where (``path``), which rule (``rule``), a human ``message``, and its
    ``severity``: ``"error"`` (a rule violation) or ``"warning"`` (accepted by the server, but
    probably a mistake: no environment, no user, a timestamp in seconds)."""

    path: str
    rule: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning."""
        return self.severity == "error"

    def __str__(self) -> str:
        warning = "" if self.severity == "error" else "warning: "
        return "{0}: {1}{2} [{3}]".format(self.path or "<batch>", warning, self.message, self.rule)


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
        if isinstance(key, int):  # list index (object keys are strings)
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
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _fail(out: Out, path: Path, rule: str, tail: str, severity: Severity = "error") -> None:
    """Append a problem whose message is the quoted path (or "the batch") followed by ``tail``."""
    text = render(path)
    out.append(Problem(text, rule, f"`{text}` {tail}" if text else f"the batch {tail}", severity))


# -- values as they are sent ----------------------------------------------------------------------


class Unusual(Exception):
    """A value the engine does not judge as it is: check the serialized form instead."""


#: Nesting :func:`plain_size` follows before it hands the value over to the serializer.
MAX_PLAIN_DEPTH = 100
#: A string of any length (``Spec.str_max``).
ANY_LENGTH = sys.maxsize
#: The unit of size bounds: the bytes one character may take serialized (an astral character,
#: ``\ud83d\ude00``).
UNIT = 12
_NUMBER_UNITS = 2  # a 64-bit integer (20 characters), any float (24: -1.2345678901234567e-308)
#: Units per entry of an object or array besides a string's characters: 28 bytes at most (a
#: key's quotes, a colon and a comma, then a string's quotes or a number, true, false, null).
SLOT = 3
_NUMBER_LIMIT = 10**19  # ints closer to 0 are at most 20 characters
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: dict and the models declared so far (other models are found by ``isinstance``).
OBJECTS: FrozenSet[type] = frozenset((dict, *registry.values()))
#: ``active`` while a serialized form is checked: plain JSON by construction.
_WIRE = threading.local()


@contextlib.contextmanager
def wire_data() -> Iterator[None]:
    """Check data read back from its serialized form: deep nesting is no reason to stop."""
    previous = getattr(_WIRE, "active", False)
    _WIRE.active = True
    try:
        yield
    finally:
        _WIRE.active = previous


def is_object(value: Any) -> bool:
    """A JSON object as the engine reads it: a plain dict or a model."""
    return type(value) in OBJECTS or isinstance(value, Model)


def fields_of(value: Any) -> Any:
    """The mapping the engine reads for an object (``is_object``): a dict as it is, a model's
    set fields by JSON key (``Model._data``: as stored, the checks left to the rules)."""
    return value if isinstance(value, dict) else value._data()


def plain_size(value: Any, depth: int = 0) -> int:
    """A bound of the serialized size of ``value`` (any JSON value, in units); Unusual if it is
    not plain JSON data."""
    kind = type(value)
    if kind is str:
        return len(value) + 1
    if kind is int:
        return int_size(value)
    if kind is float:
        if value - value != 0.0:  # NaN or an infinity
            raise Unusual
        return _NUMBER_UNITS
    if kind is bool or value is None:
        return 1
    return _container_size(value, depth)


def _container_size(value: Any, depth: int) -> int:
    if depth >= MAX_PLAIN_DEPTH:  # a cycle, or nesting the encoder may refuse: it decides
        if getattr(_WIRE, "active", False):
            return 0
        raise Unusual
    kind = type(value)
    if kind is list or kind is tuple:
        return 1 + len(value) + sum(plain_size(item, depth + 1) for item in value)
    if not is_object(value):
        raise Unusual
    size = 1
    for key, item in fields_of(value).items():
        if type(key) is not str:
            raise Unusual
        size += len(key) + 1 + plain_size(item, depth + 1)
    return size


def int_size(value: int) -> int:
    """Units of ``value`` serialized (at most); Unusual if it has too many digits to print."""
    if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
        return _NUMBER_UNITS
    try:
        return len(int.__repr__(value)) // UNIT + 1
    except ValueError:  # over the interpreter's digit limit: the serializer names it
        raise Unusual from None


# -- the specs of single values ------------------------------------------------------------------


class Spec:
    """A rule for one value; ``check`` appends a :class:`Problem` per violation and returns the
    value's size bound (Unusual for a value that is not plain JSON data).

    What an object or array accepts without calling ``check``: a string of at most ``str_max``
    characters (-1: none) or one of ``strings``; a value whose type is in ``free`` (int, float,
    bool) and that lies within the 64-bit integer range (so NaN and infinities never do).
    """

    str_max: int = -1
    strings: FrozenSet[str] = frozenset()
    free: FrozenSet[type] = frozenset()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """Append a Problem to ``out`` per violation in ``value`` (at ``path``); return its size bound."""
        raise NotImplementedError

    def _accepts(
        self, str_max: int = -1, strings: FrozenSet[str] = frozenset(), free: FrozenSet[type] = frozenset()
    ) -> None:
        """Set what containers accept inline, on the instance (read for every entry: an
        instance attribute is found faster than a class one); frozen dataclasses too."""
        object.__setattr__(self, "str_max", str_max)
        object.__setattr__(self, "strings", strings)
        object.__setattr__(self, "free", free)


_NUMBERS = frozenset((int, float))


class Kind(Spec):
    """A JSON type test, e.g. boolean, or flat scalar (string, number, boolean or null)."""

    def __init__(
        self,
        description: str,
        test: Callable[[Any], bool],
        str_max: int = -1,
        free: FrozenSet[type] = frozenset(),
    ) -> None:
        self.description = description
        self.test = test
        self._accepts(str_max, free=free)

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must pass the type test; returns its size bound."""
        size = plain_size(value)
        if not self.test(value):
            _fail(out, path, "type", f"must be {self.description}, got {_json_type(value)}")
        return size


def _is_int(value: Any) -> bool:  # JSON Schema "integer": 3 and 3.0, never true/false
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_flat(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


STRING = Kind("a string", lambda v: isinstance(v, str), ANY_LENGTH)
#: SCHEMA's ``String``: any flat JSON value (string, number, boolean, null).
SCALAR = Kind("a flat value (string, number, boolean or null)", _is_flat, ANY_LENGTH, _NUMBERS | {bool})
NUMBER = Kind("a number", _is_number, free=_NUMBERS)
BOOLEAN = Kind("a boolean", lambda v: isinstance(v, bool), free=frozenset((bool,)))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
ARRAY = Kind("an array", lambda v: isinstance(v, (list, tuple)))


class Integer(Kind):
    """JSON Schema "integer" within the Events API's 64-bit range (ids, timestamps)."""

    def __init__(self) -> None:
        super().__init__("an integer", _is_int, free=frozenset((int,)))

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be an integer within the 64-bit range; returns its size bound."""
        size = plain_size(value)
        if not _is_int(value):
            _fail(out, path, "type", f"must be {self.description}, got {_json_type(value)}")
        elif not INT64_MIN <= value <= INT64_MAX:
            bits = int(value).bit_length()  # (str() of a huge int can itself raise)
            _fail(out, path, "range", f"must be a 64-bit integer ({INT64_MIN} to {INT64_MAX}), got a {bits}-bit one")
        return size


INTEGER = Integer()

#: Epoch milliseconds a timestamp is expected between: 2001-09-09 (1e12; a time in seconds is
#: below, until the year 33658) and 2100-01-01.
PLAUSIBLE_MS = (10**12, 4_102_444_800_000)


class Timestamp(Integer):
    """An ``*_unixtime_ms`` field: an integer, and a warning (``timestamp``) when it is
    implausible as epoch milliseconds: before 2001 (a time in seconds) or after 2100 (in
    microseconds, or far in the future)."""

    def __init__(self) -> None:
        super().__init__()
        self._accepts()  # every value is looked at: none is accepted inline

    def check(self, value: Any, path: Path, out: Out) -> int:
        """An integer (as Integer), and a ``timestamp`` warning when implausible as epoch milliseconds."""
        before = len(out)
        size = super().check(value, path, out)
        if len(out) == before and value is not None and not PLAUSIBLE_MS[0] <= value < PLAUSIBLE_MS[1]:
            _fail(out, path, "timestamp", _implausible(int(value)), "warning")
        return size


def _implausible(ms: int) -> str:
    """Why the epoch milliseconds ``ms`` look wrong, and what they probably are."""
    low, high = PLAUSIBLE_MS
    shown = f"is {ms}, as milliseconds {_date(ms)}"
    if low // 1000 <= ms < high // 1000:
        return f"{shown}: it looks like seconds ({ms * 1000} would be {_date(ms * 1000)})"
    if low * 1000 <= ms < high * 1000:
        return f"{shown}: it looks like microseconds ({ms // 1000} would be {_date(ms // 1000)})"
    return f"{shown}: epoch milliseconds between 2001 and 2100 expected"


def _date(ms: int) -> str:
    """The UTC date of ``ms`` (``2023-11-14``), or where it lies when that is out of range."""
    try:
        return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return "after the year 9999" if ms > 0 else "before the year 1"


TIMESTAMP = Timestamp()


class Format(Spec):
    """A string in a given format (``uuid``, ``ip``); other types are a ``type`` problem."""

    def __init__(self, rule: str, description: str, test: Callable[[str], bool]) -> None:
        self.rule = rule
        self.description = description
        self.test = test
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be a string in this format; returns its size bound."""
        if type(value) is not str:
            return STRING.check(value, path, out)
        if not self.test(value):
            _fail(out, path, self.rule, f"must be {self.description}, got {_show(value)}")
        return len(value) + 1


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

    def __post_init__(self) -> None:
        self._accepts(self.max_length if self.kind.str_max >= 0 else -1, free=self.kind.free)

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be of ``kind`` and at most ``max_length`` characters; returns its size bound."""
        before = len(out)
        size = self.kind.check(value, path, out)
        if len(out) == before and type(value) is str and len(value) > self.max_length:
            _fail(out, path, "max_length", f"is {len(value)} characters; the limit is {self.max_length}")
        return size


@dataclass(frozen=True)
class Enum(Spec):
    """A string out of ``values``; ``other`` admits non-string values too (e.g. an integer)."""

    values: Tuple[str, ...]
    rule: str = "enum"
    other: Optional[Kind] = None
    strings: FrozenSet[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._accepts(strings=frozenset(self.values))

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be one of ``values`` (or match ``other``); returns its size bound."""
        if type(value) is str:
            if value not in self.strings:
                _fail(out, path, self.rule, f"is {_show(value)}; allowed values: {', '.join(self.values)}")
            return len(value) + 1
        size = plain_size(value)
        if self.other is None or not self.other.test(value):
            extra = f" or {self.other.description}" if self.other is not None else ""
            _fail(out, path, "type", f"must be one of {', '.join(self.values)}{extra}, got {_json_type(value)}")
        return size
