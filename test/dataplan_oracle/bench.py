"""Superseded: the data plan benchmark is ``benchmarks/benchmark_dataplan.py``.

It measures validation throughput against DPN (timed inside Node, as this script did) on
realistic batches derived from ``test/dataplan_fixtures/plans/retail_120.json``, checks
agreement, and adds the ``BatchUploader(data_plan=...)`` enqueue overhead. This file only
forwards to it (the old synthetic 119-point plan is ``dataplan_cases.fallback_plan``)::

    python test/dataplan_oracle/bench.py [ROUNDS]   # = benchmarks/benchmark_dataplan.py --rounds ROUNDS
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "benchmark_dataplan.py"

if __name__ == "__main__":
    rounds = sys.argv[1:2]
    sys.argv = [str(SCRIPT)] + (["--rounds", rounds[0]] if rounds and rounds[0].isdigit() else sys.argv[1:])
    runpy.run_path(str(SCRIPT), run_name="__main__")
