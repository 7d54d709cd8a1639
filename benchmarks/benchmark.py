#!/usr/bin/env python
"""Benchmark this SDK against the original mparticle 0.16.1, side by side, in one run.

Not a pytest test: run it as a script from the repository root::

    python benchmarks/benchmark.py                  # full run (a minute or two)
    python benchmarks/benchmark.py --quick          # smoke run (well under a minute)
    python benchmarks/benchmark.py --cases 1,2,9 --markdown --json results.json

Method. Machine speed drifts by up to ~1.7x from one second to the next, so the two sides
are never timed in separate phases. Each side runs in its own long-lived worker process
(``workers.py``; ours: this checkout; the original: ``--orig-python``, an interpreter with
``mparticle==0.16.1``, created in a temp venv when missing). The driver calibrates the runs
per sample so that one sample takes about ``--sample-ms``, takes ``--pairs`` pairs of
samples alternating which side goes first, and reports the median and interquartile range
of the per-pair ratios. The realistic batch (``realistic.py``) is built setter style, in the
order of the official docs, and constructor style; the two give the same bytes (checked).

Cases (``--cases``; targets in the table):

1. the realistic batch: build+serialize and build only, setter style and constructor style
2. ``AppEvent('Home', 'navigation')`` + 3 assignments; a small Batch by setters (absolute)
3. serialization vs ``json.dumps`` of the same plain dict and vs the original
4. ``mparticle.validate(batch)`` (and of the parsed dict) vs serializing the batch
5. sequential ``upload_events``, vs the original and vs the floor (urllib3 POST of ready
   bytes, same sink), client CPU per batch (``time.process_time``) next to wall-clock rates
6. ``bulk_upload_events`` of 60 realistic batches, likewise
7. tracemalloc bytes per held batch
8. ``import mparticle`` in a fresh interpreter
9. per-model setter-cost table (``setters.py``): every model, every field kind

The loopback sink (``sink.py``) runs in a process of its own, the same for both sides:
``--sink counting`` (default) only reads, counts and answers 202; ``--sink local`` is this
checkout's ``LocalEventsServer(validate=False)``, which parses every body.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import CASES, Bench  # noqa: E402
from common import BULK_BATCHES, DEFAULT_ORIG_PYTHON, ensure_orig_python  # noqa: E402
from report import print_report  # noqa: E402
from sink import KINDS  # noqa: E402

QUICK = {"pairs": 12, "sample_ms": 10.0, "import_pairs": 10, "mem_count": 500, "mem_reps": 3,
         "setter_pairs": 5, "setter_pool": 300, "setter_rounds": 2}
FULL = {"pairs": 40, "sample_ms": 15.0, "import_pairs": 30, "mem_count": 2000, "mem_reps": 3,
        "setter_pairs": 9, "setter_pool": 1000, "setter_rounds": 3}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orig-python", default=DEFAULT_ORIG_PYTHON,
                   help="interpreter with mparticle==0.16.1 (created in a temp venv if missing)")
    p.add_argument("--ours-python", default=sys.executable, help="interpreter for our side (default: this one)")
    p.add_argument("--quick", action="store_true", help="smoke run: few, short samples (well under a minute)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated case numbers, e.g. 1,2,9")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--sink", choices=tuple(KINDS), default="counting",
                   help="loopback endpoint for cases 5-6, in its own process: " +
                        "; ".join(f"{k}: {v}" for k, v in KINDS.items()))
    p.add_argument("--pairs", type=int, help=f"sample pairs per timed case (default {FULL['pairs']}, "
                                             f"--quick {QUICK['pairs']})")
    p.add_argument("--sample-ms", type=float, help="target duration of one sample")
    p.add_argument("--import-pairs", type=int)
    p.add_argument("--mem-count", type=int, help="batches held for the memory case")
    p.add_argument("--mem-reps", type=int)
    p.add_argument("--every-field", action="store_true", help="setter table: every field, not one per kind")
    p.add_argument("--setter-pairs", type=int)
    p.add_argument("--setter-pool", type=int, help="fresh instances per setter sample")
    p.add_argument("--setter-rounds", type=int, help="pools per setter sample (the best is kept)")
    p.add_argument("--cpu", type=int, help="pin both workers to this CPU")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    p.add_argument("--profile", metavar="CASE",
                   help="instead of benchmarking, cProfile ours on a worker case "
                        "(build_ser_setters, build_setters, ser, validate, upload, bulk, ...)")
    p.add_argument("--profile-n", type=int, default=2000)
    p.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = p.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def _selected(args: argparse.Namespace) -> List[str]:
    selected = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in selected if c not in CASES]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    return selected


def _profile(bench: Bench, args: argparse.Namespace) -> int:
    if args.profile in ("upload", "bulk"):
        bench.start_sink()
    count = args.profile_n // BULK_BATCHES if args.profile == "bulk" else args.profile_n
    print(bench.ours.call("profile", args.profile, max(1, count)))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    selected = _selected(args)
    args.orig_python = ensure_orig_python(args.orig_python)
    started = time.monotonic()
    bench = Bench(args)
    try:
        bench.check_equivalence()
        if args.profile:
            return _profile(bench, args)
        for key in selected:
            getattr(bench, CASES[key])()
    finally:
        bench.close()
    print_report(args, bench.meta, time.monotonic() - started, bench.results, bench.setter_rows)
    failed = [r.key for r in bench.results if r.passed is False]
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
