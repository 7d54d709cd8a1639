"""Every Python code block of README.md and docs/**/*.md runs, against the embedded endpoint.

One test per block (id ``README.md:123``, the line of its opening fence). The blocks of one
file run in order in one shared namespace, like a doctest: a block may use what an earlier
block of the same file defined. A block whose first line is a ``>>>`` prompt runs as a
doctest, its output checked. A top-level ``await`` runs in ``asyncio.run``.

Snippets are written for real users: they configure real credentials and mParticle hosts
and must not contain test-only code. So, while they run:

* Every ``Configuration`` whose host is an mParticle URL (the default
  ``https://s2s.mparticle.com/v2``, a pod, an explicit ``s2s.*.mparticle.com`` host) reads
  as the URL of one strict :class:`LocalEventsServer`, which accepts any well-formed Basic
  credentials. ``MPARTICLE_API_KEY`` / ``MPARTICLE_API_SECRET`` are set to placeholders, as
  in a configured shell; ``MPARTICLE_HOST`` is removed.
* A network guard refuses to resolve or connect to anything but ``127.0.0.1`` (and
  ``localhost``): the attempt raises :class:`NetworkGuardError` (not an ``OSError``, so no
  retry loop swallows it) and fails the block, and the file, at once.
* Each file runs in a fresh temporary working directory; environment variables, signal
  handlers and the ``mparticle``, ``urllib3`` and root loggers are restored after it.

After the last block of a file: every ``BatchUploader`` the file created is shut down and
must have delivered everything (nothing dropped, nothing pending), every asynchronous
``callback=`` call must have finished, every request the endpoint received must have been
accepted with batches that ``mparticle.validate`` has no warning about either, and the files
listed in ``MUST_SEND`` must have reached the listed endpoints.

A block preceded by ``<!-- snippet: skip — <reason> -->`` (on the line right before the
fence) is not run; the reason is required. A block that imports an optional framework
that is not installed is skipped, and so are the later blocks of its file that need it.
See docs/CONTRIBUTING.md.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import doctest
import importlib.util
import io
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from urllib.parse import urlsplit

import pytest

import mparticle
import mparticle.testing.handler as endpoint_handler
from mparticle.api_client import AsyncCall
from mparticle.testing import LocalEventsServer
from mparticle.testing.framing import Reject

ROOT = Path(__file__).resolve().parent.parent
RUN = {"python", "py", "python3", "pycon"}  # the info strings of the blocks that run ("pycon": doctest)
#: Files that must reach these endpoints (paths on the local server), beyond running cleanly.
MUST_SEND: Dict[str, Set[str]] = {
    "README.md": {"/v2/events", "/v2/bulkevents", "/v2/bulkevents/historical"},
    "docs/EventsApi.md": {"/v2/events"},
    "docs/BatchUploader.md": {"/v2/bulkevents"},
}
LOOPBACK = "127.0.0.1"
#: Credentials the endpoint "accepts": any well-formed pair, as if the snippet's were valid.
ANY_CREDENTIALS = ("snippets: any key", "snippets: any secret")
PLACEHOLDER_ENV = {"MPARTICLE_API_KEY": "env-api-key", "MPARTICLE_API_SECRET": "env-api-secret"}
#: Signals whose handlers a snippet may install (e.g. handle_sigterm()); restored per file.
SIGNALS = [getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2") if hasattr(signal, n)]
LOGGERS = ["", "mparticle", "mparticle.rest", "mparticle.uploader", "urllib3"]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*snippet\s*:(?P<body>.*?)-->\s*$")
SKIP_SYNTAX = "`<!-- snippet: skip — <reason> -->`"
_SKIP = re.compile(r"^\s*skip\b\s*(?:[—–:-]+\s*)?(?P<reason>.*?)\s*$")


# -- collecting the blocks ------------------------------------------------------------------


@dataclass
class Block:
    path: Path  # the markdown file
    name: str  # its path relative to the repository, e.g. "docs/BatchUploader.md"
    line: int  # 1-based line of the opening fence
    code: str  # the block's text, dedented by the fence's indentation
    doctest: bool
    skip: Optional[str]  # the reason of a skip marker
    index: int = 0  # position among the file's blocks
    last: bool = False

    @property
    def id(self) -> str:
        return f"{self.name}:{self.line}"


def markdown_files() -> List[Path]:
    """README.md and every .md file under docs/ (subfolders too), in a stable order."""
    return [ROOT / "README.md"] + sorted(p for p in (ROOT / "docs").rglob("*.md") if p.is_file())


def _language(info: str) -> str:
    words = info.strip().split()
    return words[0].lower() if words else ""


def parse(path: Path, name: Optional[str] = None) -> Tuple[List[Block], List[str]]:
    """The Python blocks of ``path`` and the problems with its snippet markers."""
    name = name or path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    problems: List[str] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        marker = _MARKER.match(lines[i])
        if marker:
            following = _FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
            if not following or _language(following.group("info")) not in RUN:
                problems.append(f"{name}:{i + 1}: a snippet marker must be on the line right before a ```python fence")
            else:
                skip = _SKIP.match(marker.group("body"))
                if not skip:
                    problems.append(f"{name}:{i + 1}: unknown snippet marker (expected {SKIP_SYNTAX})")
                elif not skip.group("reason"):
                    problems.append(f"{name}:{i + 1}: a skip marker needs a reason: {SKIP_SYNTAX}")
        if not opening:
            i += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        language = _language(opening.group("info"))
        closing = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if language in RUN:
            body = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines[i + 1 : end]]
            code = "\n".join(body) + "\n"
            first = next((line for line in body if line.strip()), "")
            previous = _MARKER.match(lines[i - 1]) if i > 0 else None
            skip = _SKIP.match(previous.group("body")) if previous else None
            blocks.append(
                Block(
                    path=path,
                    name=name,
                    line=i + 1,
                    code=code,
                    doctest=language == "pycon" or first.lstrip().startswith(">>>"),
                    skip=(skip.group("reason") or None) if skip else None,
                )
            )
        i = end + 1
    for index, block in enumerate(blocks):
        block.index, block.last = index, index == len(blocks) - 1
    return blocks, problems


PARSED = {path: parse(path) for path in markdown_files()}
BLOCKS = [block for blocks, _ in PARSED.values() for block in blocks]
BY_FILE: Dict[str, List[Block]] = {}
for _block in BLOCKS:
    BY_FILE.setdefault(_block.name, []).append(_block)


def test_snippet_markers_are_well_formed() -> None:
    problems = [problem for _, found in PARSED.values() for problem in found]
    assert not problems, "\n".join(problems)


def test_every_documented_file_has_runnable_blocks() -> None:
    """The files whose sends are checked exist and still have blocks (a renamed file or a
    changed fence must not turn the check off silently)."""
    for name in MUST_SEND:
        assert any(not b.skip for b in BY_FILE.get(name, [])), f"{name}: no runnable python block"


# -- the environment the blocks run in ------------------------------------------------------


class NetworkGuardError(RuntimeError):
    """A snippet tried to reach an address other than 127.0.0.1. Deliberately not an
    OSError: a retry loop that treats OSError as a transient network failure must not
    swallow it."""


def _is_mparticle(url: Any) -> bool:
    try:
        hostname = urlsplit(url).hostname or ""
    except (TypeError, ValueError):
        return False
    return hostname == "mparticle.com" or hostname.endswith(".mparticle.com")


class Guard:
    """Refuses to resolve or connect to anything but the loopback address; records tries."""

    def __init__(self) -> None:
        self.attempts: List[str] = []

    def _refuse(self, what: str) -> None:
        self.attempts.append(what)
        raise NetworkGuardError(f"a snippet tried to reach {what}: only {LOOPBACK} may be used in tests")

    def install(self, patch: pytest.MonkeyPatch) -> None:
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        guard = self

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in (LOOPBACK, "localhost", b"localhost", LOOPBACK.encode()):
                guard._refuse(f"the host {host!r}")
            return [info for info in real_getaddrinfo(host, *args, **kwargs) if info[4][0] == LOOPBACK]

        def check(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != LOOPBACK:
                guard._refuse(f"the address {address!r}")

        def connect(sock: socket.socket, address: Any) -> None:
            check(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check(sock, address)
            return real_connect_ex(sock, address)

        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)


def _redirect_hosts(patch: pytest.MonkeyPatch, url: str) -> None:
    """Every Configuration whose host is an mParticle URL reads as ``url``: the default host,
    the pods and explicit s2s hosts, however the Configuration was made."""
    original = mparticle.Configuration.host
    assert isinstance(original, property) and original.fget is not None

    def host(self: mparticle.Configuration) -> str:
        value = original.fget(self)  # type: ignore[misc]
        return url if _is_mparticle(value) else value

    patch.setattr(mparticle.Configuration, "host", property(host, original.fset, original.fdel, original.__doc__))


def _accept_any_credentials(patch: pytest.MonkeyPatch) -> None:
    """The snippets' endpoint takes any well-formed Basic credentials with a non-empty key and
    secret (snippets hold placeholders); other endpoints, e.g. one a snippet starts itself,
    check theirs as usual."""
    real_check = endpoint_handler.check_auth

    def check_auth(auth: Optional[str], settings: Any) -> None:
        try:
            real_check(auth, settings)
        except Reject as refused:
            if (settings.api_key, settings.api_secret) != ANY_CREDENTIALS or refused.status != 403:
                raise  # another endpoint, or missing or malformed credentials
            key, _, secret = base64.b64decode((auth or "").split()[-1]).decode("utf-8").partition(":")
            if not key or not secret:
                raise Reject(403, "empty API key or secret") from None

    patch.setattr(endpoint_handler, "check_auth", check_auth)


def _track(patch: pytest.MonkeyPatch, cls: type, into: List[Any]) -> None:
    """Record every instance of ``cls`` created from now on (to shut it down after its file)."""
    original = cls.__init__

    def tracked_init(self: Any, *args: Any, **kwargs: Any) -> None:
        into.append(self)
        original(self, *args, **kwargs)

    patch.setattr(cls, "__init__", tracked_init)


def _missing_module(error: BaseException) -> Optional[str]:
    """The top-level name of an optional third-party module that is not installed, if that
    is why ``error`` was raised."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    top = error.name.partition(".")[0]
    if top == "mparticle" or top in getattr(sys, "stdlib_module_names", ()):
        return None
    return top if importlib.util.find_spec(top) is None else None


@dataclass
class FileRun:
    """The state of one markdown file's run: its namespace, and what to restore after it."""

    name: str
    module: types.ModuleType
    workdir: str
    first_request: int
    environ: Dict[str, str]
    cwd: str
    handlers: Dict[int, Any]
    loggers: Dict[str, Tuple[int, List[logging.Handler], bool, bool]]
    next_index: int = 0
    failed: Optional[str] = None  # id of the block that failed
    missing: Dict[str, str] = field(default_factory=dict)  # module name -> id of the block needing it


class Runner:
    """Runs the blocks file by file against one local endpoint, under the guard."""

    def __init__(self, server: LocalEventsServer, guard: Guard, patch: pytest.MonkeyPatch) -> None:
        self.server, self.guard, self.patch = server, guard, patch
        self.current: Optional[FileRun] = None
        self.tracked: Dict[str, List[Any]] = {"uploaders": [], "calls": [], "servers": []}

    # -- file lifecycle ---------------------------------------------------------------------

    def start(self, name: str) -> FileRun:
        module_name = "snippets_" + re.sub(r"\W", "_", name)
        module = types.ModuleType(module_name)
        module.__file__ = str(ROOT / name)
        sys.modules[module_name] = module
        workdir = tempfile.mkdtemp(prefix="mp-snippets-")
        loggers = {}
        for logger_name in LOGGERS:
            logger = logging.getLogger(logger_name)
            loggers[logger_name] = (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        run = FileRun(
            name=name,
            module=module,
            workdir=workdir,
            first_request=len(self.server.requests),
            environ=dict(os.environ),
            cwd=os.getcwd(),
            handlers={number: signal.getsignal(number) for number in SIGNALS},
            loggers=loggers,
        )
        for key in ("MPARTICLE_HOST", "MPARTICLE_API_KEY", "MPARTICLE_API_SECRET"):
            os.environ.pop(key, None)
        os.environ.update(PLACEHOLDER_ENV)
        os.chdir(workdir)
        for values in self.tracked.values():
            values.clear()
        self.current = run
        return run

    def finish(self) -> List[str]:
        """Shut down what the file started, restore the process, and return the problems."""
        run, self.current = self.current, None
        if run is None:
            return []
        problems: List[str] = []
        try:
            problems += self._settle(run)
        finally:
            self._restore(run)
        return [f"{run.name}: {problem}" for problem in problems]

    def _settle(self, run: FileRun) -> List[str]:
        problems: List[str] = []
        for call in self.tracked["calls"]:
            call.join(timeout=10)
            if call.is_alive():
                problems.append("an asynchronous call (callback=) was still running 10 s after the file ended")
        for uploader in self.tracked["uploaders"]:
            try:
                summary = uploader.shutdown(timeout=10)
            except Exception as error:  # noqa: BLE001 - reported with the others
                problems.append(f"BatchUploader.shutdown() raised {error!r}")
                continue
            if summary.dropped or summary.pending or summary.kept:
                problems.append(
                    f"a BatchUploader did not deliver everything: dropped={summary.dropped}, "
                    f"pending={summary.pending}, kept={summary.kept}, last_error={summary.last_error!r}"
                )
        for server in self.tracked["servers"]:
            server.stop()
        if run.failed is None:
            requests = self.server.requests[run.first_request :]
            refused = [f"{r.path} -> {r.status} {r.error or ''}" for r in requests if not 200 <= r.status < 300]
            if refused:
                problems.append("the endpoint refused requests:\n  " + "\n  ".join(refused))
            for request in requests:
                for number, sent in enumerate(request.batches):
                    warned = [str(problem) for problem in mparticle.validate(sent) if not problem.is_error]
                    if warned:  # accepted, but not an example to copy: no user, seconds for ms, ...
                        problems.append(f"{request.path} batch {number} has validation warnings: {warned}")
            expected = MUST_SEND.get(run.name, set())
            reached = {r.path for r in requests}
            if expected - reached:
                problems.append(f"expected requests to {sorted(expected - reached)}, got {sorted(reached)}")
        if self.server.errors:
            problems.append(f"the endpoint failed: {self.server.errors!r}")
        return problems

    def _restore(self, run: FileRun) -> None:
        os.chdir(run.cwd)
        os.environ.clear()
        os.environ.update(run.environ)
        for number, handler in run.handlers.items():
            if handler is not None:
                signal.signal(number, handler)
        for logger_name, (level, handlers, propagate, disabled) in run.loggers.items():
            logger = logging.getLogger(logger_name)
            for handler in logger.handlers[:]:
                if handler not in handlers:
                    logger.removeHandler(handler)
            for handler in handlers:
                if handler not in logger.handlers:
                    logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
        sys.modules.pop(run.module.__name__, None)
        shutil.rmtree(run.workdir, ignore_errors=True)

    # -- blocks -----------------------------------------------------------------------------

    def run(self, block: Block) -> None:
        """Run ``block`` (and, if this session has not run them, the blocks before it); after
        the file's last block, settle the file and fail on what that finds."""
        run = self.current
        if run is None or run.name != block.name:
            problems = self.finish()
            assert not problems, "\n".join(problems)
            run = self.start(block.name)
        outcome: Optional[BaseException] = None
        try:
            for earlier in BY_FILE[block.name][run.next_index : block.index]:
                if run.failed is None and not earlier.skip:
                    self._execute(run, earlier, replay=True)
            run.next_index = block.index + 1
            self._execute(run, block, replay=False)
        except BaseException as error:
            outcome = error
            raise
        finally:
            if block.last:
                problems = self.finish()
                if problems and (outcome is None or isinstance(outcome, pytest.skip.Exception)):
                    pytest.fail("\n".join(problems), pytrace=False)

    def _execute(self, run: FileRun, block: Block, replay: bool) -> None:
        if run.failed is not None:
            pytest.skip(f"not run: the earlier block {run.failed} failed")
        if block.skip:
            pytest.skip(f"marked: {block.skip}")
        attempts = len(self.guard.attempts)
        try:
            if block.doctest:
                self._doctest(run, block)
            else:
                self._exec(run, block)
        except BaseException as error:
            needs = _missing_module(error)
            if needs is not None:
                run.missing[needs] = block.id
                pytest.skip(f"needs {needs}, which is not installed")
            if isinstance(error, NameError) and run.missing:
                pytest.skip(f"depends on a block that was skipped ({', '.join(run.missing.values())})")
            run.failed = block.id
            if isinstance(error, (pytest.skip.Exception, pytest.fail.Exception)):
                raise
            if replay:
                pytest.fail(f"the earlier block {block.id} failed: {error!r}", pytrace=False)
            raise
        if len(self.guard.attempts) > attempts:
            run.failed = block.id
            pytest.fail(f"{block.id}: tried to reach {self.guard.attempts[attempts:]}", pytrace=False)

    def _exec(self, run: FileRun, block: Block) -> None:
        # Padded so that tracebacks show the markdown file's own line numbers.
        source = "\n" * block.line + block.code
        code = compile(source, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        result = eval(code, run.module.__dict__)  # noqa: S307 - the documentation's own code
        if asyncio.iscoroutine(result):
            asyncio.run(result)

    def _doctest(self, run: FileRun, block: Block) -> None:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.code, run.module.__dict__, block.id, str(block.path), block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        report = io.StringIO()
        runner.run(test, out=report.write, clear_globs=False)
        if runner.failures:
            raise AssertionError(f"{block.id}: doctest failed\n{report.getvalue()}")


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    guard = Guard()
    with pytest.MonkeyPatch.context() as patch:
        _accept_any_credentials(patch)
        with LocalEventsServer(*ANY_CREDENTIALS, strict=True) as server:
            session = Runner(server, guard, patch)
            _redirect_hosts(patch, server.url)
            _track(patch, mparticle.BatchUploader, session.tracked["uploaders"])
            _track(patch, AsyncCall, session.tracked["calls"])
            _track(patch, LocalEventsServer, session.tracked["servers"])
            guard.install(patch)
            try:
                yield session
            finally:
                problems = session.finish()
        assert not problems, "\n".join(problems)


def test_parse_reads_fences_markers_and_prompts(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- snippet: skip — a settings excerpt -->\n```python\nSETTINGS = ...\n```\n"
        "* item\n\n  ```python\n  x = 1\n  ```\n"
        "```py\n>>> 1 + 1\n2\n```\n"
        "```sh\n<!-- snippet: skip — inside another block: ignored -->\n```\n"
        "<!-- snippet: skip -->\n```python\ny = 2\n```\n"
        "<!-- snippet: run -->\n```python\n```\n"
        "<!-- snippet: skip — not before a fence -->\n\n```python\n```\n",
        encoding="utf-8",
    )
    blocks, problems = parse(page, "page.md")
    assert [(b.line, b.skip, b.doctest, b.code) for b in blocks[:3]] == [
        (2, "a settings excerpt", False, "SETTINGS = ...\n"),
        (7, None, False, "x = 1\n"),
        (10, None, True, ">>> 1 + 1\n2\n"),
    ]
    assert blocks[-1].last and not blocks[0].last
    assert [problem.split(": ", 1)[0] for problem in problems] == ["page.md:17", "page.md:21", "page.md:24"]


def test_the_guard_and_the_redirect(runner: Runner) -> None:
    url = runner.server.url
    assert mparticle.Configuration().host == url
    assert mparticle.Configuration(pod="au1").host == url
    assert mparticle.Configuration(host="https://s2s.eu1.mparticle.com/v2").host == url
    assert mparticle.Configuration(host="http://127.0.0.1:9/v2").host == "http://127.0.0.1:9/v2"
    before = len(runner.guard.attempts)
    with pytest.raises(NetworkGuardError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(NetworkGuardError):
        socket.getaddrinfo("example.com", 443)
    elsewhere = mparticle.Configuration(api_key="k", api_secret="s", host="https://example.com/v2", retries=None)
    with pytest.raises(NetworkGuardError):  # not retried, not turned into an ApiException
        mparticle.EventsApi(elsewhere).upload_events({"environment": "development", "events": []})
    assert len(runner.guard.attempts) == before + 3
    # The snippets' endpoint takes any non-empty credentials, and only it.
    batch = {"environment": "development", "user_identities": {"customer_id": "1"}, "events": []}
    assert mparticle.EventsApi(mparticle.Configuration(api_key="a", api_secret="b")).upload_events(batch)[1] == 202
    with LocalEventsServer("key", "secret") as other:
        wrong = mparticle.Configuration(api_key="a", api_secret="b", host=other.url, retries=None)
        with pytest.raises(mparticle.ApiException) as refused:
            mparticle.EventsApi(wrong).upload_events(batch)
        assert refused.value.status == 403


@pytest.mark.timeout(120)  # a hang guard (pytest-timeout), not a timing claim
@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_snippet(block: Block, runner: Runner) -> None:
    runner.run(block)

