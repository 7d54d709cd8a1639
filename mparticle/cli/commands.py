"""The ``mparticle`` command line (also ``python -m mparticle``): the parser and the dispatch.

Commands: ``send`` (validate and upload batch files, with checkpoint and resume; with
``--data-plan``, enforce a plan), ``validate`` (report problems by file, line and path; and
data plan violations), ``serve`` (a local Events API endpoint with scripted faults),
``dataplan`` (``fetch``: a plan from the Data Planning API; ``codegen``: typed factories) and
``demo``. See ``docs/CLI.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from mparticle.cli.exit_codes import EXIT_BROKEN_PIPE, EXIT_FAILURE
from mparticle.cli.plan_options import add_plan_arguments
from mparticle.limits import LIMITS

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="mparticle",
        description="mParticle Events API tools",
        epilog=(
            "exit codes: 0 success, 1 partial (rejects or undelivered batches), 2 failure, 3 unfinished "
            "checkpoint (send: give --resume or --restart), 130 interrupted, 141 output pipe closed"
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    send = commands.add_parser(
        "send",
        help="validate batch files and upload them (JSON, JSON array or JSON Lines; - for stdin)",
        description="Validate batch files and upload the valid batches; invalid ones go to a reject file.",
    )
    send.add_argument("files", nargs="+", metavar="FILE", help="batch files; - reads stdin")
    send.add_argument("--historical", action="store_true", help="send to /bulkevents/historical (data > 30 days old)")
    send.add_argument(
        "--dry-run",
        action="store_true",
        help="validate only: send nothing, write no checkpoint; rejects go to REJECT_FILE with .dry-run",
    )
    again = send.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue: skip the records the checkpoint marks done")
    again.add_argument(
        "--restart",
        action="store_true",
        help="discard the checkpoint of an unfinished run (and empty the reject file) and start from the beginning",
    )
    send.add_argument(
        "--checkpoint", metavar="PATH", help="checkpoint file, locked by the run (default: FIRST_INPUT.checkpoint.json)"
    )
    send.add_argument(
        "--checkpoint-interval",
        type=_positive_float,
        default=2.0,
        metavar="SECONDS",
        help="how often the checkpoint is saved during the run (default: 2)",
    )
    send.add_argument("--reject-file", metavar="PATH", help="reject file (default: FIRST_INPUT.rejects.jsonl)")
    send.add_argument("--concurrency", type=int, default=4, metavar="N", help="parallel requests (default: 4)")
    send.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="retries per request on 429, 5xx and connection errors (default: 5)",
    )
    send.add_argument(
        "--retry-timeout",
        type=_positive_float,
        default=60.0,
        metavar="SECONDS",
        help="time budget per request, retries included (default: 60)",
    )
    send.add_argument(
        "--max-batches-per-second",
        type=_min_rate,
        metavar="N",
        help="a hard cap on the sending rate, e.g. this run's share of the account's limit (default: none)",
    )
    send.add_argument(
        "--no-pacing",
        action="store_true",
        help="do not pace by the account's rate-limit headers (429s are still honoured)",
    )
    send.add_argument(
        "--shutdown-timeout",
        type=_non_negative_float,
        default=10.0,
        metavar="SECONDS",
        help="on Ctrl-C, how long to wait for batches in flight (default: 10)",
    )
    send.add_argument(
        "--progress",
        choices=["auto", "on", "off"],
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal)",
    )
    send.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line")
    add_plan_arguments(send, policy=True)
    add_connection_flags(send)

    check = commands.add_parser(
        "validate",
        help="check batch files against the Events API rules (and a data plan)",
        description=(
            "Print each problem as FILE:LINE: PATH: MESSAGE [RULE] and, with --data-plan, each plan violation as "
            "FILE:LINE: events[i] MATCH: POINTER: MESSAGE [TYPE]; exit 1 when any batch is invalid or violates "
            "the plan. --format json (with --data-plan) prints the plan's report of each batch in the Node SDK's "
            "format, one line per batch, and the other problem lines on stderr."
        ),
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="batch files; - reads stdin")
    check.add_argument("--historical", action="store_true", help="also apply the /bulkevents/historical rules")
    add_plan_arguments(check, policy=False)
    check.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: one line per problem (default); json: one report line per batch, needs --data-plan",
    )
    check.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")

    serve = commands.add_parser(
        "serve",
        help="run a local Events API endpoint on 127.0.0.1 (with scripted faults)",
        description="Serve /v2/events, /v2/bulkevents and /v2/bulkevents/historical on 127.0.0.1 until Ctrl-C.",
    )
    serve.add_argument("--port", type=_port, default=0, help="port to listen on (default: 0, any free port)")
    serve.add_argument("--api-key", default="test-key", help="key to accept (default: test-key)")
    serve.add_argument("--api-secret", default="test-secret", help="secret to accept (default: test-secret)")
    serve.add_argument("--fault-rate-429", type=_rate, default=0.0, metavar="F", help="answer this share with 429")
    serve.add_argument("--fault-rate-503", type=_rate, default=0.0, metavar="F", help="answer this share with 503")
    serve.add_argument("--drop-rate", type=_rate, default=0.0, metavar="F", help="close this share without answer")
    serve.add_argument(
        "--retry-after",
        metavar="VALUE",
        help="Retry-After of the 429 answers: seconds, an HTTP date, or 'mixed' (0 or absent)",
    )
    serve.add_argument(
        "--script",
        metavar="LIST",
        help="answers for the next requests, in order, e.g. 429,503,drop,202 (then normal behaviour)",
    )
    serve.add_argument("--delay", type=_non_negative_float, default=0.0, metavar="SECONDS", help="answer late")
    serve.add_argument(
        "--rate-limit",
        type=_positive_float,
        metavar="N",
        help="emulate the account limit: N batches per second for all clients (429 + Retry-After beyond it)",
    )
    serve.add_argument(
        "--acceleration-limit",
        type=_positive_float,
        metavar="N",
        help="with --rate-limit: each second may accept at most N batches more than the one before",
    )
    serve.add_argument("--seed", type=int, help="seed for the random faults")
    serve.add_argument("--max-batches", type=int, default=100, metavar="N", help="batches per request (default 100)")
    serve.add_argument(
        "--max-request-bytes", type=int, default=LIMITS.max_request_bytes, metavar="N",
        help="request size limit (default 256 KB)",
    )
    serve.add_argument("--requests-only", action="store_true", help="one line per request, no line per batch")

    demo = commands.add_parser(
        "demo",
        help="send example batches (to a local endpoint without credentials)",
        description=(
            "Send a few example batches through the SDK: to an embedded endpoint on 127.0.0.1 (printing "
            "what it received) when no credentials are given, else to mParticle."
        ),
    )
    add_connection_flags(demo)

    from mparticle.cli.dataplan import add_dataplan_parser

    add_dataplan_parser(commands)
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
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_FAILURE
    try:
        return _run(parser, args)
    except BrokenPipeError:  # our reader went away: stop quietly, as a process SIGPIPE ended would
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (replaced in tests)
        pass


def _version() -> str:
    from mparticle import __version__

    return __version__


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "demo":
        from mparticle import demo

        return demo.run(args.api_key, args.api_secret, args.host, args.pod)
    if args.command == "send":
        from mparticle.cli.send import run_send

        return run_send(args)
    if args.command == "validate":
        from mparticle.cli.validate import run_validate

        return run_validate(args)
    if args.command == "serve":
        from mparticle.cli.serve import run_serve

        return run_serve(args)
    if args.command == "dataplan":
        from mparticle.cli.dataplan import run_dataplan

        return run_dataplan(args)
    parser.print_help(sys.stderr)
    return EXIT_FAILURE


# -- argument types ---------------------------------------------------------------------------


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _min_rate(text: str) -> float:
    from mparticle.uploader.pacing import MIN_RATE  # only when the option is given

    value = float(text)
    if not MIN_RATE <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of batches per second, at least {MIN_RATE}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value
