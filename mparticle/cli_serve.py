"""Old import path of ``mparticle serve``: :mod:`mparticle.cli.serve`."""

from mparticle.cli.serve import describe_batch, describe_request, parse_script, run_serve

__all__ = ["describe_batch", "describe_request", "parse_script", "run_serve"]
