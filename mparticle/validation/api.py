"""The entry points: :func:`validate` (one batch) and :func:`validate_request` (a bulk request).

The size and count limits are those of ``config=`` (a ``Configuration``, or any object with
``max_batch_bytes``, ``max_request_bytes`` and ``max_batches_per_request``, such as
:class:`mparticle.limits.Limits`), by default :data:`mparticle.limits.LIMITS`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, List, Optional, Protocol

from mparticle.limits import LIMITS
from mparticle.models.base import Model
from mparticle.serialization import dumps
from mparticle.validation.engine import UNIT, Problem, Unusual, _json_type, is_object, wire_data
from mparticle.validation.historical import _historical
from mparticle.validation.rules import BATCH, batch_warnings


class SizeLimits(Protocol):
    """What validation reads of a ``Configuration`` (or :class:`mparticle.limits.Limits`)."""

    @property
    def max_batch_bytes(self) -> int: ...

    @property
    def max_request_bytes(self) -> int: ...

    @property
    def max_batches_per_request(self) -> int: ...


def _kb(size: int) -> str:
    """`` (128 KB)`` for a whole number of KB (1024 bytes), else nothing."""
    return f" ({size // 1024} KB)" if size % 1024 == 0 else ""


class _Checked:
    """What checking one batch found: its problems and its serialized size.

    ``size`` is exact once the batch was serialized, else an upper bound (:meth:`exact_size`
    serializes it); ``serializes`` is False when the batch is not valid JSON.
    """

    __slots__ = ("problems", "size", "exact", "serializes", "batch")

    def __init__(self, problems: List[Problem], size: int, exact: bool, batch: Any, serializes: bool = True) -> None:
        self.problems = problems
        self.size = size
        self.exact = exact
        self.serializes = serializes
        self.batch = batch

    def exact_size(self) -> int:
        if not self.exact:
            self.size = len(dumps(self.batch))
            self.exact = True
        return self.size


def _check_batch(batch: Any, historical: bool, now_ms: Optional[int], max_bytes: int) -> _Checked:
    """Apply the tables to the batch as it is, or to its serialized form when it holds values the
    wire carries differently (:class:`~mparticle.validation.engine.Unusual`); then the size limit."""
    now = (now_ms if now_ms is not None else int(time.time() * 1000)) if historical else 0
    try:
        checked = _check_as_is(batch, historical, now)
    except (Unusual, RecursionError):
        checked = _check_serialized(batch, historical, now)
    if checked.serializes and checked.size > max_bytes and checked.exact_size() > max_bytes:
        checked.problems.append(
            Problem(
                "",
                "max_bytes",
                f"the batch is {checked.size:,} bytes serialized; the limit is {max_bytes:,}{_kb(max_bytes)}",
            )
        )
    return checked


def _check_as_is(batch: Any, historical: bool, now_ms: int) -> _Checked:
    """One walk over the model graph or dict, no serialization: Unusual if it is not plain JSON."""
    if not is_object(batch):
        raise Unusual
    problems: List[Problem] = []
    bound = BATCH.check(batch, None, problems)
    if historical:
        _historical(batch, now_ms, problems)
    batch_warnings(batch, problems)
    return _Checked(problems, UNIT * bound, False, batch)


def _check_serialized(batch: Any, historical: bool, now_ms: int) -> _Checked:
    """Serialize (the wire bytes, as sent), read back as plain JSON, then apply the tables."""
    try:
        raw = dumps(batch)
    except (TypeError, ValueError, RecursionError) as error:
        problem = Problem("", "json", f"the batch is not valid JSON: {error}")
        return _Checked([problem], 0, True, batch, serializes=False)
    data = json.loads(raw)
    if not isinstance(data, dict):
        problem = Problem("", "type", f"a batch must be a JSON object, got {_json_type(data)}")
        return _Checked([problem], 0, True, batch, serializes=False)
    problems: List[Problem] = []
    with wire_data():
        BATCH.check(data, None, problems)
    if historical:
        _historical(data, now_ms, problems)
    batch_warnings(data, problems)
    return _Checked(problems, len(raw), True, batch)


def validate(
    batch_or_dict: Any,
    *,
    historical: bool = False,
    now_ms: Optional[int] = None,
    config: Optional[SizeLimits] = None,
    warnings: bool = True,
) -> List[Problem]:
    """Check one batch (a ``Batch`` model or its JSON dict) against the Events API rules.

    ``historical=True`` adds the ``/bulkevents/historical`` rules, judged against ``now_ms``
    (epoch milliseconds, default: now). The serialized batch may have at most
    ``config.max_batch_bytes`` bytes: pass the ``Configuration`` in use (or a
    :class:`~mparticle.limits.Limits`) when it changes the limit; default
    :data:`mparticle.limits.LIMITS` (128 KB). Returns the problems found, ``[]`` when there is
    nothing to report: errors (``severity == "error"``, the server refuses or drops the data)
    and warnings (``"warning"``: accepted, probably not as meant: no ``environment``, no user,
    a timestamp in seconds); ``warnings=False`` leaves the warnings out.
    """
    limits = LIMITS if config is None else config
    problems = _check_batch(batch_or_dict, historical, now_ms, limits.max_batch_bytes).problems
    return problems if warnings else [p for p in problems if p.severity == "error"]


def validate_request(
    batches: Any,
    *,
    historical: bool = False,
    now_ms: Optional[int] = None,
    config: Optional[SizeLimits] = None,
    warnings: bool = True,
) -> List[Problem]:
    """Check a bulk request: at most 100 batches, at most 256 KB serialized, each batch valid.

    Batch problems are prefixed with the batch index: ``[2].events[0].data.event_name``. The
    limits (batches per request, request and batch bytes) are ``config``'s, and the warnings
    as for :func:`validate`; default :data:`mparticle.limits.LIMITS`.
    """
    limits = LIMITS if config is None else config
    max_batches, max_bytes = limits.max_batches_per_request, limits.max_request_bytes
    if isinstance(batches, tuple):
        batches = list(batches)
    if not isinstance(batches, list):
        kind = "a model" if isinstance(batches, Model) else _json_type(batches)
        return [Problem("", "type", f"a bulk request must be an array of batches, got {kind}")]
    problems: List[Problem] = []
    if len(batches) > max_batches:
        problems.append(Problem("", "max_items", f"the request has {len(batches)} batches; the limit is {max_batches}"))
    parts: List[_Checked] = []
    for index, batch in enumerate(batches):
        checked = _check_batch(batch, historical, now_ms, limits.max_batch_bytes)
        prefix = f"[{index}]"
        for p in checked.problems:
            if not warnings and p.severity != "error":
                continue
            path = prefix + ("" if not p.path else p.path if p.path.startswith("[") else "." + p.path)
            problems.append(Problem(path, p.rule, p.message, p.severity))
        if checked.serializes:
            parts.append(checked)
    size = _request_size(parts, lambda c: c.size)
    if size > max_bytes:
        size = _request_size(parts, _Checked.exact_size)
    if size > max_bytes:
        problems.append(
            Problem(
                "", "max_bytes", f"the request is {size:,} bytes serialized; the limit is {max_bytes:,}{_kb(max_bytes)}"
            )
        )
    return problems


def _request_size(parts: List[_Checked], size: Callable[[_Checked], int]) -> int:
    """Bytes of the bulk body ``[a,b,...]`` (:func:`~mparticle.serialization.join_batches`)."""
    return sum(map(size, parts)) + max(len(parts) - 1, 0) + 2
