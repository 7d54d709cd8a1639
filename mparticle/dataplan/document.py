"""Reading a data plan version: from a dict, JSON text or a file, or a whole plan plus ``version=``.

Points are read as DPN reads them: a point without ``match`` or ``validator`` is skipped with
the warning ``Data Plan Point is not valid``; a validator that is not ``json_schema`` (or has
no definition) becomes the empty schema, with ``Non-JSON-Schema validator <key>``; of two
points with one match key the last wins, with ``Duplicate match key <key>``. Warnings are
kept on the plan and logged on the ``mparticle.dataplan`` logger.

Where DPN would throw at validation time (for every batch, or once an event matches the
point), loading fails instead, with a :class:`DataPlanError` naming the point: a
``custom_event``/``screen_view``/commerce/app-state point without ``criteria``; a definition
that is not an object or boolean; an unknown ``format``; a ``$schema`` other than draft-07;
any schema the backend rejects. ``user_identities`` points are kept but never compiled (DPN
never validates identities), and points of a type no event can have are never compiled.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from mparticle.dataplan.ajv import UnsupportedViolation, resolve_ref
from mparticle.dataplan.formats import KNOWN_FORMATS
from mparticle.dataplan.matching import CRITERIA_TYPES, UNKNOWN_KEY, point_key
from mparticle.dataplan.schema import CompiledSchema, SchemaError, compile_schema

logger: logging.Logger = logging.getLogger("mparticle.dataplan")

Source = Union[Dict[str, Any], str, bytes, "os.PathLike[str]"]
_DRAFT_07 = (
    "http://json-schema.org/draft-07/schema#",
    "http://json-schema.org/draft-07/schema",
    "https://json-schema.org/draft-07/schema#",
)


class DataPlanError(ValueError):
    """A data plan that cannot be used: unreadable, the wrong version, or a point DPN would reject."""


@dataclass
class Point:
    """One data point as validation uses it: its match, key, schema and compiled schema."""

    match: Dict[str, Any]
    key: str
    schema: Any
    description: Optional[str] = None
    compiled: Optional[CompiledSchema] = None

    @property
    def has_schema(self) -> bool:
        """False for an empty schema (``{}``: no validator, or not ``json_schema``)."""
        return not (isinstance(self.schema, dict) and not self.schema)


@dataclass
class PlanDocument:
    """A plan version read and checked: its id and version, the points by match key, the warnings."""

    data_plan_id: Optional[str]
    version: Optional[int]
    points: Dict[str, Point]
    warnings: List[str] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict)


def read_source(source: Source) -> Any:
    """``source`` as parsed JSON: a dict as is, JSON text, or the path of a JSON file."""
    if isinstance(source, dict):
        return source
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        try:
            return json.loads(source)
        except ValueError as exc:
            raise DataPlanError("data plan is not valid JSON: %s" % exc) from None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DataPlanError("cannot read data plan file %s: %s" % (path, exc.strerror or exc)) from None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise DataPlanError("data plan file %s is not valid JSON: %s" % (path, exc)) from None
    raise TypeError("source must be a dict, JSON text or a path, not %s" % type(source).__name__)


def select_version(plan: Any, version: Optional[int]) -> Dict[str, Any]:
    """The version object in ``plan``: a version, a bare version document, or a whole plan's version."""
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise TypeError("version must be an int or None, not %r" % (version,))
    if not isinstance(plan, dict):
        raise DataPlanError("a data plan must be a JSON object, not %s" % type(plan).__name__)
    if "data_plan_versions" in plan:
        versions = [v for v in plan.get("data_plan_versions") or [] if isinstance(v, dict)]
        present = [v.get("version") for v in versions]
        if version is None:
            raise DataPlanError(
                "data plan %r has several versions: pass version= (one of %s)" % (plan.get("data_plan_id"), present)
                if len(versions) != 1
                else "data plan %r: pass version=%r" % (plan.get("data_plan_id"), present[0])
            )
        for candidate in versions:
            if candidate.get("version") == version:
                if "data_plan_id" not in candidate and "data_plan_id" in plan:
                    candidate = dict(candidate, data_plan_id=plan["data_plan_id"])
                return candidate
        raise DataPlanError(
            "data plan %r has no version %d; versions present: %s" % (plan.get("data_plan_id"), version, present)
        )
    if "version_document" not in plan and "data_points" in plan:
        plan = {"version_document": plan}
    if not isinstance(plan.get("version_document"), dict):
        raise DataPlanError("Data Plan Version does not contain a valid Version Document")
    if version is not None and plan.get("version") is not None and plan.get("version") != version:
        raise DataPlanError("this is version %r of the plan, not version %d" % (plan.get("version"), version))
    selected: Dict[str, Any] = plan
    return selected


def parse_version(version: Dict[str, Any], backend: Optional[str] = None) -> PlanDocument:
    """Read ``version``'s points as DPN does; compile their schemas with ``backend``."""
    document = version["version_document"]
    points_in = document.get("data_points")
    if not isinstance(points_in, list):
        raise DataPlanError("Data Plan Document must have data points")
    warnings: List[str] = []
    points: Dict[str, Point] = {}
    for index, raw in enumerate(points_in):
        where = "data_points[%d]" % index
        if not isinstance(raw, dict) or not raw.get("match") or not raw.get("validator"):
            warnings.append("Data Plan Point is not valid (%s skipped)" % where)
            continue
        match = raw["match"]
        if not isinstance(match, dict):
            raise DataPlanError("%s: match must be an object" % where)
        if match.get("type") in CRITERIA_TYPES and not isinstance(match.get("criteria"), dict):
            raise DataPlanError(
                "%s: a %s point needs match.criteria (DPN cannot read this plan)" % (where, match.get("type"))
            )
        key = point_key(match)
        validator = raw["validator"]
        definition = validator.get("definition") if isinstance(validator, dict) else None
        if not isinstance(validator, dict) or validator.get("type") != "json_schema" or _js_falsy(definition):
            warnings.append("Non-JSON-Schema validator %s" % key)
            definition = {}
        if not isinstance(definition, (dict, bool)):
            raise DataPlanError("%s: schema should be object or boolean" % where)
        if key in points:
            warnings.append("Duplicate match key %s" % key)
        points[key] = Point(match, key, definition, raw.get("description"))
    for key, point in points.items():
        if key == UNKNOWN_KEY:
            continue
        try:
            _check_schema(point, backend)
        except DataPlanError as exc:
            if key != "user_identities":
                raise
            # DPN never validates identities; only mode="server" does, and reports this schema
            warnings.append("%s (identities are not checked)" % exc)
    for text in warnings:
        logger.warning("data plan %s v%s: %s", version.get("data_plan_id"), version.get("version"), text)
    return PlanDocument(version.get("data_plan_id"), version.get("version"), points, warnings, version)


def _js_falsy(value: Any) -> bool:
    """JS falsiness (DPN treats a falsy definition, ``false`` included, as no definition)."""
    return value is None or value is False or (isinstance(value, (int, float, str)) and not value)


def _check_schema(point: Point, backend: Optional[str]) -> None:
    name = "point %s" % point.key
    if isinstance(point.schema, dict):
        declared = point.schema.get("$schema")
        if declared is not None and declared not in _DRAFT_07:
            raise DataPlanError("%s: $schema %r is not draft-07 (DPN: no schema with key or ref)" % (name, declared))
        _check_formats(point.schema, "#", name)
        _check_refs(point.schema, point.schema, name)
    try:
        point.compiled = compile_schema(point.schema, backend)
    except SchemaError as exc:
        raise DataPlanError("%s: schema is invalid: %s" % (name, exc)) from None


def _check_formats(schema: Any, path: str, name: str) -> None:
    if isinstance(schema, dict):
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt not in KNOWN_FORMATS:
            raise DataPlanError('%s: unknown format "%s" is used in schema at path "%s"' % (name, fmt, path))
        for key, value in schema.items():
            if key in ("const", "enum", "default", "examples"):
                continue
            if key in ("properties", "patternProperties", "definitions", "dependencies") and isinstance(value, dict):
                for sub, inner in value.items():
                    _check_formats(inner, "%s/%s/%s" % (path, key, sub), name)
            elif isinstance(value, (dict, list)):
                _check_formats(value, "%s/%s" % (path, key), name)
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            _check_formats(value, "%s/%d" % (path, index), name)


def _check_refs(schema: Any, root: Any, name: str) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref is not None:
            try:
                resolve_ref(root, ref)
            except (UnsupportedViolation, KeyError, IndexError, TypeError, ValueError):
                raise DataPlanError("%s: can't resolve reference %s from id #" % (name, ref)) from None
        for key, value in schema.items():
            if key not in ("const", "enum", "default", "examples"):
                _check_refs(value, root, name)
    elif isinstance(schema, list):
        for value in schema:
            _check_refs(value, root, name)
