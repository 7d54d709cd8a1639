"""What one client logs of its HTTP traffic: method, URL, status, bodies (cut to
:data:`MAX_LOGGED_BODY` characters), failures and retries, at DEBUG, never a credential.

A record goes to the ``mparticle.rest`` logger when the application enabled DEBUG there
(standard :mod:`logging`), and to its own Configuration's handler when that Configuration has
``debug = True`` (a handler attached to no logger: one client's debug flag shows that client's
traffic only, and changes no logger's level or handlers). Nothing is formatted when neither
wants it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable, Optional

from mparticle.configuration import loggable

__all__ = ["MAX_LOGGED_BODY", "Redact", "TrafficLog", "logger"]

logger: logging.Logger = logging.getLogger("mparticle.rest")

#: Most characters of a request or response body shown in a log line.
MAX_LOGGED_BODY = 2000


#: JSON members whose string values are credentials (OAuth bodies): shown as ``"<redacted>"``
#: (to the end of the text when the string is cut).
_CREDENTIAL_MEMBERS = re.compile(r'("(?:access_token|refresh_token|id_token|client_secret)"\s*:\s*")(?:[^"\\]|\\.)*"?')

#: Extra values a log must never show (read at each logged line), e.g. an OAuth secret and token.
Redact = Callable[[], Iterable[str]]


def _nothing() -> Iterable[str]:
    return ()


class TrafficLog:
    """The traffic log of the client of one ``config`` (read at each call: ``debug`` and the
    credentials may change). ``redact`` names further values to hide (shown as ``<redacted>``)."""

    def __init__(self, config: Any, redact: Redact = _nothing) -> None:
        self.config = config
        self.redact = redact

    def enabled(self) -> bool:
        """Whether anything would be logged (checked before any formatting)."""
        return bool(getattr(self.config, "debug", False)) or logger.isEnabledFor(logging.DEBUG)

    def request(self, method: str, url: str, headers: Any, body: Optional[bytes]) -> None:
        """Log a request about to be sent: method, URL (credentials redacted) and its body."""
        self._emit("%s %s%s", method, loggable(url), self._body(body, headers))

    def response(self, method: str, url: str, status: int, elapsed_ms: float, data: str, truncated: bool) -> None:
        """Log a response: its status, how long it took and its body."""
        self._emit("%s %s -> %d in %.1f ms%s", method, loggable(url), status, elapsed_ms, self._text(data, truncated))

    def failure(self, method: str, url: str, reason: Any) -> None:
        """Log an attempt that got no response (network, TLS or deadline), with the reason."""
        self._emit("%s %s failed: %s", method, loggable(url), self._scrub(str(reason)))

    def retry(self, method: str, url: str, status: str, number: int, delay: float) -> None:
        """Log a retry: what failed, the retry's number and the wait before it."""
        self._emit("%s %s: %s; retry %d in %.2f s", method, loggable(url), status, number, delay)

    # -- formatting ----------------------------------------------------------------------------
    def _body(self, body: Optional[bytes], headers: Any) -> str:
        if not body:
            return ""
        encoding = (headers or {}).get("Content-Encoding")
        if encoding:
            return f" ({len(body):,} bytes, {encoding})"
        return self._text(body.decode("utf-8", "replace"), False, len(body))

    def _text(self, text: str, truncated: bool, size: Optional[int] = None) -> str:
        if not text:
            return ""
        text = self._scrub(text)  # before the cut, which could split a secret
        shown = text[:MAX_LOGGED_BODY]
        more = len(text) - MAX_LOGGED_BODY
        if more > 0:
            shown += f"... ({more:,} more characters)"
        elif truncated:
            shown += "... (cut at the response size limit)"
        head = f" ({size:,} bytes)" if size is not None else ""
        return f"{head}: {shown}"

    def _scrub(self, text: str) -> str:
        """``text`` without the secret, the Basic token, the values of credential members of JSON
        (``access_token``, ``client_secret``, ...) or the values ``redact`` names."""
        secret = getattr(self.config, "api_secret", None)
        if secret and secret in text:
            text = text.replace(secret, "<api_secret>")
        token = _token(self.config)
        if token and token in text:
            text = text.replace(token, "<credentials>")
        if "_secret" in text or "_token" in text:
            text = _CREDENTIAL_MEMBERS.sub(r'\1<redacted>"', text)
        for value in self.redact():
            if value and value in text:
                text = text.replace(value, "<redacted>")
        return text

    def _emit(self, message: str, *args: Any) -> None:
        """One DEBUG record: to the logger if DEBUG is enabled there, to this client's debug
        handler if its Configuration has ``debug`` on (each handler gets it at most once)."""
        config = self.config
        to_logger = logger.isEnabledFor(logging.DEBUG)
        sink = _debug_handler(config)
        if not to_logger and sink is None:
            return
        record = logger.makeRecord(logger.name, logging.DEBUG, __file__, 0, message, args, None)
        if to_logger:
            logger.handle(record)
            if sink is not None and sink is getattr(config, "logger_file_handler", None):
                return  # the file handler sits on the package logger: it has the record already
        if sink is not None:
            sink.handle(record)


def _debug_handler(config: Any) -> Optional[logging.Handler]:
    """Where ``config``'s debug records go: its log file if it has one, else its stderr handler."""
    if not getattr(config, "debug", False):
        return None
    file_handler = getattr(config, "logger_file_handler", None)
    return file_handler if file_handler is not None else getattr(config, "logger_stream_handler", None)


def _token(config: Any) -> str:
    """The base64 part of the Basic token, when there are credentials."""
    if not (getattr(config, "api_key", None) or getattr(config, "api_secret", None)):
        return ""
    try:
        return str(config.get_basic_auth_token()).split(" ", 1)[-1]
    except Exception:  # noqa: BLE001 - a log line never fails a request
        return ""
