"""An embedded local mParticle Events API endpoint for tests, demos and benchmarks.

:class:`LocalEventsServer` is a real HTTP/1.1 server bound to ``127.0.0.1`` (an
ephemeral port, or ``port=``). It accepts ``POST /v2/events``, ``/v2/bulkevents`` and
``/v2/bulkevents/historical`` with HTTP Basic auth, checks the batches with the SDK's
rules (:mod:`mparticle.validation`; by default refusing only what the Events API refuses,
``strict=True`` refuses any problem), records what it accepted, and can be scripted to
answer with faults (throttling, outages, dropped connections, slow answers)::

    with LocalEventsServer() as server:
        configuration.host = server.url
        ...
        assert server.wait_for(1)
        assert server.batches[0]["events"][0]["event_type"] == "custom_event"

Modules: :mod:`~mparticle.testing.server` (the public class), :mod:`~.faults` (scripted
answers), :mod:`~.records` (what was received), :mod:`~.handler` and :mod:`~.framing` (HTTP),
:mod:`~.checks` (which batches are refused), :mod:`~.listener` (sockets).
"""

from __future__ import annotations

from mparticle.testing.faults import Fault, error_body
from mparticle.testing.planning import LocalPlanningServer
from mparticle.testing.records import Headers, RecordedRequest
from mparticle.testing.server import LocalEventsServer

__all__ = ["Fault", "Headers", "LocalEventsServer", "LocalPlanningServer", "RecordedRequest", "error_body"]
