"""Validation throughput: mparticle.dataplan (each backend) against DPN, on one core.

The plan is Example A grown to 119 points (100 custom events, 10 screen views, 5 product
actions, Example A's own four); each batch has 100 events (valid, invalid or 70/30 mixed).
Samples alternate between our validator and DPN (timed inside Node, no process start) and
the ratio is taken per round; the report gives medians. Also checks that both agree.

    python test/dataplan_oracle/bench.py [ROUNDS]
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE.parent))

from dataplan_oracle.oracle import DataPlanOracle  # noqa: E402

from mparticle import dataplan  # noqa: E402


def big_plan() -> Dict[str, Any]:
    example = json.loads((HERE.parent / "dataplan_fixtures" / "example_a.json").read_text())
    order, screen, purchase, ua, ui = example["version_document"]["data_points"]
    points = []
    for i in range(100):
        point = copy.deepcopy(order)
        point["match"]["criteria"]["event_name"] = "Event %03d" % i
        points.append(point)
    for i in range(10):
        point = copy.deepcopy(screen)
        point["match"]["criteria"]["screen_name"] = "Screen %d" % i
        points.append(point)
    for action in ["purchase", "add_to_cart", "remove_from_cart", "checkout", "refund"]:
        point = copy.deepcopy(purchase)
        point["match"]["criteria"]["action"] = action
        points.append(point)
    points += [order, screen, ua, ui]
    return {"data_plan_id": "bench", "version": 1, "version_document": {"data_points": points}}


def events(kind: str, n: int = 100) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    for i in range(n):
        name = "Event %03d" % (i % 100)
        good = kind == "valid" or (kind == "mixed" and i % 10 < 7)
        if i % 5 == 4:
            products = (
                [{"id": "sku1", "name": "Socks", "price": 9.99, "quantity": 2}]
                if good
                else [{"id": "sku1", "price": "9.99", "color": "red"}]
            )
            out.append(
                {
                    "event_type": "commerce_event",
                    "data": {"product_action": {"action": "purchase", "products": products}},
                }
            )
        elif good:
            attributes = {
                "order_id": "ORD-%d" % i,
                "channel": "web",
                "item_count": 3,
                "gift": True,
                "placed_at": "2020-01-01T10:00:00Z",
            }
            out.append(
                {
                    "event_type": "custom_event",
                    "data": {"event_name": name, "custom_event_type": "transaction", "custom_attributes": attributes},
                }
            )
        else:
            attributes = {
                "order_id": "12345",
                "channel": "Web",
                "item_count": 0,
                "coupon": "X",
                "placed_at": "2020-01-01",
            }
            out.append(
                {
                    "event_type": "custom_event",
                    "data": {"event_name": name, "custom_event_type": "transaction", "custom_attributes": attributes},
                }
            )
    return out


def main(rounds: int) -> None:
    plan = big_plan()
    with DataPlanOracle() as oracle:
        for backend in dataplan.available_backends():
            loaded = dataplan.load(plan, backend=backend)
            for kind in ("valid", "invalid", "mixed"):
                batch = {"events": events(kind), "user_attributes": {"tier": "gold"}}
                assert json.loads(json.dumps(loaded.validate_batch(batch).to_dict())) == oracle.validate_batch(
                    plan, batch
                )
                ours_rates, node_rates, ratios = [], [], []
                for _ in range(rounds):
                    repeat, start = 0, time.perf_counter()
                    while time.perf_counter() - start < 0.15:
                        loaded.validate_batch(batch)
                        repeat += 1
                    ours = repeat * 100 / (time.perf_counter() - start)
                    node = 50 * 100 / oracle.time_batch(plan, batch, 50)
                    ours_rates.append(ours)
                    node_rates.append(node)
                    ratios.append(ours / node)
                print(
                    "%-13s %-7s ours %9.0f ev/s   DPN %6.0f ev/s   ratio (median of paired) %6.1fx"
                    % (
                        backend,
                        kind,
                        statistics.median(ours_rates),
                        statistics.median(node_rates),
                        statistics.median(ratios),
                    )
                )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
