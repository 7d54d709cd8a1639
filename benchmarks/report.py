"""The benchmark's output: the results table and the setter table, as text or Markdown."""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List, Sequence, Tuple

import setters
from common import fmt_value
from driver import Result

HEADER = ("case", "what", "ours", "reference", "ratio (median)", "IQR", "target", "result")


def _ratio_cells(r: Result) -> Tuple[str, str]:
    if r.ratio_kind == "speedup":
        return f"{r.median:.2f}x {'faster' if r.median >= 1 else '(slower)'}", f"{r.q1:.2f}-{r.q3:.2f}"
    if r.ratio_kind == "share":
        return f"{r.median:.0%} of ours ({r.extra['share_of_orig']:.0%} of orig)", "-"
    return f"{r.median:.3f}x", f"{r.q1:.3f}-{r.q3:.3f}"


def _target_cell(r: Result) -> str:
    if r.target is None:
        return "-"
    op, value = r.target
    if r.target_on == "ours":
        return f"ours {op} {fmt_value(value, r.unit)}"
    return f"{op} {value:g}x"


def result_cells(results: List[Result]) -> List[Tuple[str, ...]]:
    rows: List[Tuple[str, ...]] = []
    for r in results:
        ratio, iqr = _ratio_cells(r)
        verdict = {None: "info", True: "PASS", False: "FAIL"}[r.passed]
        rows.append((r.key, r.name, fmt_value(r.ours, r.unit),
                     f"{fmt_value(r.ref, r.unit)} ({r.ref_name})", ratio, iqr, _target_cell(r), verdict))
    return rows


def render(header: Sequence[str], rows: List[Tuple[str, ...]], markdown: bool) -> str:
    """Aligned plain text, or a Markdown table (``|`` in cells escaped)."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.strip().replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    table = [tuple(header)] + rows
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = []
    for j, row in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def preamble(args: argparse.Namespace, meta: Dict[str, Any], elapsed: float) -> List[str]:
    ours, orig = meta["ours"], meta["orig"]
    bulk = meta.get("bulk_bytes", {})
    lines = [
        f"mparticle benchmark: ours {ours['version']} ({ours['mparticle_file']}) vs original "
        f"{orig['installed_dist']} ({orig['executable']}); Python {ours['python']}",
        f"{args.pairs} pairs/case, ~{args.sample_ms:g} ms/sample, {args.import_pairs} import pairs, "
        f"memory {args.mem_count} batches x {args.mem_reps}; {elapsed:.0f} s",
        f"realistic batch: {meta['batch_events']} events, {ours['serialized_bytes']} B serialized "
        f"(original {orig['serialized_bytes']} B); setter-built and constructor-built: same bytes "
        "(checked)",
        f"sink: {meta.get('sink', 'not used')}"
        + (f"; bulk request {bulk.get('ours', 0):,} B (original {bulk.get('orig', 0):,} B)" if bulk else "")
        + (f"; requests received {meta['sink_stats'].get('requests')}" if "sink_stats" in meta else ""),
        "ratio: 'Nx faster' = reference time / ours per pair; 'Nx' = ours / reference; "
        "median and IQR over pairs",
    ]
    if ours.get("validate_problems"):
        lines.append(f"note: validate() reports problems on the realistic batch: {ours['validate_problems']}")
    return lines


def setter_section(rows: List[Dict[str, Any]], args: argparse.Namespace) -> List[str]:
    header, cells = setters.table_rows(rows)
    scope = "every field" if args.every_field else "one field per model and kind (--every-field: all)"
    return [
        "",
        f"Setter cost: one assignment on a fresh instance, {scope}; {args.setter_pairs} pairs, best of "
        f"{args.setter_rounds} pools of {args.setter_pool} per sample; speedup = original / ours; "
        "SLOWER: the whole IQR below 1x, slower?: only the median",
        "",
        render(header, cells, args.markdown),
        "",
        *setters.summary(rows),
    ]


def write_json(path: str, args: argparse.Namespace, meta: Dict[str, Any], elapsed: float,
               results: List[Result], setter_rows: List[Dict[str, Any]]) -> None:
    with open(path, "w") as handle:
        json.dump({"meta": {**meta, "args": dict(vars(args)), "elapsed_s": elapsed},
                   "results": [r.as_dict() for r in results], "setters": setter_rows}, handle, indent=2)


def print_report(args: argparse.Namespace, meta: Dict[str, Any], elapsed: float,
                 results: List[Result], setter_rows: List[Dict[str, Any]]) -> None:
    for line in preamble(args, meta, elapsed):
        print(line)
    print()
    print(render(HEADER, result_cells(results), args.markdown))
    if setter_rows:
        print("\n".join(setter_section(setter_rows, args)))
    if args.json:
        write_json(args.json, args, meta, elapsed, results, setter_rows)
