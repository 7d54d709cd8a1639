"""``mparticle.rest``: the original SDK's import path for the transport and its errors.

The code lives in :mod:`mparticle.transport`; this module keeps the names importable here.
"""

from mparticle.transport.client import RESTClientObject
from mparticle.transport.errors import (
    MAX_ERROR_BODY_CHARS,
    MAX_RESPONSE_BYTES,
    ApiException,
    MissingCredentialsError,
    RESTResponse,
)

__all__ = [
    "ApiException",
    "MAX_ERROR_BODY_CHARS",
    "MAX_RESPONSE_BYTES",
    "MissingCredentialsError",
    "RESTClientObject",
    "RESTResponse",
]
