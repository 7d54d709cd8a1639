"""The realistic batch, defined once, built two ways; importable by both benchmark workers.

Written only against the public API that this SDK and the original ``mparticle==0.16.1``
share (``m`` is the imported ``mparticle`` package of either side).

The batch: 10 events (session start, 6 custom events with 8 attributes each, a purchase
with 3 products, a screen view, session end), user identities, device info, 10 user
attributes and an MPID. The data lives in the constants and small functions below; the two
builders only differ in how they hand it to the SDK:

* :func:`build_setters`: the way the official mParticle Python docs (and ``example_usage.py``)
  write it: ``batch = mparticle.Batch(); batch.environment = 'development'``, identities,
  device info, user attributes, then each event as ``AppEvent('Example', 'navigation')``
  followed by one assignment per field, and ``batch.events = [...]`` last.
* :func:`build_ctor`: everything through constructor keywords.

With this SDK both give the same wire bytes (the benchmark checks it before timing).
Attribute dicts are literals built anew on every call, as caller code builds them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

TS = 1700000000000
MPID = 8675309123456789
IDFA = "5b1f8a56-8c1e-4d2a-9c7b-2f0e6d4a1b3c"
GAID = "a26f9736-c262-47ea-988b-0b0504cee874"
SESSION_ID = 123456789
SCREENS = ("home", "search", "product", "cart", "checkout", "account")
#: (id, name, brand, category, price, quantity) of the purchased products.
PRODUCTS: Tuple[Tuple[str, str, str, str, float, int], ...] = (
    ("sku-1001", "Running Shoes", "Acme", "Footwear", 89.99, 1),
    ("sku-2002", "Sport Socks", "Acme", "Apparel", 9.5, 3),
    ("sku-3003", "Water Bottle", "Hydro", "Outdoor", 24.0, 1),
)
IDENTITIES = {"customerid": "cust-123456", "email": "ada@example.com"}
DEVICE = {"ios_advertising_id": IDFA, "android_advertising_id": GAID, "platform": "iOS",
          "os_version": "17.4.1", "brand": "Apple"}
#: The small batch's user attributes and event (prebuilt: the small cases time the SDK only).
SMALL_ATTRIBUTES = {"plan": "premium", "age": 36}
HOME_ATTRIBUTES = {"screen": "home", "source": "tab_bar"}


def event_attributes(i: int) -> Dict[str, Any]:
    """The 8 custom attributes of custom event ``i`` (a literal dict, built anew on every call)."""
    return {
        "screen": SCREENS[i],
        "previous_screen": SCREENS[i - 1],
        "source": "tab_bar",
        "experiment": "exp_42",
        "variant": "B",
        "app_version": "5.4.1",
        "locale": "en_US",
        "position": "3",
    }


def user_attributes() -> Dict[str, Any]:
    """The 10 user attributes (a literal dict, built anew on every call)."""
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "plan": "premium",
        "age": 36,
        "city": "London",
        "country": "GB",
        "newsletter": True,
        "ltv": 1234.5,
        "signup_source": "referral",
        "favorite_category": "Footwear",
    }


def attribute_dicts() -> List[Any]:
    """The caller's own attribute dicts of one batch, alone (for the memory share)."""
    return [event_attributes(i) for i in range(len(SCREENS))] + [user_attributes()]


def _total() -> float:
    return round(sum(price * quantity for _, _, _, _, price, quantity in PRODUCTS), 2)


# -- setter style, in the order of the official docs ------------------------------------------
def _products_by_setters(m: Any) -> List[Any]:
    products = []
    for sku, name, brand, category, price, quantity in PRODUCTS:
        product = m.Product()
        product.name = name
        product.id = sku
        product.price = price
        product.quantity = quantity
        product.brand = brand
        product.category = category
        product.total_product_amount = round(price * quantity, 2)
        products.append(product)
    return products


def _events_by_setters(m: Any) -> List[Any]:
    session_start = m.SessionStartEvent()
    session_start.session_id = SESSION_ID
    session_start.timestamp_unixtime_ms = TS - 1000
    events = [session_start]
    for i, screen in enumerate(SCREENS):
        app_event = m.AppEvent("navigate_" + screen, "navigation")
        app_event.timestamp_unixtime_ms = TS + i * 1000
        app_event.custom_attributes = event_attributes(i)
        events.append(app_event)
    product_action = m.ProductAction("purchase")
    product_action.products = _products_by_setters(m)
    product_action.tax_amount = 10.0
    product_action.total_amount = _total()
    product_action.transaction_id = "txn-000123"
    product_action.shipping_amount = 0.0
    commerce_event = m.CommerceEvent(product_action)
    commerce_event.timestamp_unixtime_ms = TS + 6000
    commerce_event.currency_code = "USD"
    screen_view = m.ScreenViewEvent()
    screen_view.screen_name = "order_confirmation"
    screen_view.timestamp_unixtime_ms = TS + 7000
    session_end = m.SessionEndEvent()
    session_end.session_id = session_start.session_id
    session_end.timestamp_unixtime_ms = TS + 9000
    session_end.session_duration_ms = 10000
    return events + [commerce_event, screen_view, session_end]


def build_setters(m: Any) -> Any:
    """The realistic batch, built the way the official docs write it: ``Batch()`` + setters."""
    batch = m.Batch()
    batch.environment = "development"

    identities = m.UserIdentities()
    identities.customerid = IDENTITIES["customerid"]
    identities.email = IDENTITIES["email"]
    batch.user_identities = identities

    device_info = m.DeviceInformation()
    device_info.ios_advertising_id = DEVICE["ios_advertising_id"]
    device_info.android_advertising_id = DEVICE["android_advertising_id"]
    device_info.platform = DEVICE["platform"]
    device_info.os_version = DEVICE["os_version"]
    device_info.brand = DEVICE["brand"]
    batch.device_info = device_info

    batch.user_attributes = user_attributes()
    batch.events = _events_by_setters(m)
    batch.mpid = MPID
    return batch


# -- constructor style ------------------------------------------------------------------------
def _events_by_ctor(m: Any) -> List[Any]:
    products = [
        m.Product(id=sku, name=name, brand=brand, category=category, price=price,
                  quantity=quantity, total_product_amount=round(price * quantity, 2))
        for sku, name, brand, category, price, quantity in PRODUCTS
    ]
    action = m.ProductAction("purchase", transaction_id="txn-000123", total_amount=_total(),
                             tax_amount=10.0, shipping_amount=0.0, products=products)
    custom = [
        m.AppEvent(event_name="navigate_" + screen, custom_event_type="navigation",
                   timestamp_unixtime_ms=TS + i * 1000, custom_attributes=event_attributes(i))
        for i, screen in enumerate(SCREENS)
    ]
    return [
        m.SessionStartEvent(timestamp_unixtime_ms=TS - 1000, session_id=SESSION_ID),
        *custom,
        m.CommerceEvent(product_action=action, timestamp_unixtime_ms=TS + 6000,
                        currency_code="USD"),
        m.ScreenViewEvent(timestamp_unixtime_ms=TS + 7000, screen_name="order_confirmation"),
        m.SessionEndEvent(timestamp_unixtime_ms=TS + 9000, session_id=SESSION_ID,
                          session_duration_ms=10000),
    ]


def build_ctor(m: Any, events_in_constructor: bool = True) -> Any:
    """The realistic batch, everything through constructors.

    The original's ``Batch`` constructor does not wrap events (only its setter does): its
    worker passes ``events_in_constructor=False`` and assigns ``batch.events`` instead.
    """
    fields = dict(
        environment="development",
        user_identities=m.UserIdentities(**IDENTITIES),
        device_info=m.DeviceInformation(**DEVICE),
        user_attributes=user_attributes(),
        mpid=MPID,
    )
    if events_in_constructor:
        return m.Batch(events=_events_by_ctor(m), **fields)
    batch = m.Batch(**fields)
    batch.events = _events_by_ctor(m)
    return batch


# -- the small cases --------------------------------------------------------------------------
def app_event_three(m: Any) -> Any:
    """``AppEvent('Home', 'navigation')`` plus three assignments."""
    app_event = m.AppEvent("Home", "navigation")
    app_event.timestamp_unixtime_ms = TS
    app_event.session_id = SESSION_ID
    app_event.custom_attributes = HOME_ATTRIBUTES
    return app_event


def small_batch(m: Any) -> Any:
    """A small batch by setters: environment, identities, user attributes, one event, MPID."""
    batch = m.Batch()
    batch.environment = "development"
    identities = m.UserIdentities()
    identities.customerid = IDENTITIES["customerid"]
    identities.email = IDENTITIES["email"]
    batch.user_identities = identities
    batch.user_attributes = SMALL_ATTRIBUTES
    app_event = m.AppEvent("Home", "navigation")
    app_event.timestamp_unixtime_ms = TS
    batch.events = [app_event]
    batch.mpid = MPID
    return batch
