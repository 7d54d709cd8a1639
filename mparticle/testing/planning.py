"""A local stand-in for mParticle's OAuth token endpoint and Data Planning API, on 127.0.0.1.

:class:`LocalPlanningServer` serves, over real HTTP on one port:

* ``POST /oauth/token``: the client-credentials grant (JSON body ``client_id``,
  ``client_secret``, ``audience``, ``grant_type``), answering ``{access_token, expires_in,
  token_type: "Bearer"}``, and OAuth errors (``{error, error_description}``) otherwise;
* ``GET /platform/v2/workspaces/{W}/plans`` (the plans, versions without documents),
  ``.../plans/{P}`` (a plan with its versions) and ``.../plans/{P}/versions/{N}`` (one
  version), for a valid, unexpired Bearer token, with the API's error shape
  ``{errors: [{message}]}`` (401, 404 with the API's text for a missing version, 405).

Requests are recorded (:class:`~mparticle.testing.records.RecordedRequest`), and answers can
be scripted, for the API and the token endpoint separately, with
:class:`~mparticle.testing.faults.Fault` (401, 429 with Retry-After, 5xx, dropped
connections, any body)::

    with LocalPlanningServer("id", "secret", plans={1234: [plan]}) as server:
        document = fetch_document(1234, "acme_plan", 2, client_id="id", client_secret="secret",
                                  token_url=server.token_url, api_url=server.api_url)
"""

from __future__ import annotations

import copy
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from mparticle.testing.faults import Fault, FaultPlan
from mparticle.testing.framing import ClientGone, read_body
from mparticle.testing.handler import Endpoint, Settings, _Handler
from mparticle.testing.listener import _HOST, Serving
from mparticle.testing.records import RecordedRequest, Recorder

__all__ = ["LocalPlanningServer", "PLANS_PREFIX", "TOKEN_PATH"]

TOKEN_PATH = "/oauth/token"
#: The API's path up to the workspace id.
PLANS_PREFIX = "/platform/v2/workspaces/"
_API_BASE = "/platform/v2"
_AUDIENCE = "https://api.mparticle.com"
_MAX_BODY = 64 * 1024
#: Plans to serve: ``{workspace_id: [data plan, ...]}`` (ids as ints or strings).
Plans = Union[Mapping[int, Iterable[Mapping[str, Any]]], Mapping[str, Iterable[Mapping[str, Any]]]]
#: What an answer is: status, JSON body (None: no body), extra headers.
_Answer = Tuple[int, Any, Dict[str, str]]


class Planning:
    """What the stand-in knows and decides, without HTTP: the accepted credentials, the
    plans by workspace, the tokens issued. Thread-safe."""

    def __init__(self, client_id: str, client_secret: str, token_lifetime: float, clock: Callable[[], float]) -> None:
        self.client_id: str = client_id
        self.client_secret: str = client_secret
        self.token_lifetime: float = token_lifetime
        self.clock: Callable[[], float] = clock
        self.token_faults: FaultPlan = FaultPlan()
        self._lock = threading.Lock()
        self._plans: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self._tokens: Dict[str, float] = {}  # token -> expiry (clock seconds)
        self.tokens_issued: int = 0

    # -- state ------------------------------------------------------------------------------------
    def add_plan(self, workspace_id: Union[int, str], plan: Mapping[str, Any]) -> None:
        """Serve ``plan`` (a data plan with ``data_plan_id`` and ``data_plan_versions``) in the workspace."""
        plan_id = plan.get("data_plan_id")
        if not isinstance(plan_id, str) or not plan_id:
            raise ValueError("a plan needs a data_plan_id (string)")
        versions = plan.get("data_plan_versions", [])
        if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
            raise ValueError("data_plan_versions must be a list of version objects")
        stored = json.loads(json.dumps(plan))  # a JSON copy: later changes to ``plan`` are not seen
        with self._lock:
            self._plans.setdefault(str(workspace_id), {})[plan_id] = stored

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next API call gets 401)."""
        with self._lock:
            self._tokens.clear()

    def issue_token(self) -> Tuple[str, float]:
        lifetime = self.token_lifetime
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self.clock() + lifetime
            self.tokens_issued += 1
        return token, lifetime

    def token_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and self.clock() < expiry

    # -- answers ----------------------------------------------------------------------------------
    def answer_token(self, method: str, content_type: str, body: bytes) -> _Answer:
        """The token endpoint's answer to a request."""
        if method != "POST":
            return _oauth_error(405, "invalid_request", f"method {method} not allowed; use POST", {"Allow": "POST"})
        if "application/json" not in content_type.lower():
            return _oauth_error(400, "invalid_request", f"Content-Type must be application/json, got {content_type!r}")
        try:
            doc = json.loads(body)
        except ValueError:
            return _oauth_error(400, "invalid_request", "the body is not JSON")
        if not isinstance(doc, dict):
            return _oauth_error(400, "invalid_request", "the body must be a JSON object")
        if doc.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if doc.get("audience") != _AUDIENCE:
            return _oauth_error(403, "access_denied", f"Service not enabled within domain: {doc.get('audience')}")
        client_id, client_secret = doc.get("client_id"), doc.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return _oauth_error(401, "access_denied", "Unauthorized")
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        if not (id_ok and secret_ok):
            return _oauth_error(401, "access_denied", "Unauthorized")
        token, lifetime = self.issue_token()
        return 200, {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}, {}

    def answer_api(self, method: str, path: str, authorization: Optional[str]) -> _Answer:
        """The Data Planning API's answer to a request for ``path`` (under :data:`PLANS_PREFIX`)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not self.token_valid(token.strip()):
            return _api_error(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if method not in ("GET", "HEAD"):
            return _api_error(405, f"Method {method} is not supported by this stand-in.", {"Allow": "GET"})
        parts = path[len(PLANS_PREFIX) :].split("/")
        shape_ok = len(parts) in (2, 3, 5) and parts[1] == "plans" and (len(parts) != 5 or parts[3] == "versions")
        if not shape_ok or not all(parts):
            return _api_error(404, f"No such resource: {path}")
        workspace = parts[0]
        with self._lock:
            plans = copy.deepcopy(self._plans.get(workspace, {}))
        if len(parts) == 2:
            return 200, [_without_documents(p) for p in plans.values()], {}
        plan = plans.get(parts[2])
        if plan is None:
            return _api_error(404, f"The specified data plan {parts[2]} was not found in workspace {workspace}.")
        if len(parts) == 3:
            return 200, plan, {}
        for version in plan.get("data_plan_versions", []):
            if str(version.get("version")) == parts[4]:
                return 200, version, {}
        return _api_error(
            404, f"The specified version {parts[4]} in plan ID {parts[2]} was not found in workspace {workspace}."
        )


def _oauth_error(status: int, error: str, description: str, headers: Optional[Dict[str, str]] = None) -> _Answer:
    return status, {"error": error, "error_description": description}, dict(headers or {})


def _api_error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> _Answer:
    return status, {"errors": [{"message": message}]}, dict(headers or {})


def _without_documents(plan: Dict[str, Any]) -> Dict[str, Any]:
    """A plan as listed: its versions without their ``version_document``."""
    listed = dict(plan)
    listed["data_plan_versions"] = [
        {k: v for k, v in version.items() if k != "version_document"} for version in plan.get("data_plan_versions", [])
    ]
    return listed


_FAULT_TEXTS = {
    401: "Unauthorized",
    429: "Too many requests.",
    500: "Internal server error.",
    503: "Service unavailable.",
}


def _fault_body(status: int, token: bool) -> bytes:
    """The body of a scripted error answer, in the shape of the endpoint that gives it."""
    text = _FAULT_TEXTS.get(status, f"Error {status}.")
    if token:
        code = "too_many_requests" if status == 429 else "access_denied" if status in (401, 403) else "server_error"
        return json.dumps({"error": code, "error_description": text}).encode()
    return json.dumps({"errors": [{"message": text}]}).encode()


@dataclass(frozen=True)
class _PlanningEndpoint(Endpoint):
    """The Events endpoint's parts the listener and handler use (faults: the API's), plus the planning state."""

    planning: Optional[Planning] = None


class _PlanningHandler(_Handler):
    """Answers the token endpoint and the planning API (the plumbing is the Events handler's)."""

    def _dispatch(self) -> None:
        endpoint = self.server.endpoint
        assert isinstance(endpoint, _PlanningEndpoint) and endpoint.planning is not None
        planning = endpoint.planning
        self._received_at = time.monotonic()
        self._raw_headers = [(str(k), str(v)) for k, v in self.headers.items()]
        try:
            body, self._wire_size, framing = read_body(
                self.rfile, self.headers.get("Transfer-Encoding"), self.headers.get("Content-Length"), _MAX_BODY
            )
        except (ClientGone, OSError):
            self.close_connection = True
            return
        path = self.path.split("?", 1)[0]
        is_token = path == TOKEN_PATH
        fault = (planning.token_faults if is_token else endpoint.faults).next()
        delay = endpoint.faults.hang + (fault.delay if fault is not None else 0.0)
        if delay > 0 and self.server.stopping.wait(delay):
            self.close_connection = True
            return
        if fault is not None and not fault.passthrough:
            self._answer_fault(fault, body, lambda status: _fault_body(status, is_token))
            return
        if framing is not None:
            if framing.close:
                self.close_connection = True
            answer = _oauth_error(framing.status, "invalid_request", framing.message) if is_token else _api_error(
                framing.status, framing.message
            )
        elif is_token:
            answer = planning.answer_token(self.command, self.headers.get("Content-Type") or "", body)
        elif path.startswith(PLANS_PREFIX):
            answer = planning.answer_api(self.command, path, self.headers.get("Authorization"))
        else:
            answer = _api_error(404, f"No such resource: {path}")
        status, doc, headers = answer
        if fault is not None:
            headers.update(fault.response_headers())
        error = None if status < 400 else _error_text(doc)
        self._record(status, [], error, fault is not None, body)
        self._respond(status, json.dumps(doc).encode() if doc is not None else b"", headers)


def _error_text(doc: Any) -> Optional[str]:
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list):
        return "; ".join(str(e.get("message")) for e in doc["errors"] if isinstance(e, dict))
    if isinstance(doc, dict):
        return f"{doc.get('error')}: {doc.get('error_description')}"
    return None


class LocalPlanningServer(Serving):
    """A local OAuth token endpoint and Data Planning API on ``127.0.0.1`` (one port).

    ``client_id``/``client_secret``: the credentials the token endpoint accepts. ``plans``:
    ``{workspace_id: [data plan, ...]}`` to serve (more with :meth:`add_plan`). Tokens are
    issued with ``expires_in = token_lifetime`` seconds, timed by ``clock`` (monotonic seconds;
    inject one to expire tokens without waiting). ``port``: as for ``LocalEventsServer``.
    """

    _handler = _PlanningHandler
    _thread_name = "mparticle-planning"

    def __init__(
        self,
        client_id: str = "test-client-id",
        client_secret: str = "test-client-secret",
        *,
        plans: Optional[Plans] = None,
        token_lifetime: float = 28800,
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._planning = Planning(client_id, client_secret, token_lifetime, clock)
        for workspace, listed in (plans or {}).items():
            for plan in listed:
                self._planning.add_plan(workspace, plan)
        self._faults = FaultPlan()
        self._recorder = Recorder()
        settings = Settings("", "", _MAX_BODY, 1, validate=False)  # the Events settings: unused here
        self._serve(_PlanningEndpoint(settings, self._faults, self._recorder, planning=self._planning), port)

    @property
    def client_id(self) -> str:
        """The client id accepted."""
        return self._planning.client_id

    @property
    def client_secret(self) -> str:
        """The client secret accepted."""
        return self._planning.client_secret

    @property
    def token_lifetime(self) -> float:
        """The ``expires_in`` of the tokens issued from now on (assignable)."""
        return self._planning.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        self._planning.token_lifetime = seconds

    def add_plan(self, workspace_id: Union[int, str], plan: Mapping[str, Any]) -> None:
        """Serve ``plan`` (with ``data_plan_id`` and ``data_plan_versions``) in ``workspace_id``."""
        self._planning.add_plan(workspace_id, plan)

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far: the next API call with one gets 401."""
        self._planning.revoke_tokens()

    @property
    def tokens_issued(self) -> int:
        """How many tokens the token endpoint has issued."""
        return self._planning.tokens_issued

    # -- where it serves (start, stop and ``with``: :class:`Serving`) -----------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{_HOST}:{self.port}"

    @property
    def token_url(self) -> str:
        """The token endpoint (``PlanningClient(token_url=...)``)."""
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        """The API base before ``/workspaces`` (``PlanningClient(api_url=...)``)."""
        return self.url + _API_BASE

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.running else "stopped"
        return f"<LocalPlanningServer {state} tokens_issued={self.tokens_issued}>"

    # -- results and faults -----------------------------------------------------------------------
    @property
    def requests(self) -> List[RecordedRequest]:
        """Snapshot of all received requests (token and API), in arrival order."""
        return self._recorder.requests

    @property
    def status_counts(self) -> Dict[int, int]:
        """How many requests were answered with each status (0: dropped)."""
        return self._recorder.status_counts

    @property
    def errors(self) -> List[BaseException]:
        """Unexpected exceptions raised in request handlers (should stay empty)."""
        return self._recorder.errors

    def script(self, *faults: Fault | int) -> None:
        """Queue answers for the next API requests, in order (an int is ``Fault(status=int)``;
        error statuses get the API's error body unless ``body`` is given)."""
        self._faults.script(Fault(status=f) if isinstance(f, int) else f for f in faults)

    def script_token(self, *faults: Fault | int) -> None:
        """Queue answers for the next token requests, in order (error bodies in OAuth's shape)."""
        self._planning.token_faults.script(Fault(status=f) if isinstance(f, int) else f for f in faults)

    def hang(self, seconds: float) -> None:
        """Make every request wait ``seconds`` before it is answered (0 to stop)."""
        self._faults.set_hang(seconds)

    def reset(self) -> None:
        """Clear records, scripted faults and ``hang`` (plans and tokens stay)."""
        self._recorder.clear()
        self._faults.clear()
        self._planning.token_faults.clear()
