"""Configuration: credentials, host and pods, TLS, pool, proxy, timeouts, retries and limits.

Creating a Configuration has no global side effects. Credentials and host fall back to the
``MPARTICLE_API_KEY``, ``MPARTICLE_API_SECRET`` and ``MPARTICLE_HOST`` environment variables.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from mparticle.limits import LIMITS
from mparticle.retry import RetryPolicy, seconds_setting
from mparticle.version import __version__

if TYPE_CHECKING:
    from mparticle.api_client import ApiClient

__all__ = ["Configuration", "PODS", "DEFAULT_HOST", "check_base_url", "loggable", "redact_url"]

DEFAULT_HOST = "https://s2s.mparticle.com/v2"

_USERINFO = re.compile(r"(?:(?<=://)|^)[^/?#\s]*@")


def redact_url(text: str) -> str:
    """``text`` with the ``user:password@`` part of any URL in it replaced by ``***@``."""
    return _USERINFO.sub("***@", text)


def check_base_url(value: Any, name: str = "host") -> str:
    """``value`` if it is an absolute ``http://`` or ``https://`` URL, else ValueError naming
    ``name``. A URL without a scheme is refused rather than sent over plain HTTP."""
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        valid = parts is not None and parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 literal
        valid = False
    if not valid:
        shown = redact_url(value) if isinstance(value, str) else value
        raise ValueError(
            f"Invalid value for `{name}` ({shown!r}): expected an absolute URL with its scheme, "
            f"such as {DEFAULT_HOST!r} or 'http://localhost:8080/v2'"
        )
    return value  # type: ignore[no-any-return]


def loggable(url: str) -> str:
    """``url`` as it may be logged (credentials redacted)."""
    return redact_url(url) if "@" in url else url

#: Regional data centres (pods) and their Events API base URLs.
PODS: Dict[str, str] = {
    "us1": "https://s2s.us1.mparticle.com/v2",
    "us2": "https://s2s.us2.mparticle.com/v2",
    "eu1": "https://s2s.eu1.mparticle.com/v2",
    "au1": "https://s2s.au1.mparticle.com/v2",
}

LOGGER_NAME = "mparticle"
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


class _NotGiven:
    """The default of a keyword whose every value means something (``timeout``: None is no limit)."""

    def __repr__(self) -> str:
        return "<not given>"


_NOT_GIVEN: Any = _NotGiven()
DEFAULT_LOGGER_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_DEFAULT_RETRIES = RetryPolicy()


class Configuration:
    """Settings for one EventsApi/ApiClient. Every setting is also an attribute, which can be
    assigned after creation.

    ``Configuration()`` keeps the original's no-argument form; the settings can also be given
    as keyword arguments, e.g. ``Configuration(api_key="k", api_secret="s", pod="eu1")``, each
    checked as its attribute's setter checks it. ``None`` for ``host``, ``api_key`` and
    ``api_secret`` means "not given": ``$MPARTICLE_HOST`` (else :data:`DEFAULT_HOST`),
    ``$MPARTICLE_API_KEY`` and ``$MPARTICLE_API_SECRET`` (else empty). ``pod`` wins over
    ``host``, and ``timeout`` over ``connect_timeout``/``read_timeout``, when both are given.
    """

    def __init__(
        self,
        *,
        host: Optional[str] = None,
        pod: Optional[str] = None,
        api_key: Optional[str] = None,
        api_secret: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_headers: Optional[Dict[str, str]] = None,
        verify_ssl: bool = True,
        ssl_ca_cert: Optional[str] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        connection_pool_size: int = 1,
        connect_timeout: Optional[float] = 3.0,
        read_timeout: Optional[float] = 5.0,
        timeout: Union[None, float, Tuple[Optional[float], Optional[float]]] = _NOT_GIVEN,
        retries: Union[RetryPolicy, int, bool, None] = _DEFAULT_RETRIES,
        max_batches_per_request: int = LIMITS.max_batches_per_request,
        max_request_bytes: int = LIMITS.max_request_bytes,
        max_batch_bytes: int = LIMITS.max_batch_bytes,
        debug: bool = False,
        logger_file: Optional[str] = None,
        logger_format: str = DEFAULT_LOGGER_FORMAT,
        logger_formatter: Optional[logging.Formatter] = None,
        logger_stream_handler: Optional[logging.Handler] = None,
        logger_file_handler: Optional[logging.Handler] = None,
        logger: Optional[Dict[str, logging.Logger]] = None,
        api_client: Optional["ApiClient"] = None,
        temp_folder_path: Optional[str] = None,
        api_key_store: Optional[Dict[str, str]] = None,
        api_key_prefix: Optional[Dict[str, str]] = None,
    ) -> None:
        if host is None:
            host = os.environ.get("MPARTICLE_HOST") or DEFAULT_HOST
        self._host = check_base_url(host, "host")
        if pod is not None:
            self.pod = pod
        self.api_client: Any = api_client
        self.temp_folder_path = temp_folder_path
        self.api_key_store: Dict[str, str] = {} if api_key_store is None else api_key_store
        self.api_key_prefix: Dict[str, str] = {} if api_key_prefix is None else api_key_prefix
        self.api_key: str = os.environ.get("MPARTICLE_API_KEY", "") if api_key is None else api_key
        self.api_secret: str = os.environ.get("MPARTICLE_API_SECRET", "") if api_secret is None else api_secret
        self.logger: Dict[str, logging.Logger] = logger if logger is not None else {
            "package_logger": logging.getLogger(LOGGER_NAME),
            "urllib3_logger": logging.getLogger("urllib3"),
        }
        self._logger_format = logger_format
        self.logger_formatter: logging.Formatter = logger_formatter or logging.Formatter(logger_format)
        self.logger_stream_handler: Optional[logging.Handler] = logger_stream_handler
        self.logger_file_handler: Optional[logging.Handler] = logger_file_handler
        self._logger_file: Optional[str] = None
        if logger_file is not None:
            self.logger_file = logger_file
        self._debug = False
        if debug:
            self.debug = debug
        # TLS and connection pool
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.cert_file = cert_file
        self.key_file = key_file
        self.connection_pool_size = connection_pool_size
        # Beyond the original: proxy, timeouts, retries and service limits
        self.proxy = proxy
        self.proxy_headers = proxy_headers
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        if timeout is not _NOT_GIVEN:
            self.timeout = timeout
        self.retries = retries
        self.max_batches_per_request = max_batches_per_request
        self.max_request_bytes = max_request_bytes
        self.max_batch_bytes = max_batch_bytes

    def __repr__(self) -> str:
        return "Configuration(host={0!r}, api_key={1}, api_secret={2})".format(
            redact_url(self.host),
            "<set>" if self.api_key else "<empty>",
            "<set>" if self.api_secret else "<empty>",
        )

    # -- host and pods ----------------------------------------------------------------------
    @property
    def host(self) -> str:
        """The Events API base URL; must be an absolute ``http(s)://`` URL (ValueError otherwise)."""
        return self._host

    @host.setter
    def host(self, value: str) -> None:
        self._host = check_base_url(value, "host")

    @property
    def proxy(self) -> Optional[str]:
        """The ``http(s)://`` URL of an HTTP proxy, or None. Credentials in it are never logged."""
        return self._proxy

    @proxy.setter
    def proxy(self, value: Optional[str]) -> None:
        self._proxy = None if value is None or value == "" else check_base_url(value, "proxy")

    @property
    def pod(self) -> Optional[str]:
        """The regional pod of ``host`` (us1, us2, eu1, au1), or None for a custom host."""
        if self.host == DEFAULT_HOST:
            return "us1"
        for name, url in PODS.items():
            if self.host == url:
                return name
        return None

    @pod.setter
    def pod(self, name: str) -> None:
        key = (name or "").lower()
        if key not in PODS:
            raise ValueError(f"Invalid value for `pod` ({name}), must be one of {list(PODS)}")
        self.host = PODS[key]

    # -- retries and timeouts ---------------------------------------------------------------
    @property
    def retries(self) -> RetryPolicy:
        """The RetryPolicy; assign a policy, a retry count, or None/False to switch retries off."""
        return self._retries

    @retries.setter
    def retries(self, value: Union[RetryPolicy, int, bool, None]) -> None:
        self._retries = RetryPolicy.coerce(value)

    @property
    def connect_timeout(self) -> float:
        """Seconds to wait for a connection (and for sending the request) per attempt.
        ``None`` or ``float('inf')``: no limit (read back as ``inf``)."""
        return self._connect_timeout

    @connect_timeout.setter
    def connect_timeout(self, value: Optional[float]) -> None:
        self._connect_timeout = seconds_setting("connect_timeout", value)

    @property
    def read_timeout(self) -> float:
        """Seconds to wait for each read of the response per attempt. ``None`` or
        ``float('inf')``: no limit. Each attempt also ends ``connect_timeout + read_timeout``
        seconds after it started, however the server trickles its answer."""
        return self._read_timeout

    @read_timeout.setter
    def read_timeout(self, value: Optional[float]) -> None:
        self._read_timeout = seconds_setting("read_timeout", value)

    @property
    def timeout(self) -> Tuple[float, float]:
        """(connect, read) timeouts in seconds for each attempt."""
        return (self.connect_timeout, self.read_timeout)

    @timeout.setter
    def timeout(self, value: Union[None, float, Tuple[Optional[float], Optional[float]]]) -> None:
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(
                    f"Invalid value for `timeout` ({value!r}): expected seconds or a (connect, read) tuple"
                )
            connect, read = (seconds_setting("timeout", v) for v in value)
        else:
            connect = read = seconds_setting("timeout", value)
        self._connect_timeout, self._read_timeout = connect, read

    # -- logging (explicit opt-in only; nothing is configured at import) ---------------------
    @property
    def logger_format(self) -> str:
        """Format of the handlers this Configuration adds (debug and logger_file)."""
        return self._logger_format

    @logger_format.setter
    def logger_format(self, value: str) -> None:
        self._logger_format = value
        self.logger_formatter = logging.Formatter(value)
        for handler in (self.logger_stream_handler, self.logger_file_handler):
            if handler is not None:
                handler.setFormatter(self.logger_formatter)

    @property
    def logger_file(self) -> Optional[str]:
        """Path of a log file for the ``mparticle`` logger (None removes it); with ``debug`` on,
        this Configuration's traffic goes there instead of stderr."""
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: Optional[str]) -> None:
        package_logger = self.logger["package_logger"]
        if self.logger_file_handler is not None:
            package_logger.removeHandler(self.logger_file_handler)
            self.logger_file_handler.close()
            self.logger_file_handler = None
        self._logger_file = value
        if value:
            handler = logging.FileHandler(value)
            handler.setFormatter(self.logger_formatter)
            package_logger.addHandler(handler)
            self.logger_file_handler = handler

    @property
    def debug(self) -> bool:
        """True logs this Configuration's HTTP traffic at DEBUG to stderr (method, URL, status,
        request and response bodies cut to 2,000 characters, retries), or to ``logger_file``
        when one is set; never the Authorization header or the credentials.

        Per Configuration: the lines come from its own handler (``logger_stream_handler``),
        which is attached to no logger, so other clients' traffic is not shown, two debug
        Configurations do not print each line twice, and no logger's level or handlers change.
        The same records also reach the ``mparticle.rest`` logger whenever the application
        enabled DEBUG there with standard :mod:`logging`.
        """
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        if value and self.logger_stream_handler is None:
            handler = logging.StreamHandler()  # stderr; attached to no logger (see mparticle.transport.traffic)
            handler.setFormatter(self.logger_formatter)
            self.logger_stream_handler = handler
        elif not value and self.logger_stream_handler is not None:
            self.logger_stream_handler.close()
            self.logger_stream_handler = None

    # -- auth -------------------------------------------------------------------------------
    def get_api_key_with_prefix(self, identifier: str) -> Optional[str]:
        """The generated client's key lookup: ``"<prefix> <key>"``, the key, or None."""
        key = self.api_key_store.get(identifier)
        prefix = self.api_key_prefix.get(identifier)
        if key and prefix:
            return f"{prefix} {key}"
        return key or None

    def missing_credentials(self) -> List[str]:
        """The names of the credentials that are empty (or blank): ``[]``, ``["api_secret"]``, ..."""
        return [name for name in ("api_key", "api_secret") if not (getattr(self, name) or "").strip()]

    def get_basic_auth_token(self) -> str:
        """``Basic base64(api_key:api_secret)`` (UTF-8)."""
        credentials = (self.api_key or "", self.api_secret or "")
        cached = self.__dict__.get("_auth_cache")
        if cached is None or cached[0] != credentials:
            token = "Basic " + base64.b64encode("{0}:{1}".format(*credentials).encode("utf-8")).decode("ascii")
            cached = self.__dict__["_auth_cache"] = (credentials, token)
        return cached[1]

    def auth_settings(self) -> Dict[str, Dict[str, str]]:
        """The auth header, recomputed on each call so credential changes take effect."""
        return {
            "basic": {
                "type": "basic",
                "in": "header",
                "key": "Authorization",
                "value": self.get_basic_auth_token(),
            }
        }

    def to_debug_report(self) -> str:
        """Platform and version facts for bug reports (no credentials)."""
        return (
            f"Python SDK Debug Report:\nOS: {sys.platform}\nPython Version: {sys.version}\n"
            f"Version of the API: 2\nSDK Package Version: {__version__}"
        )
