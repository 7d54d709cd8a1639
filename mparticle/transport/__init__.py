"""The HTTP transport: it reads a :class:`~mparticle.configuration.Configuration` and a
:class:`~mparticle.retry.RetryPolicy` and imports nothing else of the package (no models,
no serialization, no API classes, uploader or CLI).

* :mod:`~mparticle.transport.errors`: :class:`RESTResponse` and :class:`ApiException`;
* :mod:`~mparticle.transport.deadline`: the per-attempt wall-clock deadline (watchdog);
* :mod:`~mparticle.transport.pool`: the urllib3 pool built from a Configuration;
* :mod:`~mparticle.transport.send`: one attempt, its timeouts and capped body read;
* :mod:`~mparticle.transport.retry_loop`: the retry loop (injectable clock and sleep);
* :mod:`~mparticle.transport.traffic`: what a client logs of its traffic (DEBUG, no credentials);
* :mod:`~mparticle.transport.client`: :class:`RESTClientObject`, composing the above.

``mparticle.rest`` (the original SDK's path) re-exports the public names.
"""
