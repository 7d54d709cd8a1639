"""CrashReportEvent: an application crash report."""

from __future__ import annotations

from mparticle.models.base import Field, Model
from mparticle.models.shared import EVENT_FIELDS, EXTRA_EVENT_FIELDS


class CrashReportEvent(Model):
    """An application crash report."""

    event_type = "crash_report"
    fields = (
        *EVENT_FIELDS,
        Field("breadcrumbs", "list[BreadcrumbEvent]"),
        Field("class_name"),
        Field("severity"),
        Field("message"),
        Field("stack_trace"),
        Field("exception_handled", "bool"),
        Field("topmost_context"),
        Field("pl_crash_report_file_base64"),
        Field("ios_image_base_address", "int"),
        Field("ios_image_size", "int"),
        Field("session_number", "int"),
        *EXTRA_EVENT_FIELDS,
    )
