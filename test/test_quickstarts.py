"""The framework quickstarts (docs/quickstarts/*.md) work in their frameworks.

test_snippets.py runs every Python block of those pages in one flat namespace against a strict
local endpoint: the blocks import, define what they define, and whatever they send is valid.
It cannot load the blocks as the files of a project or drive a framework's request cycle, and
it skips the pages' test modules (they import the project's own package). This file does
both. Each Python block of a quickstart page starts with the path of the file it shows
(``# myapp/__init__.py``); the blocks are written out as those files in a temporary project,
imported as real modules and driven with the framework's own machinery (Flask's test client,
Django's test Client, FastAPI's TestClient with the lifespan, a Celery task's apply() and the
worker signals, a Lambda handler called with an SQS event and a context) against a real
LocalEventsServer on 127.0.0.1. Each test checks the exact batches the endpoint received, that
shutdown (or, for Lambda, the handler itself) delivered every batch (``uploader.stats()``),
and runs the page's own "Test it" tests. A framework that is not installed skips its test.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import logging
import os
import re
import runpy
import signal
import sys
import types
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from test_snippets import Guard, parse

import mparticle
from mparticle.testing import Fault, LocalEventsServer
from mparticle.uploader import UploaderStats

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "quickstarts"
#: The first line of every Python block of a quickstart page: the file it belongs to.
_FILE_LINE = re.compile(r"^# (?P<path>[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*\.py)(?:\s.*)?$")
ENV = ("MPARTICLE_HOST", "MPARTICLE_API_KEY", "MPARTICLE_API_SECRET", "MPARTICLE_ENVIRONMENT")


# -- the pages as projects ------------------------------------------------------------------


def page_files(page: str) -> Dict[str, str]:
    """The files a quickstart page shows: path to source, padded with blank lines so that
    a traceback's line numbers are the page's own."""
    blocks, problems = parse(PAGES / page, f"docs/quickstarts/{page}")
    assert not problems, problems
    files: Dict[str, str] = {}
    for block in blocks:
        first = block.code.splitlines()[0] if block.code.strip() else ""
        match = _FILE_LINE.match(first)
        assert match, f"{block.id}: a quickstart block starts with the file it shows, e.g. '# myapp/views.py'"
        path = match.group("path")
        assert path not in files, f"{block.id}: {path} is shown twice; one block per file"
        header = f"# from docs/quickstarts/{page}: line numbers are the page's\n"
        files[path] = header + "\n" * (block.line - 1) + block.code
    return files


@dataclass
class Project:
    """A quickstart page written out as a project in ``root``, first on sys.path."""

    page: str
    root: Path
    files: Dict[str, str]

    def module(self, name: str) -> types.ModuleType:
        return importlib.import_module(name)

    def run_path(self, path: str) -> Dict[str, Any]:
        """A file that is not imported by name (gunicorn.conf.py), executed as gunicorn would."""
        return runpy.run_path(str(self.root / path))


@pytest.fixture
def quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Project]]:
    """``quickstart(page)`` writes the page's files under a fresh directory and puts it first on
    sys.path; the project's modules are forgotten afterwards (and any module of the same name
    that was loaded before comes back)."""
    roots: List[Path] = []

    def load(page: str) -> Project:
        root = tmp_path / page.replace(".md", "")
        files = page_files(page)
        for path, source in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
        for path in files:  # the packages' __init__.py (startapp and friends make them)
            for parent in Path(path).parents:
                if parent != Path(".") and not (root / parent / "__init__.py").exists():
                    (root / parent / "__init__.py").write_text("", encoding="utf-8")
        tops = {Path(path).parts[0].removesuffix(".py") for path in files}
        for name in list(sys.modules):
            if name.partition(".")[0] in tops:
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.syspath_prepend(str(root))
        roots.append(root)
        return Project(page, root, files)

    yield load
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or ""
        if any(where.startswith(str(root)) for root in roots):
            del sys.modules[name]


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEventsServer]:
    """A strict local endpoint on 127.0.0.1, and the environment a deployment would have,
    pointing at it. Nothing but 127.0.0.1 can be reached meanwhile."""
    Guard().install(monkeypatch)
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with LocalEventsServer("quickstart-key", "quickstart-secret", strict=True) as server:
        monkeypatch.setenv("MPARTICLE_HOST", server.url)
        monkeypatch.setenv("MPARTICLE_API_KEY", server.api_key)
        monkeypatch.setenv("MPARTICLE_API_SECRET", server.api_secret)
        yield server
    assert not server.errors
    assert all(200 <= request.status < 300 for request in server.requests), [r.error for r in server.requests]
    for batch in server.batches:
        assert mparticle.validate(batch) == [], batch  # not even a warning


@pytest.fixture(autouse=True)
def uploaders(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[mparticle.BatchUploader]]:
    """Every BatchUploader a test makes, the pages' own tests' included (in order). All are
    shut down after the test, so that no sender thread outlives it (one a test left running,
    e.g. a Lambda module's, would otherwise run on into the next test file)."""
    made: List[mparticle.BatchUploader] = []
    original = mparticle.BatchUploader.__init__

    def tracked(self: mparticle.BatchUploader, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(mparticle.BatchUploader, "__init__", tracked)
    yield made
    for uploader in made:
        uploader.shutdown(timeout=1)  # at once when the test shut it down already


# -- what the endpoint must have received ---------------------------------------------------


def signup(user_id: str, plan: str, environment: str = "development") -> Dict[str, Any]:
    """The batch of the pages' "Signed up" event, as the endpoint receives it."""
    return {
        "environment": environment,
        "user_identities": {"customer_id": user_id},
        "events": [
            {
                "event_type": "custom_event",
                "data": {"event_name": "Signed up", "custom_event_type": "user_preference",
                         "custom_attributes": {"plan": plan}},
            }
        ],
    }


def received(server: LocalEventsServer, keep_ids: bool = False) -> List[Dict[str, Any]]:
    """The accepted batches, ordered by user (sender threads may deliver in any order),
    without the source_request_id the uploader stamps (unless ``keep_ids``)."""
    return by_user([dict(b) if keep_ids else {k: v for k, v in b.items() if k != "source_request_id"}
                    for b in server.batches])


def by_user(batches: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return sorted(batches, key=lambda b: json.dumps(b.get("user_identities"), sort_keys=True))


def all_delivered(stats: UploaderStats, count: int) -> None:
    assert (stats.enqueued, stats.delivered, stats.dropped_total, stats.rejected) == (count, count, 0, 0), stats
    assert (stats.pending, stats.kept, stats.skipped) == (0, 0, 0), stats


def settle(made: List[mparticle.BatchUploader], test: str) -> None:
    """Shut down the uploaders a page's test made: each must have delivered (or, with
    ``send=False``, skipped) everything."""
    for uploader in made:
        summary = uploader.shutdown(timeout=5)
        assert (summary.dropped_total, summary.pending, summary.kept) == (0, 0, 0), (test, summary)


def run_page_tests(module: types.ModuleType, uploaders: List[mparticle.BatchUploader]) -> List[str]:
    """Run the ``test_*`` functions of a page's test module, as pytest would (they may ask for
    ``monkeypatch``, nothing else), then settle the uploaders they made. Returns their names."""
    names = []
    for name, function in vars(module).items():
        if not name.startswith("test_") or not inspect.isfunction(function):
            continue
        parameters = set(inspect.signature(function).parameters)
        assert parameters <= {"monkeypatch"}, f"{name} asks for fixtures {parameters}: only monkeypatch is provided"
        first = len(uploaders)
        with pytest.MonkeyPatch.context() as patch:
            function(**({"monkeypatch": patch} if parameters else {}))
        settle(uploaders[first:], name)
        names.append(name)
    assert names, f"{module.__name__} has no test"
    return names


def test_every_page_is_a_project() -> None:
    """Each framework page exists, has the parts every quickstart has, and shows its files
    (each block names its file); the index links to every page."""
    pages = sorted(p.name for p in PAGES.glob("*.md") if p.name != "README.md")
    assert pages == ["aws-lambda.md", "celery.md", "django.md", "fastapi.md", "flask.md"]
    index = (PAGES / "README.md").read_text(encoding="utf-8")
    for page in pages:
        assert f"]({page})" in index, page
        text = (PAGES / page).read_text(encoding="utf-8")
        for part in ("## Install", "pip install mparticle", "## Credentials", "MPARTICLE_API_KEY",
                     "MPARTICLE_API_SECRET", "## Test it", "LocalEventsServer(strict=True)"):
            assert part in text, f"{page}: no {part!r}"
        files = page_files(page)
        assert any(path.startswith("tests/") or path.endswith("/tests.py") for path in files), page


# -- Flask ----------------------------------------------------------------------------------


def test_flask(
    quickstart: Callable[[str], Project], endpoint: LocalEventsServer, uploaders: List[mparticle.BatchUploader]
) -> None:
    pytest.importorskip("flask")
    project = quickstart("flask.md")
    myapp = project.module("myapp")

    app = myapp.create_app({"TESTING": True})  # credentials and host from the environment
    uploader = app.extensions["mparticle"]
    assert isinstance(uploader, mparticle.BatchUploader) and uploader.config.host == endpoint.url
    client = app.test_client()
    first = client.post("/signup", json={"user_id": "42", "plan": "pro"})
    second = client.post("/signup", json={"user_id": 7})
    assert (first.status_code, first.get_json()) == (201, {"user_id": "42"})
    assert (second.status_code, second.get_json()) == (201, {"user_id": "7"})
    with app.app_context():
        assert myapp.analytics.uploader is uploader

    # gunicorn's worker_exit hook, as a worker runs it: worker.wsgi is the loaded app
    hook = project.run_path("gunicorn.conf.py")["worker_exit"]
    hook(types.SimpleNamespace(log=logging.getLogger("gunicorn.error")), types.SimpleNamespace(wsgi=app))
    assert uploader.closed
    all_delivered(uploader.stats(), 2)
    assert received(endpoint) == by_user([signup("42", "pro"), signup("7", "free")])

    assert run_page_tests(project.module("tests.test_signup"), uploaders) == ["test_signup_sends_a_batch"]


# -- FastAPI --------------------------------------------------------------------------------


def test_fastapi(
    quickstart: Callable[[str], Project],
    endpoint: LocalEventsServer,
    uploaders: List[mparticle.BatchUploader],
    caplog: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("fastapi")
    if not any(importlib.util.find_spec(name) for name in ("httpx2", "httpx")):
        pytest.skip("FastAPI's TestClient needs httpx2 (or httpx, with older Starlette releases)")
    from fastapi.testclient import TestClient

    project = quickstart("fastapi.md")
    main = project.module("main")

    with caplog.at_level(logging.WARNING), TestClient(main.app) as client:  # the lifespan's startup
        uploader = main.app.state.mparticle
        assert isinstance(uploader, mparticle.BatchUploader) and uploader.config.host == endpoint.url
        first = client.post("/signup", json={"user_id": "42", "plan": "pro"})
        second = client.post("/signup", json={"user_id": "7"})
        invalid = client.post("/signup", json={"plan": "pro"})  # refused by FastAPI: nothing queued
        assert (first.status_code, first.json()) == (201, {"user_id": "42"})
        assert (second.status_code, second.json()) == (201, {"user_id": "7"})
        assert invalid.status_code == 422
        assert not uploader.closed
    # the lifespan's shutdown delivered everything, and had nothing to warn about
    assert uploader.closed
    all_delivered(uploader.stats(), 2)
    assert received(endpoint) == by_user([signup("42", "pro"), signup("7", "free")])
    assert not [r for r in caplog.records if r.name == "main"]

    assert run_page_tests(project.module("tests.test_main"), uploaders) == ["test_signup_sends_a_batch"]
    assert run_page_tests(project.module("tests.test_dry_run"), uploaders) == ["test_signup_batch_is_valid"]
    assert not main.app.dependency_overrides


# -- Django ---------------------------------------------------------------------------------

DJANGO_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]


def test_django(
    quickstart: Callable[[str], Project], endpoint: LocalEventsServer, uploaders: List[mparticle.BatchUploader]
) -> None:
    django = pytest.importorskip("django")
    from django.conf import settings

    if settings.configured:  # settings can be configured once per process
        pytest.skip("Django's settings were configured earlier in this process")
    project = quickstart("django.md")
    excerpt = project.module("mysite.settings")
    previous_sigterm = signal.getsignal(signal.SIGTERM)
    try:
        settings.configure(
            **{name: getattr(excerpt, name) for name in dir(excerpt) if name.isupper()},
            ROOT_URLCONF="mysite.urls",
            SECRET_KEY="quickstart-tests",
            MIDDLEWARE=DJANGO_MIDDLEWARE,
            DATABASES={},
        )
        django.setup()  # populates the app registry: AnalyticsConfig.ready() runs
        _drive_django(project, endpoint, uploaders)
        # ready() installed the SDK's SIGTERM handler: nothing else handles SIGTERM here
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, previous_sigterm)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)


def _drive_django(project: Project, endpoint: LocalEventsServer, uploaders: List[mparticle.BatchUploader]) -> None:
    from django.apps import apps
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    config = apps.get_app_config("analytics")
    uploader = config.uploader
    assert isinstance(uploader, mparticle.BatchUploader) and uploader.config.host == endpoint.url
    config.ready()  # a second ready() (tests that reload the registry) keeps the one uploader
    assert config.uploader is uploader

    setup_test_environment()  # what manage.py test does: ALLOWED_HOSTS for the test client
    try:
        client = Client()
        first = client.post("/signup/", {"user_id": "42", "plan": "pro"}, content_type="application/json")
        second = client.post("/signup/", {"user_id": 7}, content_type="application/json")
        assert (first.status_code, first.json()) == (201, {"user_id": "42"})
        assert (second.status_code, second.json()) == (201, {"user_id": "7"})
        assert client.get("/signup/").status_code == 405  # require_POST: nothing queued

        # the page's own test, as manage.py test runs it: it swaps in an uploader of its own
        suite = unittest.defaultTestLoader.loadTestsFromModule(project.module("analytics.tests"))
        result = unittest.TestResult()
        first = len(uploaders)
        suite.run(result)
        assert result.testsRun == 1 and result.wasSuccessful(), result.errors + result.failures
        settle(uploaders[first:], "SignupTests")
    finally:
        teardown_test_environment()
    assert config.uploader is uploader  # the swap is undone

    summary = uploader.shutdown(timeout=5)  # what the exit hook, or the SIGTERM handler, does
    all_delivered(summary, 2)
    assert received(endpoint) == by_user([signup("42", "pro"), signup("7", "free")])


# -- Celery ---------------------------------------------------------------------------------


def test_celery(
    quickstart: Callable[[str], Project], endpoint: LocalEventsServer, uploaders: List[mparticle.BatchUploader]
) -> None:
    pytest.importorskip("celery")
    from celery.signals import worker_process_init, worker_process_shutdown, worker_shutdown

    project = quickstart("celery.md")
    tasks = project.module("tasks")
    try:
        # A prefork child starts: worker_process_init makes its uploader.
        worker_process_init.send(sender="celery@quickstart")
        uploader = tasks._uploader  # made by the signal, before any task
        assert isinstance(uploader, mparticle.BatchUploader) and uploader.config.host == endpoint.url
        first = tasks.track_signup.apply(args=["42"], kwargs={"plan": "pro"})
        second = tasks.track_signup.apply(args=[7])
        assert first.successful() and second.successful(), (first.traceback, second.traceback)
        assert tasks.get_uploader() is uploader  # one per process, whatever the number of tasks
        # The child exits: worker_process_shutdown delivers what it queued.
        worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
        assert uploader.closed
        all_delivered(uploader.stats(), 2)
        assert received(endpoint) == by_user([signup("42", "pro"), signup("7", "free")])

        # The solo and threads pools: made on first use in the worker, stopped by worker_shutdown.
        tasks.app.conf.update(task_always_eager=True, broker_url="memory://")  # delay() runs the task here
        assert tasks.track_signup.delay("9", plan="team").successful()
        solo = tasks.get_uploader()
        assert solo is not uploader
        worker_shutdown.send(sender=None)
        assert solo.closed
        all_delivered(solo.stats(), 1)
        assert received(endpoint) == by_user([signup("42", "pro"), signup("7", "free"), signup("9", "team")])
    finally:  # the signals are global: leave no receiver of this project connected
        tasks.stop_mparticle()
        worker_process_init.disconnect(tasks.start_mparticle)
        worker_process_shutdown.disconnect(tasks.stop_mparticle)
        worker_shutdown.disconnect(tasks.stop_mparticle)

    assert run_page_tests(project.module("tests.test_tasks"), uploaders) == ["test_track_signup_sends_a_batch"]


# -- AWS Lambda -----------------------------------------------------------------------------

MESSAGE_IDS = ["6a1f0c5e-0d5f-4a8e-9d3c-2b1e7f4a9c01", "6a1f0c5e-0d5f-4a8e-9d3c-2b1e7f4a9c02",
               "6a1f0c5e-0d5f-4a8e-9d3c-2b1e7f4a9c03"]


class LambdaContext:
    """The part of Lambda's context object the page's handler uses."""

    def __init__(self, remaining_ms: int = 30_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def sqs_event(*messages: Any) -> Dict[str, Any]:
    """An SQS event with one record per (message id, user id, event name)."""
    return {"Records": [{"messageId": message_id, "eventSource": "aws:sqs",
                         "body": json.dumps({"user_id": user_id, "event": name})}
                        for message_id, user_id, name in messages]}


def lambda_batch(message_id: str, user_id: str, name: str) -> Dict[str, Any]:
    return {"source_request_id": message_id, "environment": "development",
            "user_identities": {"customer_id": user_id},
            "events": [{"event_type": "custom_event", "data": {"event_name": name, "custom_event_type": "other"}}]}


def test_aws_lambda(
    quickstart: Callable[[str], Project], endpoint: LocalEventsServer, uploaders: List[mparticle.BatchUploader]
) -> None:
    project = quickstart("aws-lambda.md")
    function = project.module("lambda_function")  # the cold start, with the function's environment
    uploader = function.uploader
    assert uploader.config.host == endpoint.url

    # Each invocation has delivered its batches when the handler returns: no shutdown needed.
    cold = sqs_event((MESSAGE_IDS[0], "42", "Signed up"), (MESSAGE_IDS[1], 7, "Upgraded"))
    assert function.lambda_handler(cold, LambdaContext()) == {"sent": 2}
    expected = [lambda_batch(MESSAGE_IDS[0], "42", "Signed up"), lambda_batch(MESSAGE_IDS[1], "7", "Upgraded")]
    assert received(endpoint, keep_ids=True) == by_user(expected)
    assert uploader.stats().pending == 0
    warm = sqs_event((MESSAGE_IDS[2], "5", "Signed up"))
    assert function.lambda_handler(warm, LambdaContext()) == {"sent": 1}
    assert function.uploader is uploader  # the warm start reuses it
    expected.append(lambda_batch(MESSAGE_IDS[2], "5", "Signed up"))
    assert received(endpoint, keep_ids=True) == by_user(expected)

    # Out of time: the handler raises (SQS redelivers); the redelivered message, sent again
    # under the same source_request_id, and the one left queued are both delivered next time.
    endpoint.script(Fault(delay=0.5))  # answered normally, but late
    late = sqs_event((MESSAGE_IDS[2], "5", "Signed up"))
    with pytest.raises(TimeoutError):
        function.lambda_handler(late, LambdaContext(remaining_ms=1000))  # 1 s left: no time to wait
    assert function.lambda_handler(late, LambdaContext()) == {"sent": 1}
    assert uploader.stats().pending == 0
    assert [b["source_request_id"] for b in endpoint.batches].count(MESSAGE_IDS[2]) == 3
    all_delivered(uploader.shutdown(timeout=5), 5)

    page_tests = run_page_tests(project.module("tests.test_lambda_function"), uploaders)
    assert page_tests == ["test_handler_delivers_before_it_returns"]
