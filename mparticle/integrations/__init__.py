"""Optional helpers for running the SDK inside other engines: ``spark`` (historical backfills
with one uploader per partition) and ``celery`` (one uploader per worker process).

Each submodule imports its engine only when it runs, so the package needs none of them;
import the submodule you use, e.g. ``from mparticle.integrations import spark``;
see docs/Scaling.md.
"""
