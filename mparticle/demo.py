"""``python -m mparticle demo``: send the README's example batches and show what arrived.

Without credentials the batches go through the real transport to the embedded local
endpoint (:mod:`mparticle.testing`), and a data plan is fetched from the embedded Data
Planning API (OAuth token, then the plan) and the example batch validated against it; with
credentials (flags or ``MPARTICLE_*`` environment variables) the batches go to the configured
mParticle host.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, List, Optional, TextIO

import mparticle
from mparticle.models import (
    AppEvent,
    Batch,
    CCPAConsentState,
    CommerceEvent,
    ConsentState,
    DeviceInformation,
    GDPRConsentState,
    Product,
    ProductAction,
    ScreenViewEvent,
    SessionEndEvent,
    SessionStartEvent,
    UserIdentities,
)


def example_batch(customer_id: str = "123456", now_ms: Optional[int] = None) -> Batch:
    """The README's example: identities, device info, attributes, consent and four events."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    session_uuid = str(uuid.uuid4())
    product = Product(id="sku-1", name="Example Product", price=19.99, quantity=1)
    events = [
        SessionStartEvent(timestamp_unixtime_ms=now_ms, session_uuid=session_uuid),
        AppEvent(
            "Example",
            "navigation",
            timestamp_unixtime_ms=now_ms + 1000,
            session_uuid=session_uuid,
            custom_attributes={"screen": "home", "count": 2},
            custom_flags={"Google.Category": "demo"},
        ),
        CommerceEvent(
            ProductAction("purchase", transaction_id="txn-1", total_amount=21.99, tax_amount=2.0, products=[product]),
            timestamp_unixtime_ms=now_ms + 2000,
            session_uuid=session_uuid,
            currency_code="USD",
        ),
        ScreenViewEvent(timestamp_unixtime_ms=now_ms + 3000, session_uuid=session_uuid, screen_name="Checkout"),
        SessionEndEvent(timestamp_unixtime_ms=now_ms + 10000, session_uuid=session_uuid, session_duration_ms=10000),
    ]
    return Batch(
        events=events,
        environment="development",
        user_identities=UserIdentities(customerid=customer_id, email="user-{0}@example.com".format(customer_id)),
        device_info=DeviceInformation(
            platform="iOS",
            os_version="17.4",
            ios_advertising_id=str(uuid.uuid4()),
            att_authorization_status="authorized",
            att_timestamp_unixtime_ms=now_ms,
        ),
        user_attributes={"Account type": "trial", "TrialEndDate": "2026-12-01", "favorite_foods": ["indian", "thai"]},
        consent_state=ConsentState(
            ccpa={
                "data_sale_opt_out": CCPAConsentState(document="ccpa_v1", consented=False, timestamp_unixtime_ms=now_ms)
            },
            gdpr={
                "document_agreement": GDPRConsentState(document="gdpr_v1", consented=True, timestamp_unixtime_ms=now_ms)
            },
        ),
        source_request_id=str(uuid.uuid4()),
    )


def run(
    api_key: Optional[str] = None,
    api_secret: Optional[str] = None,
    host: Optional[str] = None,
    pod: Optional[str] = None,
    out: Optional[TextIO] = None,
) -> int:
    """Send one batch with upload_events and three with bulk_upload_events; print a report."""
    import sys

    out = out or sys.stdout
    config = mparticle.Configuration()
    if api_key:
        config.api_key = api_key
    if api_secret:
        config.api_secret = api_secret
    if pod:
        config.pod = pod
    if host:
        config.host = host
    missing = config.missing_credentials()
    if len(missing) == 1:  # one credential alone is a mistake, not a request for the embedded endpoint
        flag = "--" + missing[0].replace("_", "-")
        print(
            f"mparticle demo: error: {flag} is missing (or MPARTICLE_{missing[0].upper()}); give both "
            "credentials to send to mParticle, or neither for the embedded endpoint",
            file=sys.stderr,
        )
        return 2
    if not missing:
        print("Sending to {0}".format(config.host), file=out)
        _send(config, out)
        return 0
    from mparticle.testing import LocalEventsServer

    with LocalEventsServer("demo-key", "demo-secret") as server:
        config.api_key, config.api_secret, config.host = "demo-key", "demo-secret", server.url
        print("No credentials given: sending to the embedded endpoint at {0}".format(server.url), file=out)
        _send(config, out)
        count = len(server.requests)
        print("\nThe endpoint received {0} request{1}:".format(count, "" if count == 1 else "s"), file=out)
        for request in server.requests:
            batches = len(request.batches)
            print(
                "  {0} {1} -> {2}, {3} bytes, {4} batch{5}".format(
                    request.method,
                    request.path,
                    request.status,
                    len(request.body),
                    batches,
                    "" if batches == 1 else "es",
                ),
                file=out,
            )
            for batch in request.batches:
                _print_batch(batch, out)
    _data_plan(out)
    return 0


#: The demo's data plan: the example batch's events and user attributes, but not "favorite_foods".
DEMO_PLAN: Dict[str, Any] = {
    "data_plan_id": "demo_plan",
    "data_plan_name": "Demo plan",
    "data_plan_versions": [
        {
            "data_plan_id": "demo_plan",
            "version": 1,
            "version_document": {
                "data_points": [
                    {
                        "description": "The example custom event",
                        "match": {
                            "type": "custom_event",
                            "criteria": {"event_name": "Example", "custom_event_type": "navigation"},
                        },
                        "validator": {
                            "type": "json_schema",
                            "definition": {
                                "properties": {
                                    "data": {
                                        "type": "object",
                                        "properties": {
                                            "custom_attributes": {
                                                "type": "object",
                                                "additionalProperties": False,
                                                "required": ["screen"],
                                                "properties": {
                                                    "screen": {"type": "string", "enum": ["home", "search"]},
                                                    "count": {"type": "number", "minimum": 1},
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        },
                    },
                    *(
                        {
                            "match": {"type": kind, "criteria": criteria},
                            "validator": {"type": "json_schema", "definition": {}},
                        }
                        for kind, criteria in (
                            ("screen_view", {"screen_name": "Checkout"}),
                            ("product_action", {"action": "purchase"}),
                            ("session_start", {}),
                            ("session_end", {}),
                        )
                    ),
                    {
                        "match": {"type": "user_attributes", "criteria": {}},
                        "validator": {
                            "type": "json_schema",
                            "definition": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "Account type": {"type": "string", "enum": ["trial", "paid"]},
                                    "TrialEndDate": {"type": "string", "format": "date"},
                                },
                            },
                        },
                    },
                ]
            },
        }
    ],
}


def _data_plan(out: TextIO) -> None:
    """Fetch DEMO_PLAN from the embedded planning API and validate the example batch against it."""
    from mparticle import dataplan
    from mparticle.testing import LocalPlanningServer

    with LocalPlanningServer("demo-client", "demo-client-secret", plans={1: [DEMO_PLAN]}) as planning:
        print("\nData plans: fetching demo_plan v1 from the embedded Data Planning API at " + planning.url, file=out)
        document = dataplan.fetch_document(
            1,
            "demo_plan",
            1,
            client_id="demo-client",
            client_secret="demo-client-secret",
            token_url=planning.token_url,
            api_url=planning.api_url,
        )
        for request in planning.requests:
            print("  {0} {1} -> {2}".format(request.method, request.path, request.status), file=out)
    try:
        plan = dataplan.load(document)
    except ImportError:
        print('  to validate against it, install the extra: pip install "mparticle[dataplan]"', file=out)
        return
    report = plan.validate_batch(example_batch())
    count = sum(len(result.errors) for result in report)
    print(
        "  the example batch against {0!r}: {1} violation{2}".format(plan, count, "" if count == 1 else "s"), file=out
    )
    for line in str(report).splitlines():
        print("    " + line, file=out)


def _send(config: mparticle.Configuration, out: TextIO) -> None:
    api = mparticle.EventsApi(config)
    _, status, _ = api.upload_events(example_batch("123456"))
    print("upload_events -> HTTP {0}".format(status), file=out)
    batches: List[Any] = [example_batch(str(200000 + i)) for i in range(3)]
    _, status, _ = api.bulk_upload_events(batches)
    print("bulk_upload_events ({0} batches) -> HTTP {1}".format(len(batches), status), file=out)


def _print_batch(batch: Any, out: TextIO) -> None:
    identities = json.dumps(batch.get("user_identities", {}), sort_keys=True)
    kinds = ", ".join(e.get("event_type", "?") for e in batch.get("events", []))
    print("    user {0}: {1}".format(identities, kinds), file=out)
