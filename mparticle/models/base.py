"""The declarative model base: every model lists its fields once, the rest is derived.

A model is a subclass of :class:`Model` with a ``fields`` tuple of :class:`Field` objects in
serialization (``swagger_types``) order. From that one list the base derives the
generated-style surface of the original SDK (``swagger_types``, ``attribute_map``, a real
``__init__`` with the original positional order, validating properties), plus ``to_dict``,
``to_str``, ``__repr__``, ``__eq__`` and the wire form used by :mod:`mparticle.serialization`.

Storage is one slot per field, so an assignment costs what the original's cheapest setter
costs or less:

* A field the original SDK stored unchecked is a plain slot: ``event.session_id = 5`` is a
  store done in C, with no Python call.
* A field the original checked when set (enums, UUIDs, some attribute bags, ``Batch.events``)
  is a property over the slot ``_<name>``, running our check (cheaper than the original's).
* The other checks (a sub-model field holding a model or a dict, a list field a list, dict
  keys JSON can carry) run when the model is serialized, naming the field; constructors
  run every check at once.

The wire form (:meth:`Model._wire`, generated per class) reads the slots in declaration
order, the original's wire order, whatever order they were assigned in.
"""

from __future__ import annotations

from operator import attrgetter
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    FrozenSet,
    List,
    Literal,
    Optional,
    Sequence,
    Set,
    Tuple,
)

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


#: When a field's checks run (``Field.validator``).
CheckTime = Literal["constructed", "assigned", "sent"]


class Field:
    """One declared field: attribute name, swagger type string, JSON key and checks.

    ``field_type`` is ``type`` parsed (a :class:`~mparticle.models.field_types.FieldType`).
    """

    __slots__ = (
        "name", "type", "field_type", "key", "enum", "check", "send_check", "default", "factory", "required",
        "on_set", "doc", "hint", "set_hint",
    )

    name: str
    type: str
    field_type: FieldType
    key: str
    enum: Optional[List[str]]
    check: Optional[Validator]
    send_check: Optional[Validator]
    default: Any
    factory: Optional[Callable[[], Any]]
    required: Optional[str]
    on_set: bool
    doc: str
    hint: Optional[str]
    set_hint: Optional[str]

    def __init__(
        self,
        name: str,
        type: str = "str",
        *,
        key: Optional[str] = None,
        enum: Optional[Sequence[str]] = None,
        check: Optional[Validator] = None,
        send_check: Optional[Validator] = None,
        default: Any = None,
        factory: Optional[Callable[[], Any]] = None,
        required: Optional[str] = None,
        on_set: Optional[bool] = None,
        doc: str = "",
        hint: Optional[str] = None,
        set_hint: Optional[str] = None,
    ) -> None:
        self.name = name
        self.type = type
        self.field_type = parse_type(type)
        self.key = key or name
        self.enum = list(enum) if enum is not None else None
        self.check = check
        #: A further check a field checked when assigned runs only when serialized (and in
        #: constructors): what the original's setter did not check.
        self.send_check = send_check
        self.default = default
        self.factory = factory
        self.required = required  # the ValueError message when a constructor gets None
        #: Check the value when it is assigned (a property) or when the model is serialized
        #: (a plain slot). Default: assigned, for enums and explicit checks (where the
        #: original checked); serialized, for the checks derived from the type.
        self.on_set = (enum is not None or check is not None) if on_set is None else on_set
        self.doc = doc
        #: The static type of the attribute, for type checkers only (default: derived from
        #: ``type``), and what may be assigned when that differs (default: ``hint``).
        self.hint = hint
        self.set_hint = set_hint

    def replace(self, **changes: Any) -> "Field":
        """A copy of this field with some constructor arguments changed."""
        args = {name: getattr(self, name) for name in ("type", "key", "enum", "check", "send_check", "default",
                                                        "factory", "required", "on_set", "doc", "hint",
                                                        "set_hint")}
        args.update(changes)
        return Field(self.name, **args)

    @property
    def slot(self) -> str:
        """Where an instance stores the value: the field name, or ``_<name>`` under a property."""
        return "_" + self.name if self.on_set else self.name

    def validator(self, when: "CheckTime" = "constructed") -> Optional[Validator]:
        """The combined check for this field, or None when any value is accepted.

        ``when``: "constructed" (every check), "assigned" (what the setter of a field
        checked when assigned runs) or "sent" (what serialization runs: ``send_check`` for
        those fields, every check for the others)."""
        checks: List[Validator] = []
        if when != "sent" or not self.on_set:
            if self.enum is not None:
                checks.append(enum_check(self.name, self.enum))
            if self.check is not None:  # a custom check also owns the value's structure
                checks.append(self.check)
            else:
                structure_check = _structure_check(self.name, self.field_type)
                if structure_check is not None:
                    checks.append(structure_check)
        if when != "assigned" and self.send_check is not None:
            checks.append(self.send_check)
        return all_of(checks)


def all_of(checks: Sequence[Validator]) -> Optional[Validator]:
    """One validator running ``checks`` in order (None for none); its fast path is theirs
    joined, when each has one."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def run_all(obj: Any, value: Any) -> Any:
        for check in checks:
            value = check(obj, value)
        return value

    paths = [getattr(check, "fast_path", None) for check in checks]
    if all(path is not None for path in paths):
        test = " and ".join(
            "({0})".format(path[0].replace("{ns}", "{ns}[%d]" % i)) for i, path in enumerate(paths)  # type: ignore[index]
        )
        return _with_fast_path(run_all, test, tuple(path[1] for path in paths))  # type: ignore[index]
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


class _FieldProperty(property):
    """The property of a field checked when assigned: reads slot ``_<name>`` (in C), and its
    setter (generated per field, see :func:`_class_code`) checks the value, then stores it."""

    def __init__(self, field: Field, fset: Callable[[Any, Any], None]) -> None:
        doc = "{0} ({1}){2}".format(field.name, field.type, ": " + field.doc if field.doc else "")
        super().__init__(attrgetter(field.slot), fset, None, doc)
        self.name = field.name
        self.key = field.key


class _ClassValue:
    """Stands in for a field's descriptor on a class a value was assigned onto
    (``CCPAConsentState.document = 'x'``, which the original's own tests do).

    Reading the attribute from the class gives the value; instances keep storing, reading and
    serializing their own values through the field's descriptor; ``del`` on the class puts the
    descriptor back.
    """

    def __init__(self, descriptor: Any, value: Any) -> None:
        self.descriptor = descriptor
        self.value = value

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.value
        return self.descriptor.__get__(obj, owner)

    def __set__(self, obj: Any, value: Any) -> None:
        self.descriptor.__set__(obj, value)


def _field_descriptor(cls: type, name: str) -> Any:
    """The descriptor of field ``name`` in ``cls`` (or its stand-in), None for other names."""
    fields = getattr(cls, "_field_names", ())
    if name not in fields:
        return None
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


class _ModelMeta(type):
    """Gives each model class one slot per declared field (``Field.slot``), and tolerates
    assigning onto a model class (see :class:`_ClassValue`)."""

    def __new__(mcls, name: str, bases: Tuple[type, ...], namespace: Dict[str, Any], **kwargs: Any) -> Any:
        fields = namespace.get("fields")
        if fields is not None and "__slots__" not in namespace:
            inherited = {slot for base in bases for klass in base.__mro__ for slot in getattr(klass, "__slots__", ())}
            namespace["__slots__"] = tuple(f.slot for f in fields if f.slot not in inherited)
        return super().__new__(mcls, name, bases, namespace, **kwargs)

    def __setattr__(cls, name: str, value: Any) -> None:
        descriptor = _field_descriptor(cls, name)
        if descriptor is not None and not isinstance(value, (_FieldProperty, _ClassValue)):
            inner = descriptor.descriptor if isinstance(descriptor, _ClassValue) else descriptor
            super().__setattr__(name, _ClassValue(inner, value))
            return
        super().__setattr__(name, value)

    def __delattr__(cls, name: str) -> None:
        descriptor = cls.__dict__.get(name)
        if isinstance(descriptor, _ClassValue):
            super().__setattr__(name, descriptor.descriptor)
            return
        super().__delattr__(name)


class Model(metaclass=_ModelMeta):
    """Base of every mParticle model. Subclasses declare ``fields`` and nothing else is required.

    Optional class attributes: ``positional`` (the leading constructor parameters when the
    original order differs from ``fields``; the other fields follow), ``event_type`` (for
    event payloads: the wrapper's ``event_type``). Subclasses may define ``_validate(self)``
    for cross-field rules run by the constructor.
    """

    #: The fields live in slots each subclass adds; ``__dict__`` holds anything else set.
    __slots__ = ("__dict__", "__weakref__")
    fields: ClassVar[Tuple[Field, ...]] = ()
    positional: ClassVar[Optional[Tuple[str, ...]]] = None
    #: Event payloads: the wrapper's ``event_type`` (EventBase: a field, hence not a ClassVar).
    event_type: Optional[str] = None
    swagger_types: ClassVar[Dict[str, str]] = {}
    attribute_map: ClassVar[Dict[str, str]] = {}
    _field_names: ClassVar[FrozenSet[str]] = frozenset()
    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # mutable, compared by value: unhashable

    if TYPE_CHECKING:  # each model's __init__ and field types: the block ending its class

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "fields" not in cls.__dict__:
            return
        registry[cls.__name__] = cls
        _MODEL_CLASSES.add(cls)
        cls.swagger_types = {f.name: f.type for f in cls.fields}
        cls.attribute_map = {f.name: f.key for f in cls.fields}
        cls._field_names = frozenset(f.name for f in cls.fields)
        validators = _validators(cls, "constructed")
        type.__setattr__(cls, "__init__", _class_code(cls, validators, ("__init__",))["__init__"])
        # The rest is generated when first used (compiling it for every model at import
        # would cost more than the rest of the import).
        for f in cls.fields:
            if f.on_set:
                type.__setattr__(cls, f.name, _FieldProperty(f, _pending_setter(cls, f.name)))
        for name in _LAZY_CODE:
            type.__setattr__(cls, name, _pending(cls, name))

    def _validate(self) -> None:
        """Cross-field rules; overridden by models that have some."""

    def _wire(self) -> Dict[str, Any]:
        """The JSON object of this model: its set fields by JSON key, in declaration order.

        Values are as stored (sub-models stay models); generated per class."""
        return {}

    def _data(self) -> Dict[str, Any]:
        """``_wire`` without the checks it runs: the set fields as stored (for validation,
        which reports what ``_wire`` would refuse). Generated per class."""
        return {}

    def _checks(self) -> None:
        """Run the checks ``_wire`` applies (those setters skip), for errors only. Generated."""

    def _clear(self) -> None:
        """Set every field slot to None (for instances made without ``__init__``)."""

    @classmethod
    def _blank(cls) -> Any:
        """An instance with no field set, made without ``__init__`` (no required fields)."""
        instance = object.__new__(cls)
        instance._clear()
        return instance

    def __getstate__(self) -> Dict[str, Any]:
        """Pickle state: every field slot and any other attribute (all pickle protocols)."""
        state = dict(getattr(self, "__dict__", {}))
        for f in type(self).fields:
            state[f.slot] = getattr(self, f.slot, None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._clear()
        for name, value in state.items():
            object.__setattr__(self, name, value)

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
        return type(other) is type(self) and self._data() == other._data()

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result


def _to_dict_value(value: Any) -> Any:
    if isinstance(value, list):
        return [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: v.to_dict() if hasattr(v, "to_dict") else v for k, v in value.items()}
    return value


#: The generated methods made on first use (``__init__`` is made with the class).
_LAZY_CODE = ("_wire", "_data", "_checks", "_clear")


def _pending(cls: type, name: str) -> Callable[..., Any]:
    """Method ``name`` of ``cls`` until it is first called: generates the class's code, then
    calls the real method."""

    def pending(self: Any, *args: Any) -> Any:
        _install_code(cls)
        return getattr(cls, name)(self, *args)

    pending.__qualname__ = f"{cls.__qualname__}.{name}"
    pending.__doc__ = getattr(Model, name).__doc__
    return pending


def _pending_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The setter of checked field ``name`` until first used (see :func:`_pending`)."""

    def pending(self: Any, value: Any) -> None:
        _install_code(cls)
        setattr(self, name, value)

    return pending


def _validators(cls: Any, when: "CheckTime") -> Dict[str, Validator]:
    """Field name to its check (``Field.validator(when)``), for the fields that have one."""
    return {f.name: check for f in cls.fields if (check := f.validator(when)) is not None}


def _install_code(cls: Any) -> None:
    """Generate and install the checking setters and the wire methods of ``cls`` (once; two
    threads racing here install equal code)."""
    code = _class_code(cls, _validators(cls, "sent"), _LAZY_CODE)
    setters = _class_code(cls, _validators(cls, "assigned"), tuple("_set_" + f.name for f in cls.fields if f.on_set))
    for f in cls.fields:
        if f.on_set:
            prop = _FieldProperty(f, setters["_set_" + f.name])
            current = cls.__dict__.get(f.name)
            if isinstance(current, _ClassValue):  # a value was assigned onto the class meanwhile
                current.descriptor = prop
            else:
                type.__setattr__(cls, f.name, prop)
    for name in _LAZY_CODE:
        type.__setattr__(cls, name, code[name])


def _class_code(cls: type, validators: Dict[str, Validator], names: Sequence[str]) -> Dict[str, Any]:
    """Generate the ``names`` of ``cls`` (``__init__``, ``_wire``, ``_data``, ``_clear``,
    ``_set_<field>``) as real code.

    Generated like dataclasses and attrs do, so each costs one plain function call, with each
    check's fast path inlined (a valid value costs no further call)."""
    namespace: Dict[str, Any] = {"_defaults": {}}
    fields: Tuple[Field, ...] = cls.fields  # type: ignore[attr-defined]
    lines: List[str] = []
    if "__init__" in names:
        lines += _init_lines(cls, validators, namespace)
    if "_wire" in names:
        lines += _wire_lines(cls, validators, namespace, "_wire")
    if "_data" in names:
        lines += _wire_lines(cls, {}, namespace, "_data")
    if "_checks" in names:
        lines.append("def _checks(self):")
        lines += [f"    {_checked('self.' + f.slot, f.name, validators, namespace)}"
                  for f in fields if f.name in validators] or ["    pass"]
    if "_clear" in names:
        lines.append("def _clear(self):")
        lines += [f"    self.{f.slot} = None" for f in fields] or ["    pass"]
    for f in fields:
        if "_set_" + f.name in names:
            lines.append(f"def _set_{f.name}(self, value):")
            lines.append(f"    self.{f.slot} = {_checked('value', f.name, validators, namespace)}")
    exec("\n".join(lines), namespace)  # noqa: S102 - from the declarations
    for name in names:
        namespace[name].__qualname__ = f"{cls.__qualname__}.{name}"
    if "__init__" in names:
        namespace["__init__"].__doc__ = f"Create a {cls.__name__}; arguments in the original SDK's positional order."
    for name in _LAZY_CODE:
        if name in names:
            namespace[name].__doc__ = getattr(Model, name).__doc__
    return namespace


def _checked(var: str, name: str, validators: Dict[str, Validator], namespace: Dict[str, Any]) -> str:
    """The expression giving ``var`` checked by field ``name``'s validator (None is unset: no
    check; the fast path inline, then the call)."""
    if name not in validators:
        return var
    validate = validators[name]
    namespace["_v_" + name] = validate
    call = f"_v_{name}(self, {var})"
    fast_path = getattr(validate, "fast_path", None)
    if fast_path is None:
        return f"{var} if {var} is None else {call}"
    namespace["_ns_" + name] = fast_path[1]
    test = fast_path[0].format(v=var, ns="_ns_" + name)
    return f"{var} if {var} is None or {test} else {call}"


def _init_lines(cls: type, validators: Dict[str, Validator], namespace: Dict[str, Any]) -> List[str]:
    """``__init__``: the original signature; every value checked, every slot set."""
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
    for f in fields:
        if f.factory is not None:  # a fresh mutable default per instance
            namespace["_factory_" + f.name] = f.factory
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        {f.name} = _factory_{f.name}()")
        if f.required is not None:
            namespace["_required_" + f.name] = f.required
            lines.append(f"    if {f.name} is None:")
            lines.append(f"        raise ValueError(_required_{f.name})")
        lines.append(f"    self.{f.slot} = {_checked(f.name, f.name, validators, namespace)}")
    if cls._validate is not Model._validate:  # type: ignore[attr-defined]
        lines.append("    self._validate()")
    if len(lines) == 1:
        lines.append("    pass")
    return lines


def _wire_lines(cls: type, validators: Dict[str, Validator], namespace: Dict[str, Any], name: str) -> List[str]:
    """``_wire``: the set slots in declaration order; checks not run on assignment run here;
    sub-models (also in lists) converted in place, so the encoder meets plain data and calls
    back only for what it cannot take as is. ``_data``: the slots as stored (no
    ``validators``, no conversion)."""
    fields: Tuple[Field, ...] = cls.fields  # type: ignore[attr-defined]
    convert = name == "_wire"
    namespace["_M"] = _MODEL_CLASSES
    lines = [f"def {name}(self):", "    w = {}"]
    for f in fields:  # most fields are unset: the test alone is the cheapest code for them
        lines.append(f"    if self.{f.slot} is not None:")
        value = f"self.{f.slot}"
        kind = f.field_type.kind
        if convert and kind == "model":  # a declared model passes the structure check: test that first
            checked = _checked("v", f.name, validators, namespace)
            lines.append(f"        v = {value}")
            lines.append(f"        w[{f.key!r}] = v._wire() if v.__class__ in _M else {checked}")
            continue
        if f.name in validators:
            lines.append(f"        v = {_checked(value, f.name, validators, namespace)}")
            value = "v"
        if convert and kind == "list" and f.field_type.value_type.kind == "model":
            lines.append(f"        w[{f.key!r}] = [x._wire() if x.__class__ in _M else x for x in {value}]")
        else:
            lines.append(f"        w[{f.key!r}] = {value}")
    lines.append("    return w")
    return lines


#: Every declared model class: ``_wire`` converts their instances in place (instances of
#: other subclasses are left to the encoder, which calls their ``_wire`` itself).
_MODEL_CLASSES: Set[type] = set()
