"""``mparticle validate --data-plan``: plan violations as ``FILE:LINE: <result line>``, DPN's
report per batch with ``--format json``, and every plan or record problem as one line, never a
traceback."""

from __future__ import annotations

import argparse
import copy
import io
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import mparticle.dataplan
from mparticle import dataplan
from mparticle.cli import build_parser, main
from mparticle.cli.plan_options import add_plan_arguments, load_plan, plan_mode, plan_policy
from mparticle.cli.validate import run_validate

BACKENDS = dataplan.available_backends()
if not BACKENDS:
    pytest.skip(
        'neither jsonschema-rs nor jsonschema is installed: pip install "mparticle[dataplan]"', allow_module_level=True
    )

FIXTURES = Path(__file__).parent / "dataplan_fixtures"
EXAMPLE_A: Dict[str, Any] = json.loads((FIXTURES / "example_a.json").read_text())
EXAMPLE_A_BATCH: Dict[str, Any] = json.loads((FIXTURES / "example_a_batch.json").read_text())
#: The results of spec §3.3 (Example A), as Result.lines() words them.
EXAMPLE_A_LINES = [
    'events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" [unplanned]',
    'events[0] custom_event "Order Placed": data.custom_attributes.order_id: should match pattern "^ORD-[0-9]+$" '
    "[invalid_value]",
    'events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be >= 1 [invalid_value]',
    'events[1] custom_event "order placed": unplanned event [unplanned]',
    'events[3] product_action "purchase": data.product_action.products.0: unplanned attribute "color" [unplanned]',
    'events[3] product_action "purchase": data.product_action.products.0.price: should be number [invalid_value]',
    'events[4] product_action "refund": unplanned event [unplanned]',
    "events[5] session_start: unplanned event [unplanned]",
    'user_attributes: unplanned attribute "favorite_color" [unplanned]',
    "user_attributes: tier: should be equal to one of the allowed values [invalid_value]",
    "user_attributes: $Age: should be number [invalid_value]",
]
ITEM_COUNT_LINE = (
    'events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be >= 1 [invalid_value]'
)


@pytest.fixture(params=BACKENDS)
def backend(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each installed JSON Schema backend, as the one ``dataplan.load`` picks by default."""
    name = str(request.param)
    monkeypatch.setattr(mparticle.dataplan, "default_backend", lambda: name)
    return name


def order(item_count: Any = 2, **attributes: Any) -> Dict[str, Any]:
    """A batch valid for the Events API with one ``Order Placed`` event (valid for the plan at 2 items)."""
    custom = {"order_id": "ORD-1", "channel": "web", "item_count": item_count, **attributes}
    event = {
        "event_type": "custom_event",
        "data": {"event_name": "Order Placed", "custom_event_type": "transaction", "custom_attributes": custom},
    }
    return {"environment": "development", "mpid": 42, "user_attributes": {"tier": "gold"}, "events": [event]}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def write_lines(path: Path, values: List[Any]) -> Path:
    path.write_text("".join((v if isinstance(v, str) else json.dumps(v)) + "\n" for v in values), encoding="utf-8")
    return path


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "plan.json", EXAMPLE_A)


@pytest.fixture
def whole_plan(tmp_path: Path) -> Path:
    """A whole plan (``data_plan_versions``) with version 1 (no points) and version 2 (Example A)."""
    first = {"version": 1, "version_document": {"data_points": []}}
    second = {k: v for k, v in EXAMPLE_A.items() if k != "data_plan_id"}
    plan = {"data_plan_id": "acme_server_plan", "data_plan_versions": [first, second]}
    return write_json(tmp_path / "whole.json", plan)


# -- text output -------------------------------------------------------------------------------


def test_example_a_prints_the_spec_results_after_the_events_api_problems(
    tmp_path: Path, plan_file: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_json(tmp_path / "example_a_batch.json", EXAMPLE_A_BATCH)
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    out, err = capsys.readouterr()
    printed = out.splitlines()
    assert printed[0] == f"{data}:1: mpid: `mpid` must be an integer, got string [type]"
    assert printed[1].startswith(f"{data}:1: events[3].data.product_action.products[0].price: ")
    assert printed[2:] == [f"{data}:1: {line}" for line in EXAMPLE_A_LINES]
    assert err == "validate: 1 batches, 0 valid, 1 invalid (2 problems), 11 plan violations in 1 batch\n"


def test_plan_violations_by_line_with_broken_json_in_between(
    tmp_path: Path, plan_file: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(
        tmp_path / "batches.jsonl",
        [order(), '{"environment": "development", oops', order(0), order(item_count=3, coupon="X")],
    )
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{data}:2: <batch>: invalid JSON: Expecting property name enclosed in double quotes (line 2, column 32) "
        "[json]",
        f"{data}:3: {ITEM_COUNT_LINE}",
        f'{data}:4: events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "coupon" '
        "[unplanned]",
    ]
    assert err == "validate: 4 batches, 3 valid, 1 invalid (1 problem), 2 plan violations in 2 batches\n"


def test_every_batch_following_the_plan_exits_0(
    tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "good.jsonl", [order(), order(100)])
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 0
    assert capsys.readouterr() == ("", "validate: 2 batches, 2 valid, 0 invalid (0 problems), 0 plan violations\n")
    # without --data-plan the summary is as before
    assert main(["validate", str(data)]) == 0
    assert capsys.readouterr().err == "validate: 2 batches, 2 valid, 0 invalid (0 problems)\n"


def test_a_violation_alone_exits_1(tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_lines(tmp_path / "one.jsonl", [order(0)])
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    out, err = capsys.readouterr()
    assert out == f"{data}:1: {ITEM_COUNT_LINE}\n"
    assert err == "validate: 1 batches, 1 valid, 0 invalid (0 problems), 1 plan violation in 1 batch\n"


def test_batches_of_a_json_array_are_prefixed_with_their_index(
    tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_json(tmp_path / "array.json", [order(), order(0)])
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    assert capsys.readouterr().out == f"{data}:1: [1].{ITEM_COUNT_LINE}\n"


def test_stdin(plan_file: Path) -> None:
    raw = (json.dumps(order()) + "\n" + json.dumps(order(0)) + "\n").encode()
    args = build_parser().parse_args(["validate", "--data-plan", str(plan_file), "-"])
    out, err = io.StringIO(), io.StringIO()
    assert run_validate(args, stdin=io.BytesIO(raw), out=out, err=err) == 1
    assert out.getvalue() == f"<stdin>:2: {ITEM_COUNT_LINE}\n"
    assert err.getvalue() == "validate: 2 batches, 2 valid, 0 invalid (0 problems), 1 plan violation in 1 batch\n"


def test_quiet_keeps_only_the_summary(tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order(0), {"environment": "qa", "mpid": 1, "events": "x"}])
    for fmt in ("text", "json"):
        assert main(["validate", "-q", "--format", fmt, "--data-plan", str(plan_file), str(data)]) == 1
        assert capsys.readouterr() == (
            "",
            "validate: 2 batches, 1 valid, 1 invalid (2 problems), 2 plan violations in 2 batches\n",
        )


def test_hostile_records_are_problem_lines(
    tmp_path: Path, plan_file: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nameless = order()
    nameless["events"][0]["data"] = {"event_name": "\ud800", "custom_event_type": "other"}
    deep: Any = 1
    for _ in range(400):
        deep = {"a": deep}
    data = write_lines(
        tmp_path / "hostile.jsonl",
        [
            {"environment": "development", "mpid": 42, "events": "x"},
            {"environment": "development", "mpid": 42, "events": [1]},
            nameless,
            [7],
            order(nested=deep),
        ],
    )
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    printed = capsys.readouterr().out.splitlines()
    cannot = "<batch>: the data plan cannot validate the batch"
    assert printed[:6] == [
        f"{data}:1: events: `events` must be an array, got string [type]",
        f"{data}:1: {cannot}: batch events must be a list, not str [data_plan]",
        f"{data}:2: events[0]: `events[0]` (an event) must be an object, got number [type]",
        f"{data}:2: {cannot}: events[0] must be an object, not int [data_plan]",
        f'{data}:3: events[0] custom_event "\\ud800": unplanned event [unplanned]',
        f"{data}:4: [0]: a batch must be a JSON object, got number [type]",
    ]
    # the deep attribute: an Events API problem; the plan (additionalProperties false) reports it
    # unplanned, or the backend gives up on its depth: either way a line, never a traceback
    assert printed[6].startswith(f"{data}:5: events[0].data.custom_attributes.nested: ")
    assert printed[7] in (
        f'{data}:5: events[0] custom_event "Order Placed": data.custom_attributes: unplanned attribute "nested" '
        "[unplanned]",
        f"{data}:5: <batch>: the batch is nested too deeply to be validated [data_plan]",
    ) or printed[7].startswith(f"{data}:5: {cannot}: ")


# -- --format json -----------------------------------------------------------------------------


def test_format_json_is_the_report_of_every_batch_in_input_order(
    tmp_path: Path, plan_file: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    batches = [order(), EXAMPLE_A_BATCH, order(0)]
    data = write_lines(tmp_path / "b.jsonl", [batches[0], "{broken", batches[1], {"events": "x"}, batches[2]])
    assert main(["validate", "--format", "json", "--data-plan", str(plan_file), str(data)]) == 1
    out, err = capsys.readouterr()
    plan = dataplan.load(EXAMPLE_A, backend=backend)
    reports = [plan.validate_batch(copy.deepcopy(b)).to_dict() for b in batches]

    def unknown(batch: Any, message: str) -> Dict[str, Any]:
        entry = {"validation_error_type": "unknown", "error_pointer": "#", "actual": message}
        data = {"match": {"type": "batch"}, "validation_errors": [entry]}
        return {"batch": batch, "results": [{"event_type": "validation_result", "data": data}]}

    # one line per input record, in order: unreadable ones and ones the plan cannot read say why
    lines_out = [json.loads(line) for line in out.splitlines()]
    assert len(lines_out) == 5
    assert lines_out[0] == reports[0] and lines_out[2] == reports[1] and lines_out[4] == reports[2]
    assert lines_out[1]["batch"] is None
    assert lines_out[1]["results"][0]["data"]["validation_errors"][0]["actual"].startswith(
        "the data plan cannot read the batch: invalid JSON"
    )
    assert lines_out[3] == unknown(
        {"events": "x"}, "the data plan cannot validate the batch: batch events must be a list, not str"
    )
    expected = [reports[0], reports[1], reports[2]]
    assert [out.splitlines()[i] for i in (0, 2, 4)] == [
        json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in expected
    ]
    assert expected[0]["results"] == [] and len(expected[1]["results"]) == 6
    # the other problems are text lines on stderr, then the summary
    lines = err.splitlines()
    assert lines[0].startswith(f"{data}:2: <batch>: invalid JSON: ") and lines[0].endswith("[json]")
    assert lines[1] == f"{data}:3: mpid: `mpid` must be an integer, got string [type]"
    assert (
        f"{data}:4: <batch>: the data plan cannot validate the batch: batch events must be a list, not str "
        "[data_plan]" in lines
    )
    assert (
        lines[-1] == "validate: 5 batches, 2 valid, 3 invalid (4 problems), 2 warnings, 13 plan violations in 3 batches"
    )


def test_format_json_keeps_non_ascii_and_escapes_lone_surrogates(
    tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = order()
    lone["events"][0]["data"]["event_name"] = "\ud800"
    data = write_lines(tmp_path / "b.jsonl", [order(item_count=2, note="café"), lone])
    assert main(["validate", "--format", "json", "--data-plan", str(plan_file), str(data)]) == 1
    first, second = capsys.readouterr().out.splitlines()
    assert '"note":"café"' in first and second.isascii() and '"event_name":"\\ud800"' in second
    assert json.loads(second)["batch"] == lone


def test_format_json_needs_a_data_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--format", "json", str(data)]) == 2
    assert capsys.readouterr() == ("", "mparticle validate: error: --format json needs --data-plan\n")


# -- --mode --------------------------------------------------------------------------------------


@pytest.mark.skipif("server" not in dataplan.MODES, reason='mparticle.dataplan has no mode="server" yet')
def test_server_mode_coerces_a_numeric_string(
    tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order("5")])
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 1
    assert capsys.readouterr().out == (
        f'{data}:1: events[0] custom_event "Order Placed": data.custom_attributes.item_count: should be number '
        "[invalid_value]\n"
    )
    assert main(["validate", "--mode", "strict", "--data-plan", str(plan_file), str(data)]) == 1
    capsys.readouterr()
    assert main(["validate", "--mode", "server", "--data-plan", str(plan_file), str(data)]) == 0
    assert capsys.readouterr() == ("", "validate: 1 batches, 1 valid, 0 invalid (0 problems), 0 plan violations\n")


def test_a_mode_the_validator_lacks_is_refused(
    tmp_path: Path, plan_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mparticle.dataplan, "MODES", ("strict",))
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--mode", "server", "--data-plan", str(plan_file), str(data)]) == 2
    assert capsys.readouterr() == (
        "",
        "mparticle validate: error: --mode server is not available in this version (available: strict)\n",
    )


# -- loading the plan ------------------------------------------------------------------------------


def test_plan_version_picks_a_version_of_a_whole_plan(
    tmp_path: Path, whole_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order(0)])
    assert main(["validate", "--data-plan", str(whole_plan), "--plan-version", "2", str(data)]) == 1
    assert capsys.readouterr().out == f"{data}:1: {ITEM_COUNT_LINE}\n"
    assert main(["validate", "--data-plan", str(whole_plan), "--plan-version", "1", str(data)]) == 1
    assert capsys.readouterr().out == f'{data}:1: events[0] custom_event "Order Placed": unplanned event [unplanned]\n'
    # a plan version file, with its own number
    plan = write_json(tmp_path / "v2.json", EXAMPLE_A)
    assert main(["validate", "--data-plan", str(plan), "--plan-version", "2", str(data)]) == 1
    assert capsys.readouterr().out == f"{data}:1: {ITEM_COUNT_LINE}\n"


@pytest.mark.parametrize(
    "flags, message",
    [
        (
            ["--plan-version", "5"],
            "data plan {plan}: data plan 'acme_server_plan' has no version 5; versions present: [1, 2]",
        ),
        (
            [],
            "data plan {plan}: data plan 'acme_server_plan' has several versions: give --plan-version (one of [1, 2])",
        ),
    ],
)
def test_a_missing_version_names_the_versions_present(
    tmp_path: Path, whole_plan: Path, flags: List[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--data-plan", str(whole_plan), *flags, str(data)]) == 2
    assert capsys.readouterr() == ("", f"mparticle validate: error: {message.format(plan=whole_plan)}\n")


def test_a_single_version_plan_still_needs_plan_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write_json(tmp_path / "one.json", {"data_plan_id": "p", "data_plan_versions": [EXAMPLE_A]})
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--data-plan", str(plan), str(data)]) == 2
    assert (
        capsys.readouterr().err
        == f"mparticle validate: error: data plan {plan}: data plan 'p': give --plan-version 2\n"
    )
    assert main(["validate", "--data-plan", str(plan), "--plan-version", "2", str(data)]) == 0


def test_a_plan_version_file_of_another_number(
    tmp_path: Path, plan_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--data-plan", str(plan_file), "--plan-version", "3", str(data)]) == 2
    assert capsys.readouterr().err == (
        f"mparticle validate: error: data plan {plan_file}: this is version 2 of the plan, not version 3\n"
    )


def test_unusable_plan_files_are_exit_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order()])
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{}")
    bad_format = copy.deepcopy(EXAMPLE_A)
    bad_format["version_document"]["data_points"][1]["validator"]["definition"]["format"] = "colour"
    rejected = write_json(tmp_path / "rejected.json", bad_format)
    cases = {
        missing: f"cannot read data plan file {missing}: No such file or directory",
        broken: f"data plan file {broken} is not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        tmp_path: f"cannot read data plan file {tmp_path}: Is a directory",
        rejected: f'data plan {rejected}: point screen_view::Checkout: unknown format "colour" is used in schema at '
        'path "#"',
    }
    for plan, message in cases.items():
        assert main(["validate", "--data-plan", str(plan), str(data)]) == 2
        assert capsys.readouterr() == ("", f"mparticle validate: error: {message}\n"), plan
    assert main(["validate", "--data-plan", str(binary), str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mparticle validate: error: data plan {binary}: ") and err.count("\n") == 1


def test_without_the_extra_the_install_hint(
    tmp_path: Path, plan_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mparticle.dataplan.schema import INSTALL_HINT

    monkeypatch.setattr(mparticle.dataplan, "available_backends", lambda: [])
    monkeypatch.setattr(mparticle.dataplan.schema, "available_backends", lambda: [])
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", "--data-plan", str(plan_file), str(data)]) == 2
    assert capsys.readouterr() == (
        "",
        f"mparticle validate: error: cannot use the data plan {plan_file}: {INSTALL_HINT}\n",
    )


# -- the options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--plan-version", "2"], "--plan-version needs --data-plan"),
        (["--mode", "strict"], "--mode needs --data-plan"),
        (["--mode", "server", "--plan-version", "1"], "--plan-version and --mode need --data-plan"),
    ],
)
def test_plan_flags_without_a_plan_are_usage_errors(
    tmp_path: Path, flags: List[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_lines(tmp_path / "b.jsonl", [order()])
    assert main(["validate", *flags, str(data)]) == 2
    assert capsys.readouterr() == ("", f"mparticle validate: error: {message}\n")


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--plan-version", "0"], "argument --plan-version: must be a positive integer, not '0'"),
        (["--plan-version", "two"], "argument --plan-version: must be a positive integer, not 'two'"),
        (["--mode", "lenient"], "argument --mode: invalid choice: 'lenient'"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    ],
)
def test_bad_plan_flag_values_are_usage_errors(
    flags: List[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--data-plan", "plan.json", *flags, "b.jsonl"]) == 2
    assert message in capsys.readouterr().err


def test_the_send_variant_adds_plan_policy() -> None:
    parser = argparse.ArgumentParser(prog="mparticle send")
    add_plan_arguments(parser, policy=True)
    args = parser.parse_args([])
    assert (args.data_plan, args.plan_version, args.mode, args.plan_policy) == (None, None, None, None)
    assert (plan_mode(args), plan_policy(args)) == ("strict", "report")
    args = parser.parse_args(["--data-plan", "p.json", "--plan-policy", "block", "--mode", "server"])
    assert (plan_mode(args), plan_policy(args)) == ("server", "block")
    assert "--plan-policy {report,block,raise}" in parser.format_help()
    plain = argparse.ArgumentParser()
    add_plan_arguments(plain, policy=False)
    assert "--plan-policy" not in plain.format_help()


def test_load_plan(plan_file: Path) -> None:
    err = io.StringIO()
    none = argparse.Namespace(command="send", data_plan=None, plan_version=None, mode=None, plan_policy=None)
    assert load_plan(none, err) is None
    plan = load_plan(argparse.Namespace(command="send", data_plan=str(plan_file), plan_version=2), err)
    assert plan is not None and (plan.data_plan_id, plan.version) == ("acme_server_plan", 2)
    from mparticle.cli.errors import UsageError

    with pytest.raises(UsageError) as raised:
        load_plan(argparse.Namespace(command="send", data_plan=None, plan_policy="raise"), err)
    assert raised.value.exit_code == 2
    assert err.getvalue() == "mparticle send: error: --plan-policy needs --data-plan\n"
