"""EventsApi: the Events API endpoints (thin: a path, a body shape and the service limits)."""

from __future__ import annotations

import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Literal,
    Mapping,
    MutableMapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    overload,
)

from mparticle.api_client import ApiClient, AsyncCall
from mparticle.configuration import Configuration
from mparticle.limits import BULK_PATH, EVENTS_PATH, HISTORICAL_PATH
from mparticle.models.base import Model
from mparticle.serialization import check_keys, encode_batch, encode_bulk, join_batches

if TYPE_CHECKING:
    from mparticle.dataplan import DataPlan
    from mparticle.dataplan.enforce import Enforcer, Mode, Policy, ViolationCallback
    from mparticle.models.batch import Batch

__all__ = ["BatchBody", "EventsApi", "RequestTimeout", "UploadResponse"]

#: What every upload returns: ``(None, HTTP status, response headers)`` (the Events API's
#: answer carries no data the client reads; the headers are urllib3's ``HTTPHeaderDict``).
UploadResponse = Tuple[None, int, MutableMapping[str, str]]
#: A batch: a :class:`~mparticle.models.batch.Batch`, or a dict in wire form.
BatchBody = Union["Batch", Mapping[str, Any]]
#: ``_request_timeout``: total seconds, or ``(connect, read)`` seconds.
RequestTimeout = Union[None, float, Tuple[float, float]]
_F = TypeVar("_F")


def _typed_as(reference: _F) -> Callable[[Callable[..., Any]], _F]:
    """Give the decorated method the (overloaded) signature of ``reference``."""

    def decorate(function: Callable[..., Any]) -> _F:
        return function  # type: ignore[return-value]

    return decorate

def plan_enforcer(
    plan: Optional["DataPlan"], policy: "Policy", mode: "Mode", on_violation: Optional["ViolationCallback"]
) -> Optional["Enforcer"]:
    """The :class:`~mparticle.dataplan.enforce.Enforcer` of a ``data_plan=`` and its options,
    None without a plan (mparticle.dataplan is imported only when there is one)."""
    if plan is None:
        if policy != "report" or mode != "strict" or on_violation is not None:
            raise ValueError("data_plan_policy, data_plan_mode and on_data_plan_violation need data_plan=")
        return None
    from mparticle.dataplan.enforce import Enforcer

    return Enforcer(plan, policy, mode, on_violation)


_KWARGS = ("callback", "_return_http_data_only", "_request_timeout", "_preload_content")
_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
_GZIP_HEADERS = {**_HEADERS, "Content-Encoding": "gzip"}


class EventsApi:
    """Upload batches to ``/events``, ``/bulkevents`` and ``/bulkevents/historical``.

    Each call returns ``(None, status, headers)`` (``None`` with ``_return_http_data_only``),
    raises :class:`mparticle.rest.ApiException` on failure, and with ``callback=`` runs on a
    shared worker pool, the callback receiving that tuple or the exception.
    """

    def __init__(
        self,
        config: Optional[Configuration] = None,
        *,
        api_client: Optional[ApiClient] = None,
        data_plan: Optional["DataPlan"] = None,
        data_plan_policy: "Policy" = "report",
        data_plan_mode: "Mode" = "strict",
        on_data_plan_violation: Optional["ViolationCallback"] = None,
    ) -> None:
        """``EventsApi(config)`` shares ``config.api_client`` (made on first use) with every
        EventsApi of that Configuration; ``api_client=`` uses that client instead, leaving
        ``config`` alone (the client's own Configuration applies).

        ``data_plan=`` (a :class:`mparticle.dataplan.DataPlan`) checks every batch uploaded
        (not ``bulk_upload_encoded``'s bytes) and tags it with the plan when it has no
        ``context.data_plan``; ``data_plan_policy`` ``"report"`` (send, and call
        ``on_data_plan_violation(verdict)``), ``"block"`` (remove unplanned events and
        attributes first) or ``"raise"`` (DataPlanViolation, nothing sent); ``data_plan_mode``
        ``"strict"`` or ``"server"``; ``plan_enforcer`` is the resulting Enforcer. With a plan,
        the batch is encoded and checked on the caller's thread also with ``callback=``, so its
        errors are raised there. See docs/DataPlans.md."""
        if api_client is None:
            config = config if config is not None else Configuration()
            if not config.api_client:
                config.api_client = ApiClient(configuration=config)
            api_client = config.api_client
        self.api_client: ApiClient = api_client
        #: The ``data_plan=`` Enforcer (its ``plan``, ``policy``, ``stats()``), or None.
        self.plan_enforcer: Optional[Enforcer] = plan_enforcer(
            data_plan, data_plan_policy, data_plan_mode, on_data_plan_violation
        )

    # The options every upload takes (keyword only, as in the original): ``callback`` (run on
    # a worker pool: returns an AsyncCall, the callback gets the result or the exception),
    # ``_return_http_data_only`` (return only the data: None), ``_request_timeout``,
    # ``_preload_content`` (accepted, ignored).
    @overload
    def upload_events(
        self,
        body: BatchBody,
        *,
        callback: Callable[[Any], Any],
        _return_http_data_only: Optional[bool] = None,
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> AsyncCall: ...
    @overload
    def upload_events(
        self,
        body: BatchBody,
        *,
        callback: None = None,
        _return_http_data_only: Literal[True],
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> None: ...
    @overload
    def upload_events(
        self,
        body: BatchBody,
        *,
        callback: None = None,
        _return_http_data_only: Optional[Literal[False]] = None,
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> UploadResponse: ...
    def upload_events(self, body: BatchBody, **kwargs: Any) -> Any:
        """POST one batch to ``/events``."""
        return self._post(EVENTS_PATH, body, "upload_events", kwargs, self._encode_one)

    @_typed_as(upload_events)
    def upload_events_with_http_info(self, body: BatchBody, **kwargs: Any) -> Any:
        """Same as :meth:`upload_events`."""
        return self._post(EVENTS_PATH, body, "upload_events", kwargs, self._encode_one)

    @overload
    def bulk_upload_events(
        self,
        body: Sequence[BatchBody],
        *,
        callback: Callable[[Any], Any],
        _return_http_data_only: Optional[bool] = None,
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> AsyncCall: ...
    @overload
    def bulk_upload_events(
        self,
        body: Sequence[BatchBody],
        *,
        callback: None = None,
        _return_http_data_only: Literal[True],
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> None: ...
    @overload
    def bulk_upload_events(
        self,
        body: Sequence[BatchBody],
        *,
        callback: None = None,
        _return_http_data_only: Optional[Literal[False]] = None,
        _request_timeout: RequestTimeout = None,
        _preload_content: bool = True,
    ) -> UploadResponse: ...
    def bulk_upload_events(self, body: Sequence[BatchBody], **kwargs: Any) -> Any:
        """POST a list of batches (at most ``max_batches_per_request``) to ``/bulkevents``."""
        return self._post(BULK_PATH, body, "bulk_upload_events", kwargs, self._encode_bulk)

    @_typed_as(bulk_upload_events)
    def bulk_upload_events_with_http_info(self, body: Sequence[BatchBody], **kwargs: Any) -> Any:
        """Same as :meth:`bulk_upload_events`."""
        return self._post(BULK_PATH, body, "bulk_upload_events", kwargs, self._encode_bulk)

    @_typed_as(bulk_upload_events)
    def bulk_upload_events_historical(self, body: Sequence[BatchBody], **kwargs: Any) -> Any:
        """POST batches older than 30 days to ``/bulkevents/historical``.

        Refuses batches without events, events without ``timestamp_unixtime_ms`` and events
        younger than 72 hours, which that endpoint would silently skip."""
        return self._post(
            HISTORICAL_PATH,
            body,
            "bulk_upload_events_historical",
            kwargs,
            self._encode_historical,
        )

    def bulk_upload_encoded(self, body: bytes, *, path: str = BULK_PATH, gzip: bool = False, **kwargs: Any) -> Any:
        """POST a bulk body that is JSON already: the bytes of a JSON array of serialized
        batches (e.g. :func:`mparticle.serialization.join_batches` of
        :func:`~mparticle.serialization.encode_batch` results), to ``path`` (``/bulkevents``, or
        ``/bulkevents/historical`` for backfills). The bytes are sent as they are: neither
        validated nor re-encoded, so the caller vouches for them; ``gzip=True`` compresses them
        on the wire (``Content-Encoding: gzip``). This is how the BatchUploader sends."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"bulk_upload_encoded takes bytes, got {type(body).__name__}")
        if gzip:
            import gzip as gzip_module

            body = gzip_module.compress(body, compresslevel=6, mtime=0)
        headers = _GZIP_HEADERS if gzip else _HEADERS
        return self._post(path, body, "bulk_upload_encoded", kwargs, bytes, headers)

    async def upload_events_async(
        self, body: BatchBody, *, _request_timeout: RequestTimeout = None, _preload_content: bool = True
    ) -> UploadResponse:
        """Awaitable :meth:`upload_events`: the blocking call runs off the event loop."""
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.upload_events(body, _request_timeout=_request_timeout)
        )

    async def bulk_upload_events_async(
        self, body: Sequence[BatchBody], *, _request_timeout: RequestTimeout = None, _preload_content: bool = True
    ) -> UploadResponse:
        """Awaitable :meth:`bulk_upload_events`."""
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.bulk_upload_events(body, _request_timeout=_request_timeout)
        )

    # -- one pipeline for every endpoint ---------------------------------------------------------
    def _post(
        self,
        path: str,
        body: Any,
        name: str,
        kwargs: Dict[str, Any],
        encode: Callable[[Any], bytes],
        headers: Dict[str, str] = _HEADERS,
    ) -> Any:
        for key in kwargs:
            if key not in _KWARGS:
                raise TypeError(f"Got an unexpected keyword argument '{key}' to method {name}")
        if body is None:
            raise ValueError(f"Missing the required parameter `body` when calling `{name}`")
        if self.plan_enforcer is not None and encode is not bytes:  # on the caller's thread, even with callback=
            body, encode = self._planned(self.plan_enforcer, path, body, encode), bytes
        callback = kwargs.get("callback")

        def send() -> Any:
            return self.api_client.call_api(
                path,
                "POST",
                header_params=headers,
                body=encode(body),
                auth_settings=["basic"],
                _return_http_data_only=kwargs.get("_return_http_data_only"),
                _request_timeout=kwargs.get("_request_timeout"),
            )

        return self.api_client.submit(send, callback) if callback else send()

    @property
    def _config(self) -> Any:
        return self.api_client.config

    def _planned(self, enforcer: "Enforcer", path: str, body: Any, encode: Callable[[Any], bytes]) -> bytes:
        """The request body with the plan applied: the body is encoded (every rule checked, as
        without a plan), then each batch's bytes go through the plan; a bulk request is
        counted only once every batch in it passed."""
        limit = self._config.max_batch_bytes
        if path == EVENTS_PATH:
            checked = [enforcer.check(encode(body))]
        else:
            encode(body)  # the request's own rules (count, size, historical) on the batches as given
            checked = [enforcer.check(self._encode_one(b, f"batch {i}"), f"batch {i}") for i, b in enumerate(body)]
        for i, one in enumerate(checked):
            if len(one.data) > limit:
                label = "batch" if path == EVENTS_PATH else f"batch {i}"
                raise ValueError(
                    f"{label} is {len(one.data)} bytes serialized with the data plan's changes, "
                    f"over the {limit}-byte limit per batch"
                )
        data = checked[0].data if path == EVENTS_PATH else join_batches([one.data for one in checked])
        if path != EVENTS_PATH and len(data) > self._config.max_request_bytes:
            raise ValueError(
                f"request body is {len(data)} bytes with the data plan's changes, over the "
                f"{self._config.max_request_bytes}-byte limit (max_request_bytes)"
            )
        for one in checked:
            enforcer.commit(one)
        return data

    def _encode_one(self, batch: Any, label: str = "batch") -> bytes:
        """One batch's bytes. Plain-dict batches also get their keys checked (a model checks
        its dict fields when they are set)."""
        data = encode_batch(batch, self._config.max_batch_bytes, label)
        if not isinstance(batch, Model):
            check_keys(batch, "$" if label == "batch" else label)
        return data

    def _encode_bulk(self, batches: Any) -> bytes:
        config = self._config
        if not isinstance(batches, (list, tuple)):
            raise ValueError(f"Invalid value for `body` ({type(batches).__name__}): expected a list of batches")
        if len(batches) > config.max_batches_per_request:
            raise ValueError(
                f"{len(batches)} batches in one request, over the limit of "
                f"{config.max_batches_per_request} (max_batches_per_request)"
            )
        body = encode_bulk(batches, config.max_batch_bytes)  # each batch as _encode_one would
        if len(body) > config.max_request_bytes:
            raise ValueError(
                f"request body is {len(body)} bytes, over the {config.max_request_bytes}-byte limit (max_request_bytes)"
            )
        return body

    def _encode_historical(self, batches: Any) -> bytes:
        from mparticle.validation import check_historical  # lazily: it builds the rule tables

        body = self._encode_bulk(batches)
        check_historical(batches, time.time() * 1000)  # the batches as given, not the body parsed back
        return body
