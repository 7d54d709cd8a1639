"""The field type language parsed once: mparticle.models.field_types."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Type

import pytest

from mparticle import models
from mparticle.models.base import Field, Model, registry
from mparticle.models.field_types import KINDS, FieldType, parse_type
from mparticle.serialization import dumps


@pytest.mark.parametrize(
    "text, kind",
    [
        ("str", "native"),
        ("int", "native"),
        ("long", "native"),
        ("float", "native"),
        ("bool", "native"),
        ("object", "object"),
        ("dict", "dict"),
        ("date", "date"),
        ("datetime", "date"),
        ("GeoLocation", "model"),
        ("list[str]", "list"),
        ("dict(str, str)", "map"),
    ],
)
def test_kinds(text: str, kind: str) -> None:
    parsed = parse_type(text)
    assert (parsed.text, parsed.kind, str(parsed)) == (text, kind, text)
    assert kind in KINDS


def test_nested_types() -> None:
    products = parse_type("list[Product]")
    assert products.kind == "list" and products.key is None
    assert products.item == FieldType("Product", "model")
    assert products.item.model is models.Product
    nested = parse_type("dict(str, dict(str, str))")
    assert nested.kind == "map"
    assert nested.key == FieldType("str", "native")
    assert nested.item == FieldType(
        "dict(str, str)", "map", item=FieldType("str", "native"), key=FieldType("str", "native")
    )
    assert parse_type("list[list[int]]").value_type is parse_type("list[int]")
    assert nested.value_type is nested.item
    with pytest.raises(TypeError, match="not a list or map"):
        parse_type("int").value_type  # noqa: B018 - the lookup is the test


def test_parsed_once_and_frozen() -> None:
    assert parse_type("list[Product]") is parse_type("list[Product]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_type("int").kind = "model"  # type: ignore[misc]


def test_model_resolution_is_by_registered_name() -> None:
    assert parse_type("Batch").model is models.Batch
    with pytest.raises(KeyError):
        parse_type("NoSuchModel").model  # noqa: B018 - the lookup is the test


def test_every_declared_field_carries_its_parsed_type() -> None:
    for model in registry.values():
        for f in model.fields:
            assert f.field_type is parse_type(f.type)
            if f.field_type.kind == "model":
                assert f.field_type.model.__name__ == f.type
            elif f.field_type.kind == "list" and f.field_type.item is not None and f.field_type.item.kind == "model":
                assert f.field_type.item.model.__name__ == f.type[5:-1]


def test_generated_surface_keeps_strings() -> None:
    """swagger_types and attribute_map stay the original's dicts of strings."""
    for model in registry.values():
        assert all(type(v) is str for v in model.swagger_types.values())
        assert all(type(v) is str for v in model.attribute_map.values())
        assert model.swagger_types == {f.name: f.type for f in model.fields}
    assert models.Product.swagger_types["custom_attributes"] == "dict(str, str)"
    assert models.ProductAction.swagger_types["products"] == "list[Product]"


@pytest.fixture
def sample_model() -> Iterator[Type[Model]]:
    class Sample(Model):
        fields = (
            Field("names", "list[str]"),
            Field("where", "GeoLocation"),
            Field("bag", "dict(str, str)"),
            Field("count", "int"),
        )

    yield Sample
    del registry["Sample"]


def test_structure_checks_follow_the_kind(sample_model: Type[Model]) -> None:
    sample_model(names=("a",), where={"latitude": 1}, bag={"a": "b"}, count="not checked")  # valid values
    for field, bad, message in (("names", "a", "expected a list"), ("where", 3, "expected a GeoLocation or a dict"),
                                ("bag", ["a"], "expected a dict")):
        with pytest.raises(ValueError, match=message):
            sample_model(**{field: bad})
        built: Any = sample_model()
        setattr(built, field, bad)  # assignments are checked when the model is serialized
        with pytest.raises(ValueError, match=message):
            dumps(built)
    assert sample_model.swagger_types == {
        "names": "list[str]",
        "where": "GeoLocation",
        "bag": "dict(str, str)",
        "count": "int",
    }
