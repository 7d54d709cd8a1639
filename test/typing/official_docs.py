"""The Python SDK's usage as mParticle's documentation shows it (docs.mparticle.com,
developers/server/python, and the original README), as one module: the static types must
accept it unchanged under ``mypy --strict`` and pyright (test/test_typing.py).

Only what the snippets leave undefined is added (``example_timestamp``, ``example_duration``,
the imports), Python 2 ``print`` statements are written as calls, and the callback's
parameter is annotated (``--strict`` asks that of any function). Never run.
"""

import calendar
import time

import mparticle
from mparticle import AppEvent, Batch, SessionEndEvent, SessionStartEvent

example_timestamp = 1700000000000
example_duration = 60000

batch = mparticle.Batch()
batch.environment = 'development'

identities = mparticle.UserIdentities()
identities.customerid = '123456'
identities.email = 'user@example.com'
batch.user_identities = identities

device_info = mparticle.DeviceInformation()
# set any IDs that you have for this user
device_info.ios_advertising_id = '07d2ebaa-e956-407e-a1e6-f05f871bf4e2'
device_info.android_advertising_id = 'a26f9736-c262-47ea-988b-0b0504cee874'
batch.device_info = device_info

# arbitrary example allowing you to create a segment of users trial users
batch.user_attributes = {'Account type': 'trial', 'TrialEndDate': '2016-12-01'}

app_event = mparticle.AppEvent('Example', 'navigation', custom_attributes={'foo': 'bar'})
app_event.timestamp_unixtime_ms = example_timestamp
batch.events = [app_event]

product = mparticle.Product()
product.name = 'Example Product'
product.id = 'sample-sku'
product.price = 19.99

product_action = mparticle.ProductAction('purchase')
product_action.products = [product]
product_action.tax_amount = 1.50
product_action.total_amount = 21.49

commerce_event = mparticle.CommerceEvent(product_action)
commerce_event.timestamp_unixtime_ms = example_timestamp

batch.events = [commerce_event]

session_start = mparticle.SessionStartEvent()
session_start.session_id = 12345678
session_start.timestamp_unixtime_ms = example_timestamp

session_end = mparticle.SessionEndEvent()
session_end.session_id = session_start.session_id  # its mandatory that these match
session_end.session_duration_ms = example_duration
session_end.timestamp_unixtime_ms = example_timestamp + example_duration

batch.events = [session_start, session_end]

install = mparticle.ApplicationStateTransitionEvent.create_install_event()
install.timestamp_unixtime_ms = example_timestamp

upgrade = mparticle.ApplicationStateTransitionEvent.create_upgrade_event()
upgrade.timestamp_unixtime_ms = example_timestamp

foreground = mparticle.ApplicationStateTransitionEvent.create_foreground_event()
foreground.timestamp_unixtime_ms = example_timestamp

background = mparticle.ApplicationStateTransitionEvent.create_background_event()
background.timestamp_unixtime_ms = example_timestamp

ccpa_consent_state = mparticle.CCPAConsentState()
ccpa_consent_state.document = 'document_agreement.v3'
ccpa_consent_state.consented = True
ccpa_consent_state.timestamp_unixtime_ms = calendar.timegm(time.gmtime())
ccpa_consent_state.location = 'mparticle.test/signup'
ccpa_consent_state.hardware_id = 'IDFA:a5d96n32-224a-3b11-1088-a202695bc710'

consent_state = mparticle.ConsentState()
consent_state.ccpa = {'data_sale_opt_out': ccpa_consent_state}

batch.consent_state = consent_state

gdpr_consent_state = mparticle.GDPRConsentState()
gdpr_consent_state.document = 'document_agreement.v2'
gdpr_consent_state.consented = True
gdpr_consent_state.timestamp_unixtime_ms = calendar.timegm(time.gmtime())
gdpr_consent_state.location = 'dtmgbank.com/signup'
gdpr_consent_state.hardware_id = 'IDFA:a5d934n0-232f-4afc-2e9a-3832d95zc702'

consent_state = mparticle.ConsentState()
consent_state.gdpr = {'My Purpose': gdpr_consent_state}

batch.consent_state = consent_state

configuration = mparticle.Configuration()
configuration.api_key = 'REPLACE WITH APP KEY'
configuration.api_secret = 'REPLACE WITH APP SECRET'
configuration.debug = True  # enable logging of HTTP traffic
api_instance = mparticle.EventsApi(configuration)

try:
    api_instance.upload_events(batch)
    # you can also send multiple batches at a time to decrease the amount of network calls
    api_instance.bulk_upload_events([batch, batch])
except mparticle.rest.ApiException as e:
    print("Exception while calling mParticle: %s\n" % e)

# The original README's example.
batch = Batch()
batch.environment = 'development'

app_event = AppEvent('Hello World', 'navigation')
batch.events = [SessionStartEvent(), app_event, SessionEndEvent()]

try:
    api_instance.upload_events(batch)
    status_and_headers = api_instance.upload_events_with_http_info(batch)
except mparticle.rest.ApiException as e:
    print("Exception while calling mParticle: %s\n" % e)


# asynchronous, specifying your callback function
def my_callback(response: object) -> None:
    if type(response) is mparticle.rest.ApiException:
        print('An error occured: ' + str(response))
    else:
        # successful uploads will yield an HTTP 202 response and no body
        print(response)


thread = api_instance.upload_events(batch, callback=my_callback)
thread.join()
