#!/usr/bin/env python
"""What the durable spool costs: the BatchUploader with ``spool_dir`` against the memory-only
uploader, paired in one run (a script, not a pytest test)::

    /tmp/mp-test/bin/python benchmarks/benchmark_spool.py [--quick] [--rounds N]

Three uploaders are compared: memory-only, spool with the default ``spool_commit_interval``
(0.1 s), and spool with ``spool_commit_interval=0`` (enqueue returns after the commit). The
batch is the realistic one of ``benchmarks/realistic.py`` (10 events, identities, device info, user
attributes; ~3 KB serialized). The endpoint is ``mparticle.testing.LocalEventsServer`` in a
process of its own (loaded by file path), so that it does not share the client's GIL.

This machine's speed swings by up to 1.7x from one second to the next, so the variants are
never timed in separate phases: every round takes one short sample of each, in a rotating
order, and the figures are medians over rounds of per-round ratios (with their interquartile
range).

1. Enqueue latency: per-call p50/p99 while the senders deliver, at a steady 4,000 calls/s
   (the producer sleeps between groups of calls, as an application doing other work would),
   and per round the spool's p50 minus the memory-only p50.            [spool: <= +20 us p50]
2. Delivered batches/s, end to end: a burst of batches enqueued as fast as one thread can
   (``overflow="block"``), until ``flush()`` returns and the endpoint has counted them.
                                                                        [spool >= 80% of memory]
3. Disk: a burst enqueued while the endpoint refuses connections (everything stays in the
   spool): bytes on disk (file + WAL + shm) per held batch once all are committed, what share
   was committed when the burst ended, and how long until all of it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
THIS = os.path.abspath(__file__)
sys.path.insert(0, REPO)

import benchmark_uploader as uploader_bench  # noqa: E402 - its endpoint process
import common as base  # noqa: E402 - the benchmarks' shared constants and helpers
import realistic  # noqa: E402 - the realistic batch

POOL = 200  # distinct batches, cycled (each enqueue serializes and stamps its batch anew)
VARIANTS = ("memory", "spool", "spool0")
LABELS = {"memory": "memory only", "spool": "spool, commit 0.1 s", "spool0": "spool, commit 0"}
RATE = 4000.0  # calls/s in the latency samples


# -- the endpoint, in its own process: the uploader benchmark's (benchmark_uploader.py) ------------
ServerProcess = uploader_bench.ServerProcess


# -- helpers --------------------------------------------------------------------------------------------
def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median_iqr(values: List[float]) -> Tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q2, q1, q3


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def make_uploader(mparticle: Any, config: Any, variant: str, spool_root: str, **options: Any) -> Any:
    if variant != "memory":
        options["spool_dir"] = tempfile.mkdtemp(prefix=f"{variant}-", dir=spool_root)
        options["spool_commit_interval"] = 0.0 if variant == "spool0" else 0.1
    return mparticle.BatchUploader(config, **options)


def rotation(round_number: int) -> List[str]:
    shift = round_number % len(VARIANTS)
    order = list(VARIANTS[shift:] + VARIANTS[:shift])
    return order if round_number % 2 == 0 else order[::-1]


# -- 1. latency -------------------------------------------------------------------------------------------
def latency_sample(uploader: Any, pool: List[Any], calls: int, start: int) -> List[float]:
    """``calls`` enqueues at RATE calls/s (sleeping between groups of 10); each call's time in us."""
    clock = time.perf_counter
    spent: List[float] = []
    began = clock()
    for n in range(calls):
        batch = pool[(start + n) % POOL]
        t0 = clock()
        uploader.enqueue(batch)
        spent.append((clock() - t0) * 1e6)
        if n % 10 == 9:
            pause = began + (n + 1) / RATE - clock()
            if pause > 0:
                time.sleep(pause)
    return spent


def measure_latency(mparticle: Any, config: Any, pool: List[Any], spool_root: str, rounds: int,
                    calls: int) -> Dict[str, Any]:
    uploaders = {v: make_uploader(mparticle, config, v, spool_root) for v in VARIANTS}
    every: Dict[str, List[float]] = {v: [] for v in VARIANTS}
    p50s: Dict[str, List[float]] = {v: [] for v in VARIANTS}
    try:
        for v in VARIANTS:  # warm up: threads started, connections open, files created
            latency_sample(uploaders[v], pool, 200, 0)
            assert uploaders[v].flush(60)
        for r in range(rounds):
            for v in rotation(r):
                spent = latency_sample(uploaders[v], pool, calls, r * calls)
                every[v].extend(spent)
                p50s[v].append(statistics.median(spent))
                assert uploaders[v].flush(60)  # untimed: every sample starts from an empty queue
    finally:
        summaries = {v: u.shutdown(30) for v, u in uploaders.items()}
    for v, summary in summaries.items():
        assert summary.delivered == summary.enqueued and not summary.dropped, (v, summary)
    result: Dict[str, Any] = {}
    for v in VARIANTS:
        result[v] = {
            "p50": percentile(every[v], 0.5),
            "p99": percentile(every[v], 0.99),
            "delta": median_iqr([s - m for s, m in zip(p50s[v], p50s["memory"])]),
            "ratio": median_iqr([s / m for s, m in zip(p50s[v], p50s["memory"])]),
            "calls": len(every[v]),
        }
    return result


# -- 2. throughput ------------------------------------------------------------------------------------------
def measure_throughput(mparticle: Any, config: Any, server: ServerProcess, pool: List[Any], spool_root: str,
                       rounds: int, counts: Dict[str, int]) -> Dict[str, Any]:
    uploaders = {v: make_uploader(mparticle, config, v, spool_root, overflow="block", block_timeout=None)
                 for v in VARIANTS}
    rates: Dict[str, List[float]] = {v: [] for v in VARIANTS}

    def burst(v: str, count: int, start: int) -> float:
        before = server.count()
        uploader = uploaders[v]
        began = time.perf_counter()
        for n in range(count):
            uploader.enqueue(pool[(start + n) % POOL])
        assert uploader.flush(120)
        elapsed = time.perf_counter() - began
        assert server.count() - before == count, v
        return count / elapsed

    try:
        for v in VARIANTS:
            burst(v, 300, 0)  # warm up
        for r in range(rounds):
            for v in rotation(r):
                rates[v].append(burst(v, counts[v], r * 7))
    finally:
        for uploader in uploaders.values():
            uploader.shutdown(30)
    return {
        v: {
            "rate": statistics.median(rates[v]),
            "ratio": median_iqr([s / m for s, m in zip(rates[v], rates["memory"])]),
            "each": rates[v],
        }
        for v in VARIANTS
    }


# -- 3. disk ---------------------------------------------------------------------------------------------------
def committed_rows(path: str) -> int:
    conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM batches").fetchone()[0])
    finally:
        conn.close()


def disk_bytes(path: str) -> int:
    return sum(os.path.getsize(path + s) for s in ("", "-wal", "-shm") if os.path.exists(path + s))


def measure_disk(mparticle: Any, pool: List[Any], spool_root: str, count: int) -> Dict[str, Any]:
    refusing = socket.socket()  # bound, never listening: every connection is refused
    refusing.bind(("127.0.0.1", 0))
    config = mparticle.Configuration(api_key=base.API_KEY, api_secret=base.API_SECRET,
                                     host=f"http://127.0.0.1:{refusing.getsockname()[1]}/v2")
    result: Dict[str, Any] = {}
    try:
        for v in ("spool", "spool0"):
            uploader = make_uploader(mparticle, config, v, spool_root, overflow="block", block_timeout=None)
            path = uploader.spool_path
            began = time.perf_counter()
            for n in range(count):
                uploader.enqueue(pool[n % POOL])
            ended = time.perf_counter()
            at_end = committed_rows(path)
            deadline = ended + 60
            while committed_rows(path) < count and time.perf_counter() < deadline:
                time.sleep(0.005)
            lag = time.perf_counter() - ended
            held = committed_rows(path)
            size = disk_bytes(path)
            wal = os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0
            stats = uploader.stats()
            uploader.shutdown(0.5)
            result[v] = {
                "bytes_per_batch": size / held if held else float("nan"),
                "wal_per_batch": wal / held if held else float("nan"),
                "data_per_batch": stats.spool_bytes / count,
                "committed_at_end": at_end / count,
                "lag": lag if held == count else float("inf"),
                "burst_rate": count / (ended - began),
            }
    finally:
        refusing.close()
    return result


# -- report ------------------------------------------------------------------------------------------------------
def fmt_iqr(values: Tuple[float, float, float], unit: str, digits: int = 1, signed: bool = False) -> str:
    sign = "+" if signed else ""
    med, q1, q3 = values
    return f"{med:{sign}.{digits}f}{unit} [{q1:{sign}.{digits}f}, {q3:{sign}.{digits}f}]"


def _row(name: str, cells: List[str], target: str = "") -> None:
    print(f"| {name} | " + " | ".join(cells) + f" | {target} |")


def _latency_rows(latency: Dict[str, Any], rounds: Dict[str, int]) -> None:
    _row(f"enqueue p50 at {RATE:,.0f}/s ({latency['memory']['calls']:,} calls each)",
         [f"{latency[v]['p50']:.1f} us" for v in VARIANTS])
    _row("enqueue p99", [f"{latency[v]['p99']:.1f} us" for v in VARIANTS])
    _row(f"p50 minus memory-only, median of {rounds['latency']} paired rounds [IQR]",
         ["-"] + [fmt_iqr(latency[v]["delta"], " us", signed=True) for v in VARIANTS[1:]], "spool <= +20 us")
    _row("p50 / memory-only, median of paired rounds [IQR]",
         ["-"] + [fmt_iqr(latency[v]["ratio"], "x", 2) for v in VARIANTS[1:]])


def _throughput_rows(rates: Dict[str, Any], rounds: Dict[str, int], counts: Dict[str, int]) -> None:
    _row("delivered batches/s, burst to flush() (median)",
         [f"{rates[v]['rate']:,.0f}/s ({counts[v]:,} per round)" for v in VARIANTS])
    _row(f"delivered/s vs memory-only, median of {rounds['throughput']} paired rounds [IQR]",
         ["-"] + [fmt_iqr(tuple(100 * x for x in rates[v]["ratio"]), "%", 0) for v in VARIANTS[1:]],  # type: ignore[arg-type]
         "spool >= 80%")


def _disk_rows(disk: Dict[str, Any], disk_count: int) -> None:
    _row(f"disk bytes per held batch ({disk_count:,} held, file+WAL+shm)",
         ["-"] + [f"{disk[v]['bytes_per_batch']:,.0f} B" for v in VARIANTS[1:]])
    _row("  of which the WAL", ["-"] + [f"{disk[v]['wal_per_batch']:,.0f} B" for v in VARIANTS[1:]])
    _row("serialized bytes per batch", ["-"] + [f"{disk[v]['data_per_batch']:,.0f} B" for v in VARIANTS[1:]])
    _row("burst enqueue rate, endpoint down", ["-"] + [f"{disk[v]['burst_rate']:,.0f}/s" for v in VARIANTS[1:]])
    _row("share committed when the burst ended", ["-"] + [f"{disk[v]['committed_at_end']:.0%}" for v in VARIANTS[1:]],
         "~100% minus the last 0.1 s")
    _row("then until all committed", ["-"] + [f"{disk[v]['lag'] * 1000:,.0f} ms" for v in VARIANTS[1:]])


def report(latency: Dict[str, Any], rates: Dict[str, Any], disk: Dict[str, Any], rounds: Dict[str, int],
           counts: Dict[str, int], disk_count: int) -> None:
    print(f"\n| measure | {' | '.join(LABELS[v] for v in VARIANTS)} | target |")
    print("|---|" + "---|" * (len(VARIANTS) + 1))
    _latency_rows(latency, rounds)
    _throughput_rows(rates, rounds, counts)
    _disk_rows(disk, disk_count)
    spool_delta = latency["spool"]["delta"][0]
    spool_ratio = rates["spool"]["ratio"][0]
    print(f"\ntargets: enqueue {spool_delta:+.1f} us p50 with the spool -> "
          f"{'met' if spool_delta <= 20 else 'NOT met'}; delivered/s {spool_ratio:.0%} of memory-only -> "
          f"{'met' if spool_ratio >= 0.8 else 'NOT met'}")
    print("per-round delivered/s: " + "; ".join(
        f"{v}: " + ", ".join(f"{r:,.0f}" for r in rates[v]["each"]) for v in VARIANTS))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few, small rounds")
    parser.add_argument("--rounds", type=int, default=0, help="rounds per measurement (default 15, quick 3)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 15)
    latency_calls = 300 if args.quick else 1000
    counts = {"memory": 2000, "spool": 2000, "spool0": 500} if args.quick else \
        {"memory": 6000, "spool": 6000, "spool0": 1500}
    disk_count = 2000 if args.quick else 8000

    import mparticle

    spool_root = tempfile.mkdtemp(prefix="mparticle-bench-spool-")
    server = ServerProcess()
    try:
        config = mparticle.Configuration(api_key=base.API_KEY, api_secret=base.API_SECRET, host=server.url)
        pool = [realistic.build_ctor(mparticle) for _ in range(POOL)]
        size = len(mparticle.serialization.dumps(pool[0]))
        print(f"realistic batch: {size:,} bytes serialized; endpoint {server.url} (separate process); "
              f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
              f"spool files in {spool_root}; load average {_load()}")
        started = time.perf_counter()
        latency = measure_latency(mparticle, config, pool, spool_root, rounds, latency_calls)
        rates = measure_throughput(mparticle, config, server, pool, spool_root, rounds, counts)
        disk = measure_disk(mparticle, pool, spool_root, disk_count)
    finally:
        server.close()
        shutil.rmtree(spool_root, ignore_errors=True)
    report(latency, rates, disk, {"latency": rounds, "throughput": rounds}, counts, disk_count)
    print(f"\n{time.perf_counter() - started:.0f} s of measurements; load average at the end {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
