"""mparticle.dataplan.codegen and ``mparticle dataplan codegen``: modules generated from typed,
legacy string-typed and 120-point plans import, pass ``mypy --strict`` and ``ruff``, and build
events that validate with zero results on both JSON Schema backends."""

from __future__ import annotations

import builtins
import importlib.util
import json
import keyword
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Literal, Optional, Tuple

import pytest

import mparticle
from mparticle import Batch, BatchContext, DataPlanContext, GeoLocation, Product
from mparticle.cli import main
from mparticle.dataplan import DataPlanError, available_backends, load
from mparticle.dataplan.codegen import _Function, _functions, generate
from mparticle.serialization import dumps

PLANS_DIR = Path(__file__).parent / "dataplan_fixtures" / "plans"
EXAMPLE_A = Path(__file__).parent / "dataplan_fixtures" / "example_a.json"
REPO = Path(mparticle.__file__).resolve().parent.parent
# module name -> (plan file, version)
PLANS: Dict[str, Tuple[Path, Optional[int]]] = {
    "cg_typed": (PLANS_DIR / "typed.json", 4),
    "cg_legacy": (PLANS_DIR / "legacy.json", None),
    "cg_retail": (PLANS_DIR / "retail_120.json", 3),
    "cg_example_a": (EXAMPLE_A, None),
}
NUMBER = "^-?\\d+(\\.\\d+)?([eE][+\\-]?\\d+)?$"
BOOLEAN = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"
PATTERN_SAMPLES = {
    NUMBER: "42",
    BOOLEAN: "true",
    "^ORD-[0-9]+$": "ORD-1",
    "^SKU-[0-9]{6}$": "SKU-004211",
    "^SKU-\\d{4}$": "SKU-0001",
    "^ST[0-9]{4}$": "ST0042",
    "^T[0-9]+$": "T1001",
    "^[0-9]+\\.[0-9]+\\.[0-9]+$": "3.1.0",
}


def hostile_plan() -> Dict[str, Any]:
    """Names and descriptions with quotes, backslashes, control and wide characters, 300 characters..."""
    names = ['He said "hi"', "back\\slash\\", 'tri"""ple', "new\nline", "\u2028sep", "日本語のイベント名前" * 8]
    names += ["x" * 300, "", "123", "None", "def", "match", "tag", "user_attributes", "__init__", "🎉 party"]
    names += ['end quote"', "a\x00b"]
    keys = [*names, "k" * 250, "_attrs", "_attributes", "extra", "required", "optional", "dict", "merged"]
    attributes = {
        k: {"type": "string", "description": d, "enum": [k, 'q"""q', "z" * 200]} for k, d in zip(keys, keys[::-1])
    }
    attributes["mixed enum"] = {"enum": [1, "a", True, None, 2.5]}  # Literal cannot hold 2.5
    attributes["huge enum"] = {"enum": [2**70, 3]}  # nor an int mypy refuses in a Literal
    points: List[Dict[str, Any]] = []
    for index, name in enumerate(names):
        custom = {"additionalProperties": index % 2 == 0, "required": keys[:3], "properties": attributes}
        definition = {"properties": {"data": {"properties": {"custom_attributes": custom}}}}
        criteria = {"event_name": name, "custom_event_type": "other"}
        points.append({"description": name, "match": {"type": "custom_event", "criteria": criteria},
                       "validator": {"type": "json_schema", "definition": definition}})  # fmt: skip
        points.append({"match": {"type": "screen_view", "criteria": {"screen_name": name}}, "validator": {"type": "x"}})
    return {"data_plan_id": 'weird "id" \\ ' + "p" * 100, "version": 9, "version_document": {"data_points": points}}


def write_modules(directory: Path) -> List[Path]:
    """Every fixture plan's module, the hostile plan's and two empty ones, in ``directory``."""
    files = []
    for name, (path, version) in PLANS.items():
        files.append(directory / (name + ".py"))
        files[-1].write_text(generate(path, version), encoding="utf-8")
    files.append(directory / "cg_hostile.py")
    files[-1].write_text(generate(hostile_plan()), encoding="utf-8")
    files.append(directory / "cg_empty.py")  # no points: no typing import
    files[-1].write_text(generate({"data_plan_id": "e", "version": 1, "version_document": {"data_points": []}}))
    files.append(directory / "cg_bare.py")  # no id, no version
    files[-1].write_text(generate({"data_points": []}))
    return files


BACKENDS = [b for b in ("jsonschema-rs", "jsonschema") if b in available_backends()]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, ModuleType]]:
    """Each plan's module, written to a temporary directory and imported."""
    directory = tmp_path_factory.mktemp("codegen")
    modules: Dict[str, ModuleType] = {}
    for name, (path, version) in PLANS.items():
        target = directory / (name + ".py")
        target.write_text(generate(path, version), encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, target)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        modules[name] = module
    yield modules
    for name in modules:
        sys.modules.pop(name, None)


def sample(schema: Any) -> Any:
    """A value that ``schema`` accepts (for the keywords the fixture plans use)."""
    if not isinstance(schema, dict):
        return "x"
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list):
        return next(value for value in schema["enum"] if value is not None)
    declared = schema.get("type")
    kinds = [k for k in ([declared] if isinstance(declared, str) else declared or []) if k != "null"]
    kind = kinds[0] if kinds else "string"
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind == "string":
        if "pattern" in schema:
            return PATTERN_SAMPLES[schema["pattern"]]
        if schema.get("format") == "date-time":
            return "2024-05-01T12:00:00Z"
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        return int(low) if low is not None else 3
    if kind == "number":
        if low is not None and high is not None:
            return (low + high) / 2
        return low + 0.5 if low is not None else 2.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(schema.get("items"))]
    return {}


def call(module: ModuleType, function: _Function, by_name: Dict[str, _Function], full: bool) -> Any:
    """``function`` called with its required arguments (and with ``full``, all of them)."""
    kwargs: Dict[str, Any] = {p.name: sample(p.schema) for p in function.params if p.required or full}
    if function.kind == "product_action" and (function.products_required or full):
        if function.helper:
            kwargs["products"] = [call(module, by_name[function.helper], by_name, full)]
        else:
            kwargs["products"] = [Product(id="p1", price=1.0, quantity=1)]
    if function.extra and full:
        kwargs["extra_attributes"] = {"unplanned attribute": "allowed here"}
    if full and function.kind in ("custom_event", "screen_view", "product_action"):
        kwargs["timestamp_unixtime_ms"] = 1_700_000_000_000
    return getattr(module, function.name)(**kwargs)


def batch_of_everything(module: ModuleType, name: str, full: bool) -> Batch:
    path, version = PLANS[name]
    functions = _functions(path, version)
    by_name = {f.name: f for f in functions}
    events: List[Any] = []
    user_attributes: Optional[Dict[str, Any]] = None
    for function in functions:
        if function.kind == "user_attributes":
            user_attributes = call(module, function, by_name, full)
        elif function.kind != "product":
            events.append(call(module, function, by_name, full))
    batch = Batch(environment="development", events=events, user_attributes=user_attributes)
    return typing.cast(Batch, module.tag(batch))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("full", [False, True], ids=["required", "all"])
@pytest.mark.parametrize("name", list(PLANS))
def test_every_factory_builds_an_event_the_plan_accepts(
    generated: Dict[str, ModuleType], name: str, full: bool, backend: str
) -> None:
    batch = batch_of_everything(generated[name], name, full)
    path, version = PLANS[name]
    report = load(path, version, backend=backend).validate_batch(batch)
    assert list(report) == [] and report.ok, str(report)


def test_the_120_point_plan_gets_a_factory_per_planned_event() -> None:
    plan = json.loads((PLANS_DIR / "retail_120.json").read_text())
    points = plan["data_plan_versions"][0]["version_document"]["data_points"]
    assert len(points) >= 120
    planned = [p for p in points if p["match"]["type"] in ("custom_event", "screen_view", "product_action")]
    functions = _functions(plan, 3)
    kinds = [f.kind for f in functions]
    assert kinds.count("custom_event") + kinds.count("screen_view") + kinds.count("product_action") == len(planned)
    assert kinds.count("user_attributes") == 1
    assert len({f.name for f in functions}) == len(functions)
    types = {p["match"]["criteria"]["custom_event_type"] for p in points if p["match"]["type"] == "custom_event"}
    assert len(types) == 10  # every custom_event_type of the spec


def mypy_available() -> bool:
    return importlib.util.find_spec("mypy") is not None


GOOD_USAGE = """\
from typing import List

from mparticle import AppEvent, Batch, CommerceEvent

import cg_example_a as acme
import cg_typed as typed

event: AppEvent = acme.order_placed(order_id="ORD-1", channel="web", item_count=3, gift=True)
sale: CommerceEvent = typed.commerce_purchase(
    products=[typed.commerce_purchase_product(id="sku", price=9.5, quantity=2)],
    transaction_id="T1",
    store="north",
)
both: List[object] = [event, sale, typed.screen_checkout(step=2), typed.video_started(quality="720p")]
tagged: Batch = acme.tag(Batch(environment="development", events=[event]))
plan_id: str = acme.DATA_PLAN_ID
plan_version: int = acme.DATA_PLAN_VERSION
"""
BAD_USAGE = """\
import cg_example_a as acme
import cg_typed as typed

acme.order_placed(order_id="ORD-1", channel="fax")  # error
acme.order_placed(channel="web")  # error
acme.order_placed(order_id=1, channel="web")  # error
typed.screen_checkout(step=4)  # error
typed.commerce_purchase_product(id="sku")  # error
typed.video_started(quality="8k")  # error
typed.order_placed(order_id="ORD-1", channel="web", item_count="3")  # error
typed.search_navigation(store_ref="a", bogus=1)  # error
acme.screen_checkout(extra_attributes={"a": 1}, timestamp_unixtime_ms="now")  # error
"""


@pytest.mark.subprocess
def test_generated_modules_pass_mypy_strict_and_bad_calls_fail(tmp_path: Path) -> None:
    if not mypy_available():
        pytest.skip("mypy is not installed")
    files = write_modules(tmp_path)
    (tmp_path / "usage_good.py").write_text(GOOD_USAGE)
    (tmp_path / "usage_bad.py").write_text(BAD_USAGE)
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-color-output",
         "--cache-dir", str(tmp_path / ".mypy_cache"), *[f.name for f in files], "usage_good.py", "usage_bad.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    expected = {n for n, line in enumerate(BAD_USAGE.splitlines(), 1) if line.endswith("# error")}
    flagged = {int(line.split(":")[1]) for line in errors if line.startswith("usage_bad.py:")}
    assert [line for line in errors if not line.startswith("usage_bad.py:")] == [], done.stdout
    assert flagged == expected, done.stdout


@pytest.mark.subprocess
def test_generated_modules_pass_ruff(tmp_path: Path) -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed")
    files = write_modules(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(REPO / "pyproject.toml"),
         *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_lines_fit_and_output_is_deterministic() -> None:
    for path, version in PLANS.values():
        text = generate(path, version)
        assert text.endswith("\n") and not text.endswith("\n\n")
        assert max(len(line) for line in text.splitlines()) <= 120
        assert generate(path, version) == text
        document = json.loads(path.read_text())
        assert generate(document, version) == text == generate(json.dumps(document), version)
        assert generate(str(path), version).encode("utf-8") == text.encode("utf-8")


def test_hostile_names_and_descriptions_make_a_valid_module(tmp_path: Path) -> None:
    plan = hostile_plan()
    text = generate(plan)
    assert generate(plan) == text
    namespace: Dict[str, Any] = {}
    exec(compile(text, "cg_hostile.py", "exec"), namespace)
    names = namespace["__all__"]
    assert len(names) == len(set(names)) == 3 + 2 * 18
    assert {"tag_2", "user_attributes_2", "def_", "match_", "event", "event_2", "event_123", "none"} <= set(names)
    for name in names[3:]:
        assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name) and not hasattr(builtins, name)
    assert namespace["DATA_PLAN_ID"] == plan["data_plan_id"]
    event = namespace["tri_ple"](he_said_hi='He said "hi"', back_slash="back\\slash\\", tri_ple='q"""q')
    assert event.event_name == 'tri"""ple' and event.custom_attributes["back\\slash\\"] == "back\\slash\\"
    assert 'tri"""ple' in namespace["tri_ple"].__doc__ and "new\nline" not in namespace["new_line"].__doc__


def test_names_are_sanitized_and_deduplicated(generated: Dict[str, ModuleType]) -> None:
    typed = generated["cg_typed"]
    names = typed.__all__
    assert names[:3] == ["DATA_PLAN_ID", "DATA_PLAN_VERSION", "tag"]
    for name in names[3:]:
        assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name)
        assert not hasattr(builtins, name), name
        assert callable(getattr(typed, name))
    assert len(set(names)) == len(names)
    # two events named "Search" of different types; "search" of the first type; a builtin; a digit
    for expected in ("search_search", "search_navigation", "search_search_2", "print_", "event_2nd_step", "tag_2"):
        assert expected in names
    assert "umlaut_cafe" in names and "screen_product_detail_v2" in names
    assert "customer_completed_the_extremely_long_multi_step_onboarding" in names  # cut at 60 characters
    event = typed.order_placed(
        order_id="ORD-7", channel="web", item_count=2, gender="f", class_="premium", loyalty_tier=3
    )
    assert event.custom_attributes == {
        "order_id": "ORD-7", "channel": "web", "Item Count": 2, "$gender": "f", "class": "premium", "loyalty tier ": 3,
    }  # fmt: skip
    assert typed.event_2nd_step(step=1, step_2=2, step_3=3).custom_attributes == {"Step #": 1, "step_": 2, "step": 3}
    assert typed.umlaut_cafe(grosse="M").custom_attributes == {"größe": "M"}
    navigation = typed.search_navigation(store_ref=1, from_="home", import_=False)
    assert navigation.custom_attributes == {"store_ref": 1, "from": "home", "import": False}
    assert typed.tag_2(l_="x", timestamp_unixtime_ms_2=5, timestamp_unixtime_ms=7).custom_attributes == {
        "l": "x",
        "timestamp_unixtime_ms": 5,
    }


def test_types_come_from_the_schema(generated: Dict[str, ModuleType]) -> None:
    hints = typing.get_type_hints(generated["cg_typed"].order_placed)
    assert hints["order_id"] is str and hints["item_count"] is int
    flat = typing.get_type_hints(generated["cg_typed"].search_navigation)["store_ref"]
    assert flat == typing.Union[str, float, bool]  # required, but not in properties: any flat value
    assert hints["channel"] == Literal["web", "store", "phone"]
    assert hints["total"] == Optional[float] and hints["gift"] == Optional[bool] and hints["placed_at"] == Optional[str]
    assert hints["class_"] == Optional[Literal["premium"]]
    assert hints["coupon"] == Optional[str]  # ["string", "null"]
    assert hints["priority"] == Optional[Literal[1, "high", True]]  # mixed-type enum
    assert hints["ratio"] == Optional[float]  # Literal cannot hold 0.5
    assert hints["loyalty_tier"] == Optional[typing.Union[int, str]]
    assert "tags" not in hints and "meta" not in hints  # arrays and objects cannot be event attributes
    assert hints["return"] is mparticle.AppEvent
    video = typing.get_type_hints(generated["cg_typed"].video_started)
    assert video["subtitles"] == Optional[Literal["en", "fr"]]
    assert typing.get_args(video["quality"])[-1] == "adaptive-bitrate-default"  # a long Literal, as an alias
    user = typing.get_type_hints(generated["cg_typed"].user_attributes)
    assert user["interests"] == Optional[List[str]] and user["age"] == Optional[int]
    legacy = typing.get_type_hints(generated["cg_legacy"].add_payment_method)
    assert legacy["card_type"] is str and legacy["is_default"] is str and legacy["amount"] == Optional[str]
    doc = generated["cg_legacy"].add_payment_method.__doc__
    assert 'A number as a string, e.g. "42"' in doc and '"true" or "false"' in doc and "ISO 8601" in doc


def test_required_parameters_are_keyword_only_without_defaults(generated: Dict[str, ModuleType]) -> None:
    import inspect

    signature = inspect.signature(generated["cg_example_a"].order_placed)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in signature.parameters.values())
    required = [n for n, p in signature.parameters.items() if p.default is inspect.Parameter.empty]
    assert required == ["order_id", "channel"]
    assert "extra_attributes" not in signature.parameters  # additionalProperties: false
    with pytest.raises(TypeError):
        generated["cg_example_a"].order_placed(order_id="ORD-1")


def test_events_carry_the_criteria_and_only_the_given_attributes(generated: Dict[str, ModuleType]) -> None:
    acme, typed = generated["cg_example_a"], generated["cg_typed"]
    event = acme.order_placed(order_id="ORD-1", channel="web", gift=None, item_count=2)
    assert (event.event_name, event.custom_event_type) == ("Order Placed", "transaction")
    assert event.custom_attributes == {"order_id": "ORD-1", "channel": "web", "item_count": 2}
    assert acme.screen_checkout().screen_name == "Checkout" and acme.screen_checkout().custom_attributes is None
    assert acme.screen_checkout(extra_attributes={"a": 1}).custom_attributes == {"a": 1}
    detail = typed.screen_product_detail_v2(sku="SKU-0001", extra_attributes={"sku": "planned wins", "other": 1})
    assert detail.custom_attributes == {"sku": "SKU-0001", "other": 1}
    sale = typed.commerce_purchase(
        products=[typed.commerce_purchase_product(id="a", price=2.0)],
        transaction_id="T9",
        store="s",
        currency_code="EUR",
    )
    assert sale.product_action.action == "purchase" and sale.product_action.transaction_id == "T9"
    assert sale.currency_code == "EUR" and sale.custom_attributes == {"store": "s"}
    assert typed.duplicate(second=2).custom_attributes == {"second": 2}  # the last point of a key wins
    assert "unused_type" not in typed.__all__ and "skipped" not in typed.__all__
    assert "Free Form" in typed.free_form.__doc__ and typed.free_form(extra_attributes={"x": 1}).custom_attributes


def test_docstrings_keep_descriptions_with_quotes_and_backslashes(generated: Dict[str, ModuleType]) -> None:
    typed = generated["cg_typed"]
    doc = typed.order_placed.__doc__
    assert 'Triple quotes """ and a trailing quote".' in doc
    assert "C:\\orders\\" in doc and 'Where it was "placed".' in doc
    assert 'Attribute "Item Count". 1 to 100.' in doc and "Matches ``^ORD-[0-9]+$``." in doc
    assert "Playback began. Second paragraph with a tab." in typed.video_started.__doc__
    text = generate(*PLANS["cg_typed"])
    assert text.startswith(
        "# Generated by `mparticle dataplan codegen`. Do not edit: regenerate from the plan instead.\n"
        '# Data plan "typed_fixture", version 4.\n'
    )
    assert "#   custom_event:Transaction:Unused Type" in text  # a custom_event_type AppEvent rejects


def test_tag_sets_the_plan_and_keeps_the_context(generated: Dict[str, ModuleType]) -> None:
    typed = generated["cg_typed"]
    assert (typed.DATA_PLAN_ID, typed.DATA_PLAN_VERSION) == ("typed_fixture", 4)
    batch = Batch(environment="development", events=[typed.screen_home()])
    assert typed.tag(batch) is batch
    assert (batch.context.data_plan.plan_id, batch.context.data_plan.plan_version) == ("typed_fixture", 4)
    wire = dumps(batch)
    assert b'"data_plan":{"plan_id":"typed_fixture","plan_version":4}' in wire
    located = Batch(environment="development", context=BatchContext(location=GeoLocation(latitude=1.5, longitude=2.5)))
    typed.tag(located)
    context = located.context
    assert context is not None and context.location is not None and context.data_plan is not None
    assert context.location.latitude == 1.5 and context.data_plan.plan_version == 4
    assert json.loads(dumps(located))["context"]["location"] == {"latitude": 1.5, "longitude": 2.5}


@pytest.mark.subprocess
def test_generation_needs_no_json_schema_library_and_ignores_hash_seeds() -> None:
    code = (
        "import sys; sys.modules['jsonschema'] = None; sys.modules['jsonschema_rs'] = None\n"
        "from mparticle.dataplan.codegen import generate\n"
        "sys.stdout.write(generate(sys.argv[1], 3))\n"
    )
    expected = generate(PLANS_DIR / "retail_120.json", 3)
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", code, str(PLANS_DIR / "retail_120.json")],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, encoding="utf-8", timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == expected


def test_unusable_plans_are_data_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(DataPlanError, match=r"has no version 7; versions present: \[1, 4\]"):
        generate(PLANS_DIR / "typed.json", 7)
    with pytest.raises(DataPlanError, match="several versions"):
        generate(PLANS_DIR / "typed.json")
    with pytest.raises(DataPlanError, match="cannot read"):
        generate(tmp_path / "missing.json")
    with pytest.raises(DataPlanError, match="not valid JSON"):
        generate("{not json")
    point = {"match": {"type": "custom_event"}, "validator": {"type": "json_schema", "definition": {}}}
    no_criteria = {"version_document": {"data_points": [point]}}
    with pytest.raises(DataPlanError, match="needs match.criteria"):
        generate(no_criteria)
    with pytest.raises(DataPlanError, match="must have data points"):
        generate({"version_document": {}})


def test_a_bare_version_document_without_id() -> None:
    text = generate({"data_points": []})
    assert "DATA_PLAN_ID: Optional[str] = None" in text and "DATA_PLAN_VERSION: Optional[int] = None" in text
    namespace: Dict[str, Any] = {}
    exec(compile(text, "bare.py", "exec"), namespace)
    with pytest.raises(ValueError, match="this plan has no data_plan_id"):  # a tag needs a plan_id
        namespace["tag"](Batch(environment="development"))


# -- the command line --------------------------------------------------------------------------------
def test_cli_codegen_writes_the_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "typed_events.py"
    plan = PLANS_DIR / "typed.json"
    assert main(["dataplan", "codegen", str(plan), "--version", "4", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == generate(plan, 4)
    assert [p.name for p in tmp_path.iterdir()] == ["typed_events.py"]  # no temporary file left
    captured = capsys.readouterr()
    count = sum(1 for f in _functions(plan, 4) if f.kind != "product")
    assert captured.out == ""
    assert captured.err == f"dataplan codegen: plan typed_fixture version 4: {count} factories written to {out}\n"


def test_cli_codegen_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataplan", "codegen", str(EXAMPLE_A), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == generate(EXAMPLE_A)
    assert captured.err == "dataplan codegen: plan acme_server_plan version 2: 4 factories written to stdout\n"


def test_cli_codegen_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.py"
    plan = str(PLANS_DIR / "typed.json")
    head = "dataplan codegen: data plan 'typed_fixture' has"
    cases: List[Tuple[List[str], str]] = [
        ([plan, "--version", "7"], f"{head} no version 7; versions present: [1, 4]\n"),
        ([plan], f"{head} several versions: pass --version (one of [1, 4])\n"),
        ([str(tmp_path / "missing.json")], "dataplan codegen: cannot read data plan file "),
    ]
    (tmp_path / "bad.json").write_text("{\n  not json")
    (tmp_path / "latin1.json").write_bytes(b'{"x": "\xe9"}')
    cases += [([str(tmp_path / "bad.json")], "dataplan codegen: data plan file ")]
    cases += [([str(tmp_path / "latin1.json")], f"dataplan codegen: cannot read data plan file {tmp_path}")]
    for arguments, start in cases:
        assert main(["dataplan", "codegen", *arguments, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(start) and err.count("\n") == 1, err
        assert not out.exists()
    assert main(["dataplan", "codegen", str(EXAMPLE_A), "-o", str(tmp_path / "no-dir" / "x.py")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["dataplan", "codegen", str(EXAMPLE_A)]) == 2  # -o is required
    assert "required: -o/--output" in capsys.readouterr().err


@pytest.mark.subprocess
def test_cli_codegen_as_a_process(tmp_path: Path) -> None:
    out = tmp_path / "legacy_events.py"
    done = subprocess.run(
        [sys.executable, "-m", "mparticle", "dataplan", "codegen", str(PLANS_DIR / "legacy.json"), "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert re.fullmatch(r"dataplan codegen: plan legacy_2019 version 1: \d+ factories written to .*\n", done.stderr)
    assert out.read_text(encoding="utf-8") == generate(PLANS_DIR / "legacy.json")


def test_tag_keeps_a_tag_naming_a_plan(generated: Dict[str, ModuleType]) -> None:
    typed = generated["cg_typed"]
    mine = Batch(
        environment="development", context=BatchContext(data_plan=DataPlanContext(plan_id="other", plan_version=9))
    )
    assert typed.tag(mine).context.data_plan.plan_id == "other"
    as_dict = Batch(environment="development", context=BatchContext(data_plan={"plan_id": "other"}))
    assert json.loads(dumps(typed.tag(as_dict)))["context"]["data_plan"] == {"plan_id": "other"}
    empty = Batch(environment="development", context=BatchContext(data_plan={}))
    assert json.loads(dumps(typed.tag(empty)))["context"]["data_plan"] == {
        "plan_id": "typed_fixture",
        "plan_version": 4,
    }
