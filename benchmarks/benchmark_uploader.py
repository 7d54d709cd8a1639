#!/usr/bin/env python
"""Benchmark the BatchUploader on the realistic batch (a script, not a pytest test)::

    /work/venv/bin/python benchmarks/benchmark_uploader.py [--orig-python PATH] [--quick]

The realistic batch comes from ``benchmarks/realistic.py``, the helpers from ``benchmarks/common.py``:
10 events (6 custom events with 8 attributes, a purchase with 3 products, session start and
end, a screen view), identities, device info and 10 user attributes.

The endpoint is ``mparticle.testing.LocalEventsServer(record=False, validate=False)`` on 127.0.0.1, run in its
own process (this checkout, started from this interpreter) so that it does not share the client's GIL; every side
talks to the same server and the accepted-batch count it reports is checked.

1. Caller-side ``enqueue``: p50/p99 of single calls in microseconds while the senders
   deliver in the background, and the cost of the queueing on top of the one serialization:
   pairs of samples (10 ``encode_batch`` calls, 10 ``enqueue`` calls on the same batches,
   alternating which goes first), the median of the per-pair differences and ratios per
   call.                                                                 [<= 10 us p50]
   Pairs are split by order (the second block finds the batches in the CPU caches) and the
   two per-order medians averaged.
2. Delivered batches per second, end to end (first enqueue to the last batch accepted,
   serialization included), in rounds alternating three ways of sending:
   the BatchUploader; sequential ``EventsApi.upload_events`` (this SDK); the original
   mparticle 0.16.1's ``upload_events(batch, callback=...)`` (one thread per call), run in
   a subprocess with ``--orig-python`` (a temp venv with mparticle==0.16.1 is created when
   that interpreter does not exist).                                     [>= 15,000/s]
   Also shown: the ceiling of one producer thread, ``encode_batch`` alone on the same batches
   (the uploader cannot deliver faster than the caller serializes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
THIS = os.path.abspath(__file__)
sys.path.insert(0, HERE)

import common as base  # noqa: E402 - the benchmarks' shared constants and helpers
import realistic  # noqa: E402 - the realistic batch

POOL = 200  # distinct batches, cycled (each enqueue serializes and stamps its batch anew)


# -- the endpoint, in its own process ---------------------------------------------------------------
def server_main() -> int:
    """``--server``: serve until stdin closes; answer ``count`` with the accepted batches."""
    sys.path.insert(0, REPO)
    from mparticle.testing import LocalEventsServer

    # validate=False: the endpoint only parses the JSON, so that its CPU stays out of the way.
    server = LocalEventsServer(base.API_KEY, base.API_SECRET, record=False, validate=False,
                               max_request_bytes=base.SERVER_MAX_BYTES, max_batches=base.MAX_BATCHES).start()
    print(server.url, flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(server.accepted_count, flush=True)
    server.stop()
    return 0


class ServerProcess:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, THIS, "--server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1, env=base._clean_env())
        self.url = self.proc.stdout.readline().strip()  # type: ignore[union-attr]

    def count(self) -> int:
        self.proc.stdin.write("count\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return int(self.proc.stdout.readline())  # type: ignore[union-attr]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used (Linux /proc; 0.0 elsewhere)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(10)


# -- the original SDK's callback mode, in its own interpreter -----------------------------------------
def orig_main(url: str, count: int) -> int:
    """``--orig URL N``: N ``upload_events(batch, callback=...)`` calls; print elapsed seconds."""
    import mparticle

    config = mparticle.Configuration()
    config.host, config.api_key, config.api_secret = url, base.API_KEY, base.API_SECRET
    api = mparticle.EventsApi(config)
    pool = [realistic.build_setters(mparticle) for _ in range(POOL)]
    api.upload_events(pool[0])  # connect and check
    done = threading.Event()
    lock = threading.Lock()
    outcome = {"left": count, "errors": 0}

    def callback(result: Any) -> None:
        with lock:
            outcome["errors"] += isinstance(result, Exception)
            outcome["left"] -= 1
            if not outcome["left"]:
                done.set()

    started = time.perf_counter()
    for n in range(count):
        api.upload_events(pool[n % POOL], callback=callback)
    done.wait()
    print(json.dumps({"seconds": time.perf_counter() - started, "errors": outcome["errors"]}), flush=True)
    return 0


# -- the measurements ----------------------------------------------------------------------------------
def _load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_enqueue(mparticle: Any, config: Any, pool: List[Any], pairs: int, block: int = 10
                    ) -> Dict[str, float]:
    """Paired samples: ``block`` calls of ``encode_batch`` and ``block`` calls of ``enqueue`` on
    the same batches, alternating which goes first, while the senders deliver. Each call is
    timed (for the enqueue p50/p99); each pair gives a per-call difference and ratio. Whichever
    block runs second finds the batches in the CPU caches, so the medians are taken per order
    and averaged."""
    from mparticle.serialization import encode_batch

    clock = time.perf_counter_ns
    limit = config.max_batch_bytes
    calls: List[int] = []
    pair_stats: List[List[tuple]] = [[], []]  # by order: (enqueue ns, encode ns) per call

    def timed_encode(batches: List[Any]) -> int:
        total = 0
        for batch in batches:
            t0 = clock()
            encode_batch(batch, limit)
            total += clock() - t0
        return total

    def timed_enqueue(batches: List[Any]) -> int:
        total = 0
        for batch in batches:
            t0 = clock()
            uploader.enqueue(batch)
            spent = clock() - t0
            calls.append(spent)
            total += spent
        return total

    with mparticle.BatchUploader(config) as uploader:
        for n in range(pairs):
            start = (n * block) % POOL
            batches = (pool + pool)[start:start + block]
            if n % 2:
                encode_ns = timed_encode(batches)
                enqueue_ns = timed_enqueue(batches)
            else:
                enqueue_ns = timed_enqueue(batches)
                encode_ns = timed_encode(batches)
            pair_stats[n % 2].append((enqueue_ns / block, encode_ns / block))
        summary = uploader.shutdown(30)
    assert summary.delivered == pairs * block, summary

    def balanced(statistic: Any) -> float:
        return sum(statistics.median(statistic(q, e) for q, e in group) for group in pair_stats) / 2

    encodes = [e for group in pair_stats for _, e in group]
    return {
        "calls": len(calls),
        "enqueue_p50_us": percentile(calls, 0.5) / 1000,
        "enqueue_p99_us": percentile(calls, 0.99) / 1000,
        "encode_p50_us": statistics.median(encodes) / 1000,
        "overhead_p50_us": balanced(lambda q, e: q - e) / 1000,
        "ratio_p50": balanced(lambda q, e: q / e),
    }


def rate_serialization(pool: List[Any], count: int, limit: int, cpu: Dict[str, List[float]]) -> float:
    """The ceiling for one producer thread: serializing alone (``encode_batch``)."""
    from mparticle.serialization import encode_batch

    client_cpu = time.process_time()
    started = time.perf_counter()
    for n in range(count):
        encode_batch(pool[n % POOL], limit)
    elapsed = time.perf_counter() - started
    cpu["serialization"].append((time.process_time() - client_cpu) / count * 1e6)
    return count / elapsed


def rate_uploader(mparticle: Any, config: Any, server: ServerProcess, pool: List[Any], count: int,
                  threads: int, cpu: Dict[str, List[float]]) -> float:
    """Default settings except ``overflow="block"``: a producer faster than the senders waits
    for room instead of dropping, so this is the sustained rate. Also records the CPU time per
    batch of this process (all threads) and of the server process."""
    before = server.count()
    uploader = mparticle.BatchUploader(config, threads=threads, overflow="block", block_timeout=None)
    client_cpu, server_cpu = time.process_time(), server.cpu_seconds()
    started = time.perf_counter()
    for n in range(count):
        uploader.enqueue(pool[n % POOL])
    assert uploader.flush(60)
    elapsed = time.perf_counter() - started
    cpu["client"].append((time.process_time() - client_cpu) / count * 1e6)
    cpu["server"].append((server.cpu_seconds() - server_cpu) / count * 1e6)
    summary = uploader.shutdown(10)
    assert summary.delivered == count and server.count() - before == count, summary
    return count / elapsed


def rate_sequential(api: Any, server: ServerProcess, pool: List[Any], count: int) -> float:
    before = server.count()
    started = time.perf_counter()
    for n in range(count):
        api.upload_events(pool[n % POOL])
    elapsed = time.perf_counter() - started
    assert server.count() - before == count
    return count / elapsed


def rate_original(python: str, server: ServerProcess, count: int) -> float:
    before = server.count()
    with tempfile.TemporaryFile(mode="w+") as stderr:  # the original logs pool warnings there
        out = subprocess.run([python, THIS, "--orig", server.url, str(count)], stdout=subprocess.PIPE,
                             stderr=stderr, text=True, env=base._clean_env(), cwd=tempfile.gettempdir())
        if out.returncode:
            stderr.seek(0)
            raise RuntimeError(f"original SDK run failed:\n{stderr.read()[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == 0 and server.count() - before == count + 1, result  # + its warm-up call
    return count / result["seconds"]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orig-python", default=base.DEFAULT_ORIG_PYTHON,
                        help="interpreter with mparticle==0.16.1 (a temp venv is created if missing)")
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="uploader sender threads")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    pairs, n_uploader, n_sequential, n_original = (
        (300, 5_000, 500, 500) if args.quick else (3_000, 40_000, 3_000, 3_000)
    )
    orig_python = base.ensure_orig_python(args.orig_python)
    sys.path.insert(0, REPO)
    import mparticle

    server = ServerProcess()
    try:
        config = mparticle.Configuration(api_key=base.API_KEY, api_secret=base.API_SECRET, host=server.url)
        pool = [realistic.build_ctor(mparticle) for _ in range(POOL)]
        size = len(mparticle.serialization.dumps(pool[0]))
        print(f"realistic batch: {size} bytes serialized; endpoint {server.url} (separate process); "
              f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; load average {_load()}")
        latency = measure_enqueue(mparticle, config, pool, pairs)
        hot = measure_enqueue(mparticle, config, [pool[0]] * POOL, pairs)
        api = mparticle.EventsApi(config)
        api.upload_events(pool[0])
        rates: Dict[str, List[float]] = {"serialization": [], "uploader": [], "sequential": [], "original": []}
        cpu: Dict[str, List[float]] = {"serialization": [], "client": [], "server": []}
        for _ in range(rounds):
            rates["serialization"].append(rate_serialization(pool, n_uploader, config.max_batch_bytes, cpu))
            rates["uploader"].append(rate_uploader(mparticle, config, server, pool, n_uploader, args.threads, cpu))
            rates["sequential"].append(rate_sequential(api, server, pool, n_sequential))
            rates["original"].append(rate_original(orig_python, server, n_original))
    finally:
        server.close()

    print(f"\nenqueue: {latency['calls']:,.0f} calls in {pairs:,} pairs of 10-call samples with encode_batch, "
          "senders delivering meanwhile")
    print(f"  {'':<36}{'200 distinct batches':>22}{'one batch repeated':>22}")
    rows = (
        ("enqueue p50", "enqueue_p50_us", "us"),
        ("enqueue p99", "enqueue_p99_us", "us"),
        ("encode_batch p50 (serialization)", "encode_p50_us", "us"),
        ("queueing overhead, median of pairs", "overhead_p50_us", "us"),
        ("enqueue / encode, median of pairs", "ratio_p50", "x"),
    )
    for label, key, unit in rows:
        print(f"  {label:<36}{latency[key]:>19.1f} {unit}{hot[key]:>19.1f} {unit}")
    print("  target: queueing overhead <= 10 us p50. 'One batch repeated' is the code path alone;")
    print("  distinct batches add the memory traffic of keeping each serialized batch until it is sent.")
    uploader_rate = statistics.median(rates["uploader"])
    print(f"\ndelivered batches/s, end to end (median of {rounds} round(s); each round runs all three)")
    labels = {
        "serialization": f"ceiling: encode_batch alone, one thread ({n_uploader:,})",
        "uploader": f"BatchUploader ({args.threads} threads, {n_uploader:,} batches)",
        "sequential": f"EventsApi.upload_events, sequential ({n_sequential:,})",
        "original": f"mparticle 0.16.1 callback= mode ({n_original:,})",
    }
    for key, label in labels.items():
        value = statistics.median(rates[key])
        each = ", ".join(f"{r:,.0f}" for r in rates[key])
        if key == "serialization":
            speedup = f"   uploader reaches {uploader_rate / value:.0%} of it"
        else:
            speedup = "" if key == "uploader" else f"   uploader is {uploader_rate / value:,.1f}x"
        print(f"  {label:<52}{value:>10,.0f}/s   [{each}]{speedup}")
    print(f"  target: BatchUploader >= 15,000/s -> {'met' if uploader_rate >= 15_000 else 'NOT met'}"
          f"   (load average at the end: {_load()})")
    client, server_us, serial = (statistics.median(cpu[k]) for k in ("client", "server", "serialization"))
    print("\nCPU per delivered batch during the BatchUploader runs (median)")
    print(f"  {'client process, all threads':<34}{client:>9.1f} us   of which serialization {serial:.1f} us, "
          f"uploader {client - serial:.1f} us")
    print(f"  {'endpoint process':<34}{server_us:>9.1f} us")
    if client and server_us:
        print(f"  => at most {2e6 / (client + server_us):,.0f} batches/s with both processes on 2 idle cores; "
              f"{1e6 / max(client, server_us):,.0f}/s if each had a core to itself")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--server":
        sys.exit(server_main())
    if len(sys.argv) > 1 and sys.argv[1] == "--orig":
        sys.exit(orig_main(sys.argv[2], int(sys.argv[3])))
    sys.exit(main(sys.argv[1:]))
