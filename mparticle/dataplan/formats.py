"""Ajv 6's "fast" formats and JS regular expressions, for the schema backends.

DPN checks ``format`` with Ajv 6's fast regexes (no range checks: ``2020-02-30T29:00:00Z``
is a date-time, ``a@b`` an email) and ``pattern`` as a JS ``RegExp`` without the ``u`` flag.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Callable, Dict, Pattern

#: JS ``\s``: Unicode white space (it includes U+FEFF), written out for Python's ``re.ASCII``.
JS_SPACE = "\\t\\n\\v\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"

_I = re.IGNORECASE | re.ASCII
_FAST: Dict[str, Pattern[str]] = {
    "date": re.compile(r"^\d\d\d\d-[0-1]\d-[0-3]\d\Z", re.ASCII),
    "time": re.compile(r"^(?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)(?:\.\d+)?(?:z|[+-]\d\d(?::?\d\d)?)?\Z", _I),
    "date-time": re.compile(
        r"^\d\d\d\d-[0-1]\d-[0-3]\d[t" + JS_SPACE + r"](?:[0-2]\d:[0-5]\d:[0-5]\d|23:59:60)(?:\.\d+)?"
        r"(?:z|[+-]\d\d(?::?\d\d)?)\Z",
        _I,
    ),
    "uri": re.compile(r"^(?:[a-z][a-z0-9+\-.]*:)(?:\/?\/)?[^" + JS_SPACE + r"]*\Z", _I),
    "uri-reference": re.compile(
        r"^(?:(?:[a-z][a-z0-9+\-.]*:)?\/?\/)?(?:[^\\"
        + JS_SPACE
        + r"#][^"
        + JS_SPACE
        + r"#]*)?(?:#[^\\"
        + JS_SPACE
        + r"]*)?\Z",
        _I,
    ),
    "email": re.compile(
        r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
        r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\Z",
        _I,
    ),
    "hostname": re.compile(
        r"^(?=.{1,253}\.?\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?\Z", _I
    ),
    "ipv4": re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\Z", re.ASCII),
    "uuid": re.compile(r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\Z", _I),
    "json-pointer": re.compile(r"^(?:\/(?:[^~/]|~0|~1)*)*\Z"),
    "json-pointer-uri-fragment": re.compile(r"^#(?:\/(?:[a-z0-9_\-.!$&'()*+,;:=@]|%[0-9a-f]{2}|~0|~1)*)*\Z", _I),
    "relative-json-pointer": re.compile(r"^(?:0|[1-9][0-9]*)(?:#|(?:\/(?:[^~/]|~0|~1)*)*)\Z", re.ASCII),
    "uri-template": re.compile(r"^(?:[^{}]|\{[+#./;?&=,!@|]?[a-z0-9_%.*:,]+\})*\Z", _I),
    "url": re.compile(r"^(?:https?|ftp):\/\/[^" + JS_SPACE + r"/?#]+[^" + JS_SPACE + r"]*\Z", _I),
}

#: Formats whose check here is an approximation of Ajv's (documented in docs/DataPlans.md).
APPROXIMATE_FORMATS = frozenset({"uri-template", "url", "ipv6", "regex"})


def _ipv6(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value.strip(JS_SPACE_CHARS))
    except ValueError:
        return False
    return True


def _regex(value: str) -> bool:
    try:
        compile_js_regex(value)
    except re.error:
        return False
    return True


JS_SPACE_CHARS = (
    "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def format_checkers() -> Dict[str, Callable[[str], bool]]:
    """One check per Ajv 6 format name: ``check(text) -> bool``."""
    checkers: Dict[str, Callable[[str], bool]] = {name: _searcher(p) for name, p in _FAST.items()}
    checkers["ipv6"] = _ipv6
    checkers["regex"] = _regex
    return checkers


def _searcher(pattern: Pattern[str]) -> Callable[[str], bool]:
    search = pattern.search
    return lambda value: search(value) is not None


#: The format names Ajv 6 knows; any other makes DPN throw ("unknown format").
KNOWN_FORMATS = frozenset(format_checkers())


def js_regex_to_python(source: str) -> str:
    """A JS ``RegExp`` source (no flags) as a Python ``re`` pattern to compile with ``re.ASCII``.

    ``$`` means the end of the text, ``\\s`` is Unicode white space, ``\\d``/``\\w`` are ASCII,
    ``\\p`` is a plain ``p`` and ``(?<name>`` a named group.
    """
    out = []
    i, n, in_class = 0, len(source), False
    while i < n:
        char = source[i]
        if char == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt == "s":
                out.append(JS_SPACE if in_class else "[" + JS_SPACE + "]")
            elif nxt == "S" and not in_class:
                out.append("[^" + JS_SPACE + "]")
            elif nxt in "pP":
                out.append(nxt)
            else:
                out.append(source[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                char = "\\["
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if source.startswith("^", i + 1):
                out.append("^")
                i += 1
            if source.startswith("]", i + 1):  # JS: "[]" matches nothing, "[^]" anything
                out.append("\\]")
                i += 1
        elif char == "$":
            out.append("\\Z")
        elif char == "(" and source.startswith("(?<", i) and not source.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def compile_js_regex(source: str) -> Pattern[str]:
    """``source`` compiled with JS semantics (see :func:`js_regex_to_python`); ``re.error`` if invalid."""
    if "(?" in source and re.search(r"\(\?[a-zA-Z]", source):
        raise re.error("inline flags are not JavaScript: %s" % source)
    return re.compile(js_regex_to_python(source), re.ASCII)
