"""The field type language, parsed once: ``"int"``, ``"list[Product]"``, ``"dict(str, str)"``, ``"GeoLocation"``.

Each :class:`~mparticle.models.base.Field` carries its :class:`FieldType` (``field.field_type``),
parsed from the swagger type string it declares (``field.type``, which ``swagger_types`` keeps
showing). The models' structure checks, validation's specs and the API client's
deserialization read the parsed form instead of matching the string each on its own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Optional

if TYPE_CHECKING:
    from mparticle.models.base import Model

__all__ = ["KINDS", "FieldType", "parse_type", "registry"]

#: Every model class by name, used to resolve type strings such as ``'list[Product]'``.
registry: Dict[str, "type[Model]"] = {}

#: What each :attr:`FieldType.kind` means.
KINDS: Dict[str, str] = {
    "native": "a JSON scalar: str, int, long, float or bool",
    "object": "any value (swagger ``object``)",
    "dict": "a free JSON object (swagger ``dict``)",
    "date": "an ISO 8601 string read as a date or datetime (``date``, ``datetime``)",
    "list": "a JSON array of ``item`` values (``list[X]``)",
    "map": "a JSON object with ``key`` keys and ``item`` values (``dict(K, V)``)",
    "model": "a model, by class name (anything else; see :attr:`FieldType.model`)",
}
_KIND_OF_NAME = {
    **dict.fromkeys(("str", "int", "long", "float", "bool"), "native"),
    "object": "object",
    "dict": "dict",
    "date": "date",
    "datetime": "date",
}
_LIST = re.compile(r"list\[(.*)\]")
_MAP = re.compile(r"dict\(([^,]*), (.*)\)")


@dataclass(frozen=True)
class FieldType:
    """One parsed type: its ``text`` (the swagger string), ``kind`` (see :data:`KINDS`), and for
    lists and maps the ``item`` (value) type, for maps the ``key`` type."""

    text: str
    kind: str
    item: Optional["FieldType"] = None
    key: Optional["FieldType"] = None

    @property
    def value_type(self) -> "FieldType":
        """The type of a list's items or a map's values (TypeError for other kinds)."""
        if self.item is None:
            raise TypeError(f"{self.text!r} is not a list or map type")
        return self.item

    @property
    def model(self) -> "type[Model]":
        """The model class of a ``model`` type (KeyError when no model has that name)."""
        return registry[self.text]

    def __str__(self) -> str:
        return self.text


@functools.cache
def parse_type(text: str) -> FieldType:
    """The :class:`FieldType` of a swagger type string (cached: one object per distinct string).

    As the generated client read them: ``list[X]`` and ``dict(K, V)`` nest; a name that is not
    a known scalar, ``object``, ``dict``, ``date`` or ``datetime`` names a model.
    """
    match = _LIST.fullmatch(text)
    if match:
        return FieldType(text, "list", item=parse_type(match.group(1)))
    match = _MAP.fullmatch(text)
    if match:
        return FieldType(text, "map", item=parse_type(match.group(2)), key=parse_type(match.group(1)))
    return FieldType(text, _KIND_OF_NAME.get(text, "model"))
