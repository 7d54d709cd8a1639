"""Value checks of model fields: enums, UUIDs, flat attribute bags, JSON-safe dict keys.

A check is a ``Validator``, ``check(model, value) -> value`` raising ValueError; most carry a
``fast_path`` (see :func:`_with_fast_path`) that a generated ``__init__`` tests inline first.
The error-message helpers (:func:`safe_text`, :func:`collision_message`) are shared with
:mod:`mparticle.serialization`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

Validator = Callable[[Any, Any], Any]


def enum_check(name: str, allowed: Sequence[str]) -> Validator:
    """A validator accepting only ``allowed`` (None means unset and is always accepted)."""
    allowed_set = frozenset(allowed)
    allowed_list = list(allowed)

    def check(obj: Any, value: Any) -> Any:
        try:
            allowed = value in allowed_set
        except TypeError:  # unhashable (a list, a dict): not one of the allowed strings
            allowed = False
        if not allowed:
            raise ValueError(f"Invalid value for `{name}` ({safe_text(value)}), must be one of {allowed_list}")
        return value

    return _with_fast_path(check, "{v}.__class__ is str and {v} in {ns}", allowed_set)


def uuid_check(name: str) -> Validator:
    """A validator accepting UUID strings (any form ``uuid.UUID`` parses)."""

    def check(obj: Any, value: Any) -> Any:
        error = validate_uuid(value)
        if error is not None:
            raise ValueError(f'Error: "{error}", while setting {name} with value: {safe_text(value)}')
        return value

    return _with_fast_path(check, "{v}.__class__ is str and {ns}({v})", _CANONICAL_UUID)


#: The 8-4-4-4-12 hex form of a UUID: the Events API schema's ``Uuid`` pattern (no braces, no
#: ``urn:``, hyphens required). The one definition: the setters' fast path and validation use it.
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_CANONICAL_UUID = UUID_PATTERN.match


def validate_uuid(value: Any) -> Optional[ValueError]:
    """Return None for None or a parseable UUID string, else the ValueError describing why not."""
    if value is None:
        return None
    if not isinstance(value, str):
        return ValueError(f"expected a UUID string, got {type(value).__name__}")
    if _CANONICAL_UUID(value):  # the usual 8-4-4-4-12 form, without building a UUID object
        return None
    import uuid

    try:
        uuid.UUID(value)
    except ValueError as error:
        return error
    return None


ATTRIBUTE_VALUE_TYPES = (str, int, float, bool)
_FLAT_TYPES = frozenset((str, int, float, bool, type(None)))
_STR_ONLY = frozenset((str,))


def safe_text(value: Any, text: Callable[[Any], str] = str) -> str:
    """``text(value)`` for an error message, or a short stand-in when that raises (a broken
    ``__repr__``, nesting deeper than the interpreter allows, an int too long to print)."""
    try:
        return text(value)
    except Exception:  # noqa: BLE001 - any failure of user code: the message must still be built
        if isinstance(value, dict):  # show the keys, and which values could not be shown
            shown = [f"{_stand_in(k)}: {_stand_in(v)}" for k, v in itertools.islice(value.items(), 20)]
            return "{" + ", ".join(shown) + (", ..." if len(value) > 20 else "") + "}"
        return _stand_in(value)


def _stand_in(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - see safe_text
        return f"<{type(value).__name__} object>"


def json_key(key: Any) -> Optional[str]:
    """The member name JSON gives dict key ``key`` (None for keys JSON cannot carry).

    Raises ValueError for an int too long to convert to a string."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, float):
        return float.__repr__(key)
    if isinstance(key, int):
        return int.__repr__(key)
    return None


def colliding_keys(mapping: Any) -> Optional[Tuple[Any, Any, str]]:
    """Two keys of ``mapping`` that JSON would send under one name (``1`` and ``"1"``), with
    that name; None when all keys are distinct on the wire (always for str keys)."""
    if _STR_ONLY.issuperset(map(type, mapping)):  # the common case, checked in C
        return None
    seen: Dict[str, Any] = {}
    for key in mapping:
        try:
            name = json_key(key)
        except ValueError:  # an int too long to send: reported by serialization
            continue
        if name is None:
            continue
        if name in seen:
            return seen[name], key, name
        seen[name] = key
    return None


def collision_message(where: str, collision: Tuple[Any, Any, str]) -> str:
    """The ValueError text for two keys of ``where`` that JSON would send under one name."""
    first, second, name = collision
    return (
        f"{where}: keys {safe_text(first, repr)} and {safe_text(second, repr)} "
        f"would both be sent as {name!r} (use distinct string keys)"
    )


def bag_values_valid(bag: Any) -> bool:
    """True when ``bag`` is None or a dict whose values are all None, str, int, float or bool."""
    if bag is None:
        return True
    if not isinstance(bag, dict):
        return False
    if _FLAT_TYPES.issuperset(map(type, bag.values())):  # the common case, checked in C
        return True
    return all(v is None or isinstance(v, ATTRIBUTE_VALUE_TYPES) for v in bag.values())


def attribute_bag_check(obj: Any, value: Any) -> Any:
    """Validator for event ``custom_attributes``: flat values only, as the Events API requires,
    and keys JSON sends under distinct names (:func:`attribute_values_check`, then
    :func:`attribute_keys_check`)."""
    return attribute_keys_check(obj, attribute_values_check(obj, value))


def attribute_values_check(obj: Any, value: Any) -> Any:
    """The values half of :func:`attribute_bag_check` (what the original's setters checked)."""
    if not bag_values_valid(value):
        raise ValueError(f"Invalid custom_attributes passed to {type(obj).__name__}: {safe_text(value)}")
    return value


def attribute_keys_check(obj: Any, value: Any) -> Any:
    """The keys half of :func:`attribute_bag_check`: no two keys sent under one JSON name."""
    collision = colliding_keys(value) if isinstance(value, dict) else None
    if collision is not None:
        raise ValueError(collision_message(f"Invalid custom_attributes passed to {type(obj).__name__}", collision))
    return value


def _keys_check(name: str, any_value: bool) -> Validator:
    """For dict-typed fields (and ``object`` fields holding a dict): a dict whose keys JSON
    would send under one name is refused."""

    def check(obj: Any, value: Any) -> Any:
        if not isinstance(value, dict):
            if any_value:
                return value
            raise ValueError(
                f"Invalid value for `{name}` ({safe_text(value, repr)}): expected a dict, got {type(value).__name__}"
            )
        collision = colliding_keys(value)
        if collision is not None:
            raise ValueError(collision_message(f"Invalid value for `{name}`", collision))
        return value

    return _with_fast_path(check, "{v}.__class__ is dict and {ns}.issuperset(map(type, {v}))", _STR_ONLY)


def _with_fast_path(check: Validator, test: str, data: Any) -> Validator:
    """Attach an inline test (a Python expression over ``{v}`` and ``{ns}``) that the generated
    ``__init__`` evaluates first: a value passing it is valid without a call to ``check``."""
    check.fast_path = (test, data)  # type: ignore[attr-defined]
    return check


_with_fast_path(
    attribute_values_check, "{v}.__class__ is dict and {ns}.issuperset(map(type, {v}.values()))", _FLAT_TYPES
)
_with_fast_path(attribute_keys_check, "{v}.__class__ is dict and {ns}.issuperset(map(type, {v}))", _STR_ONLY)
_with_fast_path(
    attribute_bag_check,
    "{v}.__class__ is dict and {ns}[0].issuperset(map(type, {v}.values())) and {ns}[1].issuperset(map(type, {v}))",
    (_FLAT_TYPES, _STR_ONLY),
)
