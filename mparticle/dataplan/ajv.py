"""Ajv 6 as DPN reports it: violations become DPN's error objects, in Ajv's order.

The backend says which keyword failed where; this module rebuilds what Ajv 6 (draft-07,
``allErrors``) would have said about it: one entry per missing ``required`` name, per extra
property and per missing ``dependencies`` name, only the stricter of ``maximum`` and
``exclusiveMaximum``, Ajv's English messages with JS number text, and DPN's mapping to
``validation_error_type``, ``key``, ``error_pointer`` and ``actual``. Entries are sorted by a
key that follows Ajv's generated code: at each schema node ``$ref``, an early ``type``, the
number, string, array and object rule groups, then ``const``, ``enum``, ``not``, ``anyOf``,
``oneOf``, ``allOf`` and ``if``; properties in JS key order, extra properties in data order.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

from mparticle.dataplan.formats import compile_js_regex
from mparticle.dataplan.jsvalues import js_equal, js_keys, js_number, js_string, js_stringify, js_value
from mparticle.dataplan.schema import PathItem, SchemaViolation

Entry = Dict[str, Any]
Rank = Tuple[float, ...]
_INF = float("inf")

_GROUPS: Dict[str, Tuple[int, Tuple[str, ...]]] = {
    "number": (10, ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "format")),
    "string": (20, ("maxLength", "minLength", "pattern", "format")),
    "array": (30, ("maxItems", "minItems", "items", "additionalItems", "contains", "uniqueItems")),
    "object": (
        40,
        (
            "maxProperties",
            "minProperties",
            "required",
            "dependencies",
            "propertyNames",
            "properties",
            "patternProperties",
            "additionalProperties",
        ),
    ),
}
_LOCAL: Dict[str, Rank] = {
    "$ref": (0,),
    "false schema": (0,),
    "maximum": (10, 0),
    "exclusiveMaximum": (10, 0),
    "minimum": (10, 1),
    "exclusiveMinimum": (10, 1),
    "multipleOf": (10, 2),
    "maxLength": (20, 0),
    "minLength": (20, 1),
    "pattern": (20, 2),
    "format": (20, 3),
    "maxItems": (30, 0),
    "minItems": (30, 1),
    "additionalItems": (30, 2, -1),
    "contains": (30, 4, _INF),
    "uniqueItems": (30, 5),
    "maxProperties": (40, 0),
    "minProperties": (40, 1),
    "propertyNames": (40, 4, _INF),
    "const": (50,),
    "enum": (51,),
    "not": (52,),
    "anyOf": (53, _INF),
    "oneOf": (54, _INF),
    "if": (56, _INF),
}
#: Ajv's keywords as DPN maps them to ``validation_error_type`` (anything else: ``unknown``).
ERROR_TYPES: Dict[str, str] = {
    **{k: "invalid_value" for k in ("type", "const", "enum", "pattern", "format", "minimum", "maximum")},
    **{k: "invalid_value" for k in ("exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength")},
    "additionalProperties": "unplanned",
    "additionalItems": "unplanned",
    "required": "missing_required",
    "dependencies": "missing_required",
}
#: Keywords Ajv 6 counts as rules (``schemaHasRules``): a property schema without any is "no rules".
RULE_KEYWORDS = frozenset(
    {"type", "$comment", "$ref", "const", "enum", "not", "anyOf", "oneOf", "allOf", "if"}
    | {k for _, names in _GROUPS.values() for k in names}
)
_MISSING = object()


class UnsupportedViolation(ValueError):
    """A violation this layer cannot place as Ajv would (the schema path is unexpected)."""


def has_rules(schema: Any) -> bool:
    """Ajv 6's ``schemaHasRules``: ``false``, or an object with a rule keyword."""
    if isinstance(schema, bool):
        return not schema
    return isinstance(schema, dict) and any(k in RULE_KEYWORDS for k in schema)


def escape(segment: PathItem) -> str:
    """One JSON pointer segment (``~`` as ``~0``, ``/`` as ``~1``)."""
    return str(segment).replace("~", "~0").replace("/", "~1")


def resolve_ref(root: Any, ref: Any) -> Any:
    """``ref`` (``#`` or ``#/...``) inside ``root``; UnsupportedViolation for anything else."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise UnsupportedViolation("$ref %r: only references inside the point's definition are supported" % (ref,))
    node = root
    for part in ref[1:].split("/")[1:] if ref != "#" else ():
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def type_rank(node: Dict[str, Any]) -> Rank:
    """Where Ajv checks ``type``: first, or in its group's else-branch when that group is used."""
    types = node.get("type")
    if isinstance(types, list):
        if len(types) != 1:
            return (1,)
        types = types[0]
    group = _GROUPS.get(types) if isinstance(types, str) else None
    if group is None or not any(k in node for k in group[1]):
        return (1,)
    return (group[0], 9)


def _index(keys: List[str], key: Any) -> int:
    try:
        return keys.index(str(key))
    except ValueError:
        return len(keys)


class _Place:
    """A located violation: the schema node holding the keyword, the data there, its sort prefix."""

    __slots__ = ("node", "data", "prefix", "ipath", "extras")

    def __init__(
        self, node: Any, data: Any, prefix: Tuple[Rank, ...], ipath: Tuple[PathItem, ...], extras: List[Any]
    ) -> None:
        self.node = node
        self.data = data
        self.prefix = prefix
        self.ipath = ipath
        self.extras = extras


def locate(root: Any, cleaned: Any, violation: SchemaViolation) -> Tuple[_Place, str]:
    """The node and data the violation's keyword sits at, with the Ajv sort prefix leading there."""
    spath = list(violation.schema_path)
    ipath = list(violation.instance_path)
    node, data = root, cleaned
    prefix: List[Rank] = []
    taken: List[PathItem] = []
    if not spath or (_is_subschema_position(spath) and _node_at(root, spath) is False):
        keyword = "false schema"
    else:
        keyword = str(spath.pop())
    i = 0
    extras: List[Tuple[str, Any, Any, Tuple[Rank, ...], Tuple[PathItem, ...]]] = []

    def take() -> PathItem:
        nonlocal data
        seg = ipath[len(taken)]
        if isinstance(data, list):
            data = data[int(seg)]
        else:
            seg = str(seg)
            data = data[seg]
        taken.append(seg)
        return seg

    try:
        while i < len(spath):
            seg = spath[i]
            if isinstance(node, dict) and "$ref" in node and seg != "$ref" and seg not in node:
                node = resolve_ref(root, node["$ref"])
                prefix.append((0,))
                continue
            if seg == "$ref":
                node = resolve_ref(root, node["$ref"])
                prefix.append((0,))
                i += 1
            elif seg == "properties":
                name = str(spath[i + 1])
                prefix.append((40, 6, _index(js_keys(node["properties"]), name)))
                node = node["properties"][name]
                take()
                i += 2
            elif seg == "items":
                items = node["items"]
                if isinstance(items, list):
                    idx = int(spath[i + 1])
                    node = items[idx]
                    i += 2
                else:
                    node = items
                    i += 1
                    idx = int(ipath[len(taken)])
                prefix.append((30, 2, idx))
                take()
            elif seg in ("additionalItems", "contains"):
                idx = int(ipath[len(taken)])
                prefix.append((30, 3 if seg == "additionalItems" else 4, idx))
                node = node[seg]
                take()
                i += 1
            elif seg == "additionalProperties":
                parent = data
                member = take()
                prefix.append((40, 5, _index(js_keys(parent), member)))
                node = node[seg]
                i += 1
            elif seg == "patternProperties":
                source = str(spath[i + 1])
                parent = data
                member = take()
                prefix.append((40, 7, _index(js_keys(node[seg]), source), _index(js_keys(parent), member)))
                node = node[seg][source]
                i += 2
            elif seg == "dependencies":
                dep = str(spath[i + 1])
                prefix.append((40, 3, _index(js_keys(node[seg]), dep)))
                node = node[seg][dep]
                i += 2
            elif seg in ("anyOf", "oneOf", "allOf"):
                idx = int(spath[i + 1])
                prefix.append(({"anyOf": 53, "oneOf": 54, "allOf": 55}[str(seg)], idx))
                node = node[seg][idx]
                i += 2
            elif seg == "propertyNames":
                extras.append((str(seg), node, data, tuple(prefix), tuple(taken)))
                prefix.append((40, 4, 0))
                node = node[seg]
                i += 1
            elif seg in ("then", "else"):
                extras.append((str(seg), node, data, tuple(prefix), tuple(taken)))
                prefix.append((56, 0))
                node = node[seg]
                i += 1
            else:
                raise UnsupportedViolation("unexpected schema path %r" % (violation.schema_path,))
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        if isinstance(exc, UnsupportedViolation):
            raise
        raise UnsupportedViolation("cannot follow schema path %r: %s" % (violation.schema_path, exc)) from exc
    while isinstance(node, dict) and "$ref" in node and keyword not in ("$ref", "false schema") and keyword not in node:
        node = resolve_ref(root, node["$ref"])  # python-jsonschema's paths skip the $ref hop
        prefix.append((0,))
    if keyword == "dependencies" or (keyword == "required" and spath and spath[-1] == "dependencies"):
        keyword = "dependencies"
    if keyword in ("then", "else"):
        keyword = "if"
    if isinstance(node, bool):
        keyword = "false schema"
    return _Place(node, data, tuple(prefix), tuple(taken), extras), keyword


def _is_subschema_position(spath: List[PathItem]) -> bool:
    """Whether the path ends at a subschema (as for a ``false`` schema), not at a keyword."""
    if len(spath) >= 2 and spath[-2] in ("properties", "patternProperties", "dependencies", "anyOf", "oneOf", "allOf"):
        return True
    if len(spath) >= 2 and spath[-2] == "items" and isinstance(spath[-1], int):
        return True
    return spath[-1] in ("items", "contains", "not", "then", "else", "propertyNames", "$ref")


def _node_at(root: Any, spath: List[PathItem]) -> Any:
    node = root
    for seg in spath:
        if isinstance(node, dict) and str(seg) in node:
            node = node[str(seg)]
        elif isinstance(node, list) and isinstance(seg, int) and seg < len(node):
            node = node[seg]
        else:
            return MISSING
    return node


def _message(keyword: str, node: Dict[str, Any], data: Any) -> Optional[str]:
    value = node.get(keyword) if isinstance(node, dict) else None
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return "should be " + ",".join(str(t) for t in types)
    fixed = {
        "const": "should be equal to constant",
        "enum": "should be equal to one of the allowed values",
        "contains": "should contain a valid item",
        "anyOf": "should match some schema in anyOf",
        "oneOf": "should match exactly one schema in oneOf",
        "not": "should NOT be valid",
        "false schema": "boolean schema is false",
    }
    if keyword in fixed:
        return fixed[keyword]
    if keyword == "pattern":
        return 'should match pattern "%s"' % value
    if keyword == "format":
        return 'should match format "%s"' % value
    comparisons = {"maximum": "<=", "minimum": ">=", "exclusiveMaximum": "<", "exclusiveMinimum": ">"}
    if keyword in comparisons:
        return "should be %s %s" % (comparisons[keyword], js_number(value))
    if keyword == "multipleOf":
        return "should be multiple of %s" % js_number(value)
    lengths = {
        "maxLength": "should NOT be longer than %s characters",
        "minLength": "should NOT be shorter than %s characters",
        "maxItems": "should NOT have more than %s items",
        "minItems": "should NOT have fewer than %s items",
        "maxProperties": "should NOT have more than %s properties",
        "minProperties": "should NOT have fewer than %s properties",
    }
    if keyword in lengths:
        return lengths[keyword] % js_number(value)
    if keyword == "uniqueItems":
        pair = duplicate_pair(node, data)
        return "should NOT have duplicate items (items ## %d and %d are identical)" % pair if pair else None
    return None


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def duplicate_pair(node: Dict[str, Any], items: Any) -> Optional[Tuple[int, int]]:
    """The two indices Ajv 6's ``uniqueItems`` names, or None when it finds no duplicate.

    With a scalar ``items.type`` Ajv only compares items of that type, by their string form,
    and names the later index first.
    """
    if not isinstance(items, list):
        return None
    item_type = node.get("items", {}).get("type") if isinstance(node.get("items"), dict) else None
    types: List[Any] = item_type if isinstance(item_type, list) else [item_type]
    if item_type is None or any(t in ("object", "array") for t in types) or not all(t in _TYPE_CHECKS for t in types):
        for i in range(len(items) - 1, 0, -1):
            for j in range(i - 1, -1, -1):
                if js_equal(items[i], items[j]):
                    return j, i
        return None
    seen: Dict[str, int] = {}
    for i in range(len(items) - 1, -1, -1):
        item = items[i]
        if not any(_TYPE_CHECKS[t](item) for t in types):
            continue
        text = ('"' + item) if isinstance(item_type, list) and isinstance(item, str) else js_string(item)
        if text in seen:
            return seen[text], i
        seen[text] = i
    return None


def _stricter(node: Dict[str, Any], keyword: str) -> str:
    pairs = {"maximum": "exclusiveMaximum", "exclusiveMaximum": "maximum"}
    lower = {"minimum": "exclusiveMinimum", "exclusiveMinimum": "minimum"}
    if keyword in pairs:
        plain, exclusive = "maximum", "exclusiveMaximum"
        if plain in node and exclusive in node:
            return exclusive if _num(node[exclusive]) <= _num(node[plain]) else plain
    elif keyword in lower:
        plain, exclusive = "minimum", "exclusiveMinimum"
        if plain in node and exclusive in node:
            return exclusive if _num(node[exclusive]) >= _num(node[plain]) else plain
    return keyword


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _lookup(original: Any, segments: Iterable[str]) -> Any:
    """DPN's ``actual`` lookup: walk the original data by the escaped segments, stop at a miss."""
    current = original
    for segment in segments:
        if isinstance(current, dict) and segment in current:
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            break
    return current


def _actual(value: Any) -> Any:
    if value is _MISSING:
        return _MISSING
    if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return js_value(value)
    return js_stringify(value)


def make_entry(
    keyword: str, segments: List[str], original: Any, expected: Optional[str], extra: Any = _MISSING
) -> Entry:
    """One DPN error object, its keys in DPN's order."""
    entry: Entry = {}
    if keyword in ("additionalProperties",):
        entry["actual"] = extra
    elif keyword not in ("required", "additionalItems"):
        actual = _actual(_lookup(original, segments)) if original is not _MISSING else _MISSING
        if actual is not _MISSING:
            entry["actual"] = actual
    entry["error_pointer"] = "#" + "".join("/" + s for s in segments)
    entry["schema_keyword"] = keyword
    if keyword == "additionalProperties":
        entry["key"] = extra
    elif segments and keyword != "additionalItems":
        entry["key"] = segments[-1]
    entry["validation_error_type"] = ERROR_TYPES.get(keyword, "unknown")
    if expected is not None and keyword not in ("additionalProperties", "additionalItems"):
        entry["expected"] = expected
    return entry


def build_errors(
    root: Any,
    cleaned: Any,
    original: Any,
    violations: Iterable[SchemaViolation],
    backend: Optional[str] = None,
) -> List[Entry]:
    """DPN's ``validation_errors`` for ``violations`` of ``root`` by ``cleaned`` (read ``actual`` from ``original``).

    ``backend`` compiles the subschemas Ajv reports on and the backends do not (``contains``, ``propertyNames``).
    """
    return [entry for _, _, entry in _ranked(root, cleaned, original, violations, (), (), backend)]


def _ranked(
    root: Any,
    cleaned: Any,
    original: Any,
    violations: Iterable[SchemaViolation],
    base_prefix: Tuple[Rank, ...],
    base_path: Tuple[PathItem, ...],
    backend: Optional[str],
) -> List[Tuple[Tuple[Rank, ...], int, Entry]]:
    ranked: List[Tuple[Tuple[Rank, ...], int, Entry]] = []
    seen = set()
    for violation in violations:
        place, keyword = locate(root, cleaned, violation)
        node, data = place.node, place.data
        if isinstance(node, dict) and keyword in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
            keyword = _stricter(node, keyword)
        marker = (keyword, place.prefix, place.ipath)
        if marker in seen:
            continue
        seen.add(marker)
        segments = [escape(s) for s in base_path + place.ipath]
        prefix = base_prefix + place.prefix
        for rank, entry in _entries(keyword, node, data, segments, original):
            ranked.append((prefix + (rank,), len(ranked), entry))
        if keyword == "contains" and isinstance(data, list):
            ranked.extend(_contains_items(node, data, base_path + place.ipath, original, prefix, len(ranked), backend))
        for seg, at, at_data, at_prefix, at_path in place.extras:
            marker = (seg, base_prefix + at_prefix, at_path)
            if marker in seen:
                continue
            seen.add(marker)
            at_segments = [escape(s) for s in base_path + at_path]
            if seg == "propertyNames":
                for name in _bad_names(at, at_data, backend):
                    text = "property name '%s' is invalid" % name
                    ranked.append(
                        (
                            base_prefix + at_prefix + ((40, 4, _INF),),
                            len(ranked),
                            make_entry(seg, at_segments, original, text),
                        )
                    )
            else:
                text = 'should match "%s" schema' % seg
                ranked.append(
                    (
                        base_prefix + at_prefix + ((56, _INF),),
                        len(ranked),
                        make_entry("if", at_segments, original, text),
                    )
                )
    ranked.sort(key=lambda item: (item[0], item[1]))
    return ranked


def _contains_items(
    node: Dict[str, Any],
    items: List[Any],
    path: Tuple[PathItem, ...],
    original: Any,
    prefix: Tuple[Rank, ...],
    start: int,
    backend: Optional[str],
) -> List[Tuple[Tuple[Rank, ...], int, Entry]]:
    """Ajv reports the errors of every item against ``contains`` before the ``contains`` entry."""
    from mparticle.dataplan.schema import compile_schema

    sub = node.get("contains", True)
    compiled = compile_schema(sub, backend)
    out: List[Tuple[Tuple[Rank, ...], int, Entry]] = []
    for index, item in enumerate(items):
        if compiled.is_valid(item):
            continue
        violations = compiled.violations(item)
        ranked = _ranked(sub, item, original, violations, prefix + ((30, 4, index),), path + (index,), backend)
        out.extend((key, start + len(out), entry) for key, _, entry in ranked)
    return out


def _entries(keyword: str, node: Any, data: Any, segments: List[str], original: Any) -> List[Tuple[Rank, Entry]]:
    if keyword == "false schema":
        return [((0,), make_entry(keyword, segments, original, "boolean schema is false"))]
    if keyword == "required":
        properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
        keys = js_keys(properties)
        out = []
        for index, name in enumerate(node.get("required") or ()):
            if not isinstance(data, dict) or name in data:
                continue
            if name in properties and has_rules(properties[name]):
                rank: Rank = (40, 6, keys.index(name))
            else:
                rank = (40, 2, index)
            out.append((rank, make_entry("required", segments, original, str(name))))
        return out
    if keyword == "additionalProperties":
        if node.get("additionalProperties") is not False or not isinstance(data, dict):
            return []
        properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
        patterns = [compile_js_regex(p) for p in (node.get("patternProperties") or {})]
        out = []
        for index, name in enumerate(js_keys(data)):
            if name in properties or any(p.search(name) for p in patterns):
                continue
            out.append(((40, 5, index), make_entry(keyword, segments, original, None, name)))
        return out
    if keyword == "dependencies":
        if not isinstance(data, dict):
            return []
        out = []
        for index, trigger in enumerate(js_keys(node.get("dependencies") or {})):
            needed = node["dependencies"][trigger]
            if not isinstance(needed, list) or trigger not in data:
                continue
            text = "should have %s when property %s is present" % (
                ("property " + str(needed[0])) if len(needed) == 1 else "properties " + ", ".join(map(str, needed)),
                trigger,
            )
            for name in needed:
                if name not in data:
                    out.append(((40, 3, index), make_entry(keyword, segments, original, text)))
        return out
    if keyword == "type":
        return [(type_rank(node), make_entry(keyword, segments, original, _message(keyword, node, data)))]
    if keyword == "propertyNames":
        return []  # the entry comes with its inner errors (``Place.extras``)
    if keyword == "uniqueItems":
        unique = _message(keyword, node, data)
        return [(_LOCAL[keyword], make_entry(keyword, segments, original, unique))] if unique else []
    if keyword == "allOf":
        return []
    if keyword not in _LOCAL:
        raise UnsupportedViolation("keyword %r is not supported" % keyword)
    return [(_LOCAL[keyword], make_entry(keyword, segments, original, _message(keyword, node, data)))]


def _bad_names(node: Dict[str, Any], data: Any, backend: Optional[str]) -> List[str]:
    from mparticle.dataplan.schema import compile_schema

    if not isinstance(data, dict):
        return []
    names = compile_schema(node.get("propertyNames", True), backend)
    return [name for name in js_keys(data) if not names.is_valid(name)]


def strip_nulls(value: Any) -> Any:
    """DPN's cleaned copy: ``null`` object members removed, recursively, but not inside arrays.

    A top-level list becomes an object keyed by index (DPN cleans it as one); ``__proto__`` vanishes.
    """
    if isinstance(value, list):
        value = {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        return value
    out = {}
    for key, member in value.items():
        if member is None or key == "__proto__":
            continue
        out[key] = strip_nulls(member) if isinstance(member, dict) else member
    return out


MISSING = _MISSING
