#!/usr/bin/env python
"""Many workers, one account budget (issue 12): pacing in a fleet, and a Spark backfill against
the single-process CLI (a script, not a pytest test)::

    /tmp/mp-test/bin/python benchmarks/benchmark_pacing.py [--quick] [--rounds 2] [--limit 300]
        [--duration 12] [--warm-up 5] [--batches 1000000] [--partitions 8] [--skip-spark]

1. Pacing: ``test/fleet.py``'s fleet (N independent uploader processes, no shared state,
   each enqueueing as fast as its queue takes batches, against one local endpoint that
   emulates the account limit: ``LocalEventsServer(rate_limit=--limit)``) for N = 1, 4 and
   16, pacing on and off. Reported after the warm-up: goodput (accepted batches/s as a
   fraction of the limit), the share of requests answered 429, retries, drops, loss (ids the
   workers enqueued that the endpoint never accepted: must be 0) and duplicates (ids accepted
   more than once). This machine's speed swings by up to 1.7x from one second to the next,
   so the runs alternate (on, off, on, off, ... per N, ``--rounds`` rounds) and the figures
   are medians, with every round's values.
2. Backfill: ``--batches`` historical batches (events 90 days old) through
   ``mparticle.integrations.spark.backfill`` on a local-mode SparkSession (``local[--spark-cores]``, 2; a
   DataFrame of ``--partitions`` partitions, one BatchUploader per partition with its
   defaults), and the same batches written to a JSON Lines file and sent by one
   ``python -m mparticle send --historical`` process (its defaults: 4 connections). The
   endpoint is an unlimited ``LocalEventsServer`` (validating, the historical rules
   included) in a process of its own, so that it does not share the client's GIL; it keeps
   only the accepted ``source_request_id``s (not the bodies), and after each run it checks
   that it holds exactly the expected ids. Reported: both wall times (SparkSession start-up
   apart; the CLI's includes its interpreter start), their ratio, and the endpoint's CPU
   seconds (on 2 cores it competes with the client). Skipped with ``--skip-spark``, or when
   pyspark or ``java`` is missing (the reason is printed).

``--quick``: duration 6 s (warm-up 3 s), N = 1 and 4, one round, 20,000 batches.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
THIS = os.path.abspath(__file__)
sys.path.insert(0, os.path.join(REPO, "test"))

import warehouse  # noqa: E402
from common import API_KEY, API_SECRET, ChildEndpoint, clean_env  # noqa: E402
from fleet import FleetResult, run_fleet  # noqa: E402
from warehouse import to_batch  # noqa: E402

KEY_PREFIX = "bench"


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


# -- 1. pacing: the fleet, pacing on and off ----------------------------------------------------------
def fleet_figures(result: FleetResult, warm_up: float) -> Dict[str, Any]:
    """One run's figures, over [warm_up, duration) for the rates, the whole run for loss."""
    expected = set(result.expected_ids())
    received = set(result.ids)
    return {
        "goodput": result.goodput(warm_up, result.duration),
        "share_429": result.share_429(warm_up, result.duration),
        "requests": len(result.window(warm_up, result.duration)),
        "retried": result.retried,
        "dropped": result.dropped,
        "enqueued": result.enqueued,
        "loss": len(expected - received),
        "unexpected": len(received - expected),
        "duplicates": len(result.ids) - len(received),
    }


def measure_pacing(ns: List[int], rounds: int, limit: float, duration: float, warm_up: float
                   ) -> Dict[Tuple[int, bool], List[Dict[str, Any]]]:
    """Per (N, pacing): one figures dict per round; on and off alternate within each N."""
    runs: Dict[Tuple[int, bool], List[Dict[str, Any]]] = {}
    for n in ns:
        for r in range(rounds):
            for pacing in (True, False):
                began = time.perf_counter()
                result = run_fleet(n, rate_limit=limit, duration=duration, pacing=pacing)
                figures = fleet_figures(result, warm_up)
                figures["seconds"] = time.perf_counter() - began
                runs.setdefault((n, pacing), []).append(figures)
                print(f"  N={n:<2} pacing {'on ' if pacing else 'off'} round {r + 1}: "
                      f"goodput {figures['goodput']:6.1%}, 429s {figures['share_429']:5.1%} of "
                      f"{figures['requests']:,} requests, loss {figures['loss']}, duplicates "
                      f"{figures['duplicates']} ({figures['seconds']:.1f} s, load {_load()})", flush=True)
    return runs


def report_pacing(runs: Dict[Tuple[int, bool], List[Dict[str, Any]]], ns: List[int], limit: float,
                  duration: float, warm_up: float) -> bool:
    """Print the table; True when no run lost, dropped or duplicated anything."""
    print(f"\n## Pacing: N processes, one account limit of {limit:g} batches/s "
          f"(figures over {warm_up:g}-{duration:g} s; median of rounds, each round in brackets)\n")
    print("| N | pacing | goodput (of the limit) | requests answered 429 | retries (whole run) | dropped | loss "
          "| duplicates |")
    print("|---|---|---|---|---|---|---|---|")
    clean = True

    def cell(values: List[float], percent: bool) -> str:
        fmt = "{:.1%}" if percent else "{:,.0f}"
        each = ", ".join(fmt.format(v) for v in values)
        return fmt.format(statistics.median(values)) + (f" [{each}]" if len(values) > 1 else "")

    for n in ns:
        for pacing in (True, False):
            rows = runs[(n, pacing)]
            loss = sum(r["loss"] + r["unexpected"] for r in rows)
            dropped = sum(r["dropped"] for r in rows)
            duplicates = sum(r["duplicates"] for r in rows)
            clean = clean and not (loss or dropped or duplicates)
            print(f"| {n} | {'on' if pacing else 'off'} | {cell([r['goodput'] for r in rows], True)} | "
                  f"{cell([r['share_429'] for r in rows], True)} | {cell([r['retried'] for r in rows], False)} | "
                  f"{dropped} | {loss}{'' if loss == 0 else ' LOST'} | {duplicates} |")
    return clean


# -- 2. backfill: the endpoint, in its own process ------------------------------------------------------
def expected_ids(count: int) -> Set[str]:
    from mparticle.integrations.spark import source_request_id

    return {source_request_id((KEY_PREFIX, i)) for i in range(count)}


def serve_main() -> int:
    """``--serve``: an unlimited LocalEventsServer that keeps only the accepted ids. Prints its
    URL, then answers ``stats`` and ``check N`` (the ids against those of keys 0..N-1) on stdin
    with a JSON line each, until stdin closes."""
    from mparticle.testing import LocalEventsServer, RecordedRequest
    from mparticle.testing.records import Recorder

    class IdRecorder(Recorder):
        """Counters and requests without payloads (``record=False``), plus the accepted ids."""

        def __init__(self) -> None:
            super().__init__(keep_payloads=False)
            self.ids: Set[str] = set()
            self.id_lock = threading.Lock()

        def add(self, request: RecordedRequest, batches: List[Dict[str, Any]]) -> None:
            if request.status == 202:
                with self.id_lock:
                    self.ids.update(str(b.get("source_request_id")) for b in batches)
            super().add(request, batches)

    class IdServer(LocalEventsServer):
        # LocalEventsServer has no public hook for this: its recorder is swapped before serving.
        def _serve(self, endpoint: Any, port: int) -> None:
            self._recorder = IdRecorder()
            super()._serve(dataclasses.replace(endpoint, recorder=self._recorder), port)

    server = IdServer(API_KEY, API_SECRET, record=False).start()
    recorder: IdRecorder = server._recorder  # type: ignore[assignment]
    print(server.url, flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        answer: Dict[str, Any] = {
            "accepted": server.accepted_count, "distinct": len(recorder.ids),
            "statuses": {str(k): v for k, v in sorted(server.status_counts.items())},
            "errors": [repr(e) for e in server.errors[:5]], "cpu_s": time.process_time(),
        }
        if command[0] == "check":
            wanted = expected_ids(int(command[1]))
            with recorder.id_lock:
                answer["missing"] = len(wanted - recorder.ids)
                answer["unexpected"] = len(recorder.ids - wanted)
        print(json.dumps(answer), flush=True)
    server.stop()
    return 0


class ServerProcess(ChildEndpoint):
    """Driver side of ``--serve``."""

    def __init__(self) -> None:
        super().__init__([sys.executable, THIS, "--serve"], "the endpoint process")


# -- 2. backfill: the data, as warehouse rows -----------------------------------------------------------
def key(row: Any) -> Tuple[str, int]:
    return (KEY_PREFIX, row["pk"])


def write_jsonl(path: str, count: int, old_ms: int) -> int:
    """The same batches as the backfill's, ids included (``send`` keeps a batch's own id)."""
    from mparticle.integrations.spark import source_request_id

    with open(path, "w", encoding="utf-8") as out:
        for pk in range(count):
            row = warehouse.row(pk, old_ms)
            batch = {**to_batch(row), "source_request_id": source_request_id(key(row))}
            out.write(json.dumps(batch, separators=(",", ":")) + "\n")
    return os.path.getsize(path)


def verify(server: ServerProcess, count: int, before: Dict[str, Any]) -> Dict[str, Any]:
    """The endpoint's check of the ids, and its CPU seconds since ``before``."""
    check = server.ask(f"check {count}")
    check["server_cpu_s"] = check["cpu_s"] - before["cpu_s"]
    check["ok"] = (check["missing"] == 0 and check["unexpected"] == 0 and check["distinct"] == count
                   and not check["errors"])
    return check


def run_spark(count: int, partitions: int, cores: int, old_ms: int) -> Dict[str, Any]:
    from pyspark import cloudpickle
    from pyspark.sql import SparkSession

    from mparticle.integrations.spark import backfill

    os.environ.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
                      SPARK_LOCAL_IP="127.0.0.1")
    for name in ("MPARTICLE_HOST", "MPARTICLE_API_KEY", "MPARTICLE_API_SECRET"):
        os.environ.pop(name, None)
    modules = [warehouse] + ([sys.modules[__name__]] if __name__ != "__main__" else [])  # __main__ is by value
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    began = time.perf_counter()
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("mparticle-benchmark-pacing")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - began
    server = ServerProcess()
    try:
        frame = session.range(0, count, numPartitions=partitions).selectExpr(
            "id AS pk", "concat('cust-', CAST(id % 97 AS STRING)) AS customer_id", f"{old_ms} + id * 1000 AS ts",
            "element_at(array('viewed', 'carted', 'purchased'), CAST(id % 3 AS INT) + 1) AS event",
            "concat('sku-', CAST(id % 13 AS STRING)) AS sku", "CAST(id % 5 AS INT) AS qty",
        )
        assert frame.limit(3).rdd.map(lambda r: r.asDict()).collect() == [warehouse.row(i, old_ms) for i in range(3)]
        settings = {"api_key": API_KEY, "api_secret": API_SECRET, "host": server.url}
        before = server.ask("stats")
        began = time.perf_counter()
        report = backfill(frame, to_batch, key=key, settings=settings)
        seconds = time.perf_counter() - began
        result = verify(server, count, before)
    finally:
        server.close()
        session.stop()
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)
    result.update(seconds=seconds, startup=startup, enqueued=report.enqueued, delivered=report.delivered,
                  retried=report.retried, attempts=max((p.attempt for p in report.partitions), default=0),
                  partitions=len(report.partitions))
    return result


def run_cli(path: str, count: int) -> Dict[str, Any]:
    server = ServerProcess()
    folder = os.path.dirname(path)
    try:
        before = server.ask("stats")
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "mparticle", "send", path, "--historical", "--host", server.url,
             "--api-key", API_KEY, "--api-secret", API_SECRET, "--progress", "off",
             "--checkpoint", os.path.join(folder, "send.checkpoint.json"),
             "--reject-file", os.path.join(folder, "send.rejects.jsonl")],
            capture_output=True, text=True, env=clean_env(), timeout=3600,
        )
        seconds = time.perf_counter() - began
        result = verify(server, count, before)
    finally:
        server.close()
    lines = done.stderr.strip().splitlines()
    result.update(seconds=seconds, returncode=done.returncode, summary=lines[-1] if lines else "")
    result["ok"] = result["ok"] and done.returncode == 0
    if done.returncode != 0:
        result["stderr"] = done.stderr[-2000:]
    return result


def measure_backfill(count: int, partitions: int, cores: int) -> Dict[str, Any]:
    old_ms = warehouse.old_ms()  # /bulkevents/historical: data older than 30 days
    folder = tempfile.mkdtemp(prefix="mparticle-bench-pacing-")
    try:
        path = os.path.join(folder, "backfill.jsonl")
        began = time.perf_counter()
        size = write_jsonl(path, count, old_ms)
        print(f"  wrote {count:,} batches ({size / 2 ** 20:,.1f} MiB) to {path} in {time.perf_counter() - began:.1f} s",
              flush=True)
        spark = run_spark(count, partitions, cores, old_ms)
        print(f"  spark backfill: {spark['seconds']:.1f} s (load {_load()})", flush=True)
        cli = run_cli(path, count)
        print(f"  mparticle send: {cli['seconds']:.1f} s (load {_load()})", flush=True)
        return {"count": count, "size": size, "spark": spark, "cli": cli, "partitions": partitions, "cores": cores}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report_backfill(result: Dict[str, Any]) -> bool:
    count, spark, cli = result["count"], result["spark"], result["cli"]
    print(f"\n## Backfill: {count:,} historical batches ({result['size'] / 2 ** 20:,.1f} MiB as JSON Lines), "
          "unlimited local endpoint in its own process\n")
    print("| sender | wall time | batches/s | endpoint CPU | accepted | distinct ids | missing | unexpected |")
    print("|---|---|---|---|---|---|---|---|")
    for name, run in ((f"Spark backfill, local[{result['cores']}], {spark['partitions']} partitions", spark),
                      ("mparticle send --historical (1 process)", cli)):
        print(f"| {name} | {run['seconds']:.1f} s | {count / run['seconds']:,.0f} | {run['server_cpu_s']:.2f} s | "
              f"{run['accepted']:,} | {run['distinct']:,} | {run['missing']:,} | {run['unexpected']:,} |")
    print(f"\nsend / backfill wall time: {cli['seconds'] / spark['seconds']:.2f}x "
          f"(SparkSession start-up, not counted: {spark['startup']:.1f} s; backfill retries {spark['retried']}, "
          f"highest task attempt {spark['attempts']})")
    print(f"the CLI's summary: {cli['summary']}")
    if cli["returncode"] != 0:
        print(f"send exited {cli['returncode']}:\n{cli.get('stderr', '')}")
    for name, run in (("backfill", spark), ("send", cli)):
        if run["errors"]:
            print(f"{name}: endpoint handler errors: {run['errors']}")
        print(f"{name}: endpoint statuses {run['statuses']}; every id received exactly as expected: "
              f"{'yes' if run['ok'] else 'NO'}")
    return bool(spark["ok"] and cli["ok"])


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 6 s runs, N = 1 and 4, 1 round, 20,000")
    parser.add_argument("--rounds", type=int, default=0, help="on/off pairs per N (default 2, quick 1)")
    parser.add_argument("--limit", type=float, default=300.0, help="the emulated account limit, batches/s")
    parser.add_argument("--duration", type=float, default=0.0, help="seconds each fleet produces (12, quick 6)")
    parser.add_argument("--warm-up", type=float, default=None, help="seconds not counted (5, quick 3)")
    parser.add_argument("--processes", type=int, nargs="+", default=None, help="fleet sizes (1 4 16, quick 1 4)")
    parser.add_argument("--batches", type=int, default=0, help="backfill batches (1,000,000, quick 20,000)")
    parser.add_argument("--partitions", type=int, default=8, help="partitions of the backfill's DataFrame")
    parser.add_argument("--spark-cores", type=int, default=2, help="local[N] for the SparkSession")
    parser.add_argument("--skip-spark", action="store_true", help="skip part 2 (the backfill comparison)")
    parser.add_argument("--skip-pacing", action="store_true", help="skip part 1 (the fleet)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 2)
    duration = args.duration or (6.0 if args.quick else 12.0)
    ns = args.processes or ([1, 4] if args.quick else [1, 4, 16])
    batches = args.batches or (20_000 if args.quick else 1_000_000)
    warm_up = args.warm_up if args.warm_up is not None else (3.0 if args.quick else 5.0)
    if warm_up > duration / 2:
        warm_up = duration / 2
        print(f"warm-up cut to {warm_up:g} s (half the {duration:g} s duration)")

    import mparticle

    print(f"mparticle {mparticle.__version__}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
          f"load average {_load()}")
    started = time.perf_counter()
    ok = True
    pacing_runs = None
    if not args.skip_pacing:
        print(f"\npacing: N = {ns}, {rounds} round(s), limit {args.limit:g} batches/s, {duration:g} s each")
        pacing_runs = measure_pacing(ns, rounds, args.limit, duration, warm_up)
    backfill_result = None
    skipped = "--skip-spark" if args.skip_spark else warehouse.spark_missing()
    if skipped is None:
        print(f"\nbackfill: {batches:,} batches")
        backfill_result = measure_backfill(batches, args.partitions, args.spark_cores)

    if pacing_runs is not None:
        ok = report_pacing(pacing_runs, ns, args.limit, duration, warm_up) and ok
    if backfill_result is not None:
        ok = report_backfill(backfill_result) and ok
    else:
        print(f"\n## Backfill: skipped ({skipped})")
    print(f"\n{time.perf_counter() - started:.0f} s in all; load average at the end {_load()}; "
          f"{'no loss, no duplicates, every id checked' if ok else 'PROBLEMS: see above'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve_main())
    sys.exit(main(sys.argv[1:]))
