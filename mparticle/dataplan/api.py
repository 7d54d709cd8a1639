"""The Data Planning API client: fetch a data plan, or one of its versions, as its JSON document.

Authentication is OAuth 2 client credentials: the client posts its ``client_id`` and
``client_secret`` to the token endpoint, keeps the bearer token until
:data:`TOKEN_REFRESH_MARGIN` seconds before it expires, and after a 401 fetches a new one and
tries once more. Every request goes through the SDK's transport
(:class:`~mparticle.transport.client.RESTClientObject`): TLS verified (certifi, or the
Configuration's CA), a deadline per attempt, a capped body, 429 retried after its Retry-After
and 5xx after a backoff, within the :class:`~mparticle.retry.RetryPolicy`'s budget.

The secret and the tokens never appear in a log line, a repr or an exception: the traffic log
redacts them, and an error whose body or headers echo them is rebuilt without them.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from types import TracebackType
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Type, Union
from urllib.parse import urlsplit

from mparticle.configuration import DEFAULT_HOST, Configuration, check_base_url, redact_url
from mparticle.retry import RetryPolicy
from mparticle.transport.client import RESTClientObject
from mparticle.transport.errors import ApiException, MissingSettingsError, RESTResponse

__all__ = [
    "API_URL",
    "AUDIENCE",
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "MAX_DOCUMENT_BYTES",
    "MAX_EXPIRES_IN",
    "MissingClientCredentialsError",
    "PLANNING_RETRIES",
    "PlanningClient",
    "PlanningResponseError",
    "TOKEN_REFRESH_MARGIN",
    "TOKEN_URL",
    "fetch_document",
]

#: mParticle's OAuth token endpoint.
TOKEN_URL = "https://sso.auth.mparticle.com/oauth/token"
#: The Platform API base; plans live under ``{API_URL}/workspaces/{workspace_id}/plans``.
API_URL = "https://api.mparticle.com/platform/v2"
#: The ``audience`` of the token request.
AUDIENCE = "https://api.mparticle.com"
CLIENT_ID_ENV = "MPARTICLE_CLIENT_ID"
CLIENT_SECRET_ENV = "MPARTICLE_CLIENT_SECRET"
#: A token is replaced this many seconds before its ``expires_in`` ends (at half its lifetime
#: when that is shorter than twice the margin), so no request goes out with a token about to expire.
TOKEN_REFRESH_MARGIN = 60.0
#: The longest ``expires_in`` accepted (30 days; mParticle issues 8 hours): more is refused as absurd.
MAX_EXPIRES_IN = 30 * 86400.0
#: Most bytes of a plan document read (a plan of 1,000 points with schemas fits many times over).
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: Retries for planning calls: 429 (Retry-After honoured up to 60 s), 5xx and connection failures.
PLANNING_RETRIES = RetryPolicy(
    max_retries=4, backoff_base=0.5, backoff_max=8.0, total_timeout=120.0, max_retry_after=60.0
)

_MAX_TOKEN_CHARS = 16 * 1024
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # visible ASCII: nothing that could end or split a header
_PLAN_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_EXCERPT = 200


class MissingClientCredentialsError(MissingSettingsError):
    """``client_id`` or ``client_secret`` is empty (not given, and not in the environment):
    raised before anything is sent. ``missing`` names them; values are never shown.

    Like :class:`~mparticle.transport.errors.MissingCredentialsError` for the Events API: an
    :class:`ApiException` with status 401 (no request was made) and a ``ValueError``."""

    def __init__(self, missing: Sequence[str]) -> None:
        env = {"client_id": CLIENT_ID_ENV, "client_secret": CLIENT_SECRET_ENV}
        super().__init__(
            missing,
            f"missing Data Planning API credentials: {self.listed(missing)} empty; pass "
            + " and ".join(f"{name}= (or set {env.get(name, name)})" for name in missing)
            + ". Nothing was sent.",
        )


class PlanningResponseError(ApiException, ValueError):
    """A response that cannot be used although its status was 2xx: not JSON, not an object,
    cut at the size limit, or a token response without a usable token. ``status`` is the
    response's; ``reason`` says what is wrong and where. The body of a token response is
    never kept."""

    def __init__(self, status: Optional[int], reason: str, body: Optional[str] = None) -> None:
        super().__init__(status, reason, body=body)

    def __repr__(self) -> str:
        return f"PlanningResponseError(status={self.status!r}, reason={self.reason!r})"

    def __reduce__(self) -> Any:
        return (PlanningResponseError, (self.status, self.reason, self.body))


class _Hidden:
    """A secret value whose repr shows nothing of it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"


class _Token:
    """An access token and the clock reading after which it is replaced."""

    __slots__ = ("secret", "refresh_at")

    def __init__(self, value: str, refresh_at: float) -> None:
        self.secret = _Hidden(value)
        self.refresh_at = refresh_at

    def __repr__(self) -> str:
        return f"<token refresh_at={self.refresh_at:.1f}>"


class PlanningClient:
    """A Data Planning API client for one pair of credentials; thread-safe, reusable.

    ``client_id``/``client_secret``: None reads ``$MPARTICLE_CLIENT_ID`` /
    ``$MPARTICLE_CLIENT_SECRET``; empty ones raise :class:`MissingClientCredentialsError`.
    ``token_url`` and ``api_url`` (the part before ``/workspaces``) point elsewhere, e.g. at
    :class:`mparticle.testing.LocalPlanningServer`; they must be ``https://``, except on
    ``127.0.0.1``/``localhost``/``::1``. ``configuration`` supplies TLS, proxy, timeouts and
    ``debug`` (its retries and credentials are not used); ``retries`` defaults to
    :data:`PLANNING_RETRIES`. ``clock`` (monotonic seconds) times the token's life and the
    retry budget; ``sleep`` performs the retry waits.
    """

    def __init__(
        self,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        *,
        token_url: str = TOKEN_URL,
        api_url: str = API_URL,
        configuration: Optional[Configuration] = None,
        retries: Optional[RetryPolicy] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
        max_document_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        client_id = os.environ.get(CLIENT_ID_ENV, "") if client_id is None else client_id
        client_secret = os.environ.get(CLIENT_SECRET_ENV, "") if client_secret is None else client_secret
        given = (("client_id", client_id), ("client_secret", client_secret))
        missing = [name for name, value in given if not value.strip()]
        if missing:
            raise MissingClientCredentialsError(missing)
        if isinstance(max_document_bytes, bool) or not isinstance(max_document_bytes, int) or max_document_bytes < 1:
            raise ValueError(f"Invalid value for `max_document_bytes` ({max_document_bytes!r}): expected an int >= 1")
        self.token_url: str = _check_url(token_url, "token_url")
        self.api_url: str = _check_url(api_url, "api_url").rstrip("/")
        self._client_id = client_id
        self._secret = _Hidden(client_secret)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Optional[_Token] = None
        self._spent: Tuple[_Hidden, ...] = ()  # replaced tokens, still redacted if echoed (replaced whole: no lock)
        config = configuration
        if config is None:
            config = Configuration(host=DEFAULT_HOST, api_key="", api_secret="")
        self._rest = RESTClientObject(
            config=config,
            retries=retries if retries is not None else PLANNING_RETRIES,
            sleep=sleep,
            clock=clock,
            redact=self._hidden_values,
        )
        self._rest.max_response_bytes = max_document_bytes

    def __repr__(self) -> str:
        urls = f"token_url={self.token_url!r}, api_url={self.api_url!r}"
        return f"PlanningClient(client_id=<set>, client_secret=<set>, {urls})"

    def __enter__(self) -> PlanningClient:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (the client stays usable: new ones open on the next call)."""
        self._rest.close()

    # -- the API ----------------------------------------------------------------------------------
    def plan_url(self, workspace_id: Any, plan_id: str, version: Optional[int] = None) -> str:
        """The URL of a plan (``/workspaces/W/plans/P``) or of one version (``.../versions/N``)."""
        url = f"{self.api_url}/workspaces/{_workspace(workspace_id)}/plans/{_plan_id(plan_id)}"
        return url if version is None else f"{url}/versions/{_version(version)}"

    def fetch_document(self, workspace_id: Any, plan_id: str, version: Optional[int] = None) -> Dict[str, Any]:
        """The data plan ``plan_id`` of the workspace (with its versions), or its version
        ``version``, as the JSON object the API returns.

        Raises :class:`ApiException` for an error answer (the API's ``errors[].message``
        texts as its ``reason``, e.g. 404 ``The specified version 3 in plan ID ... was not
        found in workspace ...``), :class:`PlanningResponseError` for an unusable 2xx
        answer, ValueError for an invalid argument."""
        url = self.plan_url(workspace_id, plan_id, version)
        response = self._get(url)
        return self._json_object(response, f"GET {url}", keep_excerpt=True)

    # -- requests -----------------------------------------------------------------------------
    def _get(self, url: str) -> RESTResponse:
        """GET ``url`` with the current token; after a 401, once more with a new token."""
        token = self._current_token()
        first = self._try_get(url, token)
        if isinstance(first, RESTResponse):
            return first
        if first.status != 401:
            raise first
        self._discard(token)
        second = self._try_get(url, self._current_token())
        if isinstance(second, RESTResponse):
            return second
        if second.status == 401:
            second.reason = (
                f"{second.reason} (a new access token was refused too: "
                "check that the credentials have Data Planning API access)"
            )
        raise second

    def _try_get(self, url: str, token: _Token) -> Union[RESTResponse, ApiException]:
        """The response, or the (cleaned) ApiException to raise."""
        headers = {"Authorization": "Bearer " + token.secret.value, "Accept": "application/json"}
        try:
            return self._rest.request("GET", url, headers=headers)
        except ApiException as error:
            failure = self._cleaned(error)
        return failure

    def _current_token(self) -> _Token:
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.refresh_at:
                if token is not None:
                    self._forget(token)
                token = self._token = self._new_token()
            return token

    def _discard(self, token: _Token) -> None:
        """Forget ``token`` (refused): the next call fetches a new one."""
        with self._lock:
            if self._token is token:
                self._forget(token)
                self._token = None

    def _forget(self, token: _Token) -> None:
        """Keep redacting ``token`` (the last few replaced ones) after it is replaced."""
        self._spent = (*self._spent, token.secret)[-8:]

    def _new_token(self) -> _Token:
        """POST the client credentials to the token endpoint; the checked token."""
        body = {
            "client_id": self._client_id,
            "client_secret": self._secret.value,
            "audience": AUDIENCE,
            "grant_type": "client_credentials",
        }
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        started = self._clock()
        failure: Optional[ApiException] = None
        try:
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            response = self._rest.request("POST", self.token_url, headers=headers, body=payload)
        except ApiException as error:
            failure = self._cleaned(error, "the token endpoint")
        if failure is not None:
            raise failure
        doc = self._json_object(response, f"the token response of {redact_url(self.token_url)}", keep_excerpt=False)
        value, lifetime = _token_fields(doc, response.status, redact_url(self.token_url))
        margin = TOKEN_REFRESH_MARGIN if lifetime > 2 * TOKEN_REFRESH_MARGIN else lifetime / 2
        return _Token(value, started + lifetime - margin)

    # -- responses and errors -----------------------------------------------------------------
    def _json_object(self, response: RESTResponse, what: str, *, keep_excerpt: bool) -> Dict[str, Any]:
        """The response body as a JSON object, or PlanningResponseError."""
        limit = self._rest.max_response_bytes
        if response.truncated:
            raise PlanningResponseError(
                response.status, f"{what}: the body was cut (larger than {limit:,} bytes, or it ended early)"
            )
        try:
            doc = json.loads(response.data)
        except (ValueError, RecursionError) as exc:
            excerpt = f": {self._scrub(response.data[:_EXCERPT])!r}" if keep_excerpt and response.data else ""
            problem = "empty body" if not response.data.strip() else f"not JSON ({type(exc).__name__})"
            raise PlanningResponseError(response.status, f"{what}: {problem}{excerpt}") from None
        if not isinstance(doc, dict):
            raise PlanningResponseError(response.status, f"{what}: expected a JSON object, got {_json_kind(doc)}")
        return doc

    def _cleaned(self, error: ApiException, context: str = "") -> ApiException:
        """``error`` rebuilt without the secret or a token in its reason, body or headers, the
        API's ``errors[].message`` texts as its reason, prefixed with what ``context`` names
        (no chained cause is kept)."""
        body = self._scrub(error.body) if isinstance(error.body, str) else error.body
        reason = self._scrub(str(error.reason)) if error.reason is not None else None
        messages = _error_messages(body)
        if messages:
            reason = "; ".join(messages)
        if context:
            if error.status:
                reason = f"{context} refused the request: {reason}"
            else:
                reason = f"no answer from {context}: {reason}"
        headers = {str(k): self._scrub(str(v)) for k, v in (error.headers or {}).items()} or None
        return ApiException(error.status, reason, body=body, headers=headers)

    def _hidden_values(self) -> Iterator[str]:
        """The secret and every token this client held, also as they read inside JSON strings."""
        token = self._token
        for hidden in (self._secret, *(() if token is None else (token.secret,)), *self._spent):
            yield hidden.value
            escaped = json.dumps(hidden.value)[1:-1]
            if escaped != hidden.value:
                yield escaped

    def _scrub(self, text: str) -> str:
        for value in self._hidden_values():
            if value and value in text:
                text = text.replace(value, "<redacted>")
        return text


def fetch_document(
    workspace_id: Any,
    plan_id: str,
    version: Optional[int] = None,
    *,
    client_id: Optional[str] = None,
    client_secret: Optional[str] = None,
    token_url: str = TOKEN_URL,
    api_url: str = API_URL,
    configuration: Optional[Configuration] = None,
    retries: Optional[RetryPolicy] = None,
) -> Dict[str, Any]:
    """Fetch a data plan (with its versions), or its version ``version``, with a one-off
    :class:`PlanningClient` (see there for the arguments and the errors)."""
    with PlanningClient(
        client_id, client_secret, token_url=token_url, api_url=api_url, configuration=configuration, retries=retries
    ) as client:
        return client.fetch_document(workspace_id, plan_id, version)


# -- checks ---------------------------------------------------------------------------------------
def _check_url(value: Any, name: str) -> str:
    """An absolute URL; plain ``http://`` only to a loopback host (the secret is in the body)."""
    url = check_base_url(value, name)
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" and (parts.hostname or "").lower() not in _LOOPBACK:
        raise ValueError(
            f"Invalid value for `{name}` ({redact_url(url)!r}): expected an https:// URL "
            "(plain http only to 127.0.0.1, localhost or ::1: credentials and tokens would travel in the clear)"
        )
    return url


def _workspace(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return value
    raise ValueError(f"Invalid workspace id {value!r}: expected a number such as 12345")


def _plan_id(value: Any) -> str:
    if isinstance(value, str) and _PLAN_ID.fullmatch(value):
        return value
    raise ValueError(
        f"Invalid data plan id {value!r}: expected a slug of letters, digits, '_' and '-' (e.g. 'acme_plan')"
    )


def _version(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    raise ValueError(f"Invalid plan version {value!r}: expected an int >= 0")


def _token_fields(doc: Mapping[str, Any], status: int, where: str) -> Tuple[str, float]:
    """(access token, lifetime in seconds) of a token response, or PlanningResponseError."""

    def refuse(problem: str) -> PlanningResponseError:
        return PlanningResponseError(status, f"the token response of {where} is unusable: {problem}")

    value = doc.get("access_token")
    if not isinstance(value, str) or not value:
        raise refuse("no access_token" if value is None else "access_token is not a non-empty string")
    if len(value) > _MAX_TOKEN_CHARS or not _TOKEN_CHARS.fullmatch(value):
        raise refuse(f"access_token is not a bearer token (over {_MAX_TOKEN_CHARS:,} characters or not visible ASCII)")
    kind = doc.get("token_type")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise refuse(f"token_type is {kind!r}, not 'Bearer'")
    expires = doc.get("expires_in")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise refuse(f"expires_in is {_json_kind(expires)}, not a number of seconds")
    if not (math.isfinite(expires) and 0 < expires <= MAX_EXPIRES_IN):
        raise refuse(f"expires_in is {expires!r}: expected seconds within 0 < expires_in <= {MAX_EXPIRES_IN:.0f}")
    return value, float(expires)


def _error_messages(body: Optional[str]) -> Sequence[str]:
    """The ``errors[].message`` texts of an error body (``{errors: [{message}]}``, at most 5), or
    the ``error`` and ``error_description`` of an OAuth error body."""
    if not body or not body.lstrip().startswith("{"):
        return ()
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return ()
    if not isinstance(doc, dict):
        return ()
    errors = doc.get("errors")
    if not isinstance(errors, list):  # an OAuth error: {"error": ..., "error_description": ...}
        oauth = [doc.get("error"), doc.get("error_description")]
        return [" ".join(str(part)[:500] for part in oauth if isinstance(part, str))] if any(oauth) else ()
    messages = [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
    return [m[:500] for m in messages[:5]]


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
