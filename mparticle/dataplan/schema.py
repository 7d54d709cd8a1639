"""The JSON Schema backend adapter: one compiled schema, its errors in one normalized form.

Two established libraries stand behind it (the ``mparticle[dataplan]`` extra):
jsonschema-rs (Python >= 3.10: fast, all errors) and, where it is missing or too old,
python-jsonschema. Both are imported on first use only. Each is configured with Ajv 6's
fast formats and DPN's ``multipleOf`` (float division); python-jsonschema also gets JS
``pattern`` semantics (jsonschema-rs's regex engine already behaves like JS's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Pattern, Sequence, Tuple, Union

from mparticle.dataplan.formats import compile_js_regex, format_checkers
from mparticle.dataplan.jsvalues import js_number

PathItem = Union[str, int]
INSTALL_HINT = 'data plan validation needs the "dataplan" extra: pip install "mparticle[dataplan]"'
BACKENDS = ("jsonschema-rs", "jsonschema")


class InstanceError(ValueError):
    """Data the JSON Schema library cannot check (jsonschema-rs: nesting past its recursion limit)."""


class SchemaError(ValueError):
    """The backend refused a schema (invalid, or a regex it cannot compile)."""


@dataclass(frozen=True)
class SchemaViolation:
    """One failing keyword: where in the schema and in the instance, and the two values."""

    keyword: str
    schema_path: Tuple[PathItem, ...]
    instance_path: Tuple[PathItem, ...]
    instance: Any
    keyword_value: Any


def multiple_of_fails(value: Any, divisor: Any) -> bool:
    """DPN's ``multipleOf``: ``value / divisor !== parseInt(value / divisor)``, in float arithmetic."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        division = value / divisor
    except (ZeroDivisionError, OverflowError, TypeError):
        return True
    if division != division or division in (float("inf"), float("-inf")):
        return True
    # JS: division !== parseInt(division), and parseInt reads String(division): 1e+23 -> 1
    digits = _LEADING_INT.match(js_number(division))
    return digits is None or division != int(digits.group())


_LEADING_INT = re.compile(r"[+-]?[0-9]+")


def js_pattern(source: str) -> str:
    """``source`` for jsonschema-rs: only ``\\p`` (a plain ``p`` without JS's ``u`` flag) differs."""
    if "\\p" not in source and "\\P" not in source:
        return source
    source = re.sub(r"(?<!\\)((?:\\\\)*)\\([pP])\{([^}]*)\}", r"\1\2\\{\3\\}", source)
    return re.sub(r"(?<!\\)((?:\\\\)*)\\([pP])", r"\1\2", source)


class CompiledSchema:
    """A schema compiled by one backend: ``is_valid(instance)`` and ``violations(instance)``."""

    backend: str

    def is_valid(self, instance: Any) -> bool:
        raise NotImplementedError

    def violations(self, instance: Any) -> List[SchemaViolation]:
        raise NotImplementedError


def available_backends() -> List[str]:
    """The installed backends, preferred first."""
    found = []
    if _rs_module() is not None:
        found.append("jsonschema-rs")
    try:
        import jsonschema  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        pass
    else:
        found.append("jsonschema")
    return found


def default_backend() -> str:
    """The preferred installed backend; ImportError with the install hint when there is none."""
    found = available_backends()
    if not found:
        raise ImportError(INSTALL_HINT)
    return found[0]


def compile_schema(schema: Any, backend: Optional[str] = None) -> CompiledSchema:
    """``schema`` (draft-07) compiled by ``backend`` (default: :func:`default_backend`)."""
    name = backend or default_backend()
    if name == "jsonschema-rs":
        return _RsSchema(schema)
    if name == "jsonschema":
        return _PySchema(schema)
    raise ValueError("backend must be one of %s, not %r" % (list(BACKENDS), name))


def _rs_module() -> Any:
    try:
        import jsonschema_rs  # type: ignore[import-not-found, unused-ignore]  # not on Python 3.9
    except ImportError:
        return None
    # keywords= (needed for DPN's multipleOf) and evaluation_path: 0.61's API.
    if not hasattr(jsonschema_rs, "Draft7Validator") or not hasattr(jsonschema_rs, "validator_map_for"):
        return None
    return jsonschema_rs


def _rs_patterns(schema: Any) -> Any:
    """A copy of ``schema`` whose ``pattern`` sources are given JS's meaning of ``\\p``."""
    if isinstance(schema, dict):
        out: Dict[str, Any] = {}
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                out[key] = js_pattern(value)
            elif key in ("properties", "patternProperties", "definitions", "dependencies") and isinstance(value, dict):
                out[key] = {k: _rs_patterns(v) for k, v in value.items()}
            elif key in ("const", "enum", "default", "examples"):
                out[key] = value
            else:
                out[key] = _rs_patterns(value)
        return out
    if isinstance(schema, list):
        return [_rs_patterns(v) for v in schema]
    return schema


class _RsMultipleOf:
    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        self.divisor = value

    def validate(self, instance: Any) -> None:
        if multiple_of_fails(instance, self.divisor):
            raise ValueError("should be multiple of %s" % self.divisor)


class _RsSchema(CompiledSchema):
    backend = "jsonschema-rs"

    def __init__(self, schema: Any) -> None:
        rs = _rs_module()
        if rs is None:
            raise ImportError(INSTALL_HINT + " (jsonschema-rs >= 0.61)")
        try:
            self._validator = rs.Draft7Validator(
                _rs_patterns(schema),
                formats=format_checkers(),
                validate_formats=True,
                ignore_unknown_formats=True,
                keywords={"multipleOf": _RsMultipleOf},
            )
        except (ValueError, TypeError) as exc:
            raise SchemaError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        self._is_valid: Callable[[Any], bool] = self._validator.is_valid

    def is_valid(self, instance: Any) -> bool:
        try:
            return self._is_valid(instance)
        except ValueError as exc:  # "Recursion limit reached", or a value that is not JSON
            raise InstanceError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None

    def violations(self, instance: Any) -> List[SchemaViolation]:
        try:
            return list(_rs_flatten(self._validator.iter_errors(instance)))
        except ValueError as exc:
            raise InstanceError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _rs_flatten(errors: Any) -> Iterator[SchemaViolation]:
    for error in errors:
        path = tuple(error.evaluation_path)
        keyword = str(path[-1]) if path else str(error.kind.name)
        if keyword == "dependencies":
            keyword = "dependencies"
        yield SchemaViolation(keyword, path, tuple(error.instance_path), error.instance, None)
        if keyword in ("anyOf", "oneOf"):
            for branch in error.kind.context or ():
                yield from _rs_flatten(branch)


class _PySchema(CompiledSchema):
    backend = "jsonschema"

    def __init__(self, schema: Any) -> None:
        try:
            import jsonschema  # type: ignore[import-untyped, import-not-found, unused-ignore]
            from jsonschema import validators  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        checker = jsonschema.FormatChecker(formats=())
        for name, check in format_checkers().items():
            checker.checks(name)(_string_check(check))
        base = jsonschema.Draft7Validator
        cls = validators.extend(base, {"multipleOf": _py_multiple_of, "pattern": _py_pattern})
        meta = base(base.META_SCHEMA)  # no format checker: patterns are checked as JS below
        problem = jsonschema.exceptions.best_match(meta.iter_errors(schema))
        if problem is not None:
            raise SchemaError(problem.message)
        try:
            _check_patterns(schema)
        except re.error as exc:
            raise SchemaError("invalid regular expression: %s" % exc) from exc
        self._schema = schema
        self._validator = cls(schema, format_checker=checker)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def violations(self, instance: Any) -> List[SchemaViolation]:
        return list(self._flatten(self._validator.iter_errors(instance), instance))

    def _flatten(self, errors: Any, instance: Any) -> Iterator[SchemaViolation]:
        for error in errors:
            path = tuple(error.absolute_schema_path)
            where = tuple(error.absolute_path)
            if error.validator is None:  # a false schema: python-jsonschema gives its parent's paths
                yield from self._false_schema(path, where, instance)
                continue
            yield SchemaViolation(str(error.validator), path, where, error.instance, error.validator_value)
            if error.validator in ("anyOf", "oneOf"):
                yield from self._flatten(error.context or (), instance)

    def _false_schema(
        self, path: Tuple[PathItem, ...], where: Tuple[PathItem, ...], instance: Any
    ) -> Iterator[SchemaViolation]:
        node: Any = self._schema
        for seg in path[:-1]:
            node = _child(node, seg)
        data = instance
        for seg in where:
            data = _child(data, seg)
        last = path[-1] if path else None
        if last == "properties" and isinstance(node, dict) and isinstance(data, dict):
            for name, sub in node["properties"].items():
                if sub is False and name in data:
                    yield SchemaViolation("false schema", path + (name,), where + (name,), data[name], False)
        elif last == "items" and isinstance(node, dict) and node.get("items") is False and isinstance(data, list):
            for index, item in enumerate(data):
                yield SchemaViolation("false schema", path, where + (index,), item, False)
        else:
            yield SchemaViolation("false schema", path, where, data, False)


def _child(value: Any, seg: PathItem) -> Any:
    if isinstance(value, list) and isinstance(seg, int) and seg < len(value):
        return value[seg]
    return value.get(seg) if isinstance(value, dict) else None


def _string_check(check: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda value: not isinstance(value, str) or check(value)


_REGEX_CACHE: Dict[str, Pattern[str]] = {}


def _regex(source: str) -> Pattern[str]:
    compiled = _REGEX_CACHE.get(source)
    if compiled is None:
        compiled = _REGEX_CACHE[source] = compile_js_regex(source)
    return compiled


def _check_patterns(schema: Any) -> None:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                _regex(value)
            elif key == "patternProperties" and isinstance(value, dict):
                for source in value:
                    _regex(source)
            if key not in ("const", "enum", "default", "examples"):
                _check_patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            _check_patterns(value)


def _py_multiple_of(validator: Any, divisor: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError  # type: ignore[import-untyped, import-not-found, unused-ignore]

    if multiple_of_fails(instance, divisor):
        yield ValidationError("%r is not a multiple of %r" % (instance, divisor))


def _py_pattern(validator: Any, source: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError  # type: ignore[import-untyped, import-not-found, unused-ignore]

    if isinstance(instance, str) and not _regex(source).search(instance):
        yield ValidationError("%r does not match %r" % (instance, source))


def as_path(items: Sequence[PathItem]) -> Tuple[PathItem, ...]:
    """``items`` as a hashable path."""
    return tuple(items)
