#!/usr/bin/env python
"""Draw docs/pacing.svg: the convergence test's fleet, pacing on and off, rate over time.

    /tmp/mp-test/bin/python benchmarks/plot_pacing.py [--processes 8] [--limit 300]
        [--duration 20] [--out docs/pacing.svg]

Runs ``test/fleet.py``'s fleet twice (N independent uploader processes against one local
endpoint that emulates the account limit; see docs/Scaling.md) and plots, for each run, the
batches per second the endpoint accepted (over a sliding second), the 429s it answered and,
with pacing, the sum of the rates the processes were paced to (from ``stats().pacing``). The
SVG is written by hand: no plotting library is needed. Prints the figures it drew.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test"))

from fleet import FleetResult, run_fleet  # noqa: E402

STEP = 0.25  # seconds per point
WIDTH, PANEL, TOP, LEFT, RIGHT, BOTTOM = 900, 250, 30, 60, 20, 40
Point = Tuple[float, float]


def accepted_rate(result: FleetResult, end: float) -> List[Point]:
    """(t, batches/s accepted over the second before t), every STEP seconds."""
    points, t = [], STEP
    while t <= end:
        window = result.window(max(0.0, t - 1.0), t)
        points.append((t, sum(n for _, status, n in window if status == 202) / min(1.0, t)))
        t += STEP
    return points


def refusals(result: FleetResult, end: float) -> List[Point]:
    """(t, 429s in [t, t + STEP)) where there were any."""
    points, t = [], 0.0
    while t < end:
        count = sum(1 for _, status, _ in result.window(t, t + STEP) if status == 429)
        if count:
            points.append((t, float(count)))
        t += STEP
    return points


def paced_total(result: FleetResult, end: float) -> List[Point]:
    """(t, sum over processes of the rate each was paced to at t); unpaced processes add nothing."""
    points, t = [], STEP
    while t <= end:
        total, any_paced = 0.0, False
        for worker in result.workers:
            rate: Optional[float] = None
            for when, paced, _used in worker["trace"]:
                if when > t:
                    break
                rate = paced
            if rate is not None:
                total, any_paced = total + rate, True
        if any_paced:
            points.append((t, total))
        t += STEP
    return points


def panel(result: FleetResult, top: float, end: float, ymax: float, title: str) -> List[str]:
    """One panel's SVG elements, its plot area starting ``top`` pixels down."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, PANEL - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / end

    def y(v: float) -> float:
        return top + plot_h * (1.0 - min(v, ymax) / ymax)

    def line(points: Sequence[Point], colour: str, width: float, dash: str = "") -> str:
        path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", x(t), y(v)) for i, (t, v) in enumerate(points))
        extra = ' stroke-dasharray="%s"' % dash if dash else ""
        return '<path d="%s" fill="none" stroke="%s" stroke-width="%s"%s/>' % (path, colour, width, extra)

    out = ['<text x="%d" y="%.0f" font-size="14" font-weight="bold">%s</text>' % (LEFT, top - 10, title)]
    out.append('<rect x="%d" y="%.0f" width="%d" height="%d" fill="none" stroke="#888"/>' % (LEFT, top, plot_w, plot_h))
    for v in range(0, int(ymax) + 1, 100):
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (LEFT, LEFT + plot_w, y(v), y(v)))
        out.append('<text x="%d" y="%.1f" font-size="11" text-anchor="end">%d</text>' % (LEFT - 5, y(v) + 4, v))
    for s in range(0, int(end) + 1, 2):
        out.append('<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle">%d s</text>'
                   % (x(s), top + plot_h + 15, s))
    for t, count in refusals(result, end):  # 429s: red bars up from the axis, 3 px per refusal
        height = min(float(plot_h), 3.0 * count)
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d62728" opacity="0.6"/>'
                   % (x(t), top + plot_h - height, max(1.0, x(STEP) - x(0) - 1), height))
    out.append(line([(0, result.rate_limit), (end, result.rate_limit)], "#444", 1.5, "6,4"))
    if result.pacing:
        out.append(line(paced_total(result, end), "#ff7f0e", 1.5))
    out.append(line(accepted_rate(result, end), "#1f77b4", 2.0))
    return out


def draw(paced: FleetResult, unpaced: FleetResult, end: float) -> str:
    ymax = 100.0 * (int(1.6 * paced.rate_limit) // 100 + 1)
    height = TOP + 2 * (PANEL + TOP) + 30
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">'
             % (WIDTH, height), '<rect width="100%" height="100%" fill="white"/>']
    for i, (result, name) in enumerate(((paced, "pacing on (default)"), (unpaced, "pacing off"))):
        title = "%d processes, limit %d batches/s, %s: %d of %d requests answered 429" % (
            result.processes, result.rate_limit, name, sum(1 for r in result.requests if r[1] == 429),
            len(result.requests))
        parts += panel(result, TOP + i * (PANEL + TOP), end, ymax, title)
    legend_y = height - 12
    legend = [("#1f77b4", "accepted batches/s (last second)"), ("#ff7f0e", "sum of the paced rates"),
              ("#444", "the account limit"), ("#d62728", "429s per 0.25 s (3 px each)")]
    for i, (colour, label) in enumerate(legend):
        left = LEFT + (0, 230, 390, 530)[i]
        parts.append('<rect x="%d" y="%d" width="14" height="4" fill="%s"/>' % (left, legend_y - 4, colour))
        parts.append('<text x="%d" y="%d" font-size="11">%s</text>' % (left + 18, legend_y, label))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def summary(result: FleetResult, warm_up: float, end: float) -> str:
    return "pacing %-3s: goodput %5.1f%% of the limit, %4.1f%% of requests 429 (%.0f-%.0f s), %d retries" % (
        "on" if result.pacing else "off", 100 * result.goodput(warm_up, end), 100 * result.share_429(warm_up, end),
        warm_up, end, result.retried)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--limit", type=float, default=300.0, help="the account limit, batches/s")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds each process produces")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "docs", "pacing.svg"))
    args = parser.parse_args(argv)
    paced = run_fleet(args.processes, rate_limit=args.limit, duration=args.duration)
    unpaced = run_fleet(args.processes, rate_limit=args.limit, duration=args.duration, pacing=False)
    with open(args.out, "w") as out:
        out.write(draw(paced, unpaced, args.duration))
    print("wrote", args.out)
    for result in (paced, unpaced):
        print(summary(result, 5.0, args.duration))


if __name__ == "__main__":
    main()
