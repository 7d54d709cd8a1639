"""``mparticle dataplan``: data plan tools. ``fetch`` downloads a plan, or one of its versions,
from the Data Planning API (:mod:`mparticle.dataplan.api`) into a JSON file. ``codegen`` writes
a Python module of typed event factories for a plan version (:mod:`mparticle.dataplan.codegen`;
no JSON Schema library needed).

Credentials: ``--client-id`` or ``$MPARTICLE_CLIENT_ID``, and ``$MPARTICLE_CLIENT_SECRET``
(never a flag: a command line is visible to every user of the machine, and kept in shell
history). Values are never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, Optional, TextIO

from mparticle.cli.checkpoint import write_text_atomic
from mparticle.cli.exit_codes import EXIT_FAILURE, EXIT_OK

__all__ = ["add_dataplan_parser", "run_dataplan"]


def add_dataplan_parser(commands: Any) -> None:
    """The ``dataplan`` command and its subcommands, on the top-level ``commands`` (without
    importing :mod:`mparticle.dataplan`: that waits for a dataplan command to run)."""
    dataplan = commands.add_parser(
        "dataplan",
        help="data plan tools: fetch a plan from the Data Planning API, generate typed code from one",
        description="Data plan tools.",
    )
    tools = dataplan.add_subparsers(dest="dataplan_command", metavar="SUBCOMMAND", required=True)
    fetch = tools.add_parser(
        "fetch",
        help="download a data plan, or one version, as JSON",
        description=(
            "Download a data plan (with its versions), or one version, from the Data Planning API. "
            "Credentials: --client-id or $MPARTICLE_CLIENT_ID, and $MPARTICLE_CLIENT_SECRET."
        ),
    )
    fetch.add_argument("--workspace", required=True, metavar="ID", help="the workspace id")
    fetch.add_argument("--plan", required=True, metavar="PLAN_ID", help="the data plan id (its slug)")
    fetch.add_argument("--version", type=_version, metavar="N", help="one version (default: the whole plan)")
    fetch.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the JSON; - for stdout")
    fetch.add_argument("--client-id", metavar="ID", help="the API client id (default: $MPARTICLE_CLIENT_ID)")
    fetch.add_argument(
        "--token-url", metavar="URL", help="the OAuth token endpoint (default: https://sso.auth.mparticle.com/oauth/token)"
    )
    fetch.add_argument(
        "--api-url", metavar="URL", help="the API base before /workspaces (default: https://api.mparticle.com/platform/v2)"
    )
    codegen = tools.add_parser(
        "codegen",
        help="write a Python module of typed event factories for a plan version",
        description=(
            "Write a Python module with one typed factory per planned custom event, screen view and product "
            "action, DATA_PLAN_ID, DATA_PLAN_VERSION and tag(batch). PLAN_FILE is a plan version, or a whole "
            "plan with --version."
        ),
    )
    codegen.add_argument("plan_file", metavar="PLAN_FILE", help="the plan (or plan version) JSON file")
    codegen.add_argument("--version", type=_version, metavar="N", help="the version (needed for a whole plan)")
    codegen.add_argument("-o", "--output", required=True, metavar="FILE", help="the module to write; - for stdout")


def run_dataplan(args: argparse.Namespace, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Run the ``dataplan`` subcommand ``args.dataplan_command``; the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    if args.dataplan_command == "fetch":
        return run_fetch(args, out, err)
    if args.dataplan_command == "codegen":
        return run_codegen(args, out, err)
    print(f"dataplan: unknown subcommand {args.dataplan_command!r}", file=err)
    return EXIT_FAILURE


def run_fetch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``dataplan fetch``: 0 written, 2 anything else (the reason on stderr, one line)."""
    from mparticle.dataplan.api import API_URL, TOKEN_URL, MissingClientCredentialsError, PlanningClient
    from mparticle.transport.errors import ApiException

    token_url, api_url = args.token_url or TOKEN_URL, args.api_url or API_URL
    try:
        with PlanningClient(args.client_id, token_url=token_url, api_url=api_url) as client:
            doc = client.fetch_document(args.workspace, args.plan, args.version)
    except MissingClientCredentialsError as error:
        flags = {"client_id": "--client-id or MPARTICLE_CLIENT_ID", "client_secret": "MPARTICLE_CLIENT_SECRET"}
        wanted = " and ".join(flags[name] for name in error.missing)
        print(f"dataplan fetch: no credentials: set {wanted}; nothing was sent", file=err)
        return EXIT_FAILURE
    except ApiException as error:
        print(f"dataplan fetch: {_describe(error)}", file=err)
        return EXIT_FAILURE
    except ValueError as error:
        print(f"dataplan fetch: {error}", file=err)
        return EXIT_FAILURE
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        if args.output == "-":
            out.write(text + "\n")
            out.flush()
        else:
            write_text_atomic(args.output, text)
    except OSError as error:
        print(f"dataplan fetch: cannot write {args.output}: {error.strerror or error}", file=err)
        return EXIT_FAILURE
    where = "stdout" if args.output == "-" else args.output
    size = len(text.encode("utf-8")) + 1
    summary = f"{_summary(doc, args)} from workspace {args.workspace} written to {where} ({size:,} bytes)"
    print(f"dataplan fetch: {summary}", file=err)
    return EXIT_OK


def run_codegen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``dataplan codegen``: 0 written, 2 anything else (the reason on stderr, one line)."""
    from mparticle.dataplan.codegen import _build

    try:
        text, module = _build(args.plan_file, args.version)
    except UnicodeDecodeError as error:
        print(f"dataplan codegen: cannot read data plan file {args.plan_file}: not UTF-8 ({error.reason})", file=err)
        return EXIT_FAILURE
    except ValueError as error:  # DataPlanError
        reason = _one_line(str(error).replace("pass version=", "pass --version "))
        print(f"dataplan codegen: {reason}", file=err)
        return EXIT_FAILURE
    try:
        if args.output == "-":
            out.write(text)
            out.flush()
        else:
            write_text_atomic(args.output, text[:-1])  # it adds the final newline back
    except OSError as error:
        print(f"dataplan codegen: cannot write {args.output}: {error.strerror or error}", file=err)
        return EXIT_FAILURE
    where = "stdout" if args.output == "-" else args.output
    count = sum(1 for function in module.functions if function.kind != "product")
    plan = f"plan {module.plan_id or '(no id)'} version {module.version if module.version is not None else '-'}"
    print(f"dataplan codegen: {plan}: {count:,} factor{'y' if count == 1 else 'ies'} written to {where}", file=err)
    return EXIT_OK


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary(doc: Dict[str, Any], args: argparse.Namespace) -> str:
    """``plan acme (versions 1, 2)`` or ``plan acme version 2 (5 data points)``."""
    plan_id = doc.get("data_plan_id") if isinstance(doc.get("data_plan_id"), str) else args.plan
    if args.version is not None:
        document = doc.get("version_document")
        points = document.get("data_points") if isinstance(document, dict) else None
        count = f" ({len(points):,} data point{'' if len(points) == 1 else 's'})" if isinstance(points, list) else ""
        return f"plan {plan_id} version {args.version}{count}"
    versions = doc.get("data_plan_versions")
    numbers = [str(v.get("version")) for v in versions if isinstance(v, dict)] if isinstance(versions, list) else []
    if not numbers:
        return f"plan {plan_id} (no versions)"
    return f"plan {plan_id} (version{'' if len(numbers) == 1 else 's'} {', '.join(numbers)})"


def _describe(error: Any) -> str:
    """``HTTP 404: <the API's message>``, or the reason of a failure without a response."""
    reason = str(error.reason or "").strip()
    return f"HTTP {error.status}: {reason}" if error.status else reason or "no response"


def _version(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value
