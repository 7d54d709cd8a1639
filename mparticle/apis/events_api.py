"""EventsApi: the Events API endpoints (thin: a path, a body shape and the service limits)."""

from __future__ import annotations

import functools
import json
import time
from typing import Any, Callable, List

from mparticle.api_client import ApiClient
from mparticle.configuration import Configuration
from mparticle.limits import BULK_PATH, EVENTS_PATH, HISTORICAL_PATH
from mparticle.models.base import Model
from mparticle.serialization import check_keys, encode_batch, join_batches

__all__ = ["EventsApi"]

_KWARGS = ("callback", "_return_http_data_only", "_request_timeout", "_preload_content")


class EventsApi:
    """Upload batches to ``/events``, ``/bulkevents`` and ``/bulkevents/historical``.

    Each call returns ``(None, status, headers)`` (``None`` with ``_return_http_data_only``),
    raises :class:`mparticle.rest.ApiException` on failure, and with ``callback=`` runs on a
    shared worker pool, the callback receiving that tuple or the exception.
    """

    def __init__(self, config: Any = None) -> None:
        config = config if config is not None else Configuration()
        if not config.api_client:
            config.api_client = ApiClient(configuration=config)
        self.api_client: ApiClient = config.api_client

    def upload_events(self, body: Any, **kwargs: Any) -> Any:
        """POST one batch to ``/events``."""
        return self._post(EVENTS_PATH, body, "upload_events", kwargs, self._encode_one)

    def upload_events_with_http_info(self, body: Any, **kwargs: Any) -> Any:
        """Same as :meth:`upload_events`."""
        return self._post(EVENTS_PATH, body, "upload_events", kwargs, self._encode_one)

    def bulk_upload_events(self, body: Any, **kwargs: Any) -> Any:
        """POST a list of batches (at most ``max_batches_per_request``) to ``/bulkevents``."""
        return self._post(BULK_PATH, body, "bulk_upload_events", kwargs, self._encode_bulk)

    def bulk_upload_events_with_http_info(self, body: Any, **kwargs: Any) -> Any:
        """Same as :meth:`bulk_upload_events`."""
        return self._post(BULK_PATH, body, "bulk_upload_events", kwargs, self._encode_bulk)

    def bulk_upload_events_historical(self, body: Any, **kwargs: Any) -> Any:
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

    async def upload_events_async(self, body: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`upload_events`: the blocking call runs off the event loop."""
        import asyncio

        call = functools.partial(self.upload_events, body, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    async def bulk_upload_events_async(self, body: Any, **kwargs: Any) -> Any:
        """Awaitable :meth:`bulk_upload_events`."""
        import asyncio

        call = functools.partial(self.bulk_upload_events, body, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    # -- one pipeline for every endpoint ---------------------------------------------------------
    def _post(
        self,
        path: str,
        body: Any,
        name: str,
        kwargs: dict,
        encode: Callable[[Any], bytes],
    ) -> Any:
        for key in kwargs:
            if key not in _KWARGS:
                raise TypeError(f"Got an unexpected keyword argument '{key}' to method {name}")
        if body is None:
            raise ValueError(f"Missing the required parameter `body` when calling `{name}`")
        callback = kwargs.get("callback")

        def send() -> Any:
            return self.api_client.call_api(
                path,
                "POST",
                header_params={
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
                body=encode(body),
                auth_settings=["basic"],
                _return_http_data_only=kwargs.get("_return_http_data_only"),
                _request_timeout=kwargs.get("_request_timeout"),
            )

        return self.api_client.submit(send, callback) if callback else send()

    @property
    def _config(self) -> Any:
        return self.api_client.config

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
        parts = [self._encode_one(b, f"batch {i}") for i, b in enumerate(batches)]
        body = join_batches(parts)
        if len(body) > config.max_request_bytes:
            raise ValueError(
                f"request body is {len(body)} bytes, over the {config.max_request_bytes}-byte limit (max_request_bytes)"
            )
        return body

    def _encode_historical(self, batches: Any) -> bytes:
        body = self._encode_bulk(batches)
        check_historical(json.loads(body), time.time() * 1000)
        return body


#: How EventsApi words each historical rule of :mod:`mparticle.validation`.
_HISTORICAL_MESSAGES = {
    "historical_no_events": "the historical endpoint needs at least one event",
    "historical_timestamp": "is required for historical data",
    "historical_too_recent": "is less than 72 hours old; send recent data to bulk_upload_events",
}


def check_historical(batches: List[Any], now_ms: float) -> None:
    """Raise ValueError for batches the historical endpoint would skip."""
    from mparticle.validation import historical_problems

    for i, batch in enumerate(batches):
        for problem in historical_problems(batch if isinstance(batch, dict) else {}, int(now_ms)):
            where = ":" if problem.rule == "historical_no_events" else " " + problem.path
            raise ValueError("batch {0}{1} {2}".format(i, where, _HISTORICAL_MESSAGES[problem.rule]))
