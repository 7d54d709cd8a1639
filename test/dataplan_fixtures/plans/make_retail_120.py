"""Writes retail_120.json: a realistic retail/media data plan (one version) with 120+ points.

Deterministic (no randomness): ``python test/dataplan_fixtures/plans/make_retail_120.py``
rewrites the committed file byte for byte. Newer-style typing (``number``/``integer``/
``boolean``), enums, patterns, ``date-time`` formats, nullable types and descriptions; custom
events of every ``custom_event_type``, screen views, every product action, promotion actions,
product impressions, user attributes and user identities.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

from mparticle.models import product_action

ATTRIBUTES: Dict[str, Dict[str, Any]] = {
    "product_id": {"type": "string", "pattern": "^SKU-[0-9]{6}$", "description": "Catalogue SKU, e.g. SKU-004211."},
    "category": {
        "type": "string",
        "enum": ["apparel", "footwear", "electronics", "home", "beauty", "grocery", "toys"],
        "description": "Top-level merchandising category.",
    },
    "price": {"type": "number", "minimum": 0, "description": "Unit price in the session currency."},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
    "is_member": {"type": "boolean", "description": "Whether the shopper is a loyalty member."},
    "search_term": {"type": "string", "minLength": 1, "maxLength": 200},
    "result_count": {"type": "integer", "minimum": 0},
    "sort_order": {"type": "string", "enum": ["relevance", "price_asc", "price_desc", "newest", "rating"]},
    "store_id": {"type": "string", "pattern": "^ST[0-9]{4}$", "description": "Physical store code."},
    "latitude": {"type": "number", "minimum": -90, "maximum": 90},
    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    "distance_km": {"type": "number", "minimum": 0},
    "content_id": {"type": "string", "description": "CMS content identifier."},
    "media_type": {"type": "string", "enum": ["video", "audio", "podcast", "live"]},
    "playback_position_s": {"type": "number", "minimum": 0, "description": "Playhead position, seconds."},
    "duration_s": {"type": "number", "minimum": 0},
    "rating": {"type": "integer", "enum": [1, 2, 3, 4, 5], "description": "Star rating."},
    "share_channel": {"type": "string", "enum": ["facebook", "instagram", "x", "email", "sms", "copy_link"]},
    "opt_in": {"type": "boolean"},
    "notification_type": {"type": "string", "enum": ["push", "email", "sms", "in_app"]},
    "occurred_at": {"type": "string", "format": "date-time", "description": "When it happened (ISO 8601)."},
    "Referral Source": {"type": "string", "description": "Free-text referral source as entered."},
    "$currency": {"type": "string", "enum": ["USD", "EUR", "GBP", "CAD"]},
    "coupon_code": {"type": ["string", "null"], "description": "Applied coupon, or null."},
    "error_code": {"type": "integer"},
    "app_version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"},
    "experiment_variant": {"type": "string", "enum": ["control", "A", "B"]},
    "list_name": {"type": "string"},
    "position": {"type": "integer", "minimum": 0},
    "review_length": {"type": "integer", "minimum": 0},
    "has_photos": {"type": "boolean"},
    "language": {"type": "string", "enum": ["en", "fr", "de", "es"]},
    "wishlist_size": {"type": ["integer", "null"]},
    "bitrate_kbps": {"type": "number"},
    "subtitle_language": {"type": ["string", "null"], "enum": ["en", "fr", "de", "es", None]},
    "payment_method": {"type": "string", "enum": ["card", "paypal", "apple_pay", "gift_card", "klarna"]},
    "delivery_type": {"type": "string", "enum": ["standard", "express", "click_and_collect"]},
    "Item Count": {"type": "integer", "minimum": 0},
    "channel": {"type": "string", "const": "app"},
}

# custom_event_type -> (event name, description, attribute names, how many of them are required)
CUSTOM_EVENTS: Dict[str, List[Tuple[str, str, List[str], int]]] = {
    "navigation": [
        ("Menu Opened", "The main navigation drawer was opened.", ["category", "experiment_variant"], 0),
        ("Category Browsed", "A category landing page was browsed.", ["category", "sort_order", "result_count"], 1),
        ("Breadcrumb Clicked", "", ["category", "position"], 1),
        ("Tab Switched", "Bottom tab bar selection changed.", ["list_name", "position"], 1),
        ("Deep Link Opened", "App opened through a deep link.", ["Referral Source", "content_id", "occurred_at"], 1),
        ("Back Pressed", "", ["list_name"], 0),
        ("Filter Applied", "A product list filter was applied.", ["category", "sort_order", "Item Count"], 2),
        ("Pagination Loaded", "", ["position", "result_count"], 2),
    ],
    "location": [
        ("Store Locator Opened", "", ["latitude", "longitude"], 0),
        ("Store Selected", "A home store was chosen.", ["store_id", "distance_km", "latitude", "longitude"], 1),
        ("Geofence Entered", "The device entered a store geofence.", ["store_id", "occurred_at"], 2),
        ("Geofence Exited", "", ["store_id", "occurred_at", "duration_s"], 2),
        ("Directions Requested", "", ["store_id", "distance_km"], 1),
        ("Location Permission Changed", "", ["opt_in"], 1),
        ("Curbside Arrival", "Shopper arrived for curbside pickup.", ["store_id", "occurred_at"], 1),
    ],
    "search": [
        ("Search Performed", "A product search was run.", ["search_term", "result_count", "sort_order"], 2),
        ("Search Suggestion Clicked", "", ["search_term", "position"], 2),
        ("Search No Results", "A search returned nothing.", ["search_term", "category"], 1),
        ("Voice Search Started", "", ["language"], 0),
        ("Barcode Scanned", "", ["product_id", "store_id"], 1),
        ("Visual Search Used", "", ["category", "result_count"], 0),
        ("Search Refined", "", ["search_term", "sort_order", "Item Count"], 1),
    ],
    "transaction": [
        ("Order Placed", "An order was placed.", ["payment_method", "delivery_type", "$currency", "coupon_code"], 3),
        ("Order Cancelled", "", ["payment_method", "occurred_at"], 1),
        ("Payment Failed", "Payment was declined.", ["payment_method", "error_code"], 2),
        ("Gift Card Redeemed", "", ["price", "$currency"], 2),
        ("Subscription Started", "", ["price", "$currency", "is_member"], 2),
        ("Subscription Cancelled", "", ["occurred_at", "is_member"], 1),
        ("Return Requested", "", ["product_id", "quantity"], 2),
        ("Coupon Applied", "", ["coupon_code", "$currency"], 1),
    ],
    "user_content": [
        ("Review Submitted", "A review was posted.", ["product_id", "rating", "review_length", "has_photos"], 2),
        ("Photo Uploaded", "", ["content_id", "has_photos"], 1),
        ("Question Asked", "", ["product_id", "language"], 1),
        ("Answer Posted", "", ["content_id", "review_length"], 1),
        ("Wishlist Shared", "", ["wishlist_size", "share_channel"], 1),
        ("Outfit Created", "", ["category", "Item Count"], 1),
        ("Review Helpful Voted", "", ["content_id", "opt_in"], 2),
    ],
    "user_preference": [
        ("Notification Settings Changed", "", ["notification_type", "opt_in"], 2),
        ("Language Changed", "", ["language"], 1),
        ("Currency Changed", "", ["$currency"], 1),
        ("Home Store Changed", "", ["store_id"], 1),
        ("Dark Mode Toggled", "", ["opt_in"], 1),
        ("Marketing Consent Updated", "Marketing consent.", ["opt_in", "notification_type", "occurred_at"], 2),
        ("Size Profile Saved", "", ["category"], 0),
    ],
    "social": [
        ("Product Shared", "A product was shared.", ["product_id", "share_channel"], 2),
        ("Referral Link Copied", "", ["Referral Source", "share_channel"], 1),
        ("Friend Invited", "", ["share_channel"], 1),
        ("Social Login Linked", "", ["share_channel", "occurred_at"], 1),
        ("Influencer Page Viewed", "", ["content_id", "Referral Source"], 1),
        ("Community Post Liked", "", ["content_id"], 1),
        ("Live Stream Joined", "", ["content_id", "media_type", "channel"], 2),
    ],
    "media": [
        ("Video Started", "A video started playing.", ["content_id", "media_type", "duration_s", "bitrate_kbps"], 2),
        ("Video Paused", "", ["content_id", "playback_position_s"], 2),
        ("Video Completed", "", ["content_id", "duration_s"], 2),
        ("Podcast Played", "", ["content_id", "playback_position_s", "language"], 1),
        ("Subtitles Toggled", "", ["content_id", "subtitle_language"], 1),
        ("Playback Error", "", ["content_id", "error_code", "bitrate_kbps"], 2),
        ("Ad Break Started", "", ["content_id", "position"], 1),
    ],
    "other": [
        ("App Rated", "", ["rating", "app_version"], 1),
        ("Feedback Sent", "", ["review_length", "language"], 0),
        ("Tutorial Completed", "", ["duration_s", "experiment_variant"], 1),
        ("Experiment Exposed", "An A/B experiment variant was shown.", ["experiment_variant", "content_id"], 2),
        ("Crash Recovered", "", ["error_code", "app_version"], 1),
        ("Loyalty Points Earned", "", ["price", "is_member", "Item Count"], 2),
        ("Receipt Emailed", "", ["occurred_at"], 0),
    ],
    "unknown": [
        ("Legacy Event", "Sent by app versions before 3.0.", ["app_version"], 0),
        ("Debug Ping", "", [], 0),
        ("Widget Refreshed", "", ["list_name", "occurred_at"], 1),
    ],
}

SCREENS: List[Tuple[str, str, List[str], int]] = [
    ("Home", "The home feed.", ["experiment_variant"], 0),
    ("Product Detail", "A product detail page.", ["product_id", "category", "price"], 2),
    ("Product List", "", ["category", "sort_order", "result_count"], 1),
    ("Search Results", "", ["search_term", "result_count"], 1),
    ("Cart", "", ["Item Count", "$currency"], 1),
    ("Checkout", "", ["delivery_type", "payment_method"], 0),
    ("Checkout Shipping", "", ["delivery_type"], 1),
    ("Checkout Payment", "", ["payment_method"], 1),
    ("Order Confirmation", "", ["payment_method", "$currency"], 2),
    ("Account", "", ["is_member"], 0),
    ("Order History", "", ["Item Count"], 0),
    ("Order Detail", "", ["occurred_at"], 0),
    ("Wishlist", "", ["wishlist_size"], 0),
    ("Store Locator", "", ["latitude", "longitude"], 0),
    ("Store Detail", "", ["store_id", "distance_km"], 1),
    ("Settings", "", [], 0),
    ("Notifications", "", ["notification_type"], 0),
    ("Login", "", ["Referral Source"], 0),
    ("Register", "", ["Referral Source", "opt_in"], 0),
    ("Password Reset", "", [], 0),
    ("Help Center", "", ["language"], 0),
    ("Returns", "", ["product_id"], 0),
    ("Gift Cards", "", ["$currency"], 0),
    ("Loyalty Dashboard", "", ["is_member", "Item Count"], 1),
    ("Video Player", "Full-screen player.", ["content_id", "media_type"], 2),
    ("Podcast Player", "", ["content_id"], 1),
    ("Lookbook", "", ["category", "content_id"], 0),
    ("Reviews", "", ["product_id", "rating"], 1),
    ("Size Guide", "", ["category"], 0),
    ("Onboarding", "", ["experiment_variant", "language"], 0),
    ("Brand Page", "", ["content_id", "category"], 0),
    ("Deals", "Current promotions.", ["category", "coupon_code"], 0),
    ("New Arrivals", "", ["category", "sort_order"], 0),
    ("Store Events", "", ["store_id", "occurred_at"], 1),
    ("Recipes", "", ["content_id", "language"], 0),
    ("Product Compare", "", ["Item Count"], 1),
    ("Gift Registry", "", ["wishlist_size", "occurred_at"], 0),
    ("Subscriptions", "", ["is_member", "price"], 0),
    ("Addresses", "", [], 0),
    ("Payment Methods", "", ["payment_method"], 0),
]

ACTIONS = [action for action in product_action.ACTIONS if action != "unknown"]  # the spec's product actions


def attribute_block(names: List[str], required: int, *, closed: bool = True) -> Dict[str, Any]:
    block: Dict[str, Any] = {
        "additionalProperties": not closed,
        "type": "object",
        "required": names[:required],
        "properties": {name: ATTRIBUTES[name] for name in names},
    }
    return block


def event_schema(names: List[str], required: int, closed: bool) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "additionalProperties": True,
        "type": "object",
        "required": ["custom_attributes"] if required else [],
        "properties": {"custom_attributes": attribute_block(names, required, closed=closed)},
    }
    return {"properties": {"data": data}}


def product_schema(action: str) -> Dict[str, Any]:
    item: Dict[str, Any] = {
        "additionalProperties": False,
        "type": "object",
        "required": ["id", "price"] if action in ("purchase", "refund", "add_to_cart") else ["id"],
        "properties": {
            "id": ATTRIBUTES["product_id"],
            "name": {"type": "string", "description": "Display name."},
            "brand": {"type": "string"},
            "category": ATTRIBUTES["category"],
            "price": {"type": "number", "minimum": 0},
            "quantity": {"type": "number", "minimum": 1},
            "total_product_amount": {"type": "number"},
            "custom_attributes": {
                "additionalProperties": True,
                "type": "object",
                "properties": {"size": {"type": "string", "enum": ["XS", "S", "M", "L", "XL"]}},
            },
        },
    }
    product_action: Dict[str, Any] = {
        "additionalProperties": False,
        "type": "object",
        "required": ["products"],
        "properties": {
            "action": {"type": "string", "const": action},
            "products": {"type": "array", "minItems": 1, "items": item},
        },
    }
    if action in ("purchase", "refund"):
        product_action["required"] = ["transaction_id", "total_amount", "products"]
        product_action["properties"].update(
            {
                "transaction_id": {"type": "string", "pattern": "^T[0-9]+$", "description": "Order number."},
                "total_amount": {"type": "number", "minimum": 0},
                "tax_amount": {"type": "number", "minimum": 0},
                "shipping_amount": {"type": "number", "minimum": 0},
                "coupon_code": {"type": "string"},
                "affiliation": {"type": "string", "enum": ["web", "app", "store"]},
            }
        )
    if action in ("checkout", "checkout_option"):
        product_action["properties"]["checkout_step"] = {"type": "integer", "minimum": 1, "maximum": 5}
        product_action["properties"]["checkout_options"] = {"type": "string"}
    data: Dict[str, Any] = {
        "additionalProperties": True,
        "type": "object",
        "required": ["product_action"],
        "properties": {
            "product_action": product_action,
            "currency_code": {"type": "string", "enum": ["USD", "EUR", "GBP", "CAD"]},
            "custom_attributes": attribute_block(["list_name", "experiment_variant"], 0),
        },
    }
    return {"properties": {"data": data}}


def point(description: str, match: Dict[str, Any], definition: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if description:
        out["description"] = description
    out["match"] = match
    out["validator"] = {"type": "json_schema", "definition": definition}
    return out


def build() -> Dict[str, Any]:
    points: List[Dict[str, Any]] = []
    for index, (event_type, events) in enumerate(sorted(CUSTOM_EVENTS.items())):
        for number, (name, description, names, required) in enumerate(events):
            closed = (index + number) % 5 != 0  # every fifth event allows unplanned attributes
            criteria = {"event_name": name, "custom_event_type": event_type}
            match = {"type": "custom_event", "criteria": criteria}
            points.append(point(description, match, event_schema(names, required, closed)))
    for name, description, names, required in SCREENS:
        criteria = {"screen_name": name}
        match = {"type": "screen_view", "criteria": criteria}
        points.append(point(description, match, event_schema(names, required, True)))
    for action in ACTIONS:
        description = "Product action: %s." % action.replace("_", " ")
        match = {"type": "product_action", "criteria": {"action": action}}
        points.append(point(description, match, product_schema(action)))
    for action in ("view", "click"):
        match = {"type": "promotion_action", "criteria": {"action": action}}
        points.append(point("", match, {"properties": {"data": {"type": "object"}}}))
    impressions = {"type": "product_impression", "criteria": {}}
    points.append(point("Impressions of product lists.", impressions, {"properties": {"data": {"type": "object"}}}))
    user_attributes = {
        "additionalProperties": False,
        "type": "object",
        "required": [],
        "properties": {
            "$FirstName": {"type": "string"},
            "$Age": {"type": "integer", "minimum": 13},
            "$Gender": {"type": "string", "enum": ["f", "m", "x"]},
            "loyalty_tier": {"type": "string", "enum": ["bronze", "silver", "gold", "platinum"]},
            "favourite_categories": {"type": "array", "items": ATTRIBUTES["category"]},
            "lifetime_orders": {"type": "integer", "minimum": 0},
            "email_opt_in": {"type": "boolean"},
        },
    }
    points.append(point("User Attributes", {"type": "user_attributes", "criteria": {}}, user_attributes))
    identities = {
        "additionalProperties": False,
        "type": "object",
        "properties": {"customerid": {"type": "string"}, "email": {"type": "string", "format": "email"}},
    }
    points.append(point("User Identities", {"type": "user_identities", "criteria": {}}, identities))
    settings = {"validation_actions": {"event": "allow", "event_attribute": "allow", "user_attribute": "allow"}}
    version = {
        "version": 3,
        "data_plan_id": "northwind_retail",
        "version_description": "Retail and media events, app and web.",
        "activated_environment": "development",
        "version_document": {"data_points": points, "settings": settings},
    }
    return {
        "data_plan_id": "northwind_retail",
        "data_plan_name": "Northwind Retail",
        "data_plan_description": "Generated by make_retail_120.py.",
        "data_plan_versions": [version],
    }


def main() -> None:
    target = Path(__file__).with_name("retail_120.json")
    target.write_text(json.dumps(build(), indent=1, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
