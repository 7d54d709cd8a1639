"""Validation reports: DPN's result format, plus ``ok``, iteration and a readable ``str()``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

Entry = Dict[str, Any]


@dataclass(frozen=True)
class Result:
    """One ``validation_result``: an event (``index`` in the batch) or the user attributes (``index`` None)."""

    match: Optional[Dict[str, Any]]
    errors: List[Entry]
    index: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """DPN's entry: ``{"event_type": "validation_result", "data": {"match", "validation_errors"}}``."""
        data: Dict[str, Any] = {}
        if self.match is not None:
            data["match"] = self.match
        data["validation_errors"] = self.errors
        return {"event_type": "validation_result", "data": data}

    @property
    def where(self) -> str:
        """``events[3] custom_event "Order Placed"``, ``user_attributes``, ``user_identities``
        (server mode), or ``event`` (validate_event)."""
        match = self.match or {}
        kind = match.get("type", "unplannable")
        if kind in ("user_attributes", "user_identities", "batch") and self.index is None:
            return str(kind)  # "batch": what enforcement reports for a batch the plan cannot read
        head = "event" if self.index is None else "events[%d]" % self.index
        criteria = match.get("criteria") or {}
        name = criteria.get("event_name", criteria.get("screen_name", criteria.get("action")))
        if name is None and "application_transition_type" in criteria:
            name = criteria["application_transition_type"]
        return "%s %s" % (head, kind) + (" " + json.dumps(name, ensure_ascii=False) if name is not None else "")

    def lines(self) -> List[str]:
        """One line per error: ``<where>: <pointer>: <message> [<type>]``."""
        return [
            "%s: %s [%s]" % (self.where, describe(error), error.get("validation_error_type")) for error in self.errors
        ]


def describe(error: Entry) -> str:
    """``data.custom_attributes.item_count: should be >= 1`` for one DPN error object."""
    pointer = str(error.get("error_pointer", "#"))
    path = ".".join(s.replace("~1", "/").replace("~0", "~") for s in pointer[2:].split("/")) if len(pointer) > 1 else ""
    kind = error.get("validation_error_type")
    keyword = error.get("schema_keyword")
    if keyword is None and kind == "unplanned":
        text = "unplanned event"
    elif keyword == "additionalProperties":
        text = "unplanned attribute %s" % json.dumps(error.get("key"), ensure_ascii=False)
    elif keyword == "required":
        text = "missing required %s" % json.dumps(error.get("expected"), ensure_ascii=False)
    elif "expected" in error:
        text = str(error["expected"])
    else:
        text = str(error.get("actual", keyword))
    return "%s: %s" % (path, text) if path else text


class Report:
    """The outcome of one ``validate_batch`` or ``validate_event``.

    ``to_dict()`` is DPN's output exactly; iterating yields the :class:`Result` of each
    failing event (and of the user attributes); ``ok`` is True when there is none.
    """

    __slots__ = ("batch", "results", "_has_batch")

    def __init__(self, results: List[Result], batch: Any = None, has_batch: bool = True) -> None:
        self.results: List[Result] = results
        self.batch: Any = batch
        self._has_batch = has_batch

    @property
    def ok(self) -> bool:
        """True when nothing violates the plan."""
        return not self.results

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __bool__(self) -> bool:
        return True

    @property
    def errors(self) -> Iterator[Entry]:
        """Every error object of every result, in order."""
        for result in self.results:
            yield from result.errors

    def to_dict(self) -> Dict[str, Any]:
        """``{"batch": ..., "results": [...]}`` (validate_batch) or ``{"results": [...]}`` (validate_event,
        whose single result is ``{}`` when the event is valid), as DPN returns it."""
        results = [r.to_dict() for r in self.results]
        if not self._has_batch:
            return {"results": results or [{}]}
        return {"batch": self.batch, "results": results}

    def __str__(self) -> str:
        if self.ok:
            return "no data plan violations"
        return "\n".join(line for result in self.results for line in result.lines())

    def __repr__(self) -> str:
        count = sum(len(r.errors) for r in self.results)
        return "<Report ok=%s results=%d errors=%d>" % (self.ok, len(self.results), count)
