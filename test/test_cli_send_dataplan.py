"""``mparticle send --data-plan``: the three policies end to end against the embedded endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from test_cli import conn, rejects_of, write_lines

from mparticle import dataplan
from mparticle.cli import main
from mparticle.testing import LocalEventsServer

if not dataplan.available_backends():
    pytest.skip('the "dataplan" extra is not installed', allow_module_level=True)

PLAN = str(Path(__file__).parent / "dataplan_fixtures" / "example_a.json")
TAG = {"plan_id": "acme_server_plan", "plan_version": 2}


def order(customer: str, **attributes: Any) -> Dict[str, Any]:
    return {
        "environment": "development",
        "user_identities": {"customer_id": customer},
        "events": [
            {
                "event_type": "custom_event",
                "data": {
                    "event_name": "Order Placed",
                    "custom_event_type": "transaction",
                    "custom_attributes": attributes,
                },
            },
            {"event_type": "custom_event", "data": {"event_name": "Nope", "custom_event_type": "other"}},
        ],
    }


def inputs(tmp_path: Path) -> Path:
    good = {"environment": "development", "user_identities": {"customer_id": "good"}, "events": []}
    lines = [json.dumps(order("bad", order_id="ORD-1", channel="web", coupon="X")), json.dumps(good)]
    return write_lines(tmp_path / "in.jsonl", lines)


def sent(server: LocalEventsServer) -> Dict[str, Dict[str, Any]]:
    return {b["user_identities"]["customer_id"]: b for b in server.batches}


def test_report_sends_everything_tagged_and_prints_the_violations(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = inputs(tmp_path)
    assert main(["send", str(data), "--data-plan", PLAN, *conn(server)]) == 0
    batches = sent(server)
    assert sorted(batches) == ["bad", "good"]
    assert all(b["context"] == {"data_plan": TAG} for b in batches.values())
    assert len(batches["bad"]["events"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        f'send: data plan: {data}:1: events[0] custom_event "Order Placed": data.custom_attributes: '
        'unplanned attribute "coupon" [unplanned]',
        f'send: data plan: {data}:1: events[1] custom_event "Nope": unplanned event [unplanned]',
    ]
    assert (
        err[-1].startswith("send: 2 batches read") and ", data plan: 1 batch violating it (2 violations) in " in err[-1]
    )


def test_block_sends_what_blocking_keeps(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = inputs(tmp_path)
    assert main(["send", str(data), "--data-plan", PLAN, "--plan-policy", "block", *conn(server)]) == 0
    bad = sent(server)["bad"]
    assert bad["events"] == [
        {
            "event_type": "custom_event",
            "data": {
                "event_name": "Order Placed",
                "custom_event_type": "transaction",
                "custom_attributes": {"order_id": "ORD-1", "channel": "web"},
            },
        }
    ]
    assert bad["context"] == {"data_plan": TAG}
    summary = capsys.readouterr().err.splitlines()[-1]
    assert "data plan: 1 batch violating it (2 violations), blocked 1 event, 1 event attribute in " in summary


def test_raise_rejects_the_record_with_its_violations(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = inputs(tmp_path)
    assert main(["send", str(data), "--data-plan", PLAN, "--plan-policy", "raise", *conn(server)]) == 1
    assert sorted(sent(server)) == ["good"]
    [reject] = rejects_of(tmp_path / "in.jsonl.rejects.jsonl")
    assert reject["line"] == 1 and reject["reason"].startswith('violates the data plan: events[0] custom_event "Order')
    assert reject["problems"] == [
        {
            "path": "events[0].data.custom_attributes",
            "rule": "data_plan",
            "message": 'events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" '
            "[unplanned]",
        },
        {
            "path": "events[1]",
            "rule": "data_plan",
            "message": 'events[1] custom_event "Nope": unplanned event [unplanned]',
        },
    ]
    assert "1 rejected" in capsys.readouterr().err


def test_dry_run_and_server_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = json.dumps(order("x", order_id="ORD-1", channel="web", item_count="5"))
    data = write_lines(tmp_path / "in.jsonl", [line])
    args = ["send", "--dry-run", str(data), "--data-plan", PLAN]
    assert main(args) == 0
    assert "should be number" in capsys.readouterr().err
    assert main([*args, "--mode", "server"]) == 0
    assert "should be number" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--plan-policy", "block"], "mparticle send: error: --plan-policy needs --data-plan"),
        (["--data-plan", "/nonexistent/plan.json"], "/nonexistent/plan.json"),
    ],
)
def test_unusable_plan_options_stop_before_anything_is_sent(
    tmp_path: Path, server: LocalEventsServer, capsys: pytest.CaptureFixture[str], extra: List[str], message: str
) -> None:
    data = inputs(tmp_path)
    assert main(["send", str(data), *extra, *conn(server)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1
    assert server.request_count == 0
    assert not (tmp_path / "in.jsonl.checkpoint.json").exists()
