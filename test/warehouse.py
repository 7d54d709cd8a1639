"""What the Spark backfill tests and benchmarks/benchmark_pacing.py share: a synthetic warehouse
export (its rows and the user's ``to_batch``) and whether Spark can run here. Spark's Python
workers cannot import this folder, so the users of this module register it with
``cloudpickle.register_pickle_by_value``."""

from __future__ import annotations

import importlib
import shutil
import time
from typing import Any, Dict, Optional

DAY_MS = 86_400_000
EVENTS = ("viewed", "carted", "purchased")


def old_ms() -> int:
    """A timestamp 90 days ago (ms): the historical endpoint takes data older than 30 days."""
    return int(time.time() * 1000) - 90 * DAY_MS


def row(pk: int, start_ms: int) -> Dict[str, Any]:
    """Row ``pk`` of the export: a primary key, a customer, a timestamp from ``start_ms``, an event."""
    return {"pk": pk, "customer_id": f"cust-{pk % 97}", "ts": start_ms + pk * 1000, "event": EVENTS[pk % 3],
            "sku": f"sku-{pk % 13}", "qty": pk % 5}


def to_batch(record: Any) -> Dict[str, Any]:
    """One row, one historical batch (rows are dicts or pyspark Rows: both index by column name)."""
    return {
        "environment": "development",
        "user_identities": {"customer_id": record["customer_id"]},
        "events": [{
            "event_type": "custom_event",
            "data": {"event_name": record["event"], "custom_event_type": "transaction",
                     "timestamp_unixtime_ms": record["ts"],
                     "custom_attributes": {"sku": record["sku"], "qty": str(record["qty"])}},
        }],
    }


def spark_missing() -> Optional[str]:
    """Why Spark cannot run here (None: it can)."""
    try:
        importlib.import_module("pyspark")
    except ImportError:
        return "pyspark is not installed (pip install pyspark)"
    if shutil.which("java") is None:
        return "java is not on PATH (Spark needs a Java runtime)"
    return None
