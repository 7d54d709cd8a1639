"""Enforcing a plan where batches are sent: the ``data_plan=`` of EventsApi, BatchUploader and
``mparticle send``.

Each batch is validated (:meth:`DataPlan.validate_batch`), tagged with the plan's id and
version when it has no ``context.data_plan``, and then, by policy:

- ``"report"``: sent as it is; violations go to the callback and the counters.
- ``"block"``: mParticle's blocking applied before sending (docs/DataPlans.md, "Blocking"):
  unplanned events, unplanned event attributes and unplanned user attributes are removed,
  invalid data never is; what was removed is reported per batch.
- ``"raise"``: a violating batch is refused with :class:`DataPlanViolation` at the call site.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Literal, Mapping, Optional, Tuple

from mparticle.dataplan.document import DataPlanError
from mparticle.dataplan.matching import event_key
from mparticle.dataplan.report import Report, Result
from mparticle.dataplan.validator import MODES, DataPlan
from mparticle.serialization import dumps

__all__ = [
    "POLICIES",
    "Checked",
    "Mode",
    "DataPlanViolation",
    "Enforcer",
    "PlanStats",
    "Policy",
    "Removed",
    "Verdict",
    "ViolationCallback",
]

logger: logging.Logger = logging.getLogger("mparticle.dataplan")

#: What a violating batch gets: sent and reported, blocked as mParticle would, or refused.
Policy = Literal["report", "block", "raise"]
#: How batches are validated: as DPN does, or with the server's documented rules.
Mode = Literal["strict", "server"]
POLICIES: Tuple[Policy, ...] = ("report", "block", "raise")
_SHOWN = 10  # violations named in a DataPlanViolation's message


@dataclass(frozen=True)
class Removed:
    """What blocking removed from one batch (indices are those of the batch as given)."""

    events: List[int] = field(default_factory=list)  #: indices of the unplanned events dropped
    #: event index -> the unplanned custom attributes removed from it (events kept only)
    event_attributes: Dict[int, List[str]] = field(default_factory=dict)
    user_attributes: List[str] = field(default_factory=list)  #: the unplanned user attributes removed

    def __bool__(self) -> bool:
        return bool(self.events or self.event_attributes or self.user_attributes)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: ``{"events": [...], "event_attributes": {"3": [...]}, "user_attributes": [...]}``."""
        return {
            "events": list(self.events),
            "event_attributes": {str(i): list(names) for i, names in self.event_attributes.items()},
            "user_attributes": list(self.user_attributes),
        }


_NOTHING = Removed()
#: Every live Enforcer, reset in a fork child (counters per process, no lock held by a dead thread).
_LIVE: "weakref.WeakSet[Enforcer]" = weakref.WeakSet()


def _reset_in_child() -> None:
    for enforcer in list(_LIVE):
        enforcer._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)

#: Parses the batches BatchUploader.enqueue serialized: orjson (in the extra) where installed, in
#: half the time; it reads integers beyond 64 bits as floats, as JavaScript (and DPN) do.
_fast_loads: Callable[[bytes], Any] = json.loads
try:
    from orjson import loads as _fast_loads  # type: ignore[no-redef, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - without the extra's orjson
    pass


@dataclass(frozen=True)
class Verdict:
    """One batch through the plan: the report on the batch as given, what was removed
    (``"block"`` only), and the batch as sent (wire form)."""

    report: Report
    removed: Removed
    batch: Any


#: Called with each batch's :class:`Verdict` when the batch violates the plan (or lost data to blocking).
ViolationCallback = Callable[[Verdict], Any]


@dataclass(frozen=True)
class PlanStats:
    """An enforcer's counters (also ``BatchUploader.stats().data_plan``)."""

    checked: int = 0  #: batches validated
    violating: int = 0  #: batches with at least one violation
    violations: int = 0  #: validation errors, over all batches
    refused: int = 0  #: batches refused with DataPlanViolation (``"raise"``)
    tagged: int = 0  #: batches given the plan's ``context.data_plan``
    events_blocked: int = 0  #: unplanned events removed (``"block"``)
    event_attributes_blocked: int = 0  #: unplanned event attributes removed
    user_attributes_blocked: int = 0  #: unplanned user attributes removed


class DataPlanViolation(ValueError):
    """A batch refused by ``data_plan_policy="raise"``; ``report`` holds every violation."""

    def __init__(self, report: Report, plan: str = "the data plan", label: str = "batch") -> None:
        self.report = report
        lines = str(report).splitlines()
        shown = "; ".join(lines[:_SHOWN]) + ("; and %d more" % (len(lines) - _SHOWN) if len(lines) > _SHOWN else "")
        count = "%d violation%s" % (len(lines), "" if len(lines) == 1 else "s")
        super().__init__("%s violates %s (%s): %s" % (label, plan, count, shown))

    def __reduce__(self) -> Any:
        return (_rebuild_violation, (self.args[0], self.report))


def _rebuild_violation(message: str, report: Report) -> DataPlanViolation:
    error = DataPlanViolation.__new__(DataPlanViolation)
    ValueError.__init__(error, message)
    error.report = report
    return error


@dataclass(frozen=True)
class Checked:
    """One batch through :meth:`Enforcer.check`, not counted yet: the bytes to send, and what
    :meth:`Enforcer.commit` counts and reports."""

    data: bytes
    report: Report
    removed: Removed
    batch: Dict[str, Any]  #: the batch as sent, parsed (for the Verdict)
    tagged: bool  #: given the plan's context.data_plan


class Enforcer:
    """A plan, a policy and a callback, applied to serialized batches (thread-safe).

    :meth:`check` validates a batch and returns what to send; :meth:`commit` counts it and calls
    back, once the batch is really handed over (a bulk request commits only when every batch
    in it passed). :meth:`apply_encoded` does both.
    """

    def __init__(
        self,
        plan: DataPlan,
        policy: Policy = "report",
        mode: Mode = "strict",
        on_violation: Optional[ViolationCallback] = None,
    ) -> None:
        if not isinstance(plan, DataPlan):
            raise TypeError("data_plan must be a DataPlan (mparticle.dataplan.load(...)), not %s" % type(plan).__name__)
        if policy not in POLICIES:
            raise ValueError("data_plan_policy must be one of %s, not %r" % (", ".join(map(repr, POLICIES)), policy))
        if mode not in MODES:
            raise ValueError("data_plan_mode must be one of %s, not %r" % (", ".join(map(repr, MODES)), mode))
        if on_violation is not None and not callable(on_violation):
            raise TypeError("on_data_plan_violation must be callable, not %s" % type(on_violation).__name__)
        self.plan: DataPlan = plan
        self.policy: Policy = policy
        self.mode: Mode = mode
        self.on_violation: Optional[ViolationCallback] = on_violation
        self._tag = _tag_for(plan)
        self._tag_member = b'{"context":{"data_plan":' + dumps(self._tag) + b"}"  # spliced into batches
        self._server = mode == "server"
        self._allowed: Dict[str, Optional[FrozenSet[str]]] = {}  # block()'s cache
        self._lock = threading.Lock()
        self._counts = [0] * 8  # PlanStats' fields, in order
        _LIVE.add(self)

    def __repr__(self) -> str:
        return "<Enforcer %r policy=%s mode=%s>" % (self.plan, self.policy, self.mode)

    def stats(self) -> PlanStats:
        """The counters now."""
        with self._lock:
            return PlanStats(*self._counts)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        self._counts = [0] * 8  # the child counts its own batches

    def apply_encoded(self, data: bytes, label: str = "batch") -> bytes:
        """:meth:`check` and :meth:`commit` one serialized batch: the bytes to send."""
        return self.commit(self.check(data, label))

    def check(self, data: bytes, label: str = "batch") -> Checked:
        """Validate the serialized batch ``data`` (a JSON object); block and tag it as the policy
        says. Nothing is counted or called back yet, except a refusal: policy ``"raise"``
        raises DataPlanViolation for a batch with a violation (``label`` names it)."""
        wire = _fast_loads(data)
        if not isinstance(wire, dict):
            raise TypeError("%s must be a JSON object" % label)
        try:
            report = self.plan.validate_wire(wire, self._server, b"null" in data or b"__proto__" in data)
        except DataPlanError as exc:  # input the plan cannot read (too deep, events not a list)
            entry = {"validation_error_type": "unknown", "error_pointer": "#", "actual": str(exc)}
            report = Report([Result({"type": "batch"}, [entry])], batch=wire)
        if not report.ok and self.policy == "raise":
            self._count(report, _NOTHING, tagged=False, refused=True)
            raise DataPlanViolation(report, _plan_name(self.plan), label)
        out, removed = wire, _NOTHING
        if self.policy == "block" and not report.ok:  # whatever blocking removes is a violation too
            out, removed = block(self.plan, wire, self._allowed)
        tag = self._tag if self._tag is not None and _untagged(out) else None
        sent = out if tag is None or self.on_violation is None else _with_tag(out, tag)  # for the Verdict
        return Checked(self._encoded(data, wire, out, tag), report, removed, sent, tag is not None)

    def commit(self, checked: Checked) -> bytes:
        """Count a checked batch and call back for its violations; its bytes."""
        self._count(checked.report, checked.removed, checked.tagged, refused=False)
        if (not checked.report.ok or checked.removed) and self.on_violation is not None:
            self._call_back(Verdict(checked.report, checked.removed, checked.batch))
        return checked.data

    def _encoded(self, data: bytes, wire: Dict[str, Any], out: Dict[str, Any], tag: Optional[Dict[str, Any]]) -> bytes:
        """The bytes of ``out`` tagged with ``tag``: ``data`` when nothing changed, the tag
        spliced in when only that changed, else encoded again from an exact parse of ``data``."""
        if out is wire and tag is None:
            return data
        if out is wire and "context" not in wire and data[:2] in (b'{"', b"{}"):  # compact: splice
            return self._tag_member + (b"," + data[1:] if len(data) > 2 else b"}")
        exact = wire if _fast_loads is json.loads else json.loads(data)  # orjson reads big ints as floats
        if out is not wire:
            exact = block(self.plan, exact, self._allowed)[0]
        return dumps(exact if tag is None else _with_tag(exact, tag))

    def _count(self, report: Report, removed: Removed, tagged: bool, refused: bool) -> None:
        counts = self._counts
        with self._lock:
            counts[0] += 1
            counts[4] += tagged
            if report.results:
                counts[1] += 1
                counts[2] += sum(len(result.errors) for result in report.results)
                counts[3] += refused
            if removed:
                counts[5] += len(removed.events)
                counts[6] += sum(len(names) for names in removed.event_attributes.values())
                counts[7] += len(removed.user_attributes)

    def _call_back(self, verdict: Verdict) -> None:
        assert self.on_violation is not None
        try:
            self.on_violation(verdict)
        except Exception:  # noqa: BLE001 - a raising callback must not stop the batch
            logger.exception("on_data_plan_violation callback %r raised", self.on_violation)


def block(
    plan: DataPlan, batch: Dict[str, Any], cache: Optional[Dict[str, Optional[FrozenSet[str]]]] = None
) -> Tuple[Dict[str, Any], Removed]:
    """``batch`` (wire form) with mParticle's blocking applied, and what was removed.

    An event whose match key is not planned is dropped (events that cannot be planned, such as
    ``user_attribute_change``, are kept); a planned event keeps only the custom attributes its
    point lists when ``custom_attributes`` has ``additionalProperties: false`` (none when it has
    no ``custom_attributes`` schema but ``data`` has ``additionalProperties: false``); user
    attributes likewise follow the ``user_attributes`` point's root. Invalid values stay, and so
    do ``null`` members (absent to validation, so never unplanned).
    ``cache`` keeps what each point allows between calls (one per plan).
    """
    cache = {} if cache is None else cache
    removed_events: List[int] = []
    removed_attributes: Dict[int, List[str]] = {}
    events = batch.get("events")
    kept_events: List[Any] = []
    if isinstance(events, list):
        for index, event in enumerate(events):
            key = event_key(event) if isinstance(event, dict) else None
            if not key:
                kept_events.append(event)
                continue
            point = plan.point(key)
            if point is None:
                removed_events.append(index)
                continue
            if key not in cache:
                cache[key] = _event_allowed(point.schema)
            kept, names = _planned_event(cache[key], event)
            if names:
                removed_attributes[index] = names
            kept_events.append(kept)
    user_names: List[str] = []
    users = batch.get("user_attributes")
    point = plan.point("user_attributes")
    if isinstance(users, dict) and point is not None:
        allowed = _allowed(point.schema)
        if allowed is not None:
            user_names = [name for name, value in users.items() if name not in allowed and value is not None]
    if not (removed_events or removed_attributes or user_names):
        return batch, _NOTHING
    out = dict(batch)
    if removed_events or removed_attributes:
        out["events"] = kept_events
    if user_names:
        assert isinstance(users, dict)
        out["user_attributes"] = {k: v for k, v in users.items() if k not in user_names}
    return out, Removed(removed_events, removed_attributes, user_names)


def _event_allowed(schema: Any) -> Optional[FrozenSet[str]]:
    """The custom attributes an event point's schema keeps (None: all)."""
    data_schema = _child(_child(schema, "properties"), "data")
    attributes_schema = _child(_child(data_schema, "properties"), "custom_attributes")
    if isinstance(attributes_schema, dict):
        return _allowed(attributes_schema)
    if isinstance(data_schema, dict) and data_schema.get("additionalProperties") is False:
        return frozenset()
    return None


def _planned_event(allowed: Optional[FrozenSet[str]], event: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The event with the custom attributes ``allowed`` does not list removed, and their names."""
    if allowed is None:
        return event, []
    data = event.get("data")
    attributes = data.get("custom_attributes") if isinstance(data, dict) else None
    if not isinstance(attributes, dict) or not attributes:
        return event, []
    names = [name for name, value in attributes.items() if name not in allowed and value is not None]
    if not names:
        return event, []
    assert isinstance(data, dict)
    kept = {k: v for k, v in attributes.items() if k not in names}
    return {**event, "data": {**data, "custom_attributes": kept}}, names


def _allowed(schema: Any) -> Optional[FrozenSet[str]]:
    """The member names an object schema allows, or None when it allows any."""
    if not isinstance(schema, dict) or schema.get("additionalProperties") is not False:
        return None
    properties = schema.get("properties")
    return frozenset(properties) if isinstance(properties, dict) else frozenset()


def _child(node: Any, name: str) -> Any:
    return node.get(name) if isinstance(node, dict) else None


def _tag_for(plan: DataPlan) -> Optional[Dict[str, Any]]:
    if not plan.data_plan_id:
        return None  # a bare version document: nothing to tag with
    tag: Dict[str, Any] = {"plan_id": plan.data_plan_id}
    if plan.version is not None:
        tag["plan_version"] = plan.version
    return tag


def _untagged(batch: Mapping[str, Any]) -> bool:
    """No context, or a context without a ``data_plan`` naming a plan (``{}`` names none)."""
    context = batch.get("context")
    if context is None:
        return True
    if not isinstance(context, dict):
        return False  # not ours to repair: the Events API rules report it
    tag = context.get("data_plan")
    return tag is None or (isinstance(tag, dict) and not tag.get("plan_id"))


def _with_tag(batch: Dict[str, Any], tag: Dict[str, Any]) -> Dict[str, Any]:
    context = batch.get("context")
    return {**batch, "context": {**(context or {}), "data_plan": dict(tag)}}


def _plan_name(plan: DataPlan) -> str:
    if plan.data_plan_id is None:
        return "the data plan"
    return "data plan %s" % plan.data_plan_id + (" v%s" % plan.version if plan.version is not None else "")
