"""ApiClient: the generated client's request pipeline (headers, auth, body, URL) and the
worker pool that runs its ``callback=`` calls."""

from __future__ import annotations

import datetime
import functools
import json
import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import quote

from mparticle.configuration import Configuration, check_base_url
from mparticle.models.base import bag_values_valid
from mparticle.models.field_types import FieldType, parse_type
from mparticle.serialization import dumps, to_jsonable
from mparticle.transport.client import RESTClientObject
from mparticle.transport.errors import ApiException, MissingCredentialsError, RESTResponse
from mparticle.version import __version__

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["ApiClient", "ApiException", "AsyncCall"]

logger: logging.Logger = logging.getLogger(__name__)

#: Worker threads per ApiClient for its ``callback=`` calls (created lazily, as needed). Each
#: client has its own pool, so one client's slow calls never hold up another client's.
CALLBACK_WORKERS = 8
_pool_lock = threading.Lock()  # guards creating a client's pool; replaced in a fork child


def _forget_pool_in_child() -> None:
    global _pool_lock
    _pool_lock = threading.Lock()  # it may have been held by a thread that does not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


class AsyncCall:
    """Handle of a ``callback=`` call: a Future that also answers ``join()``/``is_alive()``
    like the Thread the original SDK returned."""

    def __init__(self, future: "Future[Any]") -> None:
        self.future = future

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait until the call and its callback have finished (or ``timeout`` passes)."""
        try:
            self.future.exception(timeout)
        except TimeoutError:
            pass
        except Exception:  # noqa: BLE001 - concurrent.futures.TimeoutError on 3.9/3.10
            pass

    def is_alive(self) -> bool:
        """True while the call or its callback is still running."""
        return not self.future.done()

    def result(self, timeout: Optional[float] = None) -> Any:
        """What the callback returned (re-raises if the callback itself raised)."""
        return self.future.result(timeout)

    def done(self) -> bool:
        """True once the call and its callback have finished."""
        return self.future.done()


class ApiClient:
    """Builds and sends requests for one Configuration."""

    PRIMITIVE_TYPES = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: Dict[str, type] = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "object": object,
    }

    def __init__(
        self,
        host: Optional[str] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
        configuration: Optional[Configuration] = None,
        *,
        rest_client: Optional[RESTClientObject] = None,
    ) -> None:
        self.config: Configuration = configuration if configuration is not None else Configuration()
        self._host = None if host is None else check_base_url(host, "host")
        #: The transport (``rest_client=``: one set up by the owner, e.g. with its own pool size,
        #: retry hooks or clock; by default one for this Configuration).
        self.rest_client: RESTClientObject = (
            rest_client if rest_client is not None else RESTClientObject(config=self.config)
        )
        self.default_headers: Dict[str, str] = {}
        if header_name is not None:
            self.default_headers[header_name] = header_value  # type: ignore[assignment]
        self._callback_pool: "Optional[Tuple[int, ThreadPoolExecutor]]" = None
        self.cookie = cookie
        self.user_agent = "mParticle Python client/" + __version__
        self.last_response: Optional[RESTResponse] = None

    @property
    def host(self) -> str:
        """Base URL: the ``host`` argument if given, else the Configuration's current host."""
        return (self._host or self.config.host).rstrip("/")

    @host.setter
    def host(self, value: Optional[str]) -> None:
        self._host = None if value is None else check_base_url(value, "host")

    @property
    def user_agent(self) -> str:
        """The User-Agent header sent with every request."""
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send the header ``header_name: header_value`` with every request."""
        self.default_headers[header_name] = header_value

    # -- serialization -------------------------------------------------------------------------
    @staticmethod
    def sanitize_for_serialization(obj: Any) -> Any:
        """JSON-ready data for ``obj`` (models become dicts of their set fields by JSON key).

        Raises ValueError/TypeError naming the field path for values JSON cannot carry."""
        return to_jsonable(obj)

    @staticmethod
    def validate_attribute_bag_values(custom_attributes: Any) -> bool:
        """True when every value is None, str, int, float or bool (False for non-dicts)."""
        return bag_values_valid(custom_attributes)

    # -- the pipeline --------------------------------------------------------------------------
    def call_api(
        self,
        resource_path: str,
        method: str,
        path_params: Optional[Dict[str, Any]] = None,
        query_params: Optional[Any] = None,
        header_params: Optional[Dict[str, str]] = None,
        body: Any = None,
        post_params: Optional[Any] = None,
        files: Optional[Dict[str, Any]] = None,
        response_type: Optional[str] = None,
        auth_settings: Optional[List[str]] = None,
        callback: Optional[Callable[[Any], Any]] = None,
        _return_http_data_only: Optional[bool] = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
    ) -> Any:
        """Send a request. With ``callback`` it runs on this client's worker pool, returns an
        :class:`AsyncCall`, and the callback receives the result or any exception raised."""

        args = (
            resource_path,
            method,
            path_params,
            query_params,
            header_params,
            body,
            post_params,
            files,
            response_type,
            auth_settings,
            _return_http_data_only,
            _request_timeout,
        )
        if callback is None:
            return self._call_api(*args)
        return self.submit(functools.partial(self._call_api, *args), callback)

    def submit(self, work: Callable[[], Any], callback: Callable[[Any], Any]) -> AsyncCall:
        """Run ``work`` on this client's worker pool (:data:`CALLBACK_WORKERS` threads) and hand
        its result, or the exception it raised, to ``callback``. A raising callback is logged,
        never lost silently."""

        def run() -> Any:
            try:
                outcome = work()
            except Exception as exc:  # noqa: BLE001 - delivered to the callback as the original did
                outcome = exc
            try:
                return callback(outcome)
            except Exception:
                logger.exception("mparticle callback raised")
                raise

        return AsyncCall(self._workers().submit(run))

    def _workers(self) -> "ThreadPoolExecutor":
        """This client's callback pool, made on first use (and again in a fork child)."""
        pid = os.getpid()
        current = self._callback_pool
        if current is None or current[0] != pid:
            with _pool_lock:
                current = self._callback_pool
                if current is None or current[0] != pid:
                    from concurrent.futures import ThreadPoolExecutor

                    pool = ThreadPoolExecutor(CALLBACK_WORKERS, thread_name_prefix="mparticle-callback")
                    current = self._callback_pool = (pid, pool)
        return current[1]

    def _call_api(
        self,
        resource_path: str,
        method: str,
        path_params: Any,
        query_params: Any,
        header_params: Any,
        body: Any,
        post_params: Any,
        files: Any,
        response_type: Optional[str],
        auth_settings: Any,
        _return_http_data_only: Optional[bool],
        _request_timeout: Any,
    ) -> Any:
        headers = dict(self.default_headers)
        if header_params:
            headers.update(header_params)
        if self.cookie:
            headers["Cookie"] = self.cookie
        if path_params:
            for name, value in path_params.items():
                resource_path = resource_path.replace("{%s}" % name, quote(self.to_path_value(value), safe=""))
        query = (
            [
                (k, self.to_path_value(v))
                for k, v in (query_params.items() if isinstance(query_params, dict) else query_params)
            ]
            if query_params
            else []
        )
        if post_params or files:
            post_params = self.prepare_post_parameters(post_params, files)
        self.update_params_for_auth(headers, query, auth_settings)
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = dumps(body)
        response = self.request(
            method,
            self.host + resource_path,
            query_params=query,
            headers=headers,
            post_params=post_params,
            body=body,
            _request_timeout=_request_timeout,
        )
        self.last_response = response
        data = self.deserialize(response, response_type) if response_type else None
        if _return_http_data_only:
            return data
        return data, response.status, response.getheaders()

    def request(
        self,
        method: str,
        url: str,
        query_params: Any = None,
        headers: Any = None,
        post_params: Any = None,
        body: Any = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
    ) -> RESTResponse:
        """Dispatch to the transport."""
        return self.rest_client.request(
            method,
            url,
            query_params=query_params,
            headers=headers,
            post_params=post_params,
            body=body,
            _request_timeout=_request_timeout,
        )

    def update_params_for_auth(
        self,
        headers: Dict[str, str],
        querys: List[Tuple[str, str]],
        auth_settings: Optional[List[str]],
    ) -> None:
        """Add the configured credentials for each named auth setting; MissingCredentialsError
        (nothing is sent) when ``basic`` is asked for and the key or the secret is empty."""
        if auth_settings and "basic" in auth_settings:
            missing = self.config.missing_credentials()
            if missing:
                raise MissingCredentialsError(missing)
        settings = self.config.auth_settings()
        for name in auth_settings or []:
            auth = settings.get(name)
            if not auth or not auth["value"]:
                continue
            if auth["in"] == "header":
                headers[auth["key"]] = auth["value"]
            elif auth["in"] == "query":
                querys.append((auth["key"], auth["value"]))
            else:
                raise ValueError("Authentication token must be in `query` or `header`")

    # -- generated helpers ---------------------------------------------------------------------
    @staticmethod
    def to_path_value(obj: Any) -> str:
        """``obj`` as it goes into a URL path or query: a list comma-joined, else ``str(obj)``."""
        return ",".join(str(v) for v in obj) if isinstance(obj, list) else str(obj)

    @staticmethod
    def select_header_accept(accepts: Optional[List[str]]) -> Optional[str]:
        """The Accept header for ``accepts``: JSON if listed, else all of them; None for none."""
        if not accepts:
            return None
        lowered = [a.lower() for a in accepts]
        return "application/json" if "application/json" in lowered else ", ".join(lowered)

    @staticmethod
    def select_header_content_type(content_types: Optional[List[str]]) -> str:
        """The Content-Type for ``content_types``: JSON if listed (or none given), else the first."""
        if not content_types:
            return "application/json"
        lowered = [c.lower() for c in content_types]
        return "application/json" if "application/json" in lowered else lowered[0]

    @staticmethod
    def prepare_post_parameters(post_params: Any = None, files: Any = None) -> List[Tuple[str, Any]]:
        """Form fields: ``post_params`` then, for each file path in ``files``, a
        ``(name, (filename, content, mimetype))`` field read from disk."""
        params = list(post_params.items() if isinstance(post_params, dict) else post_params or [])
        for name, paths in (files or {}).items():
            for path in paths if isinstance(paths, list) else [paths]:
                if path:
                    import mimetypes

                    with open(path, "rb") as handle:
                        filename = os.path.basename(handle.name)
                        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
                        params.append((name, (filename, handle.read(), mimetype)))
        return params

    # -- deserialization (unused by EventsApi, kept for generated-client users) ------------------
    def deserialize(self, response: Any, response_type: str) -> Any:
        """Convert a response body to ``response_type`` (a swagger type string)."""
        try:
            data = json.loads(response.data)
        except ValueError:
            data = response.data
        return self._deserialize(data, response_type)

    def _deserialize(self, data: Any, klass: Union[str, FieldType]) -> Any:
        if data is None:
            return None
        field_type = parse_type(klass) if isinstance(klass, str) else klass
        kind = field_type.kind
        if kind == "list":
            return [self._deserialize(item, field_type.value_type) for item in data]
        if kind == "map":
            return {k: self._deserialize(v, field_type.value_type) for k, v in data.items()}
        if kind == "dict":
            return dict(data)
        if kind == "date":
            return _parse_date(data, field_type.text)
        if kind == "object":
            return data
        native = self.NATIVE_TYPES_MAPPING.get(field_type.text)  # "native", or a name a subclass added
        if native is not None:
            return _coerce(native, data)
        return self._deserialize_model(data, field_type.model)

    def _deserialize_model(self, data: Any, model: Any) -> Any:
        values = {f.name: self._deserialize(data[f.key], f.field_type) for f in model.fields if f.key in data}
        instance = model._blank()
        for name, value in values.items():
            setattr(instance, name, value)
        return instance


def _parse_date(text: Any, type_name: str) -> Any:
    """``text`` as a ``datetime`` (or a ``date`` for ``type_name`` "date"), else ApiException."""
    from dateutil import parser as date_parser

    try:
        parsed = date_parser.parse(text)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ApiException(0, f"Failed to parse `{text}` into a {type_name} object") from exc
    return parsed.date() if type_name == "date" else parsed


def _coerce(native: Any, data: Any) -> Any:
    """``native(data)``, or ``data`` unchanged when it does not convert (as the original did)."""
    try:
        return native(data)
    except (TypeError, ValueError):
        return data
