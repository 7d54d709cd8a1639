"""Exact wire bytes of models (``mparticle.serialization.dumps``) and the serializer's errors.

Every expected body below is written out literally: compact separators, declaration (swagger)
order, None dropped at model level, events wrapped as ``{"data": ..., "event_type": ...}``.
"""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal
from typing import Any

import pytest

from mparticle.models import (
    AppEvent,
    ApplicationInformation,
    ApplicationStateTransitionEvent,
    AttributionInfo,
    Batch,
    BatchContext,
    BreadcrumbEvent,
    CCPAConsentState,
    CommerceEvent,
    ConsentState,
    CrashReportEvent,
    DataPlanContext,
    DeviceCurrentState,
    DeviceInformation,
    EventBase,
    FirstRunEvent,
    GDPRConsentState,
    GeoLocation,
    MediaInfo,
    NetworkPerformanceEvent,
    OptOutEvent,
    Product,
    ProductAction,
    ProductImpression,
    ProfileEvent,
    Promotion,
    PromotionAction,
    PushMessageEvent,
    PushRegistrationEvent,
    ScreenViewEvent,
    SessionEndEvent,
    SessionStartEvent,
    ShoppingCart,
    UninstallEvent,
    UserAttributeChangeEvent,
    UserIdentities,
    UserIdentity,
    UserIdentityChangeEvent,
)
from mparticle.serialization import dumps, to_jsonable

UUID = "38400000-8cf0-11bd-b23e-10b96e4ef00d"

# (event, expected bytes of Batch(events=[event], environment="production"))
EVENT_CASES = [
    (
        lambda: AppEvent(
            "Hello",
            "navigation",
            timestamp_unixtime_ms=1,
            custom_attributes={"k": "v", "n": None},
            media_info=MediaInfo("play", quality="hd"),
            custom_flags={"Google.Category": "c", "answer": 42, "arrays": ["a", "b"]},
        ),
        b'{"events":[{"data":{"timestamp_unixtime_ms":1,"custom_attributes":{"k":"v","n":null},'
        b'"custom_event_type":"navigation","event_name":"Hello",'
        b'"media_info":{"action":"play","quality":"hd"},'
        b'"custom_flags":{"Google.Category":"c","answer":42,"arrays":["a","b"]}},'
        b'"event_type":"custom_event"}],"environment":"production"}',
    ),
    (
        lambda: ApplicationStateTransitionEvent(
            application_transition_type="application_exit",
            successfully_closed=True,
            launch_referral="ref",
        ),
        b'{"events":[{"data":{"successfully_closed":true,'
        b'"application_transition_type":"application_exit","launch_referral":"ref"},'
        b'"event_type":"application_state_transition"}],"environment":"production"}',
    ),
    (
        lambda: BreadcrumbEvent(session_number=2, label="step"),
        b'{"events":[{"data":{"session_number":2,"label":"step"},"event_type":"breadcrumb"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: CommerceEvent(
            ProductAction(
                "purchase",
                transaction_id="t1",
                total_amount=10.5,
                products=[Product(id="p1", name="Shoe", price=5.25, quantity=2)],
            ),
            currency_code="USD",
            event_name="Buy",
            custom_event_type="purchase",
        ),
        b'{"events":[{"data":{"product_action":{"action":"purchase","transaction_id":"t1",'
        b'"total_amount":10.5,"products":[{"id":"p1","name":"Shoe","price":5.25,"quantity":2}]},'
        b'"currency_code":"USD","event_name":"Buy","custom_event_type":"purchase"},'
        b'"event_type":"commerce_event"}],"environment":"production"}',
    ),
    (
        lambda: CommerceEvent(
            promotion_action=PromotionAction("click", [Promotion("id1", "Sale", "banner", "top")]),
            product_impressions=[ProductImpression("list", [Product(id="a")])],
            shopping_cart=ShoppingCart([Product(id="b")]),
            is_non_interactive=False,
        ),
        b'{"events":[{"data":{"promotion_action":{"action":"click","promotions":[{"id":"id1",'
        b'"name":"Sale","creative":"banner","position":"top"}]},'
        b'"product_impressions":[{"product_impression_list":"list","products":[{"id":"a"}]}],'
        b'"shopping_cart":{"products":[{"id":"b"}]},"is_non_interactive":false},'
        b'"event_type":"commerce_event"}],"environment":"production"}',
    ),
    (
        lambda: CrashReportEvent(
            breadcrumbs=[BreadcrumbEvent(label="b")],
            class_name="E",
            severity="fatal",
            message="boom",
            exception_handled=False,
        ),
        b'{"events":[{"data":{"breadcrumbs":[{"label":"b"}],"class_name":"E","severity":"fatal",'
        b'"message":"boom","exception_handled":false},"event_type":"crash_report"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: FirstRunEvent(session_uuid="u-1"),
        b'{"events":[{"data":{"session_uuid":"u-1"},"event_type":"first_run"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: NetworkPerformanceEvent(
            http_verb="GET",
            url="https://example.com/a?b=1",
            time_elapsed=5,
            bytes_in=1,
            bytes_out=2,
            response_code=200,
        ),
        b'{"events":[{"data":{"http_verb":"GET","url":"https://example.com/a?b=1",'
        b'"time_elapsed":5,"bytes_in":1,"bytes_out":2,"response_code":200},'
        b'"event_type":"network_performance"}],"environment":"production"}',
    ),
    (
        lambda: OptOutEvent(is_opted_out=True),
        b'{"events":[{"data":{"is_opted_out":true},"event_type":"opt_out"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: ProfileEvent(profile_event_type="login", previous_mpid=1, current_mpid=2),
        b'{"events":[{"data":{"profile_event_type":"login","previous_mpid":1,"current_mpid":2},'
        b'"event_type":"profile"}],"environment":"production"}',
    ),
    (
        lambda: PushMessageEvent(
            push_message_token="tok",
            push_message_type="received",
            application_state="background",
            push_message_behavior="Read",
        ),
        b'{"events":[{"data":{"push_message_token":"tok","push_message_type":"received",'
        b'"application_state":"background","push_message_behavior":"Read"},'
        b'"event_type":"push_message"}],"environment":"production"}',
    ),
    (
        lambda: PushRegistrationEvent(register=True, registration_token="tok"),
        b'{"events":[{"data":{"register":true,"registration_token":"tok"},'
        b'"event_type":"push_registration"}],"environment":"production"}',
    ),
    (
        lambda: ScreenViewEvent(
            screen_name="Home",
            activity_type="activity_started",
            location=GeoLocation(1.5, -2.25, 10),
        ),
        b'{"events":[{"data":{"location":{"latitude":1.5,"longitude":-2.25,"accuracy":10},'
        b'"screen_name":"Home","activity_type":"activity_started"},"event_type":"screen_view"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: SessionEndEvent(session_id=7, session_duration_ms=1000),
        b'{"events":[{"data":{"session_id":7,"session_duration_ms":1000},'
        b'"event_type":"session_end"}],"environment":"production"}',
    ),
    (
        lambda: SessionStartEvent(
            session_id=7,
            device_current_state=DeviceCurrentState(battery_level=0.5, device_orientation="portrait"),
        ),
        b'{"events":[{"data":{"session_id":7,"device_current_state":{"battery_level":0.5,'
        b'"device_orientation":"portrait"}},"event_type":"session_start"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: UserAttributeChangeEvent(
            user_attribute_name="color",
            new=["red", "blue"],
            old="green",
            deleted=False,
            is_new_attribute=False,
        ),
        b'{"events":[{"data":{"user_attribute_name":"color","new":["red","blue"],"old":"green",'
        b'"deleted":false,"is_new_attribute":false},"event_type":"user_attribute_change"}],'
        b'"environment":"production"}',
    ),
    (
        lambda: UserIdentityChangeEvent(
            new=UserIdentity("email", "a@b.c", 5, True),
            old=UserIdentity("email", "old@b.c"),
        ),
        b'{"events":[{"data":{"new":{"identity_type":"email","identity":"a@b.c",'
        b'"timestamp_unixtime_ms":5,"created_this_batch":true},'
        b'"old":{"identity_type":"email","identity":"old@b.c"}},'
        b'"event_type":"user_identity_change"}],"environment":"production"}',
    ),
    (
        lambda: UninstallEvent(timestamp_unixtime_ms=9, event_id=3, source_message_id="m"),
        b'{"events":[{"data":{"timestamp_unixtime_ms":9,"event_id":3,"source_message_id":"m"},'
        b'"event_type":"uninstall"}],"environment":"production"}',
    ),
]


@pytest.mark.parametrize(
    "build,expected", EVENT_CASES, ids=[json.loads(e)["events"][0]["event_type"] for _, e in EVENT_CASES]
)
def test_event_in_batch_wire_bytes(build: Any, expected: bytes) -> None:
    event = build()
    batch = Batch(events=[event], environment="production")
    assert dumps(batch) == expected
    setter_built = Batch()
    setter_built.environment = "production"
    setter_built.events = [event]
    assert dumps(setter_built) == expected
    assert json.loads(expected) == to_jsonable(batch)


def test_every_event_kind_is_covered() -> None:
    kinds = {json.loads(expected)["events"][0]["event_type"] for _, expected in EVENT_CASES}
    assert len(kinds) == 17


def test_spec_section_4_3_example() -> None:
    batch = Batch()
    batch.environment = "development"
    batch.events = [
        SessionStartEvent(),
        AppEvent("Hello World", "navigation"),
        CommerceEvent(ProductAction("purchase")),
    ]
    expected = (
        b'{"events":[{"data":{},"event_type":"session_start"},'
        b'{"data":{"custom_event_type":"navigation","event_name":"Hello World"},'
        b'"event_type":"custom_event"},'
        b'{"data":{"product_action":{"action":"purchase"}},"event_type":"commerce_event"}],'
        b'"environment":"development"}'
    )
    assert dumps(batch) == expected
    spec_text = """{"events": [{"data": {}, "event_type": "session_start"},
            {"data": {"custom_event_type": "navigation", "event_name": "Hello World"}, "event_type": "custom_event"},
            {"data": {"product_action": {"action": "purchase"}}, "event_type": "commerce_event"}],
 "environment": "development"}"""
    assert json.loads(expected) == json.loads(spec_text)
    assert dumps(Batch(events=batch.events[:1] + [AppEvent("x")])).startswith(
        b'{"events":[{"data":{},"event_type":"session_start"},{"data":{"custom_event_type":"other"'
    )


def test_full_batch_wire_bytes() -> None:
    consent = ConsentState()
    consent.ccpa = {"data_sale_opt_out": CCPAConsentState("ccpa-doc", True, 10, "loc", "hw")}
    consent.gdpr = {"document_agreement": GDPRConsentState("gdpr-doc", False, 11, regulation="gdpr")}
    batch = Batch(
        events=[SessionStartEvent()],
        source_request_id="req-1",
        environment="development",
        ip="1.2.3.4",
        schema_version=2,
        device_info=DeviceInformation(
            platform="iOS", ios_advertising_id=UUID, att_authorization_status="authorized"
        ),
        application_info=ApplicationInformation("app", "1.0", os="IOS"),
        user_attributes={"eyes": "brown", "favorite_foods": ["indian", "chinese"], "gone": None},
        deleted_user_attributes=["old"],
        user_identities=UserIdentities(customerid="c1", email="e@x.y"),
        api_key="key",
        mpid=600868121729048600,
        mp_deviceid="dev",
        consent_state=consent,
        context=BatchContext(DataPlanContext("plan", 2)),
        integration_attributes={"123": {"someIntegrationAttribute": "value"}},
        partner_identity="pid",
        partner_identities={"Partner_Id": "x"},
        attribution_info=AttributionInfo("sp", "pub", "camp"),
        api_keys=["k1", "k2"],
        sdk_version="0.16.1",
        job_id="job",
    )
    assert dumps(batch) == (
        b'{"events":[{"data":{},"event_type":"session_start"}],"source_request_id":"req-1",'
        b'"environment":"development","ip":"1.2.3.4","schema_version":2,'
        b'"device_info":{"platform":"iOS","ios_advertising_id":"38400000-8cf0-11bd-b23e-10b96e4ef00d",'
        b'"att_authorization_status":"authorized"},'
        b'"application_info":{"application_name":"app","application_version":"1.0","os":"IOS"},'
        b'"user_attributes":{"eyes":"brown","favorite_foods":["indian","chinese"],"gone":null},'
        b'"deleted_user_attributes":["old"],"user_identities":{"customer_id":"c1","email":"e@x.y"},'
        b'"consent_state":{"ccpa":{"data_sale_opt_out":{"document":"ccpa-doc","consented":true,'
        b'"timestamp_unixtime_ms":10,"location":"loc","hardware_id":"hw"}},'
        b'"gdpr":{"document_agreement":{"document":"gdpr-doc","consented":false,'
        b'"timestamp_unixtime_ms":11,"regulation":"gdpr"}}},'
        b'"integration_attributes":{"123":{"someIntegrationAttribute":"value"}},'
        b'"api_key":"key","mpid":600868121729048600,"mp_deviceid":"dev",'
        b'"context":{"data_plan":{"plan_id":"plan","plan_version":2}},'
        b'"partner_identity":"pid","partner_identities":{"Partner_Id":"x"},'
        b'"attribution_info":{"service_provider":"sp","publisher":"pub","campaign":"camp"},'
        b'"api_keys":["k1","k2"],"sdk_version":"0.16.1","job_id":"job"}'
    )


def test_device_information_serializes_in_swagger_order_not_constructor_order() -> None:
    device = DeviceInformation(
        android_advertising_id=UUID,
        ios_idfv=UUID,
        att_authorization_status="denied",
        att_timestamp_unixtime_ms=5,
        fire_advertising_id=UUID,
        amp_id="amp",
    )
    assert list(json.loads(dumps(device))) == [
        "amp_id",
        "fire_advertising_id",
        "att_timestamp_unixtime_ms",
        "att_authorization_status",
        "ios_idfv",
        "android_advertising_id",
    ]


def test_bulk_list_of_batches() -> None:
    batches = [Batch(environment="production"), Batch(mpid=1)]
    assert dumps(batches) == b'[{"environment":"production"},{"mpid":1}]'


# --------------------------------------------------------------------------------------------
# Scalars the original converted (0.16.0): Decimal, date, datetime, time
# --------------------------------------------------------------------------------------------


def test_pinned_sanitize_example_from_spec_6_2() -> None:
    data = {
        "a_string": "foo",
        "a_int": 123,
        "a_float": 1.23,
        "a_bool": True,
        "a_null": None,
        "a_date": datetime.date(2023, 5, 3),
        "a_datetime": datetime.datetime(2023, 5, 3, 10, 58, 16, 123),
        "a_time": datetime.time(10, 58, 16, 123),
        "a_decimal": Decimal("5.2E+7"),
        "a_dict": {"a_string": "foo", "a_int": 123},
        "a_array": ["hello", "world"],
    }
    pinned = (
        '{"a_string": "foo", "a_int": 123, "a_float": 1.23, "a_bool": true, "a_null": null, '
        '"a_date": "2023-05-03", "a_datetime": "2023-05-03T10:58:16.000123", '
        '"a_time": "10:58:16.000123", "a_decimal": "5.2E+7", '
        '"a_dict": {"a_string": "foo", "a_int": 123}, "a_array": ["hello", "world"]}'
    )
    assert json.dumps(to_jsonable(data)) == pinned
    assert dumps(data) == (
        b'{"a_string":"foo","a_int":123,"a_float":1.23,"a_bool":true,"a_null":null,'
        b'"a_date":"2023-05-03","a_datetime":"2023-05-03T10:58:16.000123",'
        b'"a_time":"10:58:16.000123","a_decimal":"5.2E+7",'
        b'"a_dict":{"a_string":"foo","a_int":123},"a_array":["hello","world"]}'
    )


@pytest.mark.parametrize(
    "value,expected",
    [
        (Decimal("1.10"), b'"1.10"'),
        (Decimal("5.2E+7"), b'"5.2E+7"'),
        (Decimal("-0"), b'"-0"'),
        (Decimal("NaN"), b'"NaN"'),
        (datetime.date(2023, 5, 3), b'"2023-05-03"'),
        (datetime.datetime(2023, 5, 3, 10, 58, 16), b'"2023-05-03T10:58:16"'),
        (
            datetime.datetime(2023, 5, 3, 10, 58, 16, 123, tzinfo=datetime.timezone.utc),
            b'"2023-05-03T10:58:16.000123+00:00"',
        ),
        (datetime.time(10, 58, 16, 123), b'"10:58:16.000123"'),
        (True, b"true"),
        (600868121729048600, b"600868121729048600"),
        ("caf\u00e9 \U0001f600", b'"caf\\u00e9 \\ud83d\\ude00"'),
        (-0.0, b"-0.0"),
        (1e300, b"1e+300"),
    ],
)
def test_scalar_conversions(value: Any, expected: bytes) -> None:
    assert dumps(value) == expected
    product = Product(id="p", price=value)
    assert dumps(product) == b'{"id":"p","price":' + expected + b"}"
    assert dumps(Product(custom_attributes={"v": value})) == b'{"custom_attributes":{"v":' + expected + b"}}"


def test_timestamp_datetime_is_not_converted_to_epoch() -> None:
    event = AppEvent("x", timestamp_unixtime_ms=datetime.datetime(2023, 5, 3))
    assert dumps(event) == (
        b'{"timestamp_unixtime_ms":"2023-05-03T00:00:00","custom_event_type":"other","event_name":"x"}'
    )


# --------------------------------------------------------------------------------------------
# None, empty containers, tuples, ordering, keys
# --------------------------------------------------------------------------------------------


def test_none_dropped_at_model_level_kept_in_plain_containers() -> None:
    event = AppEvent(
        "x",
        custom_event_type=None,
        session_id=None,
        custom_attributes={"a": None},
        custom_flags={"list": [None, 1], "nested": {"n": None}},
    )
    assert dumps(event) == (
        b'{"custom_attributes":{"a":null},"event_name":"x",'
        b'"custom_flags":{"list":[null,1],"nested":{"n":null}}}'
    )
    assert dumps(Batch(deleted_user_attributes=["a", None])) == b'{"deleted_user_attributes":["a",null]}'


def test_models_inside_plain_containers_drop_their_none_fields() -> None:
    batch = Batch(user_attributes={"geo": GeoLocation(1.0, None, 2.0), "list": [Product(id="p")]})
    assert dumps(batch) == b'{"user_attributes":{"geo":{"latitude":1.0,"accuracy":2.0},"list":[{"id":"p"}]}}'


def test_empty_dict_and_list_are_kept() -> None:
    batch = Batch(events=[], user_attributes={}, deleted_user_attributes=[], integration_attributes={})
    assert dumps(batch) == (
        b'{"events":[],"user_attributes":{},"deleted_user_attributes":[],"integration_attributes":{}}'
    )
    assert dumps(ProductAction("purchase", products=[])) == b'{"action":"purchase","products":[]}'
    assert dumps(ConsentState()) == b'{"ccpa":{},"gdpr":{}}'


def test_tuples_of_models_serialize_as_lists() -> None:
    products = (Product(id="a"), Product(id="b", price=1.5))
    assert dumps(products) == b'[{"id":"a"},{"id":"b","price":1.5}]'
    assert dumps(ProductAction("purchase", products=products)) == (
        b'{"action":"purchase","products":[{"id":"a"},{"id":"b","price":1.5}]}'
    )
    assert dumps(Batch(user_attributes={"t": (1, (2, GeoLocation(3.0)))})) == (
        b'{"user_attributes":{"t":[1,[2,{"latitude":3.0}]]}}'
    )
    assert to_jsonable(products) == [{"id": "a"}, {"id": "b", "price": 1.5}]


def test_setter_built_keys_follow_declaration_order() -> None:
    product = Product()
    product.custom_attributes = {"c": "d"}
    product.price = 1.5
    product.name = "n"
    product.id = "x"
    assert dumps(product) == b'{"id":"x","name":"n","price":1.5,"custom_attributes":{"c":"d"}}'
    product.name = None
    product.name = "again"
    assert dumps(product) == b'{"id":"x","name":"again","price":1.5,"custom_attributes":{"c":"d"}}'
    product.id = "changed"
    assert dumps(product).startswith(b'{"id":"changed","name":"again"')

    event = AppEvent("x")
    event.custom_flags = {"f": 1}
    event.timestamp_unixtime_ms = 5
    event.location = GeoLocation(longitude=2.0, latitude=1.0)
    assert dumps(event) == (
        b'{"timestamp_unixtime_ms":5,"location":{"latitude":1.0,"longitude":2.0},'
        b'"custom_event_type":"other","event_name":"x","custom_flags":{"f":1}}'
    )


def test_customer_id_key() -> None:
    identities = UserIdentities(customerid="c", other="o", email="e")
    assert dumps(identities) == b'{"other":"o","customer_id":"c","email":"e"}'
    identities.customer_id = "z"
    assert identities.customerid == "z"
    assert dumps(identities) == b'{"other":"o","customer_id":"z","email":"e"}'
    identities.customer_id = None
    assert identities.customerid is None
    assert dumps(identities) == b'{"other":"o","email":"e"}'
    setter_built = UserIdentities()
    setter_built.email = "e"
    setter_built.customer_id = "c"
    assert dumps(setter_built) == b'{"customer_id":"c","email":"e"}'


def test_event_base_key_order_and_explicit_wrappers() -> None:
    wrapper = EventBase(event_type="crash_report", data=CrashReportEvent(message="m"))
    assert dumps(wrapper) == b'{"data":{"message":"m"},"event_type":"crash_report"}'
    assert dumps(Batch(events=[wrapper, {"event_type": "x", "data": {}}])) == (
        b'{"events":[{"data":{"message":"m"},"event_type":"crash_report"},{"event_type":"x","data":{}}]}'
    )


def test_shared_references_are_not_cycles() -> None:
    shared = {"a": 1}
    location = GeoLocation(1.0)
    event = AppEvent("x", location=location, custom_flags={"p": shared, "q": shared, "loc": location})
    assert dumps(event) == (
        b'{"location":{"latitude":1.0},"custom_event_type":"other","event_name":"x",'
        b'"custom_flags":{"p":{"a":1},"q":{"a":1},"loc":{"latitude":1.0}}}'
    )


def test_output_is_ascii_bytes() -> None:
    out = dumps(AppEvent("\u00fcber \u2603", custom_flags={"\u00e9": "\u00e8"}))
    assert isinstance(out, bytes)
    out.decode("ascii")
    assert json.loads(out)["event_name"] == "\u00fcber \u2603"


# --------------------------------------------------------------------------------------------
# Errors name the field path
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_name_the_path(bad: float) -> None:
    batch = Batch(events=[AppEvent("x", custom_flags={"price": bad})])
    with pytest.raises(ValueError) as info:
        dumps(batch)
    message = str(info.value)
    assert "custom_flags" in message
    assert "price" in message
    assert message.startswith("Batch.events[0].data.custom_flags['price']: ")
    assert "not valid JSON" in message


@pytest.mark.parametrize(
    "build,path",
    [
        (
            lambda bad: CommerceEvent(ProductAction("purchase", products=[Product(id="a"), Product(price=bad)])),
            "CommerceEvent.product_action.products[1].price",
        ),
        (lambda bad: AppEvent("x", custom_attributes={"v": bad}), "AppEvent.custom_attributes['v']"),
        (lambda bad: GeoLocation(1.0, bad), "GeoLocation.longitude"),
        (lambda bad: Batch(user_attributes={"l": [1, (2, bad)]}), "Batch.user_attributes['l'][1][1]"),
        (lambda bad: {"a": [bad]}, "$['a'][0]"),
        (lambda bad: bad, "$"),
        (lambda bad: [Batch(mpid=bad)], "$[0].mpid"),
    ],
)
def test_non_finite_float_paths(build: Any, path: str) -> None:
    with pytest.raises(ValueError) as info:
        dumps(build(math.nan))
    assert str(info.value).startswith(path + ": ")
    with pytest.raises(ValueError) as info:
        to_jsonable(build(math.inf))
    assert str(info.value).startswith(path + ": ")


def test_non_finite_float_dict_key_names_the_path() -> None:
    with pytest.raises(ValueError) as info:
        dumps(Batch(user_attributes={math.nan: 1}))
    assert str(info.value).startswith("Batch.user_attributes: dict key nan")


@pytest.mark.parametrize(
    "bad,type_name",
    [({1, 2}, "set"), (frozenset(), "frozenset"), (b"x", "bytes"), (bytearray(b"x"), "bytearray"),
     (object(), "object"), (1j, "complex")],
)  # fmt: skip
def test_unserializable_objects_name_the_path(bad: Any, type_name: str) -> None:
    batch = Batch(events=[ScreenViewEvent(custom_flags={"k": [0, bad]})])
    with pytest.raises(TypeError) as info:
        dumps(batch)
    assert str(info.value) == (
        "Batch.events[0].data.custom_flags['k'][1]: object of type {0} is not JSON serializable".format(type_name)
    )
    with pytest.raises(TypeError, match=r"^UserAttributeChangeEvent\.new: object of type"):
        dumps(UserAttributeChangeEvent(new=bad))


def test_non_string_dict_key_names_the_path() -> None:
    with pytest.raises(TypeError) as info:
        dumps(AppEvent("x", custom_flags={"ok": {(1, 2): "v"}}))
    assert str(info.value) == "AppEvent.custom_flags['ok']: dict key (1, 2) is not a string"


def test_json_scalar_dict_keys_are_encoded_like_json() -> None:
    assert dumps(Batch(user_attributes={1: "a", 2.5: "b", None: "c", False: "d"})) == (
        b'{"user_attributes":{"1":"a","2.5":"b","null":"c","false":"d"}}'
    )


def test_circular_references_name_the_path() -> None:
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(ValueError) as info:
        dumps(AppEvent("x", custom_flags={"loop": loop}))
    assert str(info.value) == "AppEvent.custom_flags['loop']['self']: circular reference"

    items: list = [1]
    items.append(items)
    with pytest.raises(ValueError) as info:
        dumps(Batch(user_attributes={"items": items}))
    assert str(info.value) == "Batch.user_attributes['items'][1]: circular reference"

    event = AppEvent("x")
    event.custom_flags = {"me": event}
    with pytest.raises(ValueError) as info:
        dumps(Batch(events=[event]))
    assert str(info.value) == "Batch.events[0].data.custom_flags['me']: circular reference"

    batch = Batch()
    batch.user_attributes = {"batch": batch}
    with pytest.raises(ValueError, match=r"^Batch\.user_attributes\['batch'\]: circular reference$"):
        dumps(batch)


# -- bulk bodies: encode_bulk and join_batches ----------------------------------------------------


def _bulk_mix() -> list:
    return [
        Batch(environment="development", mpid=1, events=[AppEvent(event_name="a", custom_event_type="other")]),
        {"environment": "production", "user_attributes": {"plan": "premium", "n": 2}},
        Batch(environment="production", user_attributes={"k": "v"}),
    ]


def test_encode_bulk_gives_the_bytes_of_join_batches_of_encode_batch() -> None:
    from mparticle.serialization import encode_batch, encode_bulk, join_batches

    batches = _bulk_mix()
    expected = join_batches([encode_batch(b, 1 << 20) for b in batches])
    assert encode_bulk(batches, 1 << 20) == expected
    assert expected == b"[" + b",".join(dumps(b) for b in batches) + b"]"
    assert encode_bulk(batches[:1], 1 << 20) == b"[" + dumps(batches[0]) + b"]"
    assert encode_bulk([], 1) == b"[]"


def test_join_batches_edges() -> None:
    from mparticle.serialization import join_batches

    assert join_batches([]) == b"[]"
    assert join_batches([b"{}"]) == b"[{}]"
    assert join_batches([b"1", b"2", b"3"]) == b"[1,2,3]"
    assert join_batches(p for p in (b"1", b"2")) == b"[1,2]"  # any iterable, as before
    parts = [bytearray(b"1"), memoryview(b"2"), bytearray(b"3")]
    assert join_batches(parts) == b"[1,2,3]" and join_batches(parts[2:]) == b"[3]"
    assert parts[0] == b"1" and parts[2] == b"3"  # the caller's parts are left alone


def test_encode_bulk_refuses_as_encode_batch_would_labelled_by_index() -> None:
    from mparticle.serialization import encode_bulk

    small, big = {"environment": "production"}, {"environment": "production", "user_attributes": {"plan": "p"}}
    limit = len(dumps(small))
    with pytest.raises(ValueError) as caught:
        encode_bulk([small, big], limit)
    assert str(caught.value) == f"batch 1 is {len(dumps(big))} bytes serialized, over the {limit}-byte limit per batch"
    with pytest.raises(TypeError, match=r"^batch 2: expected a Batch or a dict, got AppEvent \(wrap events"):
        encode_bulk([small, big, AppEvent(event_name="x", custom_event_type="other")], 1 << 20)
    with pytest.raises(TypeError, match=r"^batch 0: expected a Batch or a dict, got list"):
        encode_bulk([[small]], 1 << 20)
    with pytest.raises(ValueError, match=r"^\$\['user_attributes'\]\['x'\]: nan is not valid JSON"):
        encode_bulk([small, {"user_attributes": {"x": math.nan}}], 1 << 20)
    colliding = {"user_attributes": {1: "a", "1": "b"}}
    with pytest.raises(ValueError, match=r"^batch 1\['user_attributes'\]"):
        encode_bulk([small, colliding], 1 << 20)
    assert encode_bulk([colliding], 1 << 20, check_dict_keys=False) == b'[{"user_attributes":{"1":"a","1":"b"}}]'
