"""The reference pages (docs/Configuration.md, RetryPolicy.md, ApiException.md, EventsApi.md)
are checked against the code: every public name has a row, every row names something that
exists, and every default the pages give is the default the code has."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest

import mparticle
import mparticle.apis.events_api as events_api_module
import mparticle.configuration as configuration_module
import mparticle.rest as rest_module
import mparticle.retry as retry_module
from mparticle import ApiException, Configuration, EventsApi, RetryPolicy
from mparticle.rest import MissingCredentialsError

DOCS = Path(__file__).resolve().parent.parent / "docs"
ROW = re.compile(r"^\|\s*`(?:await )?([A-Za-z_][A-Za-z0-9_.]*)[^`]*`\s*\|(.*)$")


def sections(page: str) -> Dict[str, List[Tuple[str, List[str]]]]:
    """Section title to its table rows: (the first cell's name, the other cells)."""
    found: Dict[str, List[Tuple[str, List[str]]]] = {}
    title = ""
    for line in (DOCS / page).read_text("utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            continue
        match = ROW.match(line)
        if match:
            cells = [cell.strip() for cell in match.group(2).rstrip("|").split("|")]
            found.setdefault(title, []).append((match.group(1), cells))
    return found


def names(page: str, *titles: str) -> Set[str]:
    rows = sections(page)
    return {name for title in titles for name, _ in rows.get(title, [])}


def public_methods(cls: type) -> Set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("__") and callable(v) or isinstance(v, classmethod)}


def defaults(page: str, *titles: str) -> Dict[str, str]:
    """The name-to-default column (the third cell) of tables with a default column."""
    rows = sections(page)
    return {name: cells[1] for title in titles for name, cells in rows.get(title, []) if len(cells) >= 3}


def literal(cell: str, namespace: Dict[str, Any]) -> Any:
    code = cell.strip().strip("`")
    try:
        return ast.literal_eval(code)
    except ValueError:
        return eval(code, dict(namespace))  # a constructor call such as RetryPolicy()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MPARTICLE_API_KEY", "MPARTICLE_API_SECRET", "MPARTICLE_HOST"):
        monkeypatch.delenv(name, raising=False)


CONFIGURATION_SETTINGS = (
    "Credentials and host", "TLS and connections", "Timeouts and retries", "Service limits", "Logging",
    "Kept from the generated client",
)


def test_configuration_page_has_every_setting_and_method(clean_env: None) -> None:
    documented = names("Configuration.md", *CONFIGURATION_SETTINGS)
    parameters = set(inspect.signature(Configuration).parameters)
    attributes = {n for n in vars(Configuration()) if not n.startswith("_")}
    properties = {n for n, v in vars(Configuration).items() if isinstance(v, property)}
    assert parameters - documented == set()
    assert attributes - documented == set()
    assert properties - documented == set()
    methods = {n for n in public_methods(Configuration) if not n.startswith("_")}
    assert names("Configuration.md", "Methods") == methods


def test_configuration_rows_name_real_settings(clean_env: None) -> None:
    configuration = Configuration()
    for name in names("Configuration.md", *CONFIGURATION_SETTINGS):
        assert hasattr(configuration, name), name
        assert name in inspect.signature(Configuration).parameters, name  # each one a keyword too


def test_configuration_defaults_are_the_code_defaults(clean_env: None) -> None:
    configuration = Configuration()
    given = defaults("Configuration.md", *CONFIGURATION_SETTINGS)
    checked = 0
    for name, cell in given.items():
        if not cell:  # described in words (a formatter, the logger dict)
            continue
        assert literal(cell, {"RetryPolicy": RetryPolicy}) == getattr(configuration, name), name
        checked += 1
    assert checked >= 20


def test_configuration_module_table_is_its_all() -> None:
    documented = names("Configuration.md", "Module `mparticle.configuration`")
    assert documented == set(configuration_module.__all__) - {"Configuration"}
    assert configuration_module.DEFAULT_HOST == "https://s2s.mparticle.com/v2"


def test_retry_policy_page_has_every_field_with_its_default() -> None:
    policy = RetryPolicy()
    fields = {f.name: getattr(policy, f.name) for f in dataclasses.fields(RetryPolicy)}
    given = defaults("RetryPolicy.md", "Fields (constructor parameters)")
    assert set(given) == set(fields)
    for name, cell in given.items():
        assert literal(cell, {}) == fields[name], name
    assert list(given) == list(fields)  # in declaration (positional) order


def test_retry_policy_page_has_every_method_and_module_name() -> None:
    documented = {n for rows in sections("RetryPolicy.md").values() for n, _ in rows}
    methods = {n for n in dir(RetryPolicy) if not n.startswith("__") and callable(getattr(RetryPolicy, n))}
    assert methods - documented == set()
    assert set(retry_module.__all__) - documented == set()
    for name in documented - methods - set(retry_module.__all__):
        assert name in {f.name for f in dataclasses.fields(RetryPolicy)}, name


def test_api_exception_page_has_every_attribute_with_its_default() -> None:
    error = ApiException()
    attributes = {n for n in vars(error) if not n.startswith("_")} | {"args"}
    given = defaults("ApiException.md", "Attributes")
    assert set(given) == attributes
    for name, cell in given.items():
        assert literal(cell, {}) == getattr(error, name), name
    constructor = sections("ApiException.md")["Constructor"][0][0]
    assert constructor == "ApiException"
    page = (DOCS / "ApiException.md").read_text("utf-8")
    parameters: List[str] = []
    for parameter in inspect.signature(ApiException).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and "*" not in parameters:
            parameters.append("*")
        parameters.append(f"{parameter.name}={parameter.default!r}")
    assert "`ApiException({0})`".format(", ".join(parameters)) in page


def test_api_exception_page_documents_missing_credentials() -> None:
    page = (DOCS / "ApiException.md").read_text("utf-8")
    assert "\n## MissingCredentialsError\n" in page
    error = MissingCredentialsError(["api_secret"])
    assert error.status == 401 and "`missing`" in page
    assert names("ApiException.md", "Module `mparticle.rest`") == set(rest_module.__all__)


def test_events_api_page_has_every_method_and_keyword() -> None:
    documented = names("EventsApi.md", "mparticle.EventsApi")
    methods = {n for n in dir(EventsApi) if not n.startswith("_")}
    assert methods <= documented
    attributes = {"api_client", "plan_enforcer"}  # set by __init__: checked on an instance
    assert attributes <= set(vars(EventsApi(mparticle.Configuration())))
    assert {"EventsApi"} | attributes <= documented
    assert documented - methods <= {"EventsApi"} | attributes
    keywords = names("EventsApi.md", "Keyword arguments")
    assert keywords == {"callback", "_return_http_data_only", "_request_timeout", "_preload_content"}
    for keyword in keywords - {"callback"}:  # the async variants take the last two only
        assert keyword in inspect.getsource(events_api_module), keyword
    assert names("EventsApi.md", "Module `mparticle.apis.events_api`") == set(events_api_module.__all__)


def test_every_reference_page_is_linked_from_the_readme() -> None:
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    for page in ("Configuration.md", "RetryPolicy.md", "ApiException.md", "EventsApi.md", "BatchUploader.md"):
        assert f"(docs/{page}" in readme, page
    assert mparticle.RetryPolicy is RetryPolicy


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> Set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text("utf-8"), flags=re.M | re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.*)$", text, re.M)}


def test_every_relative_link_in_the_docs_resolves() -> None:
    root = DOCS.parent
    pages = [root / "README.md", root / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"^```.*?^```", "", page.read_text("utf-8"), flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"{page.relative_to(root)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.relative_to(root)}: {target} (no such heading)")
    assert broken == []
    assert len(pages) > 50
