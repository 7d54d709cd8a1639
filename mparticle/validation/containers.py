"""The specs of objects and arrays: :class:`Obj`, :class:`ListOf`, :class:`MapOf`,
:class:`ScalarOrList` and :class:`Tagged` (the event union)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

from mparticle.validation.engine import ARRAY, OBJECT, Out, Path, Spec, _fail, _json_type

__all__ = ["ListOf", "MapOf", "Obj", "ScalarOrList", "Tagged"]


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
