"""Every public import path keeps working when code moves: the original 0.16.1's (the modules,
the per-model modules, the attributes that resolve after a bare ``import mparticle``) and this
package's own (re-exports left where modules used to be)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import mparticle.models as models

ROOT = Path(__file__).resolve().parent.parent

ORIGINAL_PATHS = [
    ("mparticle.rest", "ApiException"),
    ("mparticle.rest", "RESTClientObject"),
    ("mparticle.rest", "RESTResponse"),
    ("mparticle.api_client", "ApiClient"),
    ("mparticle.api_client", "ApiException"),
    ("mparticle.configuration", "Configuration"),
    ("mparticle.apis", "EventsApi"),
    ("mparticle.apis.events_api", "EventsApi"),
]

OWN_PATHS = [
    ("mparticle.retry", "RetryPolicy"),
    ("mparticle.retry", "parse_retry_after"),
    ("mparticle.rest", "MAX_RESPONSE_BYTES"),
    ("mparticle.rest", "MissingCredentialsError"),
    ("mparticle", "MissingCredentialsError"),
    ("mparticle.testing", "LocalEventsServer"),
    ("mparticle.testing", "Fault"),
    ("mparticle.validation", "validate"),
    ("mparticle.validation", "historical_problems"),
    ("mparticle.uploader", "BatchUploader"),
    ("mparticle.uploader.batch_queue", "QueueFullError"),
    ("mparticle.uploader.spool", "SpoolError"),
    ("mparticle.cli", "main"),
    *(("mparticle.cli_send", n) for n in importlib.import_module("mparticle.cli_send").__all__),
    *(("mparticle.cli_input", n) for n in importlib.import_module("mparticle.cli_input").__all__),
    *(("mparticle.cli_serve", n) for n in importlib.import_module("mparticle.cli_serve").__all__),
]


@pytest.mark.parametrize("module, name", ORIGINAL_PATHS + OWN_PATHS)
def test_the_name_imports_from_its_path(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_every_model_imports_from_its_own_module() -> None:
    for name in models.__all__:
        cls = getattr(models, name)
        assert getattr(importlib.import_module(cls.__module__), name) is cls
        assert cls.__module__ == "mparticle.models." + cls.__module__.rsplit(".", 1)[1]


@pytest.mark.subprocess
def test_the_original_paths_resolve_after_a_bare_import() -> None:
    code = (
        "import mparticle\n"
        "assert mparticle.rest.ApiException is mparticle.ApiException\n"
        "assert mparticle.api_client.ApiClient is mparticle.ApiClient\n"
        "assert mparticle.configuration.Configuration is mparticle.Configuration\n"
        "assert mparticle.apis.events_api.EventsApi is mparticle.EventsApi\n"
        "assert mparticle.models.batch.Batch is mparticle.Batch\n"
        "assert mparticle.models.app_event.AppEvent is mparticle.AppEvent\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
