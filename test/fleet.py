"""N independent uploader processes against one rate-limited local endpoint (issue 12).

``run_fleet`` starts the endpoint with an emulated account limit and ``processes`` worker
processes (this file run as a script): each has its own BatchUploader and no shared state,
enqueues as fast as its queue takes batches (``overflow="block"``) for ``duration`` seconds
from a common start, then shuts down and prints its stats as one JSON line. The result holds
what the endpoint saw, per request, so callers can measure goodput, 429 share and loss.
Used by test_pacing_fleet.py, benchmarks/benchmark_pacing.py and benchmarks/plot_pacing.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


@dataclass
class FleetResult:
    """What one fleet run did: the endpoint's view (per request) and each worker's report."""

    processes: int
    pacing: bool
    rate_limit: float
    start: float  # monotonic time (this process) the workers started producing
    duration: float
    requests: List[Tuple[float, int, int]]  # (seconds since start, status, batches) per request
    ids: List[str]  # source_request_id of every accepted batch, duplicates included
    workers: List[Dict[str, Any]] = field(default_factory=list)  # each worker's final stats

    def window(self, begin: float, end: float) -> List[Tuple[float, int, int]]:
        return [r for r in self.requests if begin <= r[0] < end]

    def goodput(self, begin: float, end: float) -> float:
        """Accepted batches per second in [begin, end), as a fraction of the limit."""
        accepted = sum(n for _, status, n in self.window(begin, end) if status == 202)
        return accepted / (self.rate_limit * (end - begin))

    def share_429(self, begin: float, end: float) -> float:
        """The fraction of requests in [begin, end) answered 429."""
        window = self.window(begin, end)
        return sum(1 for _, status, _ in window if status == 429) / max(1, len(window))

    @property
    def enqueued(self) -> int:
        return sum(w["enqueued"] for w in self.workers)

    @property
    def dropped(self) -> int:
        return sum(sum(w["dropped"].values()) for w in self.workers)

    @property
    def retried(self) -> int:
        return sum(w["retried"] for w in self.workers)

    def expected_ids(self) -> List[str]:
        return ["w%d-%d" % (w["worker"], i) for w in self.workers for i in range(w["enqueued"])]

    def timeline(self, step: float = 0.25) -> List[Tuple[float, float, int]]:
        """(time, accepted batches/s, 429s) per ``step`` seconds, from the start."""
        end = max((t for t, _, _ in self.requests), default=0.0)
        rows = []
        t = 0.0
        while t < end:
            window = self.window(t, t + step)
            accepted = sum(n for _, status, n in window if status == 202)
            rows.append((t, accepted / step, sum(1 for _, status, _ in window if status == 429)))
            t += step
        return rows


def run_fleet(
    processes: int,
    *,
    rate_limit: float,
    duration: float,
    pacing: bool = True,
    acceleration_limit: Optional[float] = None,
    queue_batches: int = 40,
    drain_timeout: float = 30.0,
) -> FleetResult:
    """Run the fleet once and return what happened (raises if a worker fails)."""
    from mparticle.testing import LocalEventsServer

    server = LocalEventsServer(rate_limit=rate_limit, acceleration_limit=acceleration_limit)
    server.start()
    try:
        start_wall = time.time() + 1.5 + 0.15 * processes  # every worker imports the SDK first
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
        children = [
            subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), server.url, server.api_key, server.api_secret,
                 str(number), repr(start_wall), repr(duration), "1" if pacing else "0", str(queue_batches),
                 repr(drain_timeout)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
            )
            for number in range(processes)
        ]
        reports = []
        for child in children:
            out, err = child.communicate(timeout=duration + drain_timeout + 60)
            if child.returncode != 0:
                raise RuntimeError("fleet worker failed (%d): %s" % (child.returncode, err[-2000:]))
            reports.append(json.loads(out.strip().splitlines()[-1]))
        start = time.monotonic() - (time.time() - start_wall)
        requests, ids = [], []
        for request in server.requests:
            if request.path.endswith("/bulkevents"):
                count = len(request.batches) if request.status == 202 else len(request.json())
                requests.append((request.received_at - start, request.status, count))
                ids.extend(b.get("source_request_id", "") for b in request.batches)
        return FleetResult(processes, pacing, rate_limit, start, duration, requests, ids, reports)
    finally:
        server.stop()


def _worker(argv: List[str]) -> None:
    url, key, secret, number, start_wall, duration, pacing, queue_batches, drain = argv
    import mparticle
    from mparticle.uploader import BatchUploader

    config = mparticle.Configuration()
    config.api_key, config.api_secret, config.host = key, secret, url
    uploader = BatchUploader(
        config, pacing=pacing == "1", overflow="block", block_timeout=None,
        max_queue_batches=int(queue_batches), upload_interval=0.05, threads=2,
    )
    worker, begin = int(number), float(start_wall)
    time.sleep(max(0.0, begin - time.time()))
    end = begin + float(duration)
    trace: List[Tuple[float, Optional[float], Optional[int]]] = []  # (time, rate, percentage used)

    def sample() -> None:
        while not uploader.closed:
            pace = uploader.stats().pacing
            if pace is not None:
                trace.append((round(time.time() - begin, 3), pace.rate, pace.percentage_used))
            time.sleep(0.25)

    threading.Thread(target=sample, daemon=True).start()
    i = 0
    while time.time() < end:
        uploader.enqueue({
            "environment": "development", "source_request_id": "w%d-%d" % (worker, i),
            "user_identities": {"customer_id": "c%d" % i},
            "events": [{"event_type": "custom_event", "data": {"event_name": "fleet", "custom_event_type": "other"}}],
        })
        i += 1
    stats = uploader.shutdown(float(drain))
    pace = stats.pacing
    print(json.dumps({
        "worker": worker, "enqueued": stats.enqueued, "delivered": stats.delivered,
        "dropped": dict(stats.dropped), "retried": stats.retried, "pending": stats.pending,
        "rate": pace.rate if pace else None, "rate_limited": pace.rate_limited if pace else 0,
        "trace": trace,
    }))


if __name__ == "__main__":
    _worker(sys.argv[1:])
