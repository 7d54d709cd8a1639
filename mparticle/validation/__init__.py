"""Check a batch against the Events API rules before it costs a request.

:func:`validate` checks one batch (a :class:`~mparticle.models.Batch` or its JSON dict) and
:func:`validate_request` checks a bulk request (a list of batches). Both return a list of
:class:`Problem` (``path``, ``rule``, ``message``, ``severity``), empty when there is nothing
to report; both take
the size limits of ``config=`` (a ``Configuration``), by default :data:`mparticle.limits.LIMITS`.
:func:`check_historical` raises EventsApi's ValueError for the historical endpoint's rules.

The package, bottom up:

* :mod:`~mparticle.validation.engine`: the :class:`Problem` type, paths, and the specs of
  scalars (``Kind``, ``Text``, ``Enum``, ...); :mod:`~mparticle.validation.containers`: those of
  objects and arrays (``Obj``, ``ListOf``, ``MapOf``, ``Tagged``); nothing mParticle-specific.
* :mod:`~mparticle.validation.derive`: a model's declarations (keys, types, enums) as an ``Obj``.
* :mod:`~mparticle.validation.rules`: the rules as *data*: each table (``BATCH``,
  ``EVENT_DATA``, ``DEVICE_INFO``, ...) is an object's model plus what the schema adds:
  required keys, UUID and IP formats, length and count limits, closed or open objects, enum
  values that differ, keys the model lacks.
* :mod:`~mparticle.validation.historical`: the ``/bulkevents/historical`` rules.
* :mod:`~mparticle.validation.api`: the entry points.

The reference is mParticle's documentation of the Events API: the JSON reference
(https://docs.mparticle.com/developers/apis/json-reference/) for the fields, the default service limits
(https://docs.mparticle.com/guides/default-service-limits/) and the Events API page (https://docs.mparticle.com/developers/apis/http/)
for the endpoints and the historical rules.

Conventions:

* Models and dicts are checked as they are, in one walk and without serializing them: a model
  is read as the dict of its set fields by JSON key, in the order it is sent (``_data()``), so a
  model graph gets exactly the problems of its JSON, ``json.loads(dumps(model))``, in the same
  order. The walk also bounds the serialized size; only a batch whose bound exceeds the byte
  limit is serialized, to measure it. Values the wire carries differently (``Decimal``, dates,
  NaN, unknown objects, subclasses of JSON types, keys that are not strings, very deep
  nesting) make the batch take the reference path instead: serialized with
  :func:`mparticle.serialization.dumps` and read back as plain JSON before the tables are
  applied.
* ``null`` counts as absent: an optional key set to ``null`` is accepted, a required one is
  reported as ``required``.
* Enum lists come from the models where the model's list is the schema's; the models'
  legacy ``unknown`` placeholder (from the old Swagger spec) is not a schema value and is
  removed (``derive._schema_values``).
* Paths use JSON keys: ``events[3].data.event_name``, ``user_attributes["$age"]``; a problem
  about a whole batch has the path ``""`` (in a request, ``[i]``).

Rule ids (stable, see :data:`RULES`): ``required``, ``required_any``, ``type``, ``enum``,
``event_type``, ``environment``, ``identity_key``, ``unknown_key``, ``uuid``, ``format``,
``max_length``, ``max_items``, ``max_bytes``, ``json``, ``historical_no_events``,
``historical_timestamp``, ``historical_too_recent``; and the warnings (``Problem.severity ==
"warning"``: the server accepts the batch, probably not as meant; ``warnings=False`` leaves
them out): ``no_environment``, ``no_user``, ``timestamp``.
"""

from __future__ import annotations

from mparticle.validation.api import validate, validate_request
from mparticle.validation.engine import Problem, Severity
from mparticle.validation.historical import HISTORICAL_MIN_AGE_MS, check_historical, historical_problems
from mparticle.validation.rules import (
    MAX_ACTION_IDENTIFIER_LENGTH,
    MAX_ATTRIBUTE_LIST_ENTRY_LENGTH,
    MAX_ATTRIBUTE_LIST_ITEMS,
    MAX_ATTRIBUTE_NAME_LENGTH,
    MAX_ATTRIBUTE_VALUE_LENGTH,
    MAX_BATCH_BYTES,
    MAX_BATCHES_PER_REQUEST,
    MAX_EVENT_NAME_LENGTH,
    MAX_REQUEST_BYTES,
    MAX_USER_ATTRIBUTES,
    RULES,
)

__all__ = [
    "MAX_ACTION_IDENTIFIER_LENGTH",
    "MAX_ATTRIBUTE_LIST_ENTRY_LENGTH",
    "MAX_ATTRIBUTE_LIST_ITEMS",
    "MAX_ATTRIBUTE_NAME_LENGTH",
    "MAX_ATTRIBUTE_VALUE_LENGTH",
    "MAX_BATCHES_PER_REQUEST",
    "MAX_BATCH_BYTES",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_REQUEST_BYTES",
    "MAX_USER_ATTRIBUTES",
    "HISTORICAL_MIN_AGE_MS",
    "RULES",
    "Problem",
    "Severity",
    "check_historical",
    "historical_problems",
    "validate",
    "validate_request",
]
