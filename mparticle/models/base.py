"""The declarative model base: every model lists its fields once, the rest is derived.

A model is a subclass of :class:`Model` with a ``fields`` tuple of :class:`Field` objects in
serialization (``swagger_types``) order. From that one list the base derives the
generated-style surface of the original SDK (``swagger_types``, ``attribute_map``, a real
``__init__`` with the original positional order, validating properties), plus ``to_dict``,
``to_str``, ``__repr__``, ``__eq__`` and the wire form used by :mod:`mparticle.serialization`.

A model *is* its JSON object: Model subclasses dict, holding only the set fields, by JSON
key, in declaration order. The C JSON encoder therefore serializes a model graph at the
speed of plain dicts, with no Python call per model or per field.
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple

Validator = Callable[[Any, Any], Any]

#: Every model class by name, used to resolve type strings such as ``'list[Product]'``.
registry: Dict[str, "type[Model]"] = {}


class Field:
    """One declared field: attribute name, swagger type string, JSON key and checks."""

    __slots__ = ("name", "type", "key", "enum", "check", "default", "factory", "required", "doc")

    def __init__(
        self,
        name: str,
        type: str = "str",
        *,
        key: Optional[str] = None,
        enum: Optional[Sequence[str]] = None,
        check: Optional[Validator] = None,
        default: Any = None,
        factory: Optional[Callable[[], Any]] = None,
        required: Optional[str] = None,
        doc: str = "",
    ) -> None:
        self.name = name
        self.type = type
        self.key = key or name
        self.enum = list(enum) if enum is not None else None
        self.check = check
        self.default = default
        self.factory = factory
        self.required = required  # the ValueError message when a constructor gets None
        self.doc = doc

    def validator(self) -> Optional[Validator]:
        """The combined check for this field, or None when any value is accepted."""
        checks: List[Validator] = []
        if self.enum is not None:
            checks.append(enum_check(self.name, self.enum))
        if self.check is not None:  # a custom check also owns the value's structure
            checks.append(self.check)
        else:
            structure_check = _structure_check(self.name, self.type)
            if structure_check is not None:
                checks.append(structure_check)
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]

        def run_all(obj: Any, value: Any) -> Any:
            for check in checks:
                value = check(obj, value)
            return value

        return run_all


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
    """Validator for event ``custom_attributes``: flat values only, as the Events API requires."""
    if not bag_values_valid(value):
        raise ValueError(f"Invalid custom_attributes passed to {type(obj).__name__}: {safe_text(value)}")
    collision = colliding_keys(value) if value is not None else None
    if collision is not None:
        raise ValueError(collision_message(f"Invalid custom_attributes passed to {type(obj).__name__}", collision))
    return value


def _structure_check(name: str, type_name: str) -> Optional[Validator]:
    """For model-, list- and dict-typed fields, reject values of an unrelated shape early.

    Plain dicts stand in for models (sent as given), and tuples for lists, as the original allowed.
    """
    if type_name.startswith("dict") or type_name == "object":
        return _keys_check(name, type_name == "object")
    if type_name.startswith("list["):
        expected: Tuple[type, ...] = (list, tuple)
        label = "a list"
    elif type_name[:1].isupper():
        expected = (Model, dict)
        label = f"a {type_name} or a dict"
    else:
        return None

    def check(obj: Any, value: Any) -> Any:
        if not isinstance(value, expected):
            raise ValueError(
                f"Invalid value for `{name}` ({safe_text(value, repr)}): expected {label}, got {type(value).__name__}"
            )
        return value

    return _with_fast_path(check, "isinstance({v}, {ns})", expected)


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
    attribute_bag_check,
    "{v}.__class__ is dict and {ns}[0].issuperset(map(type, {v}.values())) and {ns}[1].issuperset(map(type, {v}))",
    (_FLAT_TYPES, _STR_ONLY),
)


_get, _pop, _set = dict.get, dict.pop, dict.__setitem__


class _FieldProperty:
    """The property of one field: its value lives in the model (a dict) under the JSON key.

    Only set fields are stored (None means unset), in declaration order.
    """

    def __init__(
        self,
        field: Field,
        index: int,
        order: Dict[str, int],
        validate: Optional[Validator],
    ) -> None:
        self.name = field.name
        self.key = field.key
        self.index = index
        self.order = order
        self.validate = validate
        #: Values assigned onto a class (``Model.field = value``), by class; see ``_ModelMeta``.
        self.class_values: Dict[type, Any] = {}
        self.__doc__ = "{0} ({1}){2}".format(field.name, field.type, ": " + field.doc if field.doc else "")

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            if self.class_values and owner is not None:
                for klass in owner.__mro__:
                    if klass in self.class_values:
                        return self.class_values[klass]
            return self
        return _get(obj, self.key)

    def __set__(self, obj: Any, value: Any) -> None:
        values = obj
        if value is None:
            _pop(values, self.key, None)
            return
        if self.validate is not None:
            value = self.validate(obj, value)
        key = self.key
        late = key not in values and len(values) and self.order[next(reversed(values))] > self.index
        _set(values, key, value)
        if late:  # keep declaration order, which is the original's serialization order
            items = sorted(values.items(), key=lambda item: self.order[item[0]])
            dict.clear(values)
            dict.update(values, items)


def _field_property(cls: type, name: str) -> Optional[_FieldProperty]:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            attr = klass.__dict__[name]
            return attr if isinstance(attr, _FieldProperty) else None
    return None


class _ModelMeta(type):
    """Tolerates assigning onto a model class (``CCPAConsentState.document = 'x'``).

    The original's own tests do that. The field property stays in place, so later instances still
    store, read and serialize their own values; reading the attribute from the class returns the
    assigned value, and ``del`` on the class forgets it.
    """

    def __setattr__(cls, name: str, value: Any) -> None:
        prop = _field_property(cls, name)
        if prop is not None and not isinstance(value, _FieldProperty):
            prop.class_values[cls] = value
            return
        super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        prop = _field_property(cls, name)
        if prop is not None and cls in prop.class_values:
            del prop.class_values[cls]
            return
        super().__delattr__(name)


class Model(dict, metaclass=_ModelMeta):  # type: ignore[type-arg]
    """Base of every mParticle model. Subclasses declare ``fields`` and nothing else is required.

    Optional class attributes: ``positional`` (the leading constructor parameters when the
    original order differs from ``fields``; the other fields follow), ``event_type`` (for
    event payloads: the wrapper's ``event_type``). Subclasses may define ``_validate(self)``
    for cross-field rules run by the constructor.
    """

    __slots__ = ("__dict__",)
    fields: ClassVar[Tuple[Field, ...]] = ()
    positional: ClassVar[Optional[Tuple[str, ...]]] = None
    event_type: ClassVar[Optional[str]] = None
    swagger_types: ClassVar[Dict[str, str]] = {}
    attribute_map: ClassVar[Dict[str, str]] = {}
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable

    if TYPE_CHECKING:  # fields and __init__ are generated per class from ``fields``

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" not in cls.__dict__:
            return
        registry[cls.__name__] = cls
        cls.swagger_types = {f.name: f.type for f in cls.fields}
        cls.attribute_map = {f.name: f.key for f in cls.fields}
        order = {f.key: i for i, f in enumerate(cls.fields)}
        validators: Dict[str, Validator] = {}
        for index, f in enumerate(cls.fields):
            validate = f.validator()
            if validate is not None:
                validators[f.name] = validate
            setattr(cls, f.name, _FieldProperty(f, index, order, validate))
        cls.__init__ = _make_init(cls, validators)  # type: ignore[method-assign]

    def _validate(self) -> None:
        """Cross-field rules; overridden by models that have some."""

    # -- generated-style surface -------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """Every declared field by attribute name, None included, sub-models converted."""
        return {f.name: _to_dict_value(getattr(self, f.name)) for f in self.fields}

    def to_str(self) -> str:
        """The pretty-printed ``to_dict()``."""
        import pprint

        return pprint.pformat(self.to_dict())

    def __repr__(self) -> str:
        return self.to_str()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):  # a plain dict with the same content is not a model
            return False if isinstance(other, dict) else NotImplemented
        return type(other) is type(self) and dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __copy__(self) -> "Model":
        """A shallow copy with its own field storage (setting a field on it leaves self alone)."""
        clone = dict.__new__(type(self))
        dict.update(clone, self)
        clone.__dict__.update(self.__dict__)
        return clone

    def __bool__(self) -> bool:
        return True  # a model is an object, even with no field set (as in the original)

    def _wire(self) -> Dict[str, Any]:
        """The JSON object of this model: the model itself (set fields by JSON key)."""
        return self


def _to_dict_value(value: Any) -> Any:
    if isinstance(value, list):
        return [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in value.items()}
    return value


def _make_init(cls: type, validators: Dict[str, Validator]) -> Callable[..., None]:
    """Build ``cls.__init__`` as real code: the original signature, declaration-order storage.

    Generated like dataclasses and attrs do, so construction costs one plain function call.
    """
    fields: Tuple[Field, ...] = cls.fields  # type: ignore[attr-defined]
    leading = tuple(cls.positional or ())  # type: ignore[attr-defined]
    order = leading + tuple(f.name for f in fields if f.name not in leading)
    by_name = {f.name: f for f in fields}
    namespace: Dict[str, Any] = {"_defaults": {}}
    params = []
    for name in order:
        default = by_name[name].default
        if default is None:
            params.append(f"{name}=None")
        else:
            namespace["_defaults"][name] = default
            params.append(f"{name}=_defaults[{name!r}]")
    lines = ["def __init__(self, {0}):".format(", ".join(params)) if params else "def __init__(self):"]
    lines.append("    d = self")
    for f in fields:
        if f.factory is not None:  # a fresh mutable default per instance
            namespace["_factory_" + f.name] = f.factory
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        {f.name} = _factory_{f.name}()")
        if f.required is not None:
            namespace["_required_" + f.name] = f.required
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        raise ValueError(_required_{f.name})")
        lines.append(f"    if {f.name} is not None:")
        if f.name in validators:
            validate = validators[f.name]
            namespace["_v_" + f.name] = validate
            call = f"_v_{f.name}(self, {f.name})"
            fast_path = getattr(validate, "fast_path", None)
            if fast_path is not None:
                namespace["_ns_" + f.name] = fast_path[1]
                test = fast_path[0].format(v=f.name, ns="_ns_" + f.name)
                call = f"{f.name} if {test} else {call}"
            lines.append(f"        d[{f.key!r}] = {call}")
        else:
            lines.append(f"        d[{f.key!r}] = {f.name}")
    if cls._validate is not Model._validate:  # type: ignore[attr-defined]
        lines.append("    self._validate()")
    exec("\n".join(lines), namespace)  # noqa: S102 - code generated from the declarations above
    init = namespace["__init__"]
    init.__qualname__ = cls.__qualname__ + ".__init__"
    init.__doc__ = f"Create a {cls.__name__}; arguments in the original SDK's positional order."
    return init  # type: ignore[no-any-return]
