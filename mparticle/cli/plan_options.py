"""The data plan options shared by ``validate`` and ``send``: ``--data-plan``,
``--plan-version``, ``--mode`` (and for ``send``, ``--plan-policy``), and loading the plan.

The parser does not import :mod:`mparticle.dataplan`: that waits for :func:`load_plan`, so the
command line starts as fast without the ``dataplan`` extra as with it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional, TextIO

from mparticle.cli.errors import UsageError

if TYPE_CHECKING:
    from mparticle.dataplan import DataPlan
    from mparticle.dataplan.enforce import Mode, Policy

__all__ = [
    "MODE_CHOICES",
    "POLICY_CHOICES",
    "PlanOptionError",
    "add_plan_arguments",
    "load_plan",
    "plan_mode",
    "plan_policy",
]

#: The values of ``--mode`` (what :mod:`mparticle.dataplan` implements may be fewer: see :func:`load_plan`).
MODE_CHOICES = ("strict", "server")
#: The values of ``--plan-policy``.
POLICY_CHOICES = ("report", "block", "raise")


class PlanOptionError(UsageError):
    """The plan options cannot be used: the message is already on stderr; exit code 2."""


def add_plan_arguments(parser: argparse.ArgumentParser, *, policy: bool) -> None:
    """Add ``--data-plan``, ``--plan-version`` and ``--mode`` to ``parser``; with ``policy``
    (``send``), also ``--plan-policy``.

    The three are None when not given (read the mode and the policy with :func:`plan_mode` and
    :func:`plan_policy`: strict, report), so that :func:`load_plan` can refuse them without
    ``--data-plan``.
    """
    parser.add_argument(
        "--data-plan",
        metavar="FILE",
        help="also validate each batch against this data plan: a plan version, or a whole plan with --plan-version",
    )
    parser.add_argument(
        "--plan-version",
        type=_positive_int,
        metavar="N",
        help="the version to use when --data-plan is a whole plan (data_plan_versions)",
    )
    parser.add_argument(
        "--mode",
        choices=MODE_CHOICES,
        help="strict: exactly as mParticle's Node validator (default); server: with the server's type coercion",
    )
    if policy:
        parser.add_argument(
            "--plan-policy",
            choices=POLICY_CHOICES,
            help=(
                "a batch that violates the plan: report (send it, print its violations; default), "
                "block (send what mParticle's blocking keeps: no unplanned events or attributes), "
                "raise (do not send it: it goes to the reject file)"
            ),
        )


def plan_mode(args: argparse.Namespace) -> "Mode":
    """The ``--mode`` given, else ``strict``."""
    mode: Optional[str] = getattr(args, "mode", None)
    return "server" if mode == "server" else "strict"  # argparse allows only these


def plan_policy(args: argparse.Namespace) -> "Policy":
    """The ``--plan-policy`` given, else ``report``."""
    policy: Optional[str] = getattr(args, "plan_policy", None)
    return "block" if policy == "block" else "raise" if policy == "raise" else "report"


def load_plan(args: argparse.Namespace, err: TextIO) -> Optional[DataPlan]:
    """The plan ``--data-plan`` names (its ``--plan-version``), None without ``--data-plan``.

    Anything that makes the options unusable -- ``--plan-version``, ``--mode`` or
    ``--plan-policy`` without ``--data-plan``; a plan file that is unreadable, not JSON, without
    the version asked for or one DPN would reject; a mode :mod:`mparticle.dataplan` does not
    implement; the ``dataplan`` extra missing -- prints one line
    ``mparticle COMMAND: error: ...`` (naming the file) on ``err`` and raises
    :class:`PlanOptionError` (exit code 2), for the caller to return its ``exit_code``
    without printing again.
    """
    path: Optional[str] = getattr(args, "data_plan", None)
    if path is None:
        given = [
            flag
            for flag, dest in (("--plan-version", "plan_version"), ("--mode", "mode"), ("--plan-policy", "plan_policy"))
            if getattr(args, dest, None) is not None
        ]
        if given:
            _fail(args, err, f"{' and '.join(given)} need{'s' if len(given) == 1 else ''} --data-plan")
        return None
    try:
        from mparticle import dataplan

        plan = dataplan.load(Path(path), getattr(args, "plan_version", None))
    except ImportError as exc:
        _fail(args, err, f"cannot use the data plan {path}: {exc}")
    except (OSError, ValueError, RecursionError) as exc:  # DataPlanError is a ValueError (so is bad UTF-8)
        message = (str(exc) or type(exc).__name__).replace("pass version=", "give --plan-version ")
        named = path in message or str(Path(path)) in message
        _fail(args, err, message if named else f"data plan {path}: {message}")
    mode = plan_mode(args)
    if mode not in dataplan.MODES:
        _fail(args, err, f"--mode {mode} is not available in this version (available: {', '.join(dataplan.MODES)})")
    return plan


def _fail(args: argparse.Namespace, err: TextIO, message: str) -> NoReturn:
    command = getattr(args, "command", None)
    line = f"mparticle {command}: error: {message}" if command else f"mparticle: error: {message}"
    print(" ".join(line.split()), file=err)  # one line, whatever the message holds
    raise PlanOptionError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value
