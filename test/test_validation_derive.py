"""The models' declarations as specs: every declared key is known, with the declared type.

The expectations are written out here from shared/spec/schema.md (required fields, enum values,
limits), not derived from the rule tables in the module, so a wrong table fails here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from validation_data import (
    MINIMAL,
    UUID_A,
    batch,
    custom,
    ev,
    rules,
)

from mparticle import models
from mparticle.models import (
    UserIdentities,
)
from mparticle.models.base import registry
from mparticle.serialization import to_jsonable
from mparticle.validation import (
    validate,
)

# --------------------------------------------------------------------------------------------
# The models' declarations: every declared key is known, with the declared type
# --------------------------------------------------------------------------------------------

_SAMPLES = {"str": UUID_A, "int": 1, "float": 1.5, "bool": True}


def declared(model: Any) -> Dict[str, Any]:
    """Every field ``model`` declares, by JSON key, with a value of its type (nested objects: null)."""
    return {
        f.key: f.enum[-1] if f.enum else _SAMPLES.get(f.type, [] if f.type.startswith("list") else None)
        for f in model.fields
    }


def in_event(event_type: str, **data: Any) -> Dict[str, Any]:
    return batch(ev(event_type, **data))


PLACES: List[Tuple[Any, Any]] = [
    (models.Batch, lambda o: {**o, "events": []}),
    (models.DeviceInformation, lambda o: batch(device_info=o)),
    (models.ApplicationInformation, lambda o: batch(application_info=o)),
    (models.UserIdentities, lambda o: batch(user_identities=o)),
    (models.AttributionInfo, lambda o: batch(attribution_info=o)),
    (models.SourceInformation, lambda o: batch(source_info=o)),
    (models.ConsentState, lambda o: batch(consent_state=o)),
    (models.BatchContext, lambda o: batch(context=o)),
    (models.DataPlanContext, lambda o: batch(context={"data_plan": o})),
    (models.GDPRConsentState, lambda o: batch(consent_state={"gdpr": {"purpose": o}})),
    (models.CCPAConsentState, lambda o: batch(consent_state={"ccpa": {"data_sale_opt_out": o}})),
    (models.GeoLocation, lambda o: batch(custom(location=o))),
    (models.DeviceCurrentState, lambda o: batch(custom(device_current_state=o))),
    (models.MediaInfo, lambda o: batch(custom(media_info=o))),
    (models.ProductAction, lambda o: in_event("commerce_event", product_action=o)),
    (models.Product, lambda o: in_event("commerce_event", product_action={"action": "click", "products": [o]})),
    (models.PromotionAction, lambda o: in_event("commerce_event", promotion_action={**o, "action": "view"})),
    (models.Promotion, lambda o: in_event("commerce_event", promotion_action={"action": "view", "promotions": [o]})),
    (models.ProductImpression, lambda o: in_event("commerce_event", product_impressions=[o])),
    (models.ShoppingCart, lambda o: in_event("commerce_event", **MINIMAL["commerce_event"], shopping_cart=o)),
    (models.UserIdentity, lambda o: in_event("user_identity_change", new=o, old=o)),
    (models.EventBase, lambda o: batch({**o, "data": {}})),
    (models.EventData, lambda o: in_event("push_reaction", **o)),
    *[
        (model, lambda o, t=model.event_type: in_event(t, **o))
        for model in registry.values()
        if isinstance(model.event_type, str)
    ],
]


def test_places_cover_every_wire_model() -> None:
    responses = {"ApiResponse", "ApiResponseErrors"}
    assert {m.__name__ for m, _ in PLACES} == set(registry) - responses


@pytest.mark.parametrize("model, place", PLACES, ids=[m.__name__ for m, _ in PLACES])
def test_every_declared_key_is_known_with_its_type(model: Any, place: Any) -> None:
    """The validator knows each key a model declares (closed objects report no unknown key) and
    accepts a value of the declared type for it."""
    problems = validate(place(declared(model)))
    assert [p for p in problems if p.rule in ("unknown_key", "identity_key", "type")] == []


def test_consent_purposes_declare_the_same_fields() -> None:
    # one spec serves both regulations' purposes
    assert [(f.key, f.type) for f in models.GDPRConsentState.fields] == [
        (f.key, f.type) for f in models.CCPAConsentState.fields
    ]


def test_model_keys_outside_the_schema() -> None:
    # keys the schema lacks that the validator still accepts
    assert validate(batch(schema_version=2, source_info={"channel": "native"}, origin_mpid=1, batch_id=2)) == []
    # obsolete profile fields are not schema fields: open event data passes them unchecked
    assert validate(in_event("profile", **MINIMAL["profile"], profile_name={"any": "thing"})) == []
    # the legacy media_info object: typed as the model declares it
    assert rules(validate(batch(custom(media_info={"channel": {}, "action": "unknown"})))) == ["type"]


def test_a_model_key_is_checked_under_its_json_key() -> None:
    assert validate(batch(user_identities=to_jsonable(UserIdentities(customerid="1")))) == []
    assert validate(batch(user_identities={"customer_id": "1"})) == []
