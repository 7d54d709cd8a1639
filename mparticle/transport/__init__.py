"""The HTTP transport, bottom layer of the SDK: nothing here imports the models, the API
classes, the uploader or the CLI.

* :mod:`~mparticle.transport.urls`: base URL checks and credential redaction;
* :mod:`~mparticle.transport.policy`: :class:`RetryPolicy`, Retry-After parsing, the 429 gate;
* :mod:`~mparticle.transport.errors`: :class:`RESTResponse` and :class:`ApiException`;
* :mod:`~mparticle.transport.deadline`: the per-attempt wall-clock deadline (watchdog);
* :mod:`~mparticle.transport.pool`: the urllib3 pool built from a Configuration;
* :mod:`~mparticle.transport.send`: one attempt, its timeouts and capped body read;
* :mod:`~mparticle.transport.retry`: the retry loop (injectable clock and sleep);
* :mod:`~mparticle.transport.client`: :class:`RESTClientObject`, composing the above.

``mparticle.rest`` and ``mparticle.retry`` re-export the public names.
"""
