"""``data_plan=`` where batches are sent: EventsApi and BatchUploader against a real local
endpoint, the three policies, tagging, blocking and the counters."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import FAST_RETRIES, KEY, SECRET

import mparticle
from mparticle import dataplan
from mparticle.dataplan import DataPlanError, DataPlanViolation, PlanStats, Removed, Verdict
from mparticle.dataplan.enforce import block
from mparticle.serialization import dumps
from mparticle.testing import LocalEventsServer
from mparticle.uploader import BatchUploader

if not dataplan.available_backends():
    pytest.skip('the "dataplan" extra is not installed', allow_module_level=True)

FIXTURES = Path(__file__).parent / "dataplan_fixtures"
PLAN = dataplan.load(FIXTURES / "example_a.json")
TAG = {"plan_id": "acme_server_plan", "plan_version": 2}


def order(**attributes: Any) -> mparticle.AppEvent:
    return mparticle.AppEvent(event_name="Order Placed", custom_event_type="transaction", custom_attributes=attributes)


def sample_batch() -> mparticle.Batch:
    """Order Placed with an unplanned "coupon" and an invalid item_count, the planned screen,
    an unplanned event, and an unplanned user attribute."""
    return mparticle.Batch(
        environment="development",
        user_attributes={"tier": "gold", "nick": "x"},
        events=[
            order(order_id="ORD-1", channel="web", item_count=0, coupon="X"),
            mparticle.ScreenViewEvent(screen_name="Checkout"),
            mparticle.AppEvent(event_name="Nope", custom_event_type="other"),
        ],
    )


def wire(batch: Any) -> Dict[str, Any]:
    return json.loads(dumps(batch))  # type: ignore[no-any-return]


def received(server: LocalEventsServer) -> List[Dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests]


def test_report_sends_everything_tagged_and_reports(server: LocalEventsServer, config: Any) -> None:
    verdicts: List[Verdict] = []
    api = mparticle.EventsApi(config, data_plan=PLAN, on_data_plan_violation=verdicts.append)
    batch = sample_batch()
    before = dumps(batch)
    api.upload_events(batch)
    assert dumps(batch) == before  # the caller's batch is never modified
    assert received(server) == [{**wire(batch), "context": {"data_plan": TAG}}]
    [verdict] = verdicts
    assert str(verdict.report).splitlines() == [
        'events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" [unplanned]',
        'events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be >= 1 [invalid_value]',
        'events[2] custom_event "Nope": unplanned event [unplanned]',
        'user_attributes: unplanned attribute "nick" [unplanned]',
    ]
    assert not verdict.removed and verdict.batch == received(server)[0]
    assert api.plan_enforcer is not None
    assert api.plan_enforcer.stats() == PlanStats(checked=1, violating=1, violations=4, tagged=1)


def test_block_removes_unplanned_data_and_keeps_invalid_values(server: LocalEventsServer, config: Any) -> None:
    verdicts: List[Verdict] = []
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="block", on_data_plan_violation=verdicts.append)
    api.upload_events(sample_batch())
    [body] = received(server)
    assert body == {
        "events": [
            {
                "data": {
                    "custom_attributes": {"order_id": "ORD-1", "channel": "web", "item_count": 0},
                    "custom_event_type": "transaction",
                    "event_name": "Order Placed",
                },
                "event_type": "custom_event",
            },
            {"data": {"screen_name": "Checkout"}, "event_type": "screen_view"},
        ],
        "environment": "development",
        "user_attributes": {"tier": "gold"},
        "context": {"data_plan": TAG},
    }
    [verdict] = verdicts
    assert verdict.removed == Removed(events=[2], event_attributes={0: ["coupon"]}, user_attributes=["nick"])
    assert verdict.removed.to_dict() == {
        "events": [2],
        "event_attributes": {"0": ["coupon"]},
        "user_attributes": ["nick"],
    }
    assert len(verdict.report.results) == 3  # the report is on the batch as given
    assert api.plan_enforcer is not None and api.plan_enforcer.stats() == PlanStats(
        checked=1,
        violating=1,
        violations=4,
        tagged=1,
        events_blocked=1,
        event_attributes_blocked=1,
        user_attributes_blocked=1,
    )


def test_raise_refuses_at_the_call_site_and_sends_nothing(server: LocalEventsServer, config: Any) -> None:
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="raise")
    with pytest.raises(DataPlanViolation) as refused:
        api.upload_events(sample_batch(), callback=lambda result: None)
    assert str(refused.value) == (
        "batch violates data plan acme_server_plan v2 (4 violations): "
        'events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" [unplanned]; '
        'events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be >= 1 [invalid_value]; '
        'events[2] custom_event "Nope": unplanned event [unplanned]; '
        'user_attributes: unplanned attribute "nick" [unplanned]'
    )
    assert isinstance(refused.value, ValueError) and len(refused.value.report.results) == 3
    assert server.request_count == 0
    good = mparticle.Batch(environment="development", events=[order(order_id="ORD-2", channel="store")])
    api.upload_events(good)
    assert received(server) == [{**wire(good), "context": {"data_plan": TAG}}]
    assert api.plan_enforcer is not None and api.plan_enforcer.stats() == PlanStats(
        checked=2, violating=1, violations=4, refused=1, tagged=1
    )
    copied = pickle.loads(pickle.dumps(refused.value))
    assert str(copied) == str(refused.value) and len(copied.report.results) == 3


def test_bulk_raise_names_the_batch_and_sends_none(server: LocalEventsServer, config: Any) -> None:
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="raise")
    good = mparticle.Batch(environment="development", events=[order(order_id="ORD-2", channel="store")])
    with pytest.raises(DataPlanViolation, match=r"^batch 1 violates data plan acme_server_plan v2 \(4 violations\)"):
        api.bulk_upload_events([good, sample_batch(), good])
    assert server.request_count == 0
    api.bulk_upload_events([good, wire(good)])
    assert received(server) == [[{**wire(good), "context": {"data_plan": TAG}}] * 2]


def test_a_tagged_batch_keeps_its_tag_and_other_context(server: LocalEventsServer, config: Any) -> None:
    api = mparticle.EventsApi(config, data_plan=PLAN)
    mine = {"environment": "development", "context": {"data_plan": {"plan_id": "other", "plan_version": 9}}}
    api.upload_events(copy.deepcopy(mine))
    consent = {"environment": "development", "context": {"something": 1}}
    api.upload_events(consent)
    assert received(server) == [mine, {"environment": "development", "context": {"something": 1, "data_plan": TAG}}]
    assert consent == {"environment": "development", "context": {"something": 1}}


def test_server_mode_accepts_string_numbers(server: LocalEventsServer, config: Any) -> None:
    verdicts: List[Verdict] = []
    batch = mparticle.Batch(environment="development", events=[order(order_id="ORD-3", channel="web", item_count="5")])
    mparticle.EventsApi(config, data_plan=PLAN, on_data_plan_violation=verdicts.append).upload_events(batch)
    assert len(verdicts) == 1 and verdicts[0].report.results[0].errors[0]["expected"] == "should be number"
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_mode="server", on_data_plan_violation=verdicts.append)
    api.upload_events(batch)
    assert len(verdicts) == 1 and server.request_count == 2


def test_a_raising_callback_is_logged_and_the_batch_still_sent(
    server: LocalEventsServer, config: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(verdict: Verdict) -> None:
        raise RuntimeError("boom")

    api = mparticle.EventsApi(config, data_plan=PLAN, on_data_plan_violation=broken)
    with caplog.at_level(logging.ERROR, logger="mparticle.dataplan"):
        api.upload_events(sample_batch())
    assert server.request_count == 1
    assert "on_data_plan_violation callback" in caplog.text and "RuntimeError: boom" in caplog.text


def test_bad_arguments_are_named() -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET)
    with pytest.raises(TypeError, match=r"data_plan must be a DataPlan \(mparticle.dataplan.load\(...\)\), not str"):
        mparticle.EventsApi(config, data_plan="plan.json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="data_plan_policy must be one of 'report', 'block', 'raise', not 'drop'"):
        BatchUploader(config, data_plan=PLAN, data_plan_policy="drop")
    with pytest.raises(ValueError, match="data_plan_mode must be one of 'strict', 'server', not 'loose'"):
        BatchUploader(config, data_plan=PLAN, data_plan_mode="loose")
    with pytest.raises(ValueError, match="need data_plan="):
        mparticle.EventsApi(config, data_plan_policy="block")
    with pytest.raises(TypeError, match="on_data_plan_violation must be callable, not int"):
        mparticle.EventsApi(config, data_plan=PLAN, on_data_plan_violation=3)  # type: ignore[arg-type]


def test_uploader_reports_tags_and_counts(server: LocalEventsServer, config: Any) -> None:
    verdicts: List[Verdict] = []
    with BatchUploader(config, data_plan=PLAN, retries=FAST_RETRIES, on_data_plan_violation=verdicts.append) as up:
        batch = sample_batch()
        assert up.enqueue(batch)
        up.enqueue({"environment": "development", "events": []})
        assert up.flush(5)
        stats = up.stats()
    assert stats.delivered == 2 and stats.data_plan == PlanStats(checked=2, violating=1, violations=4, tagged=2)
    batches = server.batches
    assert [b["context"]["data_plan"] for b in batches] == [TAG, TAG]
    assert batches[0]["events"] == wire(batch)["events"]
    assert len(verdicts) == 1


def test_uploader_raise_is_a_rejected_enqueue(server: LocalEventsServer, config: Any) -> None:
    good = mparticle.Batch(environment="development", events=[order(order_id="ORD-2", channel="store")])
    with BatchUploader(config, data_plan=PLAN, data_plan_policy="raise", retries=FAST_RETRIES) as up:
        with pytest.raises(DataPlanViolation, match=r"^batch violates data plan acme_server_plan v2"):
            up.enqueue(sample_batch())
        with pytest.raises(DataPlanViolation, match=r"^batches\[1\]: batch violates") as second:
            up.enqueue_many([good, sample_batch()])
        assert len(second.value.report.results) == 3
        assert up.enqueue_many([good, good]) == 2
        assert up.flush(5)
        stats = up.stats()
    assert stats.rejected == 2 and stats.enqueued == 2 and stats.delivered == 2
    assert stats.data_plan is not None and stats.data_plan.refused == 2


def test_uploader_block_in_sync_mode_and_inherits_the_apis_plan(server: LocalEventsServer, config: Any) -> None:
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="block")
    up = BatchUploader(api=api, sync_mode=True, retries=FAST_RETRIES)
    try:
        assert up.plan_enforcer is api.plan_enforcer
        assert up.enqueue(sample_batch())
    finally:
        up.shutdown()
    [sent] = server.batches
    assert [e["data"].get("event_name", e["data"].get("screen_name")) for e in sent["events"]] == [
        "Order Placed",
        "Checkout",
    ]
    assert sent["user_attributes"] == {"tier": "gold"}
    assert up.stats().data_plan == api.plan_enforcer.stats()  # type: ignore[union-attr]


def test_without_a_plan_nothing_changes(server: LocalEventsServer, config: Any) -> None:
    api = mparticle.EventsApi(config)
    assert api.plan_enforcer is None
    api.upload_events(sample_batch())
    assert received(server) == [wire(sample_batch())]
    with BatchUploader(config, send=False) as up:
        assert up.plan_enforcer is None and up.stats().data_plan is None


def point(kind: str, criteria: Dict[str, Any], schema: Any) -> Dict[str, Any]:
    return {"match": {"type": kind, "criteria": criteria}, "validator": {"type": "json_schema", "definition": schema}}


def test_blocking_rules() -> None:
    def data(schema: Dict[str, Any]) -> Dict[str, Any]:
        return {"properties": {"data": schema}}

    plan = dataplan.load(
        {
            "data_plan_id": "p",
            "version": 1,
            "version_document": {
                "data_points": [
                    point(
                        "custom_event",
                        {"event_name": "Closed", "custom_event_type": "other"},
                        data({"type": "object", "additionalProperties": False}),
                    ),
                    point(
                        "custom_event",
                        {"event_name": "Open", "custom_event_type": "other"},
                        data({"type": "object", "properties": {"custom_attributes": {"additionalProperties": True}}}),
                    ),
                    point("custom_event", {"event_name": "Bare", "custom_event_type": "other"}, {}),
                    point("user_attributes", {}, {"type": "object", "additionalProperties": True}),
                ]
            },
        }
    )

    def custom(name: str, **attributes: Any) -> Dict[str, Any]:
        return {
            "event_type": "custom_event",
            "data": {"event_name": name, "custom_event_type": "other", "custom_attributes": attributes},
        }

    batch = {
        "events": [
            custom("Closed", a=1, b=2),
            custom("Open", a=1),
            custom("Bare", z=0),
            {"event_type": "user_attribute_change", "data": {"user_attribute_name": "x"}},
            {"event_type": "commerce_event", "data": {}},
            custom("Nope"),
        ],
        "user_attributes": {"anything": 1},
    }
    original = copy.deepcopy(batch)
    out, removed = block(plan, batch)
    assert batch == original
    assert removed == Removed(events=[5], event_attributes={0: ["a", "b"]}, user_attributes=[])
    assert out["events"] == [custom("Closed")] + original["events"][1:5]
    assert out["user_attributes"] == {"anything": 1}
    # without a user_attributes point, user attributes are never blocked
    assert block(PLAN, {"user_attributes": {"x": 1}})[1] == Removed(user_attributes=["x"])
    no_ua = dataplan.load({"version_document": {"data_points": []}})
    assert block(no_ua, {"user_attributes": {"x": 1}}) == ({"user_attributes": {"x": 1}}, Removed())


def test_uploader_splices_the_tag_into_the_serialized_bytes(server: LocalEventsServer, config: Any) -> None:
    good = mparticle.Batch(
        environment="development", source_request_id="r-1", events=[order(order_id="ORD-2", channel="web")]
    )
    with_context = {"environment": "development", "source_request_id": "r-2", "context": {"x": None}}
    with BatchUploader(config, data_plan=PLAN, sync_mode=True, retries=FAST_RETRIES) as up:
        up.enqueue_many([good, with_context, {"source_request_id": "r-3", "context": {"data_plan": {"plan_id": "z"}}}])
    [request] = server.requests
    tag = b'"context":{"data_plan":{"plan_id":"acme_server_plan","plan_version":2}}'
    assert (
        request.body
        == b"["
        + b",".join(
            [
                b"{" + tag + b"," + dumps(good)[1:],
                b'{"environment":"development","source_request_id":"r-2","context":{"x":null,"data_plan":'
                b'{"plan_id":"acme_server_plan","plan_version":2}}}',
                b'{"source_request_id":"r-3","context":{"data_plan":{"plan_id":"z"}}}',
            ]
        )
        + b"]"
    )


def test_a_tag_that_breaks_the_size_limit_is_refused(server: LocalEventsServer) -> None:
    config = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url, max_batch_bytes=100)
    small = {"environment": "development", "source_request_id": "r", "mpid": 1, "user_attributes": {"a": "x" * 10}}
    assert len(dumps(small)) < 100
    with BatchUploader(config, data_plan=PLAN, send=False) as up:
        with pytest.raises(ValueError, match=r"^batch is 1\d\d bytes serialized with the data plan's changes, over"):
            up.enqueue(small)
        assert up.stats().rejected == 1


def test_the_no_nulls_shortcut_gives_the_same_reports() -> None:
    cases = json.loads((FIXTURES / "dpn_cases.json").read_text())["cases"]
    compared = 0
    for case in cases:
        batch = case["input"] if case["kind"] == "batch" else {"events": [case["input"]]}
        text = json.dumps(batch)
        if "null" in text or "__proto__" in text:
            continue
        try:
            plan = dataplan.load(case["plan"])
            expected = plan.validate_batch(batch).to_dict()
        except (ValueError, TypeError):
            continue
        assert plan.validate_wire(batch, False, False).to_dict() == expected, case["id"]
        compared += 1
    assert compared > 100


@pytest.mark.parametrize("parser", ["installed", "stdlib"])
def test_the_bytes_path_keeps_numbers_exact(parser: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mparticle.dataplan import enforce

    if parser == "stdlib":
        monkeypatch.setattr(enforce, "_fast_loads", json.loads)
    huge = 10**30
    batch = {
        "environment": "development",
        "mpid": huge,
        "events": [
            {"event_type": "custom_event", "data": {"event_name": "Nope", "custom_event_type": "other"}},
            {
                "event_type": "custom_event",
                "data": {
                    "event_name": "Order Placed",
                    "custom_event_type": "transaction",
                    "custom_attributes": {"order_id": "ORD-1", "channel": "web", "item_count": 3, "big": huge},
                },
            },
        ],
    }
    data = dumps(batch)
    report = enforce.Enforcer(PLAN).apply_encoded(data)
    assert report == b'{"context":{"data_plan":{"plan_id":"acme_server_plan","plan_version":2}},' + data[1:]
    blocked = json.loads(enforce.Enforcer(PLAN, "block").apply_encoded(data))
    assert blocked["mpid"] == huge and isinstance(blocked["mpid"], int)
    assert [e["data"]["event_name"] for e in blocked["events"]] == ["Order Placed"]
    assert blocked["events"][0]["data"]["custom_attributes"] == {"order_id": "ORD-1", "channel": "web", "item_count": 3}


def test_blocking_removes_only_what_validation_reports() -> None:
    """Over the differential corpus: a batch the plan passes loses nothing to blocking, and
    each blocked event or attribute is one the report calls unplanned (the shortcut in
    Enforcer skips blocking for a valid batch)."""
    from dataplan_corpus import corpus

    checked = blocked = 0
    for plan_source, batch in corpus(11, 400):
        try:
            plan = dataplan.load(plan_source)
            report = plan.validate_batch(batch)
        except (ValueError, TypeError):
            continue
        out, removed = block(plan, batch)
        checked += 1
        if report.ok:
            assert not removed and out is batch
            continue
        unplanned = {
            (r.index, e.get("key"), e["error_pointer"])
            for r in report
            for e in r.errors
            if e["validation_error_type"] == "unplanned"
        }
        events = {index for index, _, pointer in unplanned if index is not None and pointer == "#"}
        assert set(removed.events) <= events  # each removed event was reported unplanned as a whole
        for index, names in removed.event_attributes.items():
            for name in names:
                assert any(i == index and k == name and p.startswith("#/data") for i, k, p in unplanned), (index, name)
        assert all((None, name, "#") in unplanned for name in removed.user_attributes)
        blocked += bool(removed)
    assert checked > 300 and blocked > 50


@pytest.mark.parametrize("context", [{}, {"data_plan": None}, {"data_plan": {}}, {"x": 1}])
def test_a_context_without_a_plan_gets_the_tag_and_numbers_stay_exact(
    server: LocalEventsServer, config: Any, context: Dict[str, Any]
) -> None:
    big = 2**70 + 1
    batch = {"environment": "development", "source_request_id": "r", "mpid": big, "context": context}
    with BatchUploader(config, data_plan=PLAN, sync_mode=True, retries=FAST_RETRIES) as up:
        up.enqueue(batch)
    [request] = server.requests
    sent = json.loads(request.body)[0]
    assert sent["mpid"] == big and b"1180591620717411303425" in request.body
    assert sent["context"] == {**{k: v for k, v in context.items() if k != "data_plan"}, "data_plan": TAG}


def test_bytes_that_are_not_compact_are_encoded_again() -> None:
    from mparticle.dataplan.enforce import Enforcer

    enforcer = Enforcer(PLAN)
    for data in (b"{ }", b' {"environment":"development"}', b'{\n "events": []}', b"{}"):
        sent = json.loads(enforcer.apply_encoded(data))
        assert sent["context"] == {"data_plan": TAG}


def test_a_batch_too_deep_for_the_schema_library_is_reported_not_refused(
    server: LocalEventsServer, config: Any
) -> None:
    if "jsonschema-rs" not in dataplan.available_backends():
        pytest.skip("jsonschema-rs is not installed (python-jsonschema validates this nesting)")
    plan = dataplan.load(FIXTURES / "example_a.json", backend="jsonschema-rs")
    verdicts: List[Verdict] = []
    deep: Any = "x"
    for _ in range(400):  # jsonschema-rs gives up at about 300 levels; the encoder does not
        deep = {"a": deep}
    batch = {
        "environment": "development",
        "events": [wire(mparticle.Batch(events=[order(order_id="ORD-1", channel="web")]))["events"][0]],
    }
    batch["events"][0]["data"]["custom_attributes"]["deep"] = deep
    with BatchUploader(config, data_plan=plan, retries=FAST_RETRIES, on_data_plan_violation=verdicts.append) as up:
        assert up.enqueue(batch)
        assert up.flush(5)
    assert server.accepted_count == 1
    [verdict] = verdicts
    assert str(verdict.report) == "batch: events[0] cannot be validated: Recursion limit reached [unknown]"
    with BatchUploader(config, data_plan=plan, data_plan_policy="raise", send=False) as up:
        with pytest.raises(DataPlanViolation, match="events.0. cannot be validated"):
            up.enqueue(batch)
    with pytest.raises(DataPlanError, match=r"^events\[0\] cannot be validated: Recursion limit reached$"):
        plan.validate_batch(batch)


def test_refused_requests_count_only_the_refusal(server: LocalEventsServer, config: Any) -> None:
    good = mparticle.Batch(environment="development", events=[order(order_id="ORD-2", channel="store")])
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="raise")
    with pytest.raises(DataPlanViolation):
        api.bulk_upload_events([good, good, sample_batch()])
    assert api.plan_enforcer is not None and api.plan_enforcer.stats() == PlanStats(
        checked=1, violating=1, violations=4, refused=1
    )
    with BatchUploader(config, data_plan=PLAN, data_plan_policy="raise", send=False) as up:
        with pytest.raises(DataPlanViolation):
            up.enqueue_many([good, good, sample_batch()])
        assert up.stats().data_plan == PlanStats(checked=1, violating=1, violations=4, refused=1)
    big = {"environment": "development", "user_attributes": {"tier": "gold", "pad": "x" * 200}}
    small = mparticle.Configuration(api_key=KEY, api_secret=SECRET, host=server.url, max_batch_bytes=150)
    reporting = mparticle.EventsApi(small, data_plan=PLAN)
    with pytest.raises(ValueError, match="over the 150-byte limit"):
        reporting.upload_events(big)
    assert reporting.plan_enforcer is not None and reporting.plan_enforcer.stats() == PlanStats()
    assert server.request_count == 0


def test_events_api_takes_what_it_takes_without_a_plan(server: LocalEventsServer, config: Any) -> None:
    attributes = {"order_id": "ORD-1", "channel": "web"}
    data = {"event_name": "Order Placed", "custom_event_type": "transaction", "custom_attributes": attributes}
    event = {"event_type": "custom_event", "data": data}
    batch = {"environment": "development", "events": (event,)}  # a tuple: JSON has only arrays
    mparticle.EventsApi(config).upload_events(batch)
    api = mparticle.EventsApi(config, data_plan=PLAN, data_plan_policy="raise")
    api.upload_events(batch)
    bodies = [json.loads(r.body) for r in server.requests]
    assert bodies[1] == {**bodies[0], "context": {"data_plan": TAG}}


@pytest.mark.subprocess
def test_a_fork_child_counts_its_own_batches(server: LocalEventsServer, config: Any) -> None:
    import os

    api = mparticle.EventsApi(config, data_plan=PLAN)
    api.upload_events(sample_batch())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: fresh counters, a lock of its own
        try:
            api.upload_events(sample_batch())
            assert api.plan_enforcer is not None
            os.write(write, json.dumps(api.plan_enforcer.stats().__dict__).encode())
        finally:
            os._exit(0)
    os.close(write)
    child = json.loads(os.read(read, 10_000))
    os.waitpid(pid, 0)
    assert child["checked"] == 1 and child["violating"] == 1
    assert api.plan_enforcer is not None and api.plan_enforcer.stats().checked == 1
