"""Mistakes the static types must catch: each line marked ``# error: <mypy code>`` must be
reported by mypy with that code, and nothing else may be (test/test_typing.py)."""

from typing import List

import mparticle
from mparticle import AppEvent, Batch, CommerceEvent, Product, UserIdentities
from mparticle.models.app_event import AppEvent as AppEventByPath

batch = Batch()
batch.enviroment = "development"  # error: attr-defined
UserIdentities(customer_id="123")  # error: call-arg
AppEvent()  # error: call-arg
AppEventByPath(event_nam="Home")  # error: call-arg
batch.mpid = "600868121729048600"  # error: assignment
batch.user_identities = "123"  # error: assignment
batch.events = AppEvent("Home")  # error: assignment
event = AppEvent("Home", "navigation")
event.timestamp_unixtime_ms = "now"  # error: assignment
name: int = event.event_name  # error: assignment
print(event.evnt_name)  # error: attr-defined
products: List[Product] = [Product()]
CommerceEvent(products)  # error: arg-type
configuration = mparticle.Configuration()
configuration.api_kye = "key"  # error: attr-defined
api = mparticle.EventsApi(configuration)
api.upload_events(batch, callbak=print)  # error: call-overload
status: str = api.upload_events(batch)[1]  # error: assignment
api.bulk_upload_events(batch)  # error: call-overload
