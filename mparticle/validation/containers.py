"""The specs of objects and arrays: :class:`Obj`, :class:`ListOf`, :class:`MapOf`,
:class:`ScalarOrList` and :class:`Tagged` (the event union).

Each walks its entries once, in the order they are sent (a model's ``items()``), and accepts
the common entries inline, without calling their spec: a string the spec takes as it is
(``str_max``, ``strings``), a number or boolean of a ``free`` type, a null. The size bound
and :class:`~mparticle.validation.engine.Unusual` are as described in
:mod:`mparticle.validation.engine`.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

from mparticle.models.base import Model
from mparticle.validation.engine import (
    ANY_LENGTH,
    ARRAY,
    INT64_MAX,
    INT64_MIN,
    OBJECT,
    OBJECTS,
    SLOT,
    UNIT,
    Out,
    Path,
    Spec,
    Unusual,
    _fail,
    _json_type,
    is_object,
    plain_size,
)

__all__ = ["ListOf", "MapOf", "Obj", "ScalarOrList", "Tagged"]


@dataclass(frozen=True)
class ListOf(Spec):
    """A JSON array of ``item`` values, at most ``max_items`` long."""

    item: Spec
    max_items: Optional[int] = None

    def __post_init__(self) -> None:
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be an array of ``item`` values, at most ``max_items``; returns its size bound."""
        kind = type(value)
        if kind is not list and kind is not tuple:
            return ARRAY.check(value, path, out)
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        spec = self.item
        str_max, strings, free = spec.str_max, spec.strings, spec.free
        size = 1 + SLOT * len(value)
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str:
                if (length := len(item)) <= str_max or item in strings:
                    size += length
                    continue
            elif kind in free:
                if INT64_MIN <= item <= INT64_MAX:
                    continue
            elif item is None:
                continue
            size += spec.check(item, (path, index), out)
        return size


@dataclass(frozen=True)
class MapOf(Spec):
    """A JSON object with free keys (at most ``key_max`` characters) and ``value`` values."""

    value: Spec
    max_items: Optional[int] = None
    key_max: Optional[int] = None

    def __post_init__(self) -> None:
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be an object of ``value`` values under valid keys; returns its size bound."""
        if type(value) is not dict:
            if type(value) not in OBJECTS and not isinstance(value, Model):  # is_object, inline
                return OBJECT.check(value, path, out)
            value = value._data()  # a model (is_object, not a dict): its set fields by JSON key
        if self.max_items is not None and len(value) > self.max_items:
            _fail(out, path, "max_items", f"has {len(value)} entries; the limit is {self.max_items}")
        key_max = ANY_LENGTH if self.key_max is None else self.key_max
        spec = self.value
        str_max, strings, free = spec.str_max, spec.strings, spec.free
        size = 1 + SLOT * len(value)
        for key, item in value.items():
            if type(key) is not str:
                raise Unusual
            length = len(key)
            size += length
            if length > key_max:
                _fail(out, (path, key), "max_length", f"has a name of {length} characters; the limit is {key_max}")
            kind = type(item)
            if kind is str:
                if (length := len(item)) <= str_max or item in strings:
                    size += length
                    continue
            elif kind in free:
                if INT64_MIN <= item <= INT64_MAX:
                    continue
            elif item is None:
                continue
            size += spec.check(item, (path, key), out)
        return size


@dataclass(frozen=True)
class ScalarOrList(Spec):
    """SCHEMA ``StringOrArray``: a flat value, or an array of flat values."""

    scalar: Spec
    items: ListOf

    def __post_init__(self) -> None:
        self._accepts(self.scalar.str_max, self.scalar.strings, self.scalar.free)

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` is checked as an array of ``items`` if it is one, else as ``scalar``; returns its size bound."""
        kind = type(value)
        return (self.items if kind is list or kind is tuple else self.scalar).check(value, path, out)


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
    #: Units counted per entry: :data:`~mparticle.validation.engine.SLOT` and a declared key
    #: (as long as the longest).
    entry_size: int = field(init=False, repr=False, compare=False)
    _requires: bool = field(init=False, repr=False, compare=False)
    _hints: Dict[str, str] = field(init=False, repr=False, compare=False)
    #: Per key: its spec, and what the loop accepts inline for it (read once per entry).
    _entries: Dict[str, Tuple[Spec, int, FrozenSet[str], FrozenSet[type]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        longest = max((len(json.dumps(key)) - 2 for key in self.fields), default=0)  # as sent
        object.__setattr__(self, "entry_size", SLOT + (longest + UNIT - 1) // UNIT)
        object.__setattr__(self, "_requires", bool(self.required or self.any_of))
        object.__setattr__(self, "_hints", {})
        entries = {key: (spec, spec.str_max, spec.strings, spec.free) for key, spec in self.fields.items()}
        object.__setattr__(self, "_entries", entries)
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """``value`` must be an object with the required, known and valid fields; returns its size bound."""
        if type(value) is not dict:
            if type(value) not in OBJECTS and not isinstance(value, Model):  # is_object, inline
                size = plain_size(value)
                _fail(out, path, "type", f"({self.name}) must be an object, got {_json_type(value)}")
                return size
            value = value._data()  # a model (is_object, not a dict): its set fields by JSON key
        required = self.required
        if required:
            get = value.get
            for key in required:
                if get(key) is None:
                    _fail(out, (path, key), "required", f"is required in {self.name}")
        if self.any_of:
            self._check_any_of(value, path, out)
        entries = self._entries
        size = 1 + self.entry_size * len(value)
        for key, item in value.items():
            try:
                spec, str_max, strings, free = entries[key]
            except KeyError:
                size += self._other(key, item, path, out)
                continue
            kind = type(item)
            if kind is str:
                if (length := len(item)) <= str_max or item in strings:
                    size += length
                    continue
            elif kind in free:
                if INT64_MIN <= item <= INT64_MAX:
                    continue
            elif item is None:
                continue
            size += spec.check(item, (path, key), out)
        return size

    def _check_any_of(self, value: Mapping[str, Any], path: Path, out: Out) -> None:
        get = value.get
        if all(get(key) is None for key in self.any_of):
            _fail(out, path, "required_any", f"({self.name}) needs one of: {', '.join(self.any_of)}")

    def _other(self, key: Any, item: Any, path: Path, out: Out) -> int:
        """A key the object does not declare: reported if the object is closed; its size."""
        if type(key) is not str:
            raise Unusual
        if self.closed:
            _fail(out, (path, key), self.unknown_rule, f"is not allowed in {self.name}{self._hint(key)}")
        return len(key) + plain_size(item)

    def _hint(self, key: str) -> str:
        """`` (did you mean `x`?); allowed keys: ...``, remembered per key (the same mistake
        tends to come batch after batch, and the close match costs far more than a check)."""
        hint = self._hints.get(key)
        if hint is None:
            allowed = list(self.fields)
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (f" (did you mean `{close[0]}`?)" if close else "") + f"; allowed keys: {', '.join(allowed)}"
            if len(self._hints) < 256:
                self._hints[key] = hint
        return hint


class _Body(Spec):
    """A tagged envelope's body, as the envelope sees it: an object (checked by :class:`Tagged`)."""

    def __init__(self) -> None:
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        if is_object(value):
            return 0  # checked, and sized, with the spec its tag selects
        return OBJECT.check(value, path, out)


@dataclass(frozen=True)
class Tagged(Spec):
    """An envelope whose ``tag`` value selects the spec of its ``body`` (the event union).

    ``envelope`` declares ``body`` too (its spec there is not used: the body is checked with
    the one its tag selects, else ``fallback``).
    """

    envelope: Obj
    tag: str
    body: str
    bodies: Mapping[str, Obj]
    fallback: Obj
    _outer: Obj = field(init=False, repr=False, compare=False)
    _plain_tags: FrozenSet[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        envelope = self.envelope
        fields = {key: _Body() if key == self.body else spec for key, spec in envelope.fields.items()}
        outer = Obj(envelope.name, fields, envelope.required, envelope.any_of, envelope.closed, envelope.unknown_rule)
        object.__setattr__(self, "_outer", outer)
        # tags the envelope takes as they are, each with its body spec: {tag, body} is then valid
        tag_spec = envelope.fields.get(self.tag)
        tags = tag_spec.strings if tag_spec is not None and tag_spec.str_max < 0 else frozenset()
        object.__setattr__(self, "_plain_tags", frozenset(tags & set(self.bodies)))
        self._accepts()

    def check(self, value: Any, path: Path, out: Out) -> int:
        """The envelope and the body that its tag selects (else ``fallback``); returns the size bound."""
        if type(value) is not dict and (type(value) in OBJECTS or isinstance(value, Model)):
            value = value._data()  # a model (is_object, not a dict): its set fields by JSON key
        if type(value) is dict and len(value) == 2:  # the usual: tag and body
            tag = value.get(self.tag)
            body = value.get(self.body)
            if type(tag) is str and tag in self._plain_tags and (type(body) in OBJECTS or isinstance(body, Model)):
                size = 1 + 2 * self._outer.entry_size + len(tag)
                return size + self.bodies[tag].check(body, (path, self.body), out)
        size = self._outer.check(value, path, out)
        if not is_object(value):
            return size  # the envelope check reported it
        body = value.get(self.body)
        if not is_object(body):
            return size  # reported, unless it is null
        tag = value.get(self.tag)
        spec = self.bodies.get(tag, self.fallback) if type(tag) is str else self.fallback
        return size + spec.check(body, (path, self.body), out)
