"""``DataPlan``: a loaded plan version validating batches and events (DPN's strict mode)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from mparticle.dataplan.ajv import MISSING, build_errors, strip_nulls
from mparticle.dataplan.document import DataPlanError, PlanDocument, Point
from mparticle.dataplan.matching import event_key, synthesize_match, unplanned_key
from mparticle.dataplan.report import Report, Result
from mparticle.dataplan.schema import InstanceError
from mparticle.dataplan.server import coerce, plan_identities

#: ``strict``: exactly @mparticle/data-planning-node; ``server``: the mParticle server's documented
#: rules on top (string/raw number and boolean equivalence, identities checked). docs/DataPlans.md.
MODES = ("strict", "server")


def _invalid_schema(key: str) -> Dict[str, Any]:
    return {"validation_error_type": "unknown", "error_pointer": "#", "actual": "Invalid JSON Schema", "key": key}


def wire_form(value: Any, what: str) -> Any:
    """A model (``Batch``, an event) as its wire-form dict; a dict as it is."""
    if isinstance(value, dict):
        return value
    from mparticle.models.base import Model

    if isinstance(value, Model):
        from mparticle.models.batch import wrap_events
        from mparticle.serialization import dumps

        if what == "event":
            value = wrap_events(None, [value])[0]
        return json.loads(dumps(value))
    raise TypeError("%s must be a mparticle model or a wire-form dict, not %s" % (what, type(value).__name__))


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError("mode must be one of %s, not %r" % (", ".join(map(repr, MODES)), mode))


def _too_deep(where: str, exc: BaseException) -> DataPlanError:
    reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return DataPlanError("%s cannot be validated: %s" % (where, reason))


class DataPlan:
    """One data plan version, ready to validate (load it with :func:`mparticle.dataplan.load`)."""

    def __init__(self, document: PlanDocument, backend: str) -> None:
        self._document = document
        self.backend = backend

    @property
    def data_plan_id(self) -> Optional[str]:
        """The plan's id (``data_plan_id``), when the source had one."""
        return self._document.data_plan_id

    @property
    def version(self) -> Optional[int]:
        """The plan version's number, when the source had one."""
        return self._document.version

    @property
    def warnings(self) -> List[str]:
        """What loading skipped or replaced, in DPN's words (also logged on ``mparticle.dataplan``)."""
        return list(self._document.warnings)

    @property
    def points(self) -> Dict[str, Point]:
        """The points by match key (after DPN's skipping and last-wins rules)."""
        return dict(self._document.points)

    def point(self, key: str) -> Optional[Point]:
        """The point of match key ``key`` (``custom_event:other:Search``, ``user_attributes``), or None."""
        return self._document.points.get(key)

    def __repr__(self) -> str:
        return "<DataPlan %s v%s: %d points>" % (self.data_plan_id, self.version, len(self._document.points))

    def validate_batch(self, batch: Any, mode: str = "strict") -> Report:
        """Validate a ``Batch`` (or a wire-form batch dict): each event, then the user attributes
        (and in ``mode="server"``, the identities)."""
        _check_mode(mode)
        return self.validate_wire(wire_form(batch, "batch"), mode == "server", True)

    def validate_wire(self, wire: Dict[str, Any], server: bool, nulls: bool) -> Report:
        """:meth:`validate_batch` of a wire-form dict, the mode checked already; ``nulls=False``
        vouches that it holds no ``null`` and no ``__proto__`` key (nothing to strip: faster)."""
        events = wire.get("events")
        if events is None:
            events = []
        if not isinstance(events, list):
            raise DataPlanError("batch events must be a list, not %s" % type(events).__name__)
        results = []
        points = self._document.points
        fast = not (nulls or server)
        for index, event in enumerate(events):
            try:
                if fast and type(event) is dict:  # the usual valid event, without the frames below
                    key = event_key(event)
                    point = points.get(key) if key else None
                    if point is not None and (point.compiled is None or point.compiled.is_valid(event)):
                        continue
                result = self._event_result(event, index, server, nulls)
            except (RecursionError, InstanceError) as exc:
                raise _too_deep("events[%d]" % index, exc) from None
            if result is not None:
                results.append(result)
        try:
            user = self._user_attributes_result(wire, server, nulls)
        except (RecursionError, InstanceError) as exc:
            raise _too_deep("user_attributes", exc) from None
        if user is not None:
            results.append(user)
        if server:
            identities = self._identities_result(wire)
            if identities is not None:
                results.append(identities)
        return Report(results, batch=wire)

    def validate_event(self, event: Any, mode: str = "strict") -> Report:
        """Validate one event (a model or a wire-form ``{"event_type", "data"}`` dict)."""
        _check_mode(mode)
        result = self._event_result(wire_form(event, "event"), None, mode == "server", True)
        return Report([result] if result is not None else [], has_batch=False)

    def _event_result(self, event: Any, index: Optional[int], server: bool, nulls: bool) -> Optional[Result]:
        if not isinstance(event, dict):
            where = "events[%d]" % index if index is not None else "event"
            raise DataPlanError("%s must be an object, not %s" % (where, type(event).__name__))
        key = event_key(event)
        if not key:
            return Result(None, [{"validation_error_type": "unplanned", "key": "unknown", "error_pointer": "#"}], index)
        point = self._document.points.get(key)
        if point is None:
            error = {"validation_error_type": "unplanned", "key": unplanned_key(event), "error_pointer": "#"}
            return Result(synthesize_match(event), [error], index)
        errors = self._schema_errors(point, event, event, server, nulls)
        return Result(point.match, errors, index) if errors else None

    def _user_attributes_result(self, batch: Dict[str, Any], server: bool, nulls: bool) -> Optional[Result]:
        point = self._document.points.get("user_attributes")
        if point is None:
            return None  # DPN >= 1.0.4; 1.0.3 reports "Invalid JSON Schema" here (docs/DataPlans.md)
        if not point.has_schema:
            return Result({"type": "user_attributes"}, [_invalid_schema("user_attributes")])
        original = batch.get("user_attributes", MISSING)
        data = original if original is not MISSING and original is not None else {}
        errors = self._schema_errors(point, data, original if original is not None else MISSING, server, nulls)
        return Result(point.match, errors) if errors else None

    def _identities_result(self, batch: Dict[str, Any]) -> Optional[Result]:
        """Server mode: the identities, under their plan-side names, against ``user_identities``."""
        point = self._document.points.get("user_identities")
        if point is None:
            return None
        if not point.has_schema or point.compiled is None:  # empty, or refused at load (plan.warnings)
            return Result({"type": "user_identities"}, [_invalid_schema("user_identities")])
        identities = plan_identities(batch)
        errors = self._schema_errors(point, identities, identities, True, True)
        return Result(point.match, errors) if errors else None

    def _schema_errors(self, point: Point, data: Any, original: Any, server: bool, nulls: bool) -> List[Dict[str, Any]]:
        compiled = point.compiled
        if compiled is None:
            return []
        cleaned = strip_nulls(data) if nulls or not isinstance(data, dict) else data  # a list becomes a dict
        if server:
            cleaned = coerce(point.schema, cleaned)
        if compiled.is_valid(cleaned):
            return []
        return build_errors(point.schema, cleaned, original, compiled.violations(cleaned), compiled.backend)
