"""The declarative model base: every model lists its fields once, the rest is derived.

A model is a subclass of :class:`Model` with a ``fields`` tuple of :class:`Field` objects in
serialization (``swagger_types``) order. From that one list the base derives the
generated-style surface of the original SDK (``swagger_types``, ``attribute_map``, a real
``__init__`` with the original positional order, validating properties), plus ``to_dict``,
``to_str``, ``__repr__``, ``__eq__`` and the wire form used by :mod:`mparticle.serialization`.

A model *is* its JSON object: Model subclasses dict, holding only the set fields, by JSON
key. The C JSON encoder therefore serializes a model graph at nearly the speed of plain
dicts. Fields are sent in declaration order (the original's wire order): constructors
store in that order; setters just store, and a model whose keys they may have added out of
order gets an instance ``items`` (which the encoder calls for dict subclasses) that puts
them back in order once, so assignments cost one dict store each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple

# The value checks live in mparticle.models.checks; imported here, where they have always been.
from mparticle.models.checks import (
    ATTRIBUTE_VALUE_TYPES,
    UUID_PATTERN,
    Validator,
    _keys_check,
    _with_fast_path,
    attribute_bag_check,
    bag_values_valid,
    colliding_keys,
    collision_message,
    enum_check,
    json_key,
    safe_text,
    uuid_check,
    validate_uuid,
)
from mparticle.models.field_types import FieldType, parse_type, registry

__all__ = [
    "ATTRIBUTE_VALUE_TYPES",
    "UUID_PATTERN",
    "Field",
    "FieldType",
    "Model",
    "Validator",
    "attribute_bag_check",
    "bag_values_valid",
    "colliding_keys",
    "collision_message",
    "enum_check",
    "json_key",
    "registry",
    "safe_text",
    "uuid_check",
    "validate_uuid",
]


class Field:
    """One declared field: attribute name, swagger type string, JSON key and checks.

    ``field_type`` is ``type`` parsed (a :class:`~mparticle.models.field_types.FieldType`).
    """

    __slots__ = ("name", "type", "field_type", "key", "enum", "check", "default", "factory", "required", "doc")

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
        self.field_type = parse_type(type)
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
            structure_check = _structure_check(self.name, self.field_type)
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


def _structure_check(name: str, field_type: FieldType) -> Optional[Validator]:
    """For model-, list- and dict-typed fields, reject values of an unrelated shape early.

    Plain dicts stand in for models (sent as given), and tuples for lists, as the original allowed.
    """
    kind = field_type.kind
    if kind in ("dict", "map", "object"):
        return _keys_check(name, kind == "object")
    if kind == "list":
        expected: Tuple[type, ...] = (list, tuple)
        label = "a list"
    elif kind == "model":
        expected = (Model, dict)
        label = f"a {field_type.text} or a dict"
    else:
        return None

    def check(obj: Any, value: Any) -> Any:
        if not isinstance(value, expected):
            raise ValueError(
                f"Invalid value for `{name}` ({safe_text(value, repr)}): expected {label}, got {type(value).__name__}"
            )
        return value

    return _with_fast_path(check, "isinstance({v}, {ns})", expected)


_get, _pop, _set = dict.get, dict.pop, dict.__setitem__


class _FieldProperty(property):
    """The property of one field: its value lives in the model (a dict) under the JSON key.

    Only set fields are stored (None means unset). Setting is a ``property`` setter made per
    field (see :func:`_setter`): the field's check, then one dict store. A key stored below
    the highest declared index already present is out of declaration order: the setter marks
    the model (``_hi = LATE``) and its class reads such models through
    :func:`_items_in_order`, which restores the order once, when the model is serialized,
    instead of on every assignment.
    """

    def __init__(self, field: Field, fset: Callable[[Any, Any], None]) -> None:
        doc = "{0} ({1}){2}".format(field.name, field.type, ": " + field.doc if field.doc else "")
        super().__init__(None, fset, None, doc)
        self.name = field.name
        self.key = field.key
        #: Values assigned onto a class (``Model.field = value``), by class; see ``_ModelMeta``.
        self.class_values: Dict[type, Any] = {}

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            if self.class_values and owner is not None:
                for klass in owner.__mro__:
                    if klass in self.class_values:
                        return self.class_values[klass]
            return self
        return _get(obj, self.key)


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

    #: ``_hi``: the highest declaration index among the keys stored (set by ``__init__``), or
    #: :data:`LATE` once a setter stored a key out of declaration order.
    __slots__ = ("__dict__", "_hi")
    _hi: int
    fields: ClassVar[Tuple[Field, ...]] = ()
    positional: ClassVar[Optional[Tuple[str, ...]]] = None
    event_type: ClassVar[Optional[str]] = None
    swagger_types: ClassVar[Dict[str, str]] = {}
    attribute_map: ClassVar[Dict[str, str]] = {}
    _key_order: ClassVar[Dict[str, int]] = {}
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
        cls._key_order = {f.key: i for i, f in enumerate(cls.fields)}
        validators: Dict[str, Validator] = {}
        for f in cls.fields:
            validate = f.validator()
            if validate is not None:
                validators[f.name] = validate
        for index, f in enumerate(cls.fields):
            setattr(cls, f.name, _FieldProperty(f, _setter(f.key, index, validators.get(f.name))))
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
        if hasattr(self, "_hi"):
            clone._hi = self._hi
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


#: ``Model._hi`` of a model whose setters stored a key out of declaration order.
LATE = 1 << 30


def _items_in_order(self: Model) -> Any:
    """``items()`` for the model classes that have had a model built out of order: a marked
    model's keys are put back in declaration order (the original's wire order), once; then
    it answers as a dict does. The JSON encoder reads dict subclasses through ``items()``.

    Classes whose models were all built in order keep ``dict.items`` and are read at
    plain-dict speed (see :func:`_order_when_read`)."""
    try:
        late = self._hi == LATE
    except AttributeError:  # made without __init__ (dict.__new__): order unknown
        late = True
    if late:
        order = self._key_order
        keys = sorted(self, key=order.__getitem__)
        values = dict.copy(self)
        dict.clear(self)
        dict.update(self, zip(keys, map(values.__getitem__, keys)))
        self._hi = order[keys[-1]] if keys else -1
    return dict.items(self)


_ORDERING: set = set()  # the classes reading their models through _items_in_order


def _order_when_read(cls: type) -> None:
    """A model of ``cls`` holds a key out of declaration order (its ``_hi`` is LATE): from
    now on ``cls`` reads its models through :func:`_items_in_order`."""
    _ORDERING.add(cls)
    cls.items = _items_in_order  # type: ignore[attr-defined]


#: The setters, as one template: a field's check (when it has one) first, then the store.
_SETTER_TEMPLATE = """
def make(key, index, check):
    def setter(self, value):
        if value is None:
            _pop(self, key, None)
            return
        {check}
        try:
            late = self._hi > index
        except AttributeError:  # made without __init__: order unknown
            late = True
        if not late:
            self._hi = index
        elif key not in self:  # out of declaration order: ordered when serialized
            self._hi = LATE
            if self.__class__ not in _ORDERING:
                _order_when_read(self.__class__)
        self[key] = value
    return setter
"""


def _setter_factory(check_line: str) -> Callable[..., Callable[[Any, Any], None]]:
    namespace: Dict[str, Any] = {
        "_pop": _pop,
        "LATE": LATE,
        "_ORDERING": _ORDERING,
        "_order_when_read": _order_when_read,
    }
    exec(_SETTER_TEMPLATE.format(check=check_line), namespace)  # noqa: S102 - a fixed template
    return namespace["make"]  # type: ignore[no-any-return]


_PLAIN_SETTER = _setter_factory("pass")
_CHECKED_SETTER = _setter_factory("value = check(self, value)")


def _setter(key: str, index: int, validate: Optional[Validator]) -> Callable[[Any, Any], None]:
    """The setter of the field stored under ``key``, declared at ``index``: check the value,
    note whether it lands out of declaration order, store it (None: remove the key). Made
    from one template compiled twice (with a check and without), inlined for speed."""
    if validate is None:
        return _PLAIN_SETTER(key, index, None)
    return _CHECKED_SETTER(key, index, validate)


def _make_init(cls: type, validators: Dict[str, Validator]) -> Callable[..., None]:
    """Build ``cls.__init__`` as real code: the original signature, declaration-order storage.

    Generated like dataclasses and attrs do, so construction costs one plain function call:
    each value check's fast path is inlined (a valid value costs no further call).
    """
    namespace: Dict[str, Any] = {"_defaults": {}}
    exec("\n".join(_init_lines(cls, validators, namespace)), namespace)  # noqa: S102 - from the declarations
    init = namespace["__init__"]
    init.__qualname__ = cls.__qualname__ + ".__init__"
    init.__doc__ = f"Create a {cls.__name__}; arguments in the original SDK's positional order."
    return init  # type: ignore[no-any-return]


def _checked(name: str, validators: Dict[str, Validator], namespace: Dict[str, Any]) -> str:
    """The expression that checks variable ``name`` (its fast path inline, then the check)."""
    if name not in validators:
        return name
    validate = validators[name]
    namespace["_v_" + name] = validate
    call = f"_v_{name}(self, {name})"
    fast_path = getattr(validate, "fast_path", None)
    if fast_path is None:
        return call
    namespace["_ns_" + name] = fast_path[1]
    test = fast_path[0].format(v=name, ns="_ns_" + name)
    return f"{name} if {test} else {call}"


def _init_lines(cls: type, validators: Dict[str, Validator], namespace: Dict[str, Any]) -> List[str]:
    """``__init__``: the original signature, storage in declaration order."""
    fields: Tuple[Field, ...] = cls.fields  # type: ignore[attr-defined]
    leading = tuple(cls.positional or ())  # type: ignore[attr-defined]
    order = leading + tuple(f.name for f in fields if f.name not in leading)
    by_name = {f.name: f for f in fields}
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
    lines.append("    hi = -1")
    for index, f in enumerate(fields):
        if f.factory is not None:  # a fresh mutable default per instance
            namespace["_factory_" + f.name] = f.factory
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        {f.name} = _factory_{f.name}()")
        if f.required is not None:
            namespace["_required_" + f.name] = f.required
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        raise ValueError(_required_{f.name})")
        lines.append(f"    if {f.name} is not None:")
        lines.append(f"        d[{f.key!r}] = {_checked(f.name, validators, namespace)}")
        lines.append(f"        hi = {index}")
    lines.append("    d._hi = hi")
    if cls._validate is not Model._validate:  # type: ignore[attr-defined]
        lines.append("    self._validate()")
    return lines
