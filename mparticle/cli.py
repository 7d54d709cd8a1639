"""The ``mparticle`` command line (also ``python -m mparticle``)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="mparticle", description="mParticle Events API tools")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="send example batches (to a local endpoint without credentials)")
    add_connection_flags(demo)
    return parser


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """--api-key/--api-secret/--host/--pod, defaulting to the MPARTICLE_* environment variables."""
    parser.add_argument("--api-key", default=os.environ.get("MPARTICLE_API_KEY"), help="input key ($MPARTICLE_API_KEY)")
    parser.add_argument(
        "--api-secret", default=os.environ.get("MPARTICLE_API_SECRET"), help="input secret ($MPARTICLE_API_SECRET)"
    )
    parser.add_argument("--host", default=os.environ.get("MPARTICLE_HOST"), help="base URL ($MPARTICLE_HOST)")
    parser.add_argument("--pod", choices=["us1", "us2", "eu1", "au1"], help="regional pod")


def main(argv: Optional[List[str]] = None) -> int:
    """Run a command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from mparticle import demo

        return demo.run(args.api_key, args.api_secret, args.host, args.pod)
    build_parser().print_help(sys.stderr)
    return 2
