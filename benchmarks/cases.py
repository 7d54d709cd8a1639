"""The benchmark's cases: each adds its rows to the table (targets from issue 8)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Tuple

import setters
from common import BULK_BATCHES, REPO, clean_env
from driver import Result, Sampler, WorkerProc
from sink import SinkProcess

KNOWN_WIRE_FIXES = (("customerid", "customer_id"),)
ORIG = "original"


def _normalize_orig(dump: Dict[str, Any]) -> Dict[str, Any]:
    """The original's batch with our intentional wire fixes applied (``customerid``)."""
    identities = dump.get("user_identities") or {}
    for key, fixed in KNOWN_WIRE_FIXES:
        if key in identities:
            identities[fixed] = identities.pop(key)
    return dump


class Bench(Sampler):
    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args.pairs, args.sample_ms / 1000.0)
        self.args = args
        self.ours = WorkerProc("ours", args.ours_python, args.cpu)
        self.orig = WorkerProc("orig", args.orig_python, args.cpu)
        self.meta: Dict[str, Any] = {}
        self.sink: Optional[SinkProcess] = None
        self.setter_rows: List[Dict[str, Any]] = []

    def close(self) -> None:
        self.ours.close()
        self.orig.close()
        if self.sink is not None:
            self.meta["sink_stats"] = self.sink.stats()
            self.sink.close()

    def both(self, case: str) -> Tuple[Tuple[WorkerProc, str], Tuple[WorkerProc, str]]:
        return (self.ours, case), (self.orig, case)

    def check_equivalence(self) -> None:
        """Right packages on each side; setter and constructor builds the same batch on both."""
        info_ours, info_orig = self.ours.call("info"), self.orig.call("info")  # ours asserts bytes
        self.meta.update(ours=info_ours, orig=info_orig)
        if not os.path.abspath(info_ours["mparticle_file"]).startswith(REPO + os.sep):
            raise SystemExit(f"ours worker imported {info_ours['mparticle_file']}, not the checkout")
        if os.path.abspath(info_orig["mparticle_file"]).startswith(REPO + os.sep):
            raise SystemExit("the original's worker imported the checkout")
        if info_orig.get("installed_dist") != "0.16.1":
            print(f"warning: original reports version {info_orig.get('installed_dist')}", file=sys.stderr)
        dumps = {(side.side, how): side.call("dump", how)
                 for side in (self.ours, self.orig) for how in ("setters", "ctor")}
        for how in ("setters", "ctor"):
            dumps[("orig", how)] = _normalize_orig(dumps[("orig", how)])
        reference = dumps[("ours", "setters")]
        for key, dump in dumps.items():
            if dump != reference:
                raise SystemExit(f"the realistic batch differs ({key}):\n"
                                 f"ours/setters: {json.dumps(reference, sort_keys=True)}\n"
                                 f"{key}: {json.dumps(dump, sort_keys=True)}")
        self.meta["batch_events"] = len(reference["events"])

    # -- building ---------------------------------------------------------------------------
    def case_build(self) -> None:
        self.time_case("1", "build+serialize, setter style (docs order)", *self.both("build_ser_setters"),
                       ORIG, "speedup", (">=", 5.0))
        self.time_case("1b", "build only, setter style", *self.both("build_setters"), ORIG, "speedup",
                       (">=", 4.0))
        self.time_case("1c", "build+serialize, constructor style", *self.both("build_ser_ctor"), ORIG,
                       "speedup", None)
        self.time_case("1d", "build only, constructor style", *self.both("build_ctor"), ORIG, "speedup",
                       None)
        self.time_case("1e", "ours constructor style vs original setter style, build+serialize",
                       (self.ours, "build_ser_ctor"), (self.orig, "build_ser_setters"), ORIG,
                       "speedup", None)

    def case_small(self) -> None:
        self.time_case("2", "AppEvent('Home','navigation') + 3 assignments (ours, absolute)",
                       *self.both("app_event3"), ORIG, "speedup", ("<=", 1.5e-6), "ours")
        self.time_case("2b", "small Batch by setters: identities, attributes, 1 event (ours, absolute)",
                       *self.both("small_batch"), ORIG, "speedup", ("<=", 5e-6), "ours")

    # -- serializing and validating ---------------------------------------------------------
    def case_ser(self) -> None:
        self.time_case("3", "serialize prebuilt batch vs json.dumps(plain dict)", (self.ours, "ser"),
                       (self.ours, "json"), "json.dumps (our process)", "ours/ref", ("<=", 1.3))
        self.time_case("3b", "  serialize: ours vs original (sanitize+json.dumps)", *self.both("ser"),
                       ORIG, "speedup", None)
        self.time_case("3c", "  vs json.dumps(compact).encode() (same bytes)", (self.ours, "ser"),
                       (self.ours, "json_compact"), "json compact bytes", "ours/ref", None)

    def case_validate(self) -> None:
        self.time_case("4", "mparticle.validate(batch) vs serializing it", (self.ours, "validate"),
                       (self.ours, "ser"), "serialize (ours)", "ours/ref", ("<=", 1.0))
        self.time_case("4b", "  validate(parsed dict) vs serializing the batch",
                       (self.ours, "validate_dict"), (self.ours, "ser"), "serialize (ours)",
                       "ours/ref", None)

    # -- sending ----------------------------------------------------------------------------
    def start_sink(self) -> None:
        if self.sink is not None:
            return
        self.sink = SinkProcess(self.args.sink)
        self.meta["sink"] = self.sink.description
        self.meta["bulk_bytes"] = {w.side: w.call("server", self.sink.url) for w in (self.ours, self.orig)}

    def _sink_cpu(self, before: Dict[str, float]) -> str:
        """The sink's CPU per request since ``before`` (its stats then)."""
        assert self.sink is not None
        now = self.sink.stats()
        requests = now["requests"] - before["requests"]
        per = (now["cpu_s"] - before["cpu_s"]) / max(1, requests)
        return f"sink CPU {per * 1e6:,.0f} us/request"

    def case_upload(self) -> None:
        self.start_sink()
        assert self.sink is not None
        before = self.sink.stats()
        s = self.time_case("5", "upload_events, sequential, loopback", *self.both("upload"), ORIG,
                           "speedup", None)
        self.time_case("5b", "  ours vs floor: urllib3 POST of ready bytes, same sink",
                       (self.ours, "upload"), (self.ours, "raw_upload"), "floor", "ours/ref", ("<=", 1.1))
        self.time_case("5c", "  ceiling: original vs that floor (a zero-cost SDK)",
                       (self.ours, "raw_upload"), (self.orig, "upload"), ORIG, "speedup", None)
        self.cpu_row("5d", f"  client CPU per batch; {self._sink_cpu(before)}", s, 1, ORIG)

    def case_bulk(self) -> None:
        self.start_sink()
        assert self.sink is not None
        before = self.sink.stats()
        n = BULK_BATCHES
        s = self.time_case("6", f"bulk_upload_events, {n} realistic batches", *self.both("bulk"), ORIG,
                           "speedup", (">=", 4.0), batches_per_request=n)
        self.time_case("6b", "  ours vs floor: urllib3 POST of ready bytes, same sink",
                       (self.ours, "bulk"), (self.ours, "raw_bulk"), "floor", "ours/ref", None)
        self.time_case("6c", "  ceiling: original vs that floor (a zero-cost SDK)",
                       (self.ours, "raw_bulk"), (self.orig, "bulk"), ORIG, "speedup", None)
        self.cpu_row("6d", f"  client CPU per batch; {self._sink_cpu(before)}", s, n, ORIG)

    # -- memory and import ------------------------------------------------------------------
    def _mem_pairs(self, what_ours: str, what_orig: str) -> Tuple[List[float], List[float]]:
        ours: List[float] = []
        orig: List[float] = []
        for i in range(self.args.mem_reps):
            order = ((self.ours, what_ours, ours), (self.orig, what_orig, orig))
            for worker, what, out in order if i % 2 == 0 else order[::-1]:
                out.append(worker.call("mem", what, self.args.mem_count))
        return ours, orig

    def case_memory(self) -> None:
        count = self.args.mem_count
        ours, orig = self._mem_pairs("setters", "setters")
        mo, mr = statistics.median(ours), statistics.median(orig)
        self.add(Result("7", f"memory per held batch, setter-built ({count} held)", mo, mr, "B",
                        [o / r for o, r in zip(ours, orig)], "ours/ref", ("<=", 0.4), ORIG))
        ctor, orig_ctor = self._mem_pairs("ctor", "ctor")
        self.add(Result("7b", "  constructor-built", statistics.median(ctor), statistics.median(orig_ctor),
                        "B", [o / r for o, r in zip(ctor, orig_ctor)], "ours/ref", None, ORIG))
        attr = statistics.median([self.ours.call("mem", "attrs", count) for _ in range(self.args.mem_reps)])
        self.add(Result("7c", "  of which the caller's own attribute dicts (measured alone)", attr, mo,
                        "B", [attr / mo], "share", None, "ours per batch", {"share_of_orig": attr / mr}))

    def case_import(self) -> None:
        code = ("import time; t = time.perf_counter(); import mparticle; "
                "print(time.perf_counter() - t, mparticle.__file__)")
        env = clean_env()

        def once(python: str, cwd: str) -> Tuple[float, str]:
            out = subprocess.run([python, "-c", code], cwd=cwd, env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            return float(out[0]), out[1]

        sides = ((self.args.ours_python, REPO), (self.args.orig_python, tempfile.gettempdir()))
        for python, cwd in sides:  # warm up (bytecode caches, page cache)
            once(python, cwd)
        if not once(*sides[0])[1].startswith(REPO) or once(*sides[1])[1].startswith(REPO):
            raise SystemExit("import case: wrong mparticle picked up")
        ours: List[float] = []
        orig: List[float] = []
        for i in range(self.args.import_pairs):
            order = ((sides[0], ours), (sides[1], orig))
            for side, out in order if i % 2 == 0 else order[::-1]:
                out.append(once(*side)[0])
        self.add(Result("8", "import mparticle (fresh interpreter)", statistics.median(ours),
                        statistics.median(orig), "s", [o / r for o, r in zip(ours, orig)],
                        "ours/ref", ("<=", 0.7), ORIG))

    # -- setters ----------------------------------------------------------------------------
    def case_setters(self) -> None:
        specs = self.ours.call("setter_specs", self.args.every_field)
        args = self.args
        self.setter_rows = setters.measure(self.ours, self.orig, specs, args.setter_pairs,
                                           args.setter_pool, args.setter_rounds)
        timed = [r for r in self.setter_rows if "median" in r]
        medians = [r["median"] for r in timed]
        if medians:
            slowest = min(timed, key=lambda r: r["median"])
            self.add(Result("9", f"setters: slowest of {len(timed)} (model, field) vs original "
                                 f"({slowest['model']}.{slowest['field']}; table below)",
                            slowest["ours_s"], slowest["orig_s"], "s", slowest["ratios"], "speedup",
                            (">=", 1.0), ORIG))


CASES = {
    "1": "case_build",
    "2": "case_small",
    "3": "case_ser",
    "4": "case_validate",
    "5": "case_upload",
    "6": "case_bulk",
    "7": "case_memory",
    "8": "case_import",
    "9": "case_setters",
}
