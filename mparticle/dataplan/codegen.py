"""Typed Python from a data plan: ``mparticle dataplan codegen plan.json -o acme_events.py``.

:func:`generate` writes a module with one keyword-only factory per planned custom event,
screen view and product action (and a ``user_attributes`` helper when the plan has that
point). Each factory returns the SDK's own model (:class:`~mparticle.AppEvent`,
:class:`~mparticle.ScreenViewEvent`, :class:`~mparticle.CommerceEvent`) with the point's
match criteria filled in, and takes the planned attributes as parameters typed from the JSON
Schema: ``string`` is ``str``, ``number`` ``float``, ``integer`` ``int``, ``boolean`` ``bool``,
``enum``/``const`` ``Literal[...]``, a type array with ``null`` ``Optional[...]``. Required
attributes have no default; optional ones default to None and are then left out. Legacy
string-typed attributes (``{"type": "string", "pattern": <number regex>}``) stay ``str``, as
mParticle's 2019-era plans expect; the docstring says what the pattern wants. The module also
has ``DATA_PLAN_ID``, ``DATA_PLAN_VERSION`` and ``tag(batch)``.

Reading the plan needs no JSON Schema library: points are read as DPN reads them (a point
without ``match`` or ``validator`` is skipped, the last of two points with one match key
wins, a validator that is not ``json_schema`` is the empty schema). The output is
deterministic and passes ``mypy --strict`` and ``ruff`` (lines of at most 120 characters).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from mparticle.dataplan.document import DataPlanError, Source, read_source, select_version
from mparticle.dataplan.matching import CRITERIA_TYPES, point_key
from mparticle.models.product_action import ACTIONS
from mparticle.models.shared import CUSTOM_EVENT_TYPES

__all__ = ["generate"]

_WIDTH = 120
_NAME_LIMIT = 60  # identifiers are cut to this many characters (event names can be 255 long)
# A factory named like a builtin gets a trailing underscore (``print_``), as a keyword does. Both
# lists are fixed (Python 3.13's), so that every Python generates the same module.
_BUILTINS = frozenset(
    (
        "abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile "
        "complex copyright credits delattr dict dir divmod enumerate eval exec exit filter float format "
        "frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len license "
        "list locals map max memoryview min next object oct open ord pow print property quit range repr "
        "reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip"
    ).split()
)
_SOFT_KEYWORDS = frozenset(("_", "case", "match", "type"))
_NUMBER_PATTERN = "^-?\\d+(\\.\\d+)?([eE][+\\-]?\\d+)?$"
_BOOLEAN_PATTERN = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"
_NOT_FLAT = "Not offered (the Events API sends only flat attribute values): %s."
_UNFIT = "Not offered (the plan's type does not fit the SDK model's field): %s."
_FLAT = "Union[str, float, bool]"  # a custom attribute without a planned type: any flat value

# The models' own parameter types, for the planned fields that go to a model's field.
_PRODUCT_ACTION_FIELDS = {
    "checkout_step": "int",
    "checkout_options": "str",
    "product_action_list": "str",
    "product_list_source": "str",
    "transaction_id": "str",
    "affiliation": "str",
    "total_amount": "float",
    "tax_amount": "float",
    "shipping_amount": "float",
    "coupon_code": "str",
}
_PRODUCT_FIELDS = {
    "id": "str",
    "name": "str",
    "brand": "str",
    "category": "str",
    "variant": "str",
    "position": "int",
    "price": "float",
    "quantity": "float",
    "coupon_code": "str",
    "added_to_cart_time_ms": "int",
    "total_product_amount": "float",
    "custom_attributes": "Dict[str, Any]",
}
_COMMERCE_FIELDS = {"currency_code": "str"}
_SUBTYPES = {"str": {"str"}, "int": {"int"}, "float": {"int", "float"}, "bool": {"bool"}}


def generate(source: Source, version: Optional[int] = None) -> str:
    """The text of a Python module of typed factories for a plan version.

    ``source`` and ``version`` are as for :func:`mparticle.dataplan.load` (a dict, JSON text or
    a path; a version, or a whole plan plus ``version=``). Raises
    :class:`~mparticle.dataplan.DataPlanError` for a plan that cannot be read or a missing
    version (naming the versions present).
    """
    return _build(source, version)[0]


def _build(source: Source, version: Optional[int] = None) -> Tuple[str, "_Module"]:
    """The module text, and the module object (its functions, plan id and version)."""
    selected = select_version(read_source(source), version)
    plan_id = selected.get("data_plan_id")
    plan_version = selected.get("version")
    module = _Module(
        plan_id if isinstance(plan_id, str) else None,
        plan_version if isinstance(plan_version, int) and not isinstance(plan_version, bool) else None,
        _read_points(selected),
    )
    return module.render(), module


def _functions(source: Source, version: Optional[int] = None) -> List["_Function"]:
    """The functions :func:`generate` writes, with their parameters (for tests)."""
    return _build(source, version)[1].functions


@dataclass
class _Point:
    kind: str
    match: Dict[str, Any]
    schema: Any
    description: Optional[str]


def _read_points(version: Dict[str, Any]) -> List[_Point]:
    """The version's points by match key, as DPN keeps them (skipped, last wins, ``{}``)."""
    points_in = version["version_document"].get("data_points")
    if not isinstance(points_in, list):
        raise DataPlanError("Data Plan Document must have data points")
    points: Dict[str, _Point] = {}
    for index, raw in enumerate(points_in):
        if not isinstance(raw, dict) or not raw.get("match") or not raw.get("validator"):
            continue
        match = raw["match"]
        if not isinstance(match, dict):
            raise DataPlanError("data_points[%d]: match must be an object" % index)
        if match.get("type") in CRITERIA_TYPES and not isinstance(match.get("criteria"), dict):
            raise DataPlanError("data_points[%d]: a %s point needs match.criteria" % (index, match.get("type")))
        validator = raw["validator"]
        schema = validator.get("definition") if isinstance(validator, dict) else None
        if not isinstance(validator, dict) or validator.get("type") != "json_schema" or not isinstance(schema, dict):
            schema = {}
        description = raw.get("description")
        key = point_key(match)
        points.pop(key, None)  # the last point wins, in its own place
        text = description if isinstance(description, str) else None
        points[key] = _Point(str(match.get("type")), match, schema, text)
    return list(points.values())


# -- names ---------------------------------------------------------------------------------------
# Letters that NFKD does not take apart into an ASCII letter and accents.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
        "Ð": "D",
    }
)


def _snake(text: str) -> str:
    """``text`` as a lower-case ASCII snake_case fragment ("" when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LETTERS)).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ascii_text)
    ascii_text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", ascii_text)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_text).strip("_").lower()
    return name[:_NAME_LIMIT].rstrip("_")


def _identifier(text: str, fallback: str) -> str:
    """A valid identifier from ``text``: ``fallback`` when empty, ``fallback_<name>`` for a leading digit."""
    name = _snake(text)
    if not name:
        return fallback
    if name[0].isdigit():
        return "%s_%s" % (fallback, name)
    return name


class _Names:
    """Unique names in one namespace: a clash gets ``_2``, ``_3``...; keywords and ``avoid`` get ``_``."""

    def __init__(self, taken: Iterable[str] = (), avoid: Iterable[str] = ()) -> None:
        self.taken: Set[str] = set(taken)
        self.avoid = frozenset(avoid)

    def claim(self, name: str) -> str:
        if keyword.iskeyword(name) or name in _SOFT_KEYWORDS or name in self.avoid:
            name += "_"
        unique, number = name, 2
        while unique in self.taken:
            unique, number = "%s_%d" % (name, number), number + 1
        self.taken.add(unique)
        return unique


# -- text ----------------------------------------------------------------------------------------
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _py_str(value: str) -> str:
    """``value`` as a Python string literal (``repr``, in double quotes where that is the same)."""
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1] + '"'
    return text


def _str_lines(value: str, indent: str, prefix: str = "", suffix: str = "") -> List[str]:
    """``indent + prefix + literal + suffix``, split into adjacent literals where too long."""
    line = indent + prefix + _py_str(value) + suffix
    if _width(line) <= _WIDTH:
        return [line]
    room = max(_WIDTH - _width(indent) - max(_width(prefix), _width(suffix)) - 8, 16)
    chunks: List[str] = []
    rest = value
    while rest:
        size = 1
        while size < len(rest) and _width(_py_str(rest[: size + 1])) <= room:
            size += 1
        if size < len(rest) and " " in rest[1:size]:
            size = rest.rindex(" ", 1, size) + 1  # cut after a space where there is one
        chunks.append(rest[:size])
        rest = rest[size:]
    lines = [indent + prefix + _py_str(chunks[0])]
    lines += [indent + "    " + _py_str(chunk) for chunk in chunks[1:]]
    lines[-1] += suffix
    return lines


def _doc_pieces(text: str) -> List[str]:
    """``text`` char by char, escaped for a docstring: backslashes and unprintables, and every
    second quote of a run (so never three in a row)."""
    out: List[str] = []
    previous = ""
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"' and previous == '"':
            out.append('\\"')
            ch = ""
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
        previous = ch
    return out


def _comment_pieces(text: str) -> List[str]:
    """``text`` char by char for a comment: only unprintables escaped."""
    return [ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text]


def _wrap(text: str, indent: str, rest: Optional[str] = None, comment: bool = False) -> List[str]:
    """``text`` (whitespace collapsed, then escaped) as docstring lines: the first at ``indent``,
    the others at ``rest`` (default: ``indent``). Long words are cut, never inside an escape."""
    rest = indent if rest is None else rest
    lines: List[str] = []
    current = ""

    def room() -> int:
        return _WIDTH - _width(rest if lines else indent) - 4

    for word in text.split():
        pieces = _comment_pieces(word) if comment else _doc_pieces(word)
        while pieces:
            size = sum(_width(piece) for piece in pieces)
            gap = 1 if current else 0
            if _width(current) + gap + size <= room():
                current += " " * gap + "".join(pieces)
                break
            if current:
                lines.append(current)
                current = ""
                continue
            cut, used = 0, 0
            while cut < len(pieces) and used + _width(pieces[cut]) <= room():
                used += _width(pieces[cut])
                cut += 1
            lines.append("".join(pieces[:cut]))
            pieces = pieces[cut:]
    if current:
        lines.append(current)
    return [(indent if i == 0 else rest) + line for i, line in enumerate(lines)]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith((".", "!", "?", ":")) else text + "."


# -- types ---------------------------------------------------------------------------------------
_SCALARS = {"string": "str", "number": "float", "integer": "int", "boolean": "bool", "object": "Dict[str, Any]"}


@dataclass
class _Type:
    """A Python annotation for a schema: ``text``, the names it uses, its base type name."""

    text: str
    names: Set[str] = field(default_factory=set)
    base: Optional[str] = None  # str/int/float/bool for a flat type, else None
    nullable: bool = False
    flat: bool = True  # a value custom_attributes can carry
    members: List[Any] = field(default_factory=list)  # the values of the Literal in ``text``
    literal: str = ""  # that Literal's text


def _literal_value(value: Any) -> Optional[str]:
    """``value`` as a ``Literal[...]`` member, or None when Literal cannot hold it."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value) if abs(value) < 2**63 else None  # mypy refuses larger Literal ints
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # JSON 2.0 == 2
    if isinstance(value, str):
        return _py_str(value)
    return None


def _base_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "int" if isinstance(value, int) or value.is_integer() else "float"
    return "str"


def _schema_type(schema: Any, flat: bool) -> _Type:
    """The annotation for values of ``schema`` (without Optional: see ``nullable``)."""
    if not isinstance(schema, dict):
        return _Type(_FLAT, {"Union"}) if flat else _Type("Any", {"Any"})
    values: Optional[List[Any]] = None
    if "const" in schema:
        values = [schema["const"]]
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        values = list(schema["enum"])
    if values is not None:
        nullable = any(v is None for v in values)
        members = [v for v in values if v is not None]
        texts = [_literal_value(v) for v in members]
        if members and all(text is not None for text in texts):
            unique = list(dict.fromkeys(t for t in texts if t is not None))
            bases = {_base_of(v) for v in members}
            base = bases.pop() if len(bases) == 1 else None
            distinct = list({text: value for text, value in zip(texts, members)}.values())
            literal = "Literal[%s]" % ", ".join(unique)
            return _Type(literal, {"Literal"}, base, nullable, members=distinct, literal=literal)
        numbers = [v for v, t in zip(members, texts) if t is None]
        if members and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
            # some numbers Literal cannot hold (2.5, 2**70): the Literal of the rest, or their type
            held = list(dict.fromkeys(t for t in texts if t is not None))
            union = (["Literal[%s]" % ", ".join(held)] if held else []) + sorted(
                {"float" if isinstance(v, float) else "int" for v in numbers}
            )
            text = union[0] if len(union) == 1 else "Union[%s]" % ", ".join(union)
            names = ({"Literal"} if held else set()) | ({"Union"} if len(union) > 1 else set())
            return _Type(text, names, None, nullable)
        if not members:
            return _Type("None", set(), None, True)
    declared = schema.get("type")
    kinds = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    nullable = "null" in kinds
    kinds = [k for k in dict.fromkeys(kinds) if k != "null" and isinstance(k, str)]
    if values is not None and any(isinstance(v, float) and not v.is_integer() for v in values):
        kinds = kinds or ["number"]
    if not kinds:
        if nullable:
            return _Type("None", set(), None, True)
        return _Type(_FLAT, {"Union"}) if flat else _Type("Any", {"Any"})
    parts: List[_Type] = []
    for kind in kinds:
        if kind == "array":
            item = _schema_type(schema.get("items"), False)
            item_text = "Optional[%s]" % item.text if item.nullable and item.text != "None" else item.text
            names = {"List"} | item.names | ({"Optional"} if item.nullable else set())
            parts.append(_Type("List[%s]" % item_text, names, flat=False, members=item.members, literal=item.literal))
        elif kind in _SCALARS:
            text = _SCALARS[kind]
            part = _Type(text, {"Dict", "Any"} if kind == "object" else set(), None if kind == "object" else text)
            part.flat = kind != "object"
            parts.append(part)
        else:
            parts.append(_Type("Any", {"Any"}, None))
    if len(parts) == 1:
        parts[0].nullable = nullable
        return parts[0]
    choices = list(dict.fromkeys(p.text for p in parts))
    union_names: Set[str] = {"Union"}
    for part in parts:
        union_names |= part.names
    result = _Type("Union[%s]" % ", ".join(choices), union_names, None, nullable)
    result.flat = all(p.flat for p in parts)
    return result


def _notes(schema: Any) -> List[str]:
    """What the type does not say: a pattern, a format, bounds."""
    if not isinstance(schema, dict):
        return []
    notes: List[str] = []
    pattern = schema.get("pattern")
    if pattern == _NUMBER_PATTERN:
        notes.append('A number as a string, e.g. "42" (legacy string-typed plan).')
    elif pattern == _BOOLEAN_PATTERN:
        notes.append('"true" or "false" (any case) as a string (legacy string-typed plan).')
    elif isinstance(pattern, str):
        notes.append("Matches ``%s``." % pattern)
    fmt = schema.get("format")
    if fmt == "date-time":
        # str, not datetime: naive datetimes' isoformat() has no time zone, which date-time requires.
        notes.append("An ISO 8601 date-time with a time zone (RFC 3339), e.g. 2024-05-01T12:00:00Z.")
    elif isinstance(fmt, str):
        notes.append("Format %s." % fmt)
    for low, high, what in (("minimum", "maximum", ""), ("minLength", "maxLength", " characters")):
        lo, hi = schema.get(low), schema.get(high)
        if lo is not None and hi is not None:
            notes.append("%s to %s%s." % (lo, hi, what))
        elif lo is not None:
            notes.append("At least %s%s." % (lo, what))
        elif hi is not None:
            notes.append("At most %s%s." % (hi, what))
    return notes


# -- parameters ----------------------------------------------------------------------------------
@dataclass
class _Param:
    name: str
    key: str
    annotation: _Type
    required: bool
    doc: List[str]
    schema: Any = None  # the property's schema

    def text(self) -> str:
        if self.required:
            return self.annotation.text if not self.annotation.nullable else self._optional()
        return self._optional()

    def _optional(self) -> str:
        return self.annotation.text if self.annotation.text == "None" else "Optional[%s]" % self.annotation.text

    def names(self) -> Set[str]:
        optional = (self.annotation.nullable or not self.required) and self.annotation.text != "None"
        return self.annotation.names | ({"Optional"} if optional else set())


def _properties(schema: Any) -> Tuple[Dict[str, Any], List[str], bool]:
    """``(properties, required, open)`` of an object schema (``open``: unplanned keys allowed)."""
    if not isinstance(schema, dict):
        return {}, [], True
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    listed = schema.get("required")
    required = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    return properties, list(dict.fromkeys(required)), schema.get("additionalProperties") is not False


def _sub(schema: Any, *path: str) -> Any:
    """``schema.properties[path[0]].properties[path[1]]...`` or None."""
    for name in path:
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            return None
        schema = schema["properties"].get(name)
    return schema


def _attribute_params(schema: Any, names: _Names, flat: bool, skipped: List[str]) -> Tuple[List[_Param], bool]:
    """Parameters for the planned attributes of an object schema; whether unplanned ones are allowed."""
    properties, required, is_open = _properties(schema)
    keys = list(dict.fromkeys([*[k for k in properties if k in required], *required, *properties]))
    params: List[_Param] = []
    for key in keys:
        annotation = _schema_type(properties.get(key, {}), flat)
        if flat and not annotation.flat:
            skipped.append(key)
            continue
        name = names.claim(_identifier(key, "attr"))
        sub = properties.get(key)
        doc: List[str] = []
        if isinstance(sub, dict) and isinstance(sub.get("description"), str) and sub["description"].strip():
            doc.append(_sentence(sub["description"]))
        if name != key:
            doc.append("Attribute %s." % _py_str(key))
        doc += _notes(sub)
        params.append(_Param(name, key, annotation, key in required, doc, sub))
    return params, is_open


def _model_params(schema: Any, fields: Dict[str, str], names: _Names, skipped: List[str]) -> List[_Param]:
    """Parameters for the planned properties that are fields of a model, typed to fit the model
    (``skipped`` gets those whose planned type the model's field cannot hold)."""
    properties, required, _ = _properties(schema)
    params: List[_Param] = []
    for key, sub in properties.items():
        if key not in fields:
            continue
        model = fields[key]
        annotation = _schema_type(sub, False)
        if model.startswith("Dict"):
            fits = annotation.text in ("Any", model)
            annotation = _Type(model, {"Dict", "Any"}, None, annotation.nullable)
        elif annotation.text == "Any":
            fits = True
            annotation = _Type(model, set(), model, annotation.nullable)
        else:
            fits = annotation.base in _SUBTYPES[model]
        if not fits:
            skipped.append(key)
            continue
        doc: List[str] = []
        if isinstance(sub, dict) and isinstance(sub.get("description"), str) and sub["description"].strip():
            doc.append(_sentence(sub["description"]))
        doc += _notes(sub)
        params.append(_Param(names.claim(key), key, annotation, key in required, doc, sub))
    params.sort(key=lambda p: not p.required)
    return params


# -- the module ----------------------------------------------------------------------------------
@dataclass
class _Function:
    """One generated function: its name and lines, and what tests need to call it."""

    name: str
    lines: List[str]
    kind: str  # custom_event, screen_view, product_action, product, user_attributes
    params: List[_Param]
    extra: bool = False  # takes extra_attributes
    helper: Optional[str] = None  # a product action's product helper
    products_required: bool = False


class _Module:
    """The generated module, built point by point: its functions, imports and type aliases."""

    def __init__(self, plan_id: Optional[str], version: Optional[int], points: List[_Point]) -> None:
        self.plan_id = plan_id
        self.version = version
        self.points = points
        self.typing: Set[str] = set()
        self.models: Set[str] = {"Batch", "BatchContext", "DataPlanContext"}
        self.aliases: List[str] = []
        self.alias_names = _Names({"_attributes"})
        self.functions: List[_Function] = []
        self.skipped: List[str] = []
        self.uses_attributes = False
        self.names = _Names({"tag", "user_attributes"}, _BUILTINS | {"l"})

    def _function_names(self, points: List[_Point]) -> List[str]:
        """The factories' names, in point order: snake_case, then deduplicated."""
        bases: List[str] = []
        for point in points:
            criteria = point.match.get("criteria") or {}
            if point.kind == "custom_event":
                bases.append(_identifier(criteria["event_name"], "event"))
            elif point.kind == "screen_view":
                bases.append(_identifier("screen " + criteria["screen_name"], "screen"))
            elif point.kind == "product_action":
                bases.append(_identifier("commerce " + criteria["action"], "commerce"))
            else:
                bases.append("user_attributes")
        types: Dict[str, Set[str]] = {}
        for point, base in zip(points, bases):
            if point.kind == "custom_event":
                types.setdefault(base, set()).add(point.match["criteria"]["custom_event_type"])
        names = self.names
        out: List[str] = []
        for point, base in zip(points, bases):
            if point.kind == "user_attributes":
                out.append(base)
                continue
            if point.kind == "custom_event" and len(types[base]) > 1:
                base = "%s_%s" % (base, point.match["criteria"]["custom_event_type"])
            out.append(names.claim(base))
        return out

    def _usable(self, point: _Point) -> bool:
        criteria = point.match.get("criteria") or {}
        if point.kind == "custom_event":
            ok = isinstance(criteria.get("event_name"), str) and criteria.get("custom_event_type") in CUSTOM_EVENT_TYPES
        elif point.kind == "screen_view":
            ok = isinstance(criteria.get("screen_name"), str)
        elif point.kind == "product_action":
            ok = criteria.get("action") in ACTIONS
        else:
            return point.kind == "user_attributes"
        if not ok:
            self.skipped.append(point_key(point.match))
        return ok

    def render(self) -> str:
        points = [p for p in self.points if self._usable(p)]
        user = [p for p in points if p.kind == "user_attributes"]
        points = [p for p in points if p.kind != "user_attributes"] + user[-1:]
        for point, name in zip(points, self._function_names(points)):
            if point.kind == "custom_event":
                self._event(point, name, "AppEvent")
            elif point.kind == "screen_view":
                self._event(point, name, "ScreenViewEvent")
            elif point.kind == "product_action":
                self._commerce(point, name)
            else:
                self._user_attributes(point, name)
        return self._assemble()

    def _signature(self, name: str, params: List[_Param], fixed: List[str], returns: str) -> List[str]:
        lines = ["def %s(" % name]
        if params or fixed:
            lines.append("    *,")
        for param in sorted(params, key=lambda p: not p.required):
            self.typing |= param.names()
            default = "" if param.required else " = None"
            line = "    %s: %s%s," % (param.name, param.text(), default)
            if _width(line) > _WIDTH:
                alias = self.alias_names.claim("_%s_%s" % (name[:16].rstrip("_"), param.name[:16].rstrip("_")))
                self._alias(alias, param)
                old = param.annotation
                text = old.text.replace(old.literal, alias) if old.literal else alias
                param.annotation = _Type(text, old.names - {"Literal"}, old.base, old.nullable)
                line = "    %s: %s%s," % (param.name, param.text(), default)
            lines.append(line)
        lines += ["    %s" % text for text in fixed]
        lines.append(") -> %s:" % returns)
        return lines

    def _alias(self, alias: str, param: _Param) -> None:
        """A module-level alias for a Literal too long for one line, one member a line."""
        if not param.annotation.literal:
            self.aliases.append("%s = %s" % (alias, param.annotation.text))
            self.typing |= param.annotation.names
            return
        self.typing.add("Literal")
        lines = ["%s = Literal[" % alias]
        for member in param.annotation.members:
            if isinstance(member, str):
                lines += _str_lines(member, "    ", suffix=",")
            else:
                lines.append("    %s," % _literal_value(member))
        lines.append("]")
        self.aliases.append("\n".join(lines))

    def _docstring(self, summary: str, description: Optional[str], params: List[_Param], more: List[str]) -> List[str]:
        lines = ['    """' + line.lstrip() if i == 0 else line for i, line in enumerate(_wrap(summary, "    "))]
        if description and description.strip() and _sentence(description) != summary:
            lines.append("")
            lines += _wrap(_sentence(description), "    ")
        for text in more:
            lines.append("")
            lines += _wrap(text, "    ")
        documented = [p for p in params if p.doc]
        if documented:
            lines += ["", "    Args:"]
            for param in documented:
                lines += _wrap("%s: %s" % (param.name, " ".join(param.doc)), "        ", "            ")
        if len(lines) == 1 and _width(lines[0]) + 3 <= _WIDTH and not lines[0].endswith('"'):
            lines[0] += '"""'
        else:
            lines.append('    """')
        return lines

    def _attributes_block(self, params: List[_Param], extra: Optional[str]) -> List[str]:
        """``_attrs = _attributes(extra, {required...}, {optional...})``."""
        self.uses_attributes = True
        lines = ["    _attrs = _attributes("]
        lines.append("        %s," % (extra or "None"))
        for group in ([p for p in params if p.required], [p for p in params if not p.required]):
            if not group:
                lines.append("        {},")
                continue
            lines.append("        {")
            for param in group:
                lines += _str_lines(param.key, "            ", suffix=": %s," % param.name)
            lines.append("        },")
        lines.append("    )")
        return lines

    def _custom_attributes(self, params: List[_Param], is_open: bool, always: bool) -> Tuple[List[str], Optional[str]]:
        """The body lines building the custom attributes, and the ``custom_attributes=`` value (None: omit)."""
        if params:
            extra = "extra_attributes" if is_open else None
            return self._attributes_block(params, extra), "_attrs" if always else "_attrs or None"
        if is_open:
            return [], "extra_attributes or {}" if always else "extra_attributes"
        return [], "{}" if always else None

    def _criteria_lines(self, pairs: List[Tuple[str, str]], indent: str) -> List[str]:
        lines: List[str] = []
        for key, value in pairs:
            lines += _str_lines(value, indent, prefix="%s=" % key, suffix=",")
        return lines

    def _event(self, point: _Point, name: str, model: str) -> None:
        self.models.add(model)
        criteria = point.match["criteria"]
        data = _sub(point.schema, "data")
        attributes = _sub(point.schema, "data", "custom_attributes")
        _, data_required, _ = _properties(data)
        names = _Names({"timestamp_unixtime_ms", "extra_attributes"}, {"l"})
        skipped: List[str] = []
        params, is_open = _attribute_params(attributes, names, True, skipped)
        fixed: List[str] = []
        if is_open:
            fixed.append("extra_attributes: Optional[Dict[str, Any]] = None,")
            self.typing |= {"Optional", "Dict", "Any"}
        fixed.append("timestamp_unixtime_ms: Optional[int] = None,")
        self.typing.add("Optional")
        if model == "AppEvent":
            what = "Custom event %s (%s)." % (_py_str(criteria["event_name"]), criteria["custom_event_type"])
            pairs = [("event_name", criteria["event_name"]), ("custom_event_type", criteria["custom_event_type"])]
        else:
            what = "Screen view %s." % _py_str(criteria["screen_name"])
            pairs = [("screen_name", criteria["screen_name"])]
        more = [_NOT_FLAT % ", ".join(skipped)] if skipped else []
        if is_open:
            more.append("``extra_attributes`` are sent too (the plan allows unplanned attributes).")
        lines = self._signature(name, params, fixed, model)
        lines += self._docstring(what, point.description, params, more)
        body, value = self._custom_attributes(params, is_open, "custom_attributes" in data_required)
        lines += body
        lines.append("    return %s(" % model)
        lines += self._criteria_lines(pairs, "        ")
        if value is not None:
            lines.append("        custom_attributes=%s," % value)
        lines.append("        timestamp_unixtime_ms=timestamp_unixtime_ms,")
        lines.append("    )")
        self.functions.append(_Function(name, lines, point.kind, params, is_open))

    def _commerce(self, point: _Point, name: str) -> None:
        self.models |= {"CommerceEvent", "ProductAction", "Product"}
        self.typing.add("List")
        action = point.match["criteria"]["action"]
        data = _sub(point.schema, "data")
        product_action = _sub(point.schema, "data", "product_action")
        names = _Names({"products", "timestamp_unixtime_ms", "extra_attributes"}, {"l"})
        unfit: List[str] = []
        action_params = _model_params(product_action, _PRODUCT_ACTION_FIELDS, names, unfit)
        event_params = _model_params(data, _COMMERCE_FIELDS, names, unfit)
        skipped: List[str] = []
        attr_params, is_open = _attribute_params(_sub(data, "custom_attributes"), names, True, skipped)
        _, action_required, _ = _properties(product_action)
        _, data_required, _ = _properties(data)
        items = _sub(point.schema, "data", "product_action", "products")
        item_schema = items.get("items") if isinstance(items, dict) else None
        helper = None
        if isinstance(item_schema, dict) and isinstance(item_schema.get("properties"), dict):
            helper = self._product_helper(name, action, item_schema)
        products_required = "products" in action_required
        products = "products: %s," % ("List[Product]" if products_required else "Optional[List[Product]] = None")
        fixed: List[str] = []
        if is_open:
            fixed.append("extra_attributes: Optional[Dict[str, Any]] = None,")
            self.typing |= {"Dict", "Any"}
        fixed.append("timestamp_unixtime_ms: Optional[int] = None,")
        self.typing.add("Optional")
        params = action_params + event_params + attr_params
        lines = self._signature(name, params, fixed, "CommerceEvent")
        # products leads (after "def name(" and "*,"): first if required, else first of the optional ones
        lines.insert(2 if products_required else 2 + sum(1 for p in params if p.required), "    " + products)
        more: List[str] = []
        if helper:
            more.append("Build ``products`` with :func:`%s`." % helper)
        if skipped:
            more.append(_NOT_FLAT % ", ".join(skipped))
        if unfit:
            more.append(_UNFIT % ", ".join(unfit))
        if is_open:
            more.append("``extra_attributes`` are sent too (the plan allows unplanned attributes).")
        lines += self._docstring("Product action %s." % _py_str(action), point.description, params, more)
        body, value = self._custom_attributes(attr_params, is_open, "custom_attributes" in data_required)
        lines += body
        lines.append("    return CommerceEvent(")
        lines.append("        product_action=ProductAction(")
        lines += _str_lines(action, "            ", prefix="action=", suffix=",")
        lines.append("            products=products,")
        lines += ["            %s=%s," % (p.key, p.name) for p in action_params]
        lines.append("        ),")
        lines += ["        %s=%s," % (p.key, p.name) for p in event_params]
        if value is not None:
            lines.append("        custom_attributes=%s," % value)
        lines.append("        timestamp_unixtime_ms=timestamp_unixtime_ms,")
        lines.append("    )")
        self.functions.append(_Function(name, lines, "product_action", params, is_open, helper, products_required))

    def _product_helper(self, factory: str, action: str, item_schema: Dict[str, Any]) -> Optional[str]:
        unfit: List[str] = []
        params = _model_params(item_schema, _PRODUCT_FIELDS, _Names(), unfit)
        if not params:
            return None
        name = self.names.claim(factory + "_product")
        lines = self._signature(name, params, [], "Product")
        summary = "A product for :func:`%s` (product action %s)." % (factory, _py_str(action))
        description = item_schema.get("description")
        more = [_UNFIT % ", ".join(unfit)] if unfit else []
        lines += self._docstring(summary, description if isinstance(description, str) else None, params, more)
        lines.append("    return Product(")
        lines += ["        %s=%s," % (p.key, p.name) for p in params]
        lines.append("    )")
        self.functions.append(_Function(name, lines, "product", params))
        return name

    def _user_attributes(self, point: _Point, name: str) -> None:
        self.typing |= {"Dict", "Any"}
        names = _Names({"extra_attributes"}, {"l"})
        params, is_open = _attribute_params(point.schema, names, False, [])
        fixed = []
        if is_open:
            fixed.append("extra_attributes: Optional[Dict[str, Any]] = None,")
            self.typing.add("Optional")
        lines = self._signature(name, params, fixed, "Dict[str, Any]")
        lines += self._docstring("User attributes for ``Batch.user_attributes``.", point.description, params, [])
        lines += self._attributes_block(params, "extra_attributes" if is_open else None)
        lines.append("    return _attrs")
        self.functions.append(_Function(name, lines, "user_attributes", params, is_open))

    def _assemble(self) -> str:
        plan = _py_str(self.plan_id) if self.plan_id is not None else "(no id)"
        version = str(self.version) if self.version is not None else "(no version)"
        out = [
            "# Generated by `mparticle dataplan codegen`. Do not edit: regenerate from the plan instead.",
            *_wrap("Data plan %s, version %s." % (plan, version), "# ", "#   ", comment=True),
        ]
        if self.skipped:
            out.append("# Skipped (criteria the SDK's models cannot send):")
            for key in self.skipped:
                out += _wrap(key, "#   ", comment=True)
        out += [
            '"""Typed event factories for a data plan: call one, put the event in a ``Batch``, ``tag()`` the batch."""',
            "",
        ]
        typing = set(self.typing)
        if self.uses_attributes:
            typing |= {"Any", "Dict", "Optional"}
        if self.plan_id is None or self.version is None:
            typing.add("Optional")
        if self.plan_id is not None:
            typing.add("Any")  # tag()'s reading of an existing tag
        if typing:
            out += ["from typing import %s" % ", ".join(sorted(typing)), ""]
        out += ["from mparticle import ("]
        models = self.models if self.plan_id is not None else self.models - {"BatchContext", "DataPlanContext"}
        out += ["    %s," % name for name in sorted(models)]
        out += [")", ""]
        exported = ["DATA_PLAN_ID", "DATA_PLAN_VERSION", "tag"] + [f.name for f in self.functions]
        out.append("__all__ = [")
        out += ['    "%s",' % name for name in exported]
        out += ["]", ""]
        if self.plan_id is not None:
            lines = _str_lines(self.plan_id, "", prefix="DATA_PLAN_ID: str = ")
            out += lines if len(lines) == 1 else ["DATA_PLAN_ID: str = (", *_str_lines(self.plan_id, "    "), ")"]
        else:
            out.append("DATA_PLAN_ID: Optional[str] = None")
        if self.version is not None:
            out.append("DATA_PLAN_VERSION: int = %d" % self.version)
        else:
            out.append("DATA_PLAN_VERSION: Optional[int] = None")
        for alias in self.aliases:
            out += ["", alias]
        out += ["", "", *(_TAG if self.plan_id is not None else _TAG_WITHOUT_ID).splitlines()]
        if self.uses_attributes:
            out += ["", "", *_HELPER.splitlines()]
        for function in self.functions:
            out += ["", "", *function.lines]
        return "\n".join(out) + "\n"


_TAG = '''def tag(batch: Batch) -> Batch:
    """Tag ``batch`` with this plan and version (``context.data_plan``) unless it names a plan
    already; the context's other fields are kept. Returns ``batch``."""
    context = batch.context if batch.context is not None else BatchContext()
    current: Any = context.data_plan
    named = current.get("plan_id") if isinstance(current, dict) else getattr(current, "plan_id", None)
    if not named:
        context.data_plan = DataPlanContext(plan_id=DATA_PLAN_ID, plan_version=DATA_PLAN_VERSION)
    batch.context = context
    return batch'''

_TAG_WITHOUT_ID = '''def tag(batch: Batch) -> Batch:
    """Not available: the plan this module was generated from has no ``data_plan_id``."""
    raise ValueError("this plan has no data_plan_id: generate the module from a plan version that has one")'''

_HELPER = '''def _attributes(
    extra: Optional[Dict[str, Any]], required: Dict[str, Any], optional: Dict[str, Any]
) -> Dict[str, Any]:
    """``extra``, then the required values, then the optional ones that are not None."""
    merged = dict(extra or {})
    merged.update(required)
    merged.update((key, value) for key, value in optional.items() if value is not None)
    return merged'''
