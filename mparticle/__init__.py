"""mParticle Events API SDK: models, configuration, transport and the EventsApi.

A drop-in replacement for the public ``mparticle`` 0.16.1 SDK: the same names and module
paths, correct on the wire, faster, with retries, limits and a background uploader.
"""

from typing import TYPE_CHECKING, Any

from mparticle import models
from mparticle.api_client import ApiClient
from mparticle.apis.events_api import EventsApi
from mparticle.configuration import Configuration
from mparticle.models import *  # noqa: F401,F403 - the original exported every model here
from mparticle.models import __all__ as _model_names
from mparticle.rest import (  # also loads mparticle.rest: the original's path after `import mparticle`
    ApiException,
    MissingCredentialsError,
)
from mparticle.retry import RetryPolicy
from mparticle.version import __version__

if TYPE_CHECKING:
    from mparticle.uploader import BatchUploader
    from mparticle.validation import validate

#: Loaded on first use, so that importing mparticle to build models stays cheap.
_LAZY = {"BatchUploader": "mparticle.uploader", "validate": "mparticle.validation"}

__all__ = [
    *_model_names,
    "ApiClient",
    "ApiException",
    "BatchUploader",
    "Configuration",
    "EventsApi",
    "MissingCredentialsError",
    "RetryPolicy",
    "models",
    "validate",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mparticle' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
