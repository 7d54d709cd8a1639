"""Static type declarations for the models, written into their modules from ``fields``.

Each model class ends with a block that only type checkers read::

    # Static types of the fields above (docs/generate_models.py writes this block).
    if TYPE_CHECKING:

        def __init__(self, event_name: str, custom_event_type: str = "other", ...) -> None: ...

        timestamp_unixtime_ms: Optional[int]
        ...

and the module imports what those names need under ``if TYPE_CHECKING:``. Nothing in either
runs, so the types cost no import time and no speed. :func:`typed_source` gives a module's
text with both blocks up to date; ``generate_models.py`` writes it (or, with ``--check``,
fails when a file differs).

The type of a field is ``Field.hint`` when the declaration gives one, else derived from its
swagger type: ``str``, ``int``, ``float``, ``bool``; ``object`` is ``Any``; ``dict`` is
``Dict[str, Any]``; ``list[X]`` is ``List[X]``; ``dict(K, V)`` is ``Dict[K, V]``; a model name
is that class. Enum fields are ``str`` (their values are checked at run time, and often come
from configuration or data); their allowed values are in the attribute's docstring. Fields that
default to ``None`` are ``Optional``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any, Dict, List, Sequence, Set, Tuple

CLASS_MARKER = "# Static types of the fields above (docs/generate_models.py writes this block)."
IMPORT_MARKER = "# names the generated type declarations use"
TYPING_NAMES = {"Any", "ClassVar", "Dict", "Iterable", "List", "Optional", "Tuple", "Union"}
_NATIVE = {"str": "str", "int": "int", "long": "int", "float": "float", "bool": "bool"}


def derived_type(field_type: Any) -> str:
    """The static type for a parsed swagger type (:class:`~mparticle.models.field_types.FieldType`)."""
    kind = field_type.kind
    if kind == "native":
        return _NATIVE[field_type.text]
    if kind == "object":
        return "Any"
    if kind == "dict":
        return "Dict[str, Any]"
    if kind == "date":
        return "str"
    if kind == "list":
        return "List[{0}]".format(derived_type(field_type.item))
    if kind == "map":
        return "Dict[{0}, {1}]".format(derived_type(field_type.key), derived_type(field_type.item))
    return field_type.text


def optional(text: str) -> str:
    return text if text == "Any" else "Optional[{0}]".format(text)


def field_types(field: Any) -> Tuple[str, str]:
    """(type read, type assigned) of a field's attribute."""
    read = field.hint or derived_type(field.field_type)
    written = field.set_hint or read
    if field.required is None and field.default is None and field.factory is None:
        return optional(read), optional(written)
    return read, written


def parameters(cls: Any) -> List[str]:
    """The constructor's parameters (``name: type = default``), in the generated ``__init__``'s order."""
    by_name = {f.name: f for f in cls.fields}
    leading = tuple(cls.positional or ())
    order = leading + tuple(f.name for f in cls.fields if f.name not in leading)
    params: List[str] = []
    defaults_started = False
    for name in order:
        field = by_name[name]
        written = field_types(field)[1]
        if field.required is not None and not defaults_started:
            params.append("{0}: {1}".format(name, written))
            continue
        defaults_started = True
        if field.default is not None:
            params.append("{0}: {1} = {2!r}".format(name, written, field.default).replace("'", '"'))
        elif field.required is not None:
            params.append("{0}: {1} = ...".format(name, written))
        else:  # written is Optional already, except for fields with a factory
            params.append("{0}: {1} = None".format(name, written if field.factory is None else optional(written)))
    return params


def attribute_doc(field: Any) -> str:
    parts = [field.doc] if field.doc else []
    if field.enum is not None:
        parts.append("one of: " + ", ".join('"{0}"'.format(value) for value in field.enum))
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def class_declarations(cls: Any) -> List[str]:
    """The annotations a model's source gives the class attributes it assigns (their names
    are imported for it): without one, the inferred type of a ``fields`` tuple
    (``tuple[Field, Field, ...]``) is not the base's, an ambiguous override to pyright's
    ``--verifytypes``."""
    declared = {
        "fields": "fields: ClassVar[Tuple[Field, ...]]",
        "positional": "positional: ClassVar[Optional[Tuple[str, ...]]]",
        "event_type": "event_type: Optional[str]",  # Model's; EventBase's is a field
    }
    return [text for name, text in declared.items() if name in vars(cls) and isinstance(vars(cls)[name], (str, tuple))]


def class_block(cls: Any) -> List[str]:
    """The lines of a class's generated block (indented for the class body)."""
    pad = " " * 8
    params = parameters(cls)
    lines = ["    " + CLASS_MARKER, "    if TYPE_CHECKING:", ""]
    if params:
        lines.append(pad + "def __init__(")
        lines.append(pad + "    self,")
        lines += [pad + "    {0},".format(param) for param in params]
        lines.append(pad + ") -> None: ...")
    else:
        lines.append(pad + "def __init__(self) -> None: ...")
    lines.append("")
    for field in cls.fields:
        read, written = field_types(field)
        if read != written:
            lines += [
                pad + "@property",
                pad + "def {0}(self) -> {1}: ...".format(field.name, read),
                pad + "@{0}.setter".format(field.name),
                pad + "def {0}(self, value: {1}) -> None: ...".format(field.name, written),
            ]
            continue
        lines.append(pad + "{0}: {1}".format(field.name, read))
        doc = attribute_doc(field)
        if doc:
            wrapped = textwrap.wrap(doc, width=112 - len(pad))
            if len(wrapped) == 1:
                lines.append(pad + '"""{0}"""'.format(doc))
            else:
                lines += [pad + '"""' + wrapped[0], *(pad + line for line in wrapped[1:]), pad + '"""']
    return lines


def names_used(cls: Any) -> Set[str]:
    """The capitalized names (typing's, models') in the static types of ``cls``'s block."""
    texts = [re.sub(r'"[^"]*"', "", param) for param in parameters(cls)]  # not default values' words
    texts += [text for field in cls.fields for text in field_types(field)]
    texts += [text.split(":", 1)[1] for text in class_declarations(cls)]
    return {name for text in texts for name in re.findall(r"\b[A-Z]\w*", text)} - {"None", "True", "False"}


def import_block(needed: Set[str], module_of: Dict[str, str]) -> List[str]:
    typing_names = sorted(needed & TYPING_NAMES)
    others = sorted((module_of[name], name) for name in needed - TYPING_NAMES)
    if not typing_names and not others:
        return []
    lines = ["if TYPE_CHECKING:  " + IMPORT_MARKER]
    if typing_names:
        lines.append("    from typing import {0}".format(", ".join(typing_names)))
        if others:
            lines.append("")
    by_module: Dict[str, List[str]] = {}
    for module, name in others:
        by_module.setdefault(module, []).append(name)
    for module in sorted(by_module):
        lines.append("    from {0} import {1}".format(module, ", ".join(sorted(by_module[module]))))
    return lines


def _is_type_checking_if(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _bound_names(tree: ast.Module, skip: Sequence[ast.AST]) -> Set[str]:
    """Names the module binds at top level, outside the generated import block."""
    names: Set[str] = set()
    for node in tree.body:
        if node in skip:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif _is_type_checking_if(node):
            for inner in node.body:  # type: ignore[attr-defined]
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    names.update(alias.asname or alias.name for alias in inner.names)
    return names


def typed_source(source: str, classes: Dict[str, Any], module_of: Dict[str, str]) -> str:
    """``source`` (a model module's text) with the generated blocks of ``classes`` (by name)
    and of the module's imports brought up to date."""
    lines = source.split("\n")
    tree = ast.parse(source)
    if "TYPE_CHECKING" not in _bound_names(tree, ()):
        raise ValueError("the module must import TYPE_CHECKING from typing")
    needed: Set[str] = set()
    # Class blocks first, bottom-up, so earlier line numbers stay valid.
    class_nodes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name in classes]
    for node in sorted(class_nodes, key=lambda n: n.lineno, reverse=True):
        block = class_block(classes[node.name])
        needed |= names_used(classes[node.name])
        last = node.body[-1]
        end = node.end_lineno or last.lineno
        if _is_type_checking_if(last) and lines[last.lineno - 2].strip() == CLASS_MARKER:
            start = last.lineno - 2  # the marker line
            while start > 0 and not lines[start - 1].strip():
                start -= 1
            lines[start:end] = ["", *block]
        else:
            lines[end:end] = ["", *block]
    needed -= {name for name in classes}
    old_block = [node for node in tree.body if _is_type_checking_if(node)
                 and IMPORT_MARKER in lines[node.lineno - 1]]
    bound = _bound_names(tree, old_block)
    block = import_block(needed - bound, module_of)
    if old_block:
        node = old_block[0]
        lines[node.lineno - 1:node.end_lineno] = block
        if not block:  # drop the blank line left behind
            del lines[node.lineno - 1]
    elif block:
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        at = max(node.end_lineno or node.lineno for node in imports)
        lines[at:at] = ["", *block]
    return "\n".join(lines)
