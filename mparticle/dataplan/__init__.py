"""Data plans: load a plan version and validate batches and events offline.

``mode="strict"`` reproduces mParticle's Node validator ``@mparticle/data-planning-node``
(its 1.0.4+ behaviour): the same results, in the same order, with Ajv 6's messages. JSON
Schema evaluation needs the extra: ``pip install "mparticle[dataplan]"`` (jsonschema-rs, or
python-jsonschema where jsonschema-rs is unavailable). See docs/DataPlans.md.

    plan = dataplan.load("plan.json", version=2)
    report = plan.validate_batch(batch)
    if not report.ok:
        print(report)

    uploader = BatchUploader(config, data_plan=plan, data_plan_policy="block")
"""

from __future__ import annotations

from typing import Any, Optional

from mparticle.dataplan.api import (
    MissingClientCredentialsError,
    PlanningClient,
    PlanningResponseError,
    fetch_document,
)
from mparticle.dataplan.document import DataPlanError, Point, Source, parse_version, read_source, select_version
from mparticle.dataplan.enforce import (
    POLICIES,
    Checked,
    DataPlanViolation,
    Enforcer,
    Mode,
    PlanStats,
    Policy,
    Removed,
    Verdict,
    ViolationCallback,
)
from mparticle.dataplan.report import Report, Result
from mparticle.dataplan.schema import BACKENDS, available_backends, default_backend
from mparticle.dataplan.validator import MODES, DataPlan

__all__ = [
    "load",
    "fetch",
    "fetch_document",
    "PlanningClient",
    "MissingClientCredentialsError",
    "PlanningResponseError",
    "DataPlan",
    "DataPlanError",
    "Report",
    "Result",
    "Point",
    "MODES",
    "POLICIES",
    "Policy",
    "Mode",
    "Checked",
    "DataPlanViolation",
    "Enforcer",
    "PlanStats",
    "Removed",
    "Verdict",
    "ViolationCallback",
    "BACKENDS",
    "available_backends",
]


def load(source: Source, version: Optional[int] = None, *, backend: Optional[str] = None) -> DataPlan:
    """Load a plan version from a dict, JSON text or a path (a version, or a whole plan plus ``version=``).

    ``backend`` picks the JSON Schema library (``"jsonschema-rs"`` or ``"jsonschema"``; default:
    the first installed). Raises :class:`DataPlanError` for a plan DPN could not use, and
    ImportError (saying ``pip install "mparticle[dataplan]"``) without either library.
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError("backend must be one of %s, not %r" % (list(BACKENDS), backend))
    chosen = backend or default_backend()
    if backend is not None and backend not in available_backends():
        raise ImportError('backend %r is not installed: pip install "mparticle[dataplan]"' % backend)
    document = parse_version(select_version(read_source(source), version), chosen)
    return DataPlan(document, chosen)


def fetch(
    workspace_id: int,
    plan_id: str,
    version: Optional[int] = None,
    *,
    client_id: Optional[str] = None,
    client_secret: Optional[str] = None,
    backend: Optional[str] = None,
    **client_options: Any,
) -> DataPlan:
    """Fetch a plan from the Data Planning API and load it: ``version``, or without it the
    plan's single version (:func:`load` names the versions present when it cannot choose).

    Credentials default to ``$MPARTICLE_CLIENT_ID`` / ``$MPARTICLE_CLIENT_SECRET``; other
    keywords go to :class:`PlanningClient` (``token_url``, ``api_url``, ...).
    :func:`fetch_document` returns the JSON document instead (no extra needed).
    """
    document = fetch_document(
        workspace_id, plan_id, version, client_id=client_id, client_secret=client_secret, **client_options
    )
    return load(document, version, backend=backend)
