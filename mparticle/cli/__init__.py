"""The ``mparticle`` command line (also ``python -m mparticle``).

Commands: ``send`` (validate and upload batch files, with checkpoint and resume),
``validate`` (report problems by file, line and path), ``serve`` (a local Events API
endpoint with scripted faults) and ``demo``. See ``docs/CLI.md``.
"""

from mparticle.cli.commands import build_parser, main

__all__ = ["build_parser", "main"]
