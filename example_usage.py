"""Build a batch the way the original SDK's example did, and send it.

Runs against the embedded local endpoint unless MPARTICLE_API_KEY and MPARTICLE_API_SECRET
are set, in which case it sends to mParticle.
"""
import calendar
import os
import time

import mparticle
from mparticle import (
    AppEvent,
    ApplicationStateTransitionEvent,
    Batch,
    CCPAConsentState,
    CommerceEvent,
    ConsentState,
    DeviceInformation,
    GDPRConsentState,
    Product,
    ProductAction,
    ScreenViewEvent,
    SessionEndEvent,
    SessionStartEvent,
    UserIdentities,
)
from mparticle.testing import LocalEventsServer

now_ms = calendar.timegm(time.gmtime()) * 1000

batch = Batch()
batch.environment = "development"

identities = UserIdentities()
identities.customerid = "123456"
identities.email = "user@example.com"
batch.user_identities = identities

device_info = DeviceInformation()
device_info.ios_advertising_id = "07d2ebaa-e956-407e-a1e6-f05f871bf4e2"
device_info.android_advertising_id = "a26f9736-c262-47ea-988b-0b0504cee874"
device_info.att_timestamp_unixtime_ms = 1552596256103
device_info.att_authorization_status = "authorized"
batch.device_info = device_info

batch.user_attributes = {"Account type": "trial", "TrialEndDate": "2016-12-01"}

ccpa = CCPAConsentState()
ccpa.document = "document_agreement.v3"
ccpa.consented = True
ccpa.timestamp_unixtime_ms = now_ms
ccpa.location = "mparticle.test/signup"
ccpa.hardware_id = "IDFA:a5d934n0-232f-4afc-2e9a-3832d95zc702"
gdpr = GDPRConsentState("document_agreement.v2", True, now_ms, "dtmgbank.com/signup", "IDFA:a5d934n0")
consent_state = ConsentState()
consent_state.ccpa = {"data_sale_opt_out": ccpa}
consent_state.gdpr = {"document_agreement": gdpr}
batch.consent_state = consent_state

batch.integration_attributes = {"123": {"someIntegrationAttribute": "value"}}

app_event = AppEvent("Example", "navigation")
app_event.timestamp_unixtime_ms = now_ms
app_event.custom_flags = {"custom-flag-1": "value", "answer": 42, "arrays": ["foo", "bar"]}

product = Product()
product.name = "Example Product"
product.id = "sample-sku"
product.price = 19.99
product_action = ProductAction("purchase")
product_action.products = [product]
product_action.tax_amount = 1.50
product_action.total_amount = 21.49
commerce_event = CommerceEvent(product_action)
commerce_event.timestamp_unixtime_ms = now_ms

session_start = SessionStartEvent(session_id=12345678, timestamp_unixtime_ms=now_ms)
session_end = SessionEndEvent(session_id=12345678, timestamp_unixtime_ms=now_ms + 10000, session_duration_ms=10000)

screen_view = ScreenViewEvent(screen_name="Home", timestamp_unixtime_ms=now_ms)
screen_view.custom_flags = {"custom-flag-1": "value"}

install = ApplicationStateTransitionEvent.create_install_event()
install.timestamp_unixtime_ms = now_ms

batch.events = [install, session_start, screen_view, app_event, commerce_event, session_end]
batch.mpid = 600868121729048600
batch.mp_deviceid = "59780f39-d7a0-4ebe-9950-280f937c29e2"


def send(configuration: mparticle.Configuration) -> None:
    api_instance = mparticle.EventsApi(configuration)
    try:
        _, status, _ = api_instance.upload_events(batch)
        print("upload_events -> HTTP {0}".format(status))
    except mparticle.ApiException as e:
        print("Exception while calling mParticle: {0}".format(e))


configuration = mparticle.Configuration()
if os.environ.get("MPARTICLE_API_KEY") and os.environ.get("MPARTICLE_API_SECRET"):
    send(configuration)
else:
    with LocalEventsServer("local-key", "local-secret") as server:
        configuration.api_key, configuration.api_secret, configuration.host = "local-key", "local-secret", server.url
        send(configuration)
        print("The local endpoint received: {0}".format(server.requests[-1].body.decode()))
