"""URL checks shared by the settings and the transport: absolute http(s) base URLs only, and
credentials redacted wherever a URL is shown."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = ["DEFAULT_HOST", "check_base_url", "loggable", "redact_url"]

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
