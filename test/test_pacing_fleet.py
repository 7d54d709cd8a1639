"""Issue 12's convergence: 8 independent uploader processes, one account limit, no coordination.

Each process (test/fleet.py) has its own BatchUploader with the default pacing and nothing
shared; the local endpoint emulates the account limit scaled down to 300 batches/s so the run
takes seconds. After a warm-up the fleet must deliver at least 90% of the limit with at most 3%
of requests answered 429, and lose nothing. The same run with pacing off is reported beside it.
"""

from __future__ import annotations

import collections

import pytest
from fleet import FleetResult, run_fleet

PROCESSES = 8
LIMIT = 300.0  # batches per second for the whole account
DURATION = 13.0
WARM_UP = 5.0  # the first seconds spend the full bucket and find the rate

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def check_no_loss(result: FleetResult) -> None:
    """Every enqueued batch arrived, and exactly once (no request was retried after the server
    accepted it: nothing is cut in these runs)."""
    received = collections.Counter(result.ids)
    assert result.dropped == 0 and all(w["pending"] == 0 for w in result.workers), result.workers
    assert set(received) == set(result.expected_ids())
    assert max(received.values()) == 1
    assert sum(w["delivered"] for w in result.workers) == result.enqueued == len(result.ids)


def report(result: FleetResult) -> str:
    return "pacing %s: goodput %.1f%% of the limit, %.1f%% of requests 429 (after %.0f s), %d retries" % (
        "on" if result.pacing else "off", 100 * result.goodput(WARM_UP, DURATION),
        100 * result.share_429(WARM_UP, DURATION), WARM_UP, result.retried,
    )


def test_eight_paced_processes_share_the_account_limit() -> None:
    paced = run_fleet(PROCESSES, rate_limit=LIMIT, duration=DURATION)
    unpaced = run_fleet(PROCESSES, rate_limit=LIMIT, duration=DURATION, pacing=False)
    print("\n" + report(paced) + "\n" + report(unpaced))
    check_no_loss(paced)
    check_no_loss(unpaced)
    assert paced.goodput(WARM_UP, DURATION) >= 0.90, report(paced)
    assert paced.share_429(WARM_UP, DURATION) <= 0.03, report(paced)
    # every process read the signal: each is paced, none starved
    assert all(w["rate"] is not None and w["rate"] >= 1.0 for w in paced.workers), paced.workers
    # without pacing the same fleet learns of the limit only from 429s
    assert unpaced.share_429(WARM_UP, DURATION) > 3 * max(0.01, paced.share_429(WARM_UP, DURATION))
    assert unpaced.retried > paced.retried
