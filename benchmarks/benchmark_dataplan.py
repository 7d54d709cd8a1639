#!/usr/bin/env python
"""Benchmark data plan validation and enforcement (issue 11; a script, not a pytest test)::

    python benchmarks/benchmark_dataplan.py [--quick] [--rounds N] [--no-node] [--markdown]

The plan is ``test/dataplan_fixtures/plans/retail_120.json`` (123 points: custom events,
screen views, product and promotion actions, impressions, user attributes and identities);
the batches come from ``benchmarks/dataplan_cases.py``: 20-50 events each, built with the
SDK's models from the plan's own schemas (seeded), in two sets: ``valid`` (every event
planned and valid, checked) and ``mixed`` (~30% of the events carry one violation: unplanned
events and attributes, wrong types, out-of-range or off-enum values, missing required ones).

1. Validation throughput, events per second on one core (the process, and the Node process it
   starts, are pinned to one CPU): ``DataPlan.validate_batch`` with each installed backend
   (jsonschema-rs, python-jsonschema) against mParticle's Node validator
   ``@mparticle/data-planning-node`` 1.0.3 (DPN, the Node SDK's validator; installed into a
   cache by ``test/dataplan_oracle``), timed inside Node (no process start, no IPC) on the
   same wire-form batches. Every round takes one sample of each, in rotating order, and the
   ratio ours/DPN is taken per round; the table gives the median and IQR of those ratios.
   Before timing, every batch's ``report.to_dict()`` is compared with DPN's output (strict
   mode).                                                         [target: >= 1x DPN]
2. Enforcement overhead on ``BatchUploader.enqueue`` (``send=False``: validated and
   serialized, never sent): the time per batch with ``data_plan=`` (policy ``"report"``
   and ``"block"``) minus the time without, compared with ``mparticle.serialization.dumps``
   of the same Batch models, all in the same rounds.    [target: overhead <= 1x dumps]

Without node or npm (or with ``--no-node`` / ``MPARTICLE_BENCH_NO_NODE=1``) the DPN columns
are skipped and the backends are compared with each other instead.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "test"))

import dataplan_cases  # noqa: E402 - the plan and its batches
from common import quantiles  # noqa: E402 - the benchmarks' shared helpers

from mparticle import dataplan  # noqa: E402
from mparticle.configuration import Configuration  # noqa: E402
from mparticle.serialization import dumps  # noqa: E402
from mparticle.uploader.batch_uploader import BatchUploader  # noqa: E402

FULL = {"rounds": 15, "sample_ms": 150.0, "batches": 8}
QUICK = {"rounds": 3, "sample_ms": 40.0, "batches": 4}
KINDS = ("valid", "mixed")
NO_NODE_ENV = "MPARTICLE_BENCH_NO_NODE"


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: %(r)d rounds of short samples" % {
        "r": QUICK["rounds"]})
    p.add_argument("--rounds", type=int, help="rounds (paired samples) per figure (default %d)" % FULL["rounds"])
    p.add_argument("--sample-ms", type=float, help="target length of one sample (default %g)" % FULL["sample_ms"])
    p.add_argument("--batches", type=int, help="batches per set (default %d)" % FULL["batches"])
    p.add_argument("--seed", type=int, default=11, help="seed of the batch generator")
    p.add_argument("--plan", help="another plan (a version, or a whole plan: its newest version)")
    p.add_argument("--no-node", action="store_true", help="skip DPN (also: %s=1)" % NO_NODE_ENV)
    p.add_argument("--cpu", type=int, help="the CPU to pin to (default: the last one allowed)")
    p.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = p.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.no_node = args.no_node or os.environ.get(NO_NODE_ENV, "") not in ("", "0")
    return args


def render(header: Sequence[str], rows: List[Tuple[str, ...]], markdown: bool) -> str:
    from report import render as table  # the benchmarks' table renderer (imports the driver: lazily)

    return str(table(header, rows, markdown))


def pin(args: argparse.Namespace) -> str:
    """Pin this process (and the Node process it starts later) to one CPU."""
    if args.no_pin or not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    allowed = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {cpu})
    return "pinned to CPU %d (of %d allowed); Node inherits it" % (cpu, len(allowed))


# -- timing -------------------------------------------------------------------------------------------
def per_call(fn: Callable[[], Any], calls: int, sample_s: float) -> float:
    """Seconds per ``fn()`` call (one call covers ``calls`` items): repeated for about ``sample_s``."""
    done, start = 0, time.perf_counter()
    while True:
        fn()
        done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= sample_s:
            return elapsed / (done * calls)


class Figures:
    """Per-round samples of several timed things, and paired ratios between them."""

    def __init__(self) -> None:
        self.samples: Dict[str, List[float]] = {}

    def add(self, key: str, value: float) -> None:
        self.samples.setdefault(key, []).append(value)

    def median(self, key: str) -> float:
        return quantiles(self.samples[key])[1]

    def ratios(self, top: Callable[[int], float], bottom: Callable[[int], float], rounds: int) -> Tuple[float, ...]:
        return quantiles([top(i) / bottom(i) for i in range(rounds)])


def rotated(items: List[Any], round_no: int) -> List[Any]:
    shift = round_no % len(items)
    return items[shift:] + items[:shift]


# -- 1. validation throughput ------------------------------------------------------------------------
def agreement(oracle: Any, plan: Dict[str, Any], loaded: Dict[str, Any], wires: Dict[str, List[Any]]) -> List[str]:
    """Each backend's ``to_dict()`` against DPN's output (or, without DPN, against each other)."""
    heads: List[str] = []
    lines: List[str] = []
    answers = {kind: [oracle.validate_batch(plan, w) for w in batches] for kind, batches in wires.items()} \
        if oracle is not None else None
    first: Dict[str, List[Any]] = {}
    for backend, plan_obj in loaded.items():
        cells = []
        for kind, batches in wires.items():
            ours = [json.loads(json.dumps(plan_obj.validate_batch(w).to_dict())) for w in batches]
            reference = answers[kind] if answers is not None else first.setdefault(kind, ours)
            same = sum(1 for a, b in zip(ours, reference) if a == b)
            errors = sum(len(r["data"]["validation_errors"]) for answer in ours for r in answer["results"])
            cells.append("%s %d/%d (%d errors)" % (kind, same, len(batches), errors))
            for index, (a, b) in enumerate(zip(ours, reference)):
                if a != b:
                    lines.append("  MISMATCH %s %s batch %d: ours %s | reference %s"
                                 % (backend, kind, index, json.dumps(a)[:400], json.dumps(b)[:400]))
                    break
        against = "DPN 1.0.3 validateBatch" if answers is not None else "the first backend"
        heads.append("agreement %-13s to_dict() == %s: %s" % (backend, against, ", ".join(cells)))
    return heads + lines


def dpn_repeat(oracle: Any, plan: Dict[str, Any], batches: List[Any], sample_s: float) -> int:
    """Repeats per batch so that one DPN sample over the set takes about ``sample_s``."""
    seconds = sum(oracle.time_batch(plan, w, 2) for w in batches) / 2
    return max(1, int(round(sample_s / max(seconds, 1e-6))))


def throughput(args: argparse.Namespace, oracle: Any, plan: Dict[str, Any], loaded: Dict[str, Any],
               wires: Dict[str, List[Any]]) -> Tuple[List[Tuple[str, ...]], List[str]]:
    sample_s = args.sample_ms / 1000.0
    figures = Figures()
    events = {kind: sum(len(w["events"]) for w in batches) for kind, batches in wires.items()}
    repeats = {kind: dpn_repeat(oracle, plan, batches, sample_s) for kind, batches in wires.items()} \
        if oracle is not None else {}
    for plan_obj in loaded.values():  # warm up
        for batches in wires.values():
            for w in batches:
                plan_obj.validate_batch(w)

    def ours(plan_obj: Any, batches: List[Any], count: int) -> float:
        return 1.0 / per_call(lambda: [plan_obj.validate_batch(w) for w in batches], count, sample_s)

    def node(batches: List[Any], count: int, repeat: int) -> float:
        seconds = sum(oracle.time_batch(plan, w, repeat) for w in batches)
        return count * repeat / seconds

    for r in range(args.rounds):
        for kind, batches in wires.items():
            samples: List[Tuple[str, Callable[[], float]]] = [
                (backend, (lambda p=plan_obj, b=batches, k=kind: ours(p, b, events[k])))
                for backend, plan_obj in loaded.items()
            ]
            if oracle is not None:
                samples.append(("DPN", lambda b=batches, k=kind: node(b, events[k], repeats[k])))
            for name, sample in rotated(samples, r):
                figures.add("%s/%s" % (name, kind), sample())
    rows: List[Tuple[str, ...]] = []
    reference = "DPN" if oracle is not None else list(loaded)[-1]
    for kind in wires:
        for backend in loaded:
            if backend == reference:
                continue
            ours_key, ref_key = "%s/%s" % (backend, kind), "%s/%s" % (reference, kind)
            q1, med, q3 = figures.ratios(lambda i, a=ours_key: figures.samples[a][i],
                                         lambda i, b=ref_key: figures.samples[b][i], args.rounds)
            verdict = ("PASS" if med >= 1 else "FAIL") if reference == "DPN" else "info"
            rows.append((kind, backend, "%s ev/s" % _rate(figures.median(ours_key)),
                         "%s ev/s (%s)" % (_rate(figures.median(ref_key)), reference),
                         "%.1fx" % med, "%.1f-%.1fx" % (q1, q3), ">= 1x DPN" if reference == "DPN" else "-", verdict))
    notes = ["events per set: " + ", ".join("%s %d in %d batches" % (k, events[k], len(wires[k])) for k in wires)]
    if repeats:
        notes.append("DPN: %s validateBatch(batch, plan) calls per batch per sample, timed inside Node "
                     "(process.hrtime); it builds an Ajv and compiles the point's schema for every event"
                     % "/".join(str(repeats[k]) for k in wires))
    loads = []
    for backend in loaded:
        seconds = sorted(per_call(lambda b=backend: dataplan.load(plan, backend=b), 1, 0) for _ in range(3))[1]
        loads.append("%s %.1f ms" % (backend, seconds * 1e3))
    notes.append("ours compiles once, in dataplan.load(plan) (not in the figures): " + ", ".join(loads)
                 + " (median of 3)")
    return rows, notes


def _rate(value: float) -> str:
    return "{:,.0f}".format(value)


# -- 2. enforcement overhead --------------------------------------------------------------------------
def has_data_plan() -> bool:
    return "data_plan" in inspect.signature(BatchUploader.__init__).parameters


def enqueue_overhead(args: argparse.Namespace, loaded: Dict[str, Any],
                     models: Dict[str, List[Any]]) -> Tuple[List[Tuple[str, ...]], List[str]]:
    sample_s = args.sample_ms / 1000.0
    config = Configuration()
    seen = {"violations": 0}

    def on_violation(verdict: Any) -> None:
        seen["violations"] += 1

    default = list(loaded)[0]
    variants: List[Tuple[str, str, Any]] = [("report", default, loaded[default]), ("block", default, loaded[default])]
    variants += [("report", backend, plan_obj) for backend, plan_obj in loaded.items() if backend != default]
    plain = BatchUploader(config, send=False, threads=1)
    uploaders = {
        "%s/%s" % (policy, backend): BatchUploader(config, send=False, threads=1, data_plan=plan_obj,
                                                   data_plan_policy=policy, on_data_plan_violation=on_violation)
        for policy, backend, plan_obj in variants
    }
    validator = loaded[default]
    wires = {kind: [json.loads(dumps(b)) for b in batches] for kind, batches in models.items()}
    figures = Figures()
    try:
        for batches in models.values():  # warm up, and check that nothing is refused
            for batch in batches:
                assert plain.enqueue(batch)
                dumps(batch)
                for uploader in uploaders.values():
                    assert uploader.enqueue(batch)
        for r in range(args.rounds):
            for kind, batches in models.items():
                count = len(batches)
                wire = wires[kind]
                samples: List[Tuple[str, Callable[[], None]]] = [
                    ("none", lambda b=batches: [plain.enqueue(x) for x in b]),
                    ("dumps", lambda b=batches: [dumps(x) for x in b]),
                    # the breakdown: the model to a dict (what data_plan= needs first), the validation alone
                    ("wire_form", lambda b=batches: [json.loads(dumps(x)) for x in b]),
                    ("validate", lambda w=wire: [validator.validate_batch(x) for x in w]),
                ]
                samples += [(name, lambda u=u, b=batches: [u.enqueue(x) for x in b]) for name, u in uploaders.items()]
                for name, fn in rotated(samples, r):
                    figures.add("%s/%s" % (name, kind), per_call(fn, count, sample_s))
        stats = {name: u.stats().data_plan for name, u in uploaders.items()}
    finally:
        plain.shutdown(timeout=1)
        for uploader in uploaders.values():
            uploader.shutdown(timeout=1)
    rows: List[Tuple[str, ...]] = []
    for kind in models:
        none, ser = figures.samples["none/%s" % kind], figures.samples["dumps/%s" % kind]
        for name in uploaders:
            with_plan = figures.samples["%s/%s" % (name, kind)]
            over = [with_plan[i] - none[i] for i in range(args.rounds)]
            q1, med, q3 = quantiles([over[i] / ser[i] for i in range(args.rounds)])
            policy, backend = name.split("/")
            rows.append((kind, policy, backend, _us(quantiles(none)[1]), _us(quantiles(with_plan)[1]),
                         _us(quantiles(over)[1]), _us(quantiles(ser)[1]), "%.2fx" % med, "%.2f-%.2fx" % (q1, q3),
                         "<= 1x dumps", "PASS" if med <= 1 else "FAIL"))
    events = {kind: sum(len(b.events or []) for b in batches) / len(batches) for kind, batches in models.items()}
    sizes = {kind: sum(len(dumps(b)) for b in batches) / len(batches) for kind, batches in models.items()}
    notes = ["per batch (mean %s); BatchUploader(send=False, threads=1): enqueue validates and serializes, sends "
             "nothing" % ", ".join("%s %.0f events %.1f KiB" % (k, events[k], sizes[k] / 1024) for k in models)]
    for kind in models:
        ser = figures.samples["dumps/%s" % kind]
        parts = []
        labels = (("wire_form", "json.loads(dumps(batch))"), ("validate", "validate_batch(wire) %s" % default))
        for name, label in labels:
            values = figures.samples["%s/%s" % (name, kind)]
            parts.append("%s %s = %.2fx dumps" % (label, _us(quantiles(values)[1]),
                                                  quantiles([values[i] / ser[i] for i in range(args.rounds)])[1]))
        notes.append("breakdown, %s: %s" % (kind, "; ".join(parts)))
    report = stats.get("report/%s" % default)
    block = stats.get("block/%s" % default)
    if report is not None and block is not None:
        notes.append("enforcer counters (report/%s): checked %d, violating %d, tagged %d; block removed %d events, "
                     "%d event attributes, %d user attributes; on_data_plan_violation calls (all uploaders) %d"
                     % (default, report.checked, report.violating, report.tagged, block.events_blocked,
                        block.event_attributes_blocked, block.user_attributes_blocked, seen["violations"]))
    return rows, notes


def _us(seconds: float) -> str:
    return "%.0f us" % (seconds * 1e6)


# -- main ---------------------------------------------------------------------------------------------
def open_oracle(args: argparse.Namespace) -> Tuple[Any, str]:
    if args.no_node:
        return None, "DPN columns skipped: --no-node / %s" % NO_NODE_ENV
    try:
        from dataplan_oracle.oracle import DataPlanOracle, OracleUnavailable
    except ImportError as exc:  # an installed package without test/
        return None, "DPN columns skipped: test/dataplan_oracle not found (%s)" % exc
    try:
        return DataPlanOracle(), ""
    except OracleUnavailable as exc:
        return None, "DPN columns skipped: %s" % exc


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pinned = pin(args)
    backends = dataplan.available_backends()
    if not backends:
        print('data plan benchmark: skipped (no backend installed: pip install "mparticle[dataplan]")')
        return 0
    plan, where = dataplan_cases.load_plan(args.plan)
    loaded = {backend: dataplan.load(plan, backend=backend) for backend in backends}
    sets, violations = dataplan_cases.build_sets(plan, loaded[backends[0]], args.batches, args.seed)
    wires = {kind: [dataplan_cases.wire(b) for b in batches] for kind, batches in sets.items()}
    oracle, skipped = open_oracle(args)
    try:
        print("data plan benchmark: %s (%d points, %s)" % (where, len(loaded[backends[0]].points),
                                                          plan.get("data_plan_id", "-")))
        print("Python %s, %s; %s; %d rounds, ~%g ms/sample, %d batches/set, seed %d"
              % (platform.python_version(), platform.machine(), pinned, args.rounds, args.sample_ms,
                 args.batches, args.seed))
        print("mixed set violations built: " + ", ".join("%s %d" % kv for kv in sorted(violations.items())))
        if skipped:
            print(skipped)
        print()
        for line in agreement(oracle, plan, loaded, wires):
            print(line)
        rows, notes = throughput(args, oracle, plan, loaded, wires)
        print()
        print("1. Validation throughput, events/s on one core; ratio = ours / reference per round "
              "(median, IQR over %d rounds)" % args.rounds)
        for note in notes:
            print("   " + note)
        print()
        print(render(("set", "ours", "ours ev/s", "reference ev/s", "ratio", "IQR", "target", "result"), rows,
                     args.markdown))
    finally:
        if oracle is not None:
            oracle.close()
    print()
    if not has_data_plan():
        print("enqueue overhead: skipped (BatchUploader has no data_plan= yet)")
    else:
        try:
            rows, notes = enqueue_overhead(args, loaded, sets)
        except (ImportError, TypeError) as exc:  # the data_plan= keywords half-way in
            print("enqueue overhead: skipped (BatchUploader(data_plan=...) failed: %s)" % exc)
            rows = []
    if rows:
        print("2. Enforcement overhead on BatchUploader.enqueue, per batch: overhead = enqueue with data_plan= minus "
              "enqueue without; ratio = overhead / dumps(batch) per round (median, IQR)")
        for note in notes:
            print("   " + note)
        print()
        print(render(("set", "policy", "backend", "enqueue", "with plan", "overhead", "dumps()", "ratio", "IQR",
                      "target", "result"), rows, args.markdown))
    print()
    print("elapsed %.0f s" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
