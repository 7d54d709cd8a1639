"""``mparticle serve``: the embedded Events API endpoint on 127.0.0.1 for local development.

Prints the base URL, then one line per request received and one per accepted batch, until
Ctrl-C (or SIGTERM). Faults can be scripted (``--script 429,503,drop``) or drawn at random
(``--fault-rate-429``, ``--fault-rate-503``, ``--drop-rate``).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any, Dict, List, Optional, TextIO

from mparticle.cli.signals import stop_signals
from mparticle.testing import Fault, LocalEventsServer, RecordedRequest

__all__ = ["parse_script", "run_serve", "describe_request", "describe_batch"]


def parse_script(text: str, retry_after: Optional[str] = None) -> List[Fault]:
    """``"429,503,drop,202"`` → faults (``drop`` closes the connection; 202 answers normally)."""
    faults: List[Fault] = []
    for token in (t.strip().lower() for t in text.split(",")):
        if not token:
            continue
        if token == "drop":
            faults.append(Fault(drop=True))
            continue
        try:
            status = int(token)
        except ValueError:
            raise ValueError(f"--script: {token!r} is not a status code or 'drop'") from None
        if not 100 <= status <= 599:
            raise ValueError(f"--script: {status} is not an HTTP status")
        faults.append(Fault(status=status, retry_after=retry_after if status == 429 else None))
    return faults


def describe_request(request: RecordedRequest) -> str:
    """``12:00:01 POST /v2/bulkevents -> 202, 3 batches, 1.2 KB``."""
    stamp = time.strftime("%H:%M:%S")
    answer = "dropped" if request.status == 0 else str(request.status)
    text = f"{stamp} {request.method} {request.path} -> {answer}"
    if request.status == 202:
        text += f", {len(request.batches)} batch{'es' if len(request.batches) != 1 else ''}"
    text += f", {request.wire_size or len(request.body):,} bytes"
    if request.faulted and request.status != 202:
        text += " (fault)"
    if request.error:
        text += f": {request.error}"
    return text


def describe_batch(batch: Dict[str, Any]) -> str:
    """``environment, identities, event types`` of one accepted batch, on one line."""
    identities = batch.get("user_identities") or {}
    who = ", ".join(f"{k}={v}" for k, v in identities.items()) if isinstance(identities, dict) else "?"
    listed = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in _event_kinds(batch).items()) or "no events"
    parts = [str(batch.get("environment", "-")), who or "no identities", listed]
    if batch.get("source_request_id"):
        parts.append(f"source_request_id={batch['source_request_id']}")
    return "    batch: " + "; ".join(parts)


def _event_kinds(batch: Dict[str, Any]) -> Dict[str, int]:
    """How many events of each ``event_type`` the batch holds (``?``: not an event object)."""
    events = batch.get("events") or []
    kinds: Dict[str, int] = {}
    for event in events if isinstance(events, list) else []:
        kind = event.get("event_type", "?") if isinstance(event, dict) else "?"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _build_server(args: argparse.Namespace) -> LocalEventsServer:
    """The endpoint the flags describe, started; ValueError/OSError on a bad flag or port."""
    script = parse_script(args.script, args.retry_after) if args.script else []
    server = LocalEventsServer(
        args.api_key,
        args.api_secret,
        max_request_bytes=args.max_request_bytes,
        max_batches=args.max_batches,
        port=args.port,
        rate_limit=args.rate_limit,
        acceleration_limit=args.acceleration_limit,
    )
    if args.fault_rate_429 or args.fault_rate_503 or args.drop_rate:
        server.set_fault_rates(
            throttle=args.fault_rate_429,
            throttle_retry_after=args.retry_after,
            unavailable=args.fault_rate_503,
            drop=args.drop_rate,
            seed=args.seed,
        )
    if script:
        server.script(*script)
    if args.delay:
        server.hang(args.delay)
    return server.start()


def run_serve(args: argparse.Namespace, out: Optional[TextIO] = None, stop: Optional[threading.Event] = None) -> int:
    """Serve until Ctrl-C/SIGTERM (or ``stop`` is set); returns 0, or 2 on a usage error."""
    out = out or sys.stdout
    try:
        server = _build_server(args)
    except (ValueError, OSError) as exc:
        print(f"mparticle serve: error: {exc}", file=sys.stderr)
        return 2
    stopped = stop or threading.Event()
    try:
        with stop_signals(lambda *_: stopped.set()):
            _print_banner(server, args, out)
            _echo_until(stopped, server, out, args.requests_only)
    finally:
        server.stop()
    counts = ", ".join(f"{'dropped' if s == 0 else s}: {n}" for s, n in sorted(server.status_counts.items()))
    print(
        f"served {server.request_count} requests ({counts or 'none'}), {server.accepted_count} batches accepted",
        file=out,
    )
    out.flush()
    return 0


def _print_banner(server: LocalEventsServer, args: argparse.Namespace, out: TextIO) -> None:
    print(f"Listening on {server.url}  (key {args.api_key!r}, secret {args.api_secret!r}); Ctrl-C to stop", file=out)
    print(
        f"  export MPARTICLE_HOST={server.url} MPARTICLE_API_KEY={args.api_key} MPARTICLE_API_SECRET={args.api_secret}",
        file=out,
    )
    out.flush()


def _echo_until(stop: threading.Event, server: LocalEventsServer, out: TextIO, requests_only: bool) -> None:
    """Print the requests as they arrive (and their batches, unless ``requests_only``) until
    ``stop`` is set, and those that arrived by then."""
    seen = 0
    while True:
        stopping = stop.wait(0.1)
        if server.request_count != seen:
            requests = server.requests
            for request in requests[seen:]:
                print(describe_request(request), file=out)
                if not requests_only:
                    for batch in request.batches:
                        print(describe_batch(batch), file=out)
            seen = len(requests)
            out.flush()
        if stopping:
            return
