"""Driver side: the worker processes, paired sampling, and one result row."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from typing import Any, Dict, List, Optional, Tuple

from common import HERE, REPO, clean_env, quantiles

WORKER = os.path.join(HERE, "workers.py")
Target = Optional[Tuple[str, float]]


class WorkerError(RuntimeError):
    pass


class WorkerProc:
    """A long-lived worker process speaking the line protocol of ``workers.py``."""

    def __init__(self, side: str, python: str, cpu: Optional[int]) -> None:
        self.side = side
        self.python = python
        self.stderr = tempfile.TemporaryFile(mode="w+")
        cwd = REPO if side == "ours" else tempfile.gettempdir()
        self.proc = subprocess.Popen(
            [python, WORKER, side], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.stderr, text=True, bufsize=1, cwd=cwd, env=clean_env(),
        )
        if cpu is not None and hasattr(os, "sched_setaffinity"):
            try:
                os.sched_setaffinity(self.proc.pid, {cpu})
            except OSError:
                pass
        first = self.proc.stdout.readline()  # type: ignore[union-attr]
        if first.strip() != "ready":
            self._fail("start", first)

    def _fail(self, what: str, line: str) -> None:
        detail = json.loads(line[4:]) if line.startswith("err ") else ""
        self.stderr.seek(0)
        tail = self.stderr.read()[-3000:]
        raise WorkerError(f"{self.side} worker ({self.python}) failed on {what!r}:\n{detail}{tail}")

    def call(self, command: str, *args: Any) -> Any:
        line = command + (" " + json.dumps(args) if args else "")
        self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        answer = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not answer.startswith("ok "):
            self._fail(line[:200], answer)
        return json.loads(answer[3:])

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


class Result:
    """One row: ours and the reference (medians), the paired ratios, a target and its verdict.

    ``ratio_kind``: ``speedup`` (reference / ours per pair), ``ours/ref``, or ``share``.
    ``target_on``: ``ratio`` (the median ratio) or ``ours`` (ours' median, absolute).
    """

    def __init__(self, key: str, name: str, ours: float, ref: float, unit: str,
                 ratios: List[float], ratio_kind: str, target: Target, ref_name: str,
                 extra: Optional[Dict[str, Any]] = None, target_on: str = "ratio") -> None:
        self.key, self.name, self.unit = key, name, unit
        self.ours, self.ref, self.ref_name = ours, ref, ref_name
        self.ratios = ratios
        self.ratio_kind = ratio_kind
        self.q1, self.median, self.q3 = quantiles(ratios)
        self.target, self.target_on = target, target_on
        self.extra = extra or {}

    @property
    def passed(self) -> Optional[bool]:
        if self.target is None:
            return None
        op, value = self.target
        measured = self.ours if self.target_on == "ours" else self.median
        return measured >= value if op == ">=" else measured <= value

    def as_dict(self) -> Dict[str, Any]:
        return {
            "case": self.key, "name": self.name, "unit": self.unit,
            "ours": self.ours, "reference": self.ref, "reference_name": self.ref_name,
            "ratio_kind": self.ratio_kind, "ratio_median": self.median,
            "ratio_q1": self.q1, "ratio_q3": self.q3, "pairs": len(self.ratios),
            "target": None if self.target is None else f"{self.target_on} {self.target[0]} {self.target[1]}",
            "pass": self.passed, "ratios": self.ratios, **self.extra,
        }


Side = Tuple[WorkerProc, str]


class Sampler:
    """Calibrated, alternating paired samples of two (worker, case) sides."""

    def __init__(self, pairs: int, sample_s: float) -> None:
        self.pairs = pairs
        self.sample_s = sample_s
        self.results: List[Result] = []

    def calibrate(self, worker: WorkerProc, case: str) -> int:
        """Runs per sample so that one sample takes about ``sample_s``."""
        worker.call("run", case, 1)  # warm up
        n = 1
        while True:
            elapsed = worker.call("run", case, n)[0]
            if elapsed >= self.sample_s / 3 or n >= 1 << 22:
                return max(1, round(n * self.sample_s / max(elapsed, 1e-9)))
            n *= 4 if elapsed < self.sample_s / 30 else 2

    def paired(self, a: Side, b: Side) -> Dict[str, Any]:
        """Alternate samples of side a and side b: per-op wall and CPU seconds of each sample."""
        na, nb = self.calibrate(*a), self.calibrate(*b)
        out: Dict[str, Any] = {"a": [], "b": [], "a_cpu": [], "b_cpu": [], "na": na, "nb": nb}
        for i in range(self.pairs):
            order = ((a, na, "a"), (b, nb, "b"))
            for (worker, case), n, side in order if i % 2 == 0 else order[::-1]:
                wall, cpu = worker.call("run", case, n)
                out[side].append(wall / n)
                out[side + "_cpu"].append(cpu / n)
        return out

    def add(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def time_case(self, key: str, name: str, ours: Side, ref: Side, ref_name: str, kind: str,
                  target: Target, target_on: str = "ratio", **extra: Any) -> Dict[str, Any]:
        """Time a pair of sides, add the row; returns the raw samples (for CPU rows)."""
        s = self.paired(ours, ref)
        if kind == "speedup":
            ratios = [r / o for o, r in zip(s["a"], s["b"])]
        else:
            ratios = [o / r for o, r in zip(s["a"], s["b"])]
        self.add(Result(key, name, statistics.median(s["a"]), statistics.median(s["b"]), "s",
                        ratios, kind, target, ref_name,
                        {"n_per_sample_ours": s["na"], "n_per_sample_ref": s["nb"],
                         "cpu_ours": statistics.median(s["a_cpu"]),
                         "cpu_ref": statistics.median(s["b_cpu"]), **extra}, target_on))
        return s

    def cpu_row(self, key: str, name: str, s: Dict[str, Any], per: int, ref_name: str) -> None:
        """Client CPU per batch from the samples of a timed row, with the wall-clock rates."""
        cpu_a = [c / per for c in s["a_cpu"]]
        cpu_b = [c / per for c in s["b_cpu"]]
        rate_a = per / statistics.median(s["a"])
        rate_b = per / statistics.median(s["b"])
        ratios = [b / a for a, b in zip(cpu_a, cpu_b) if a > 0]
        self.add(Result(key, f"{name} (wall: ours {rate_a:,.0f}/s, {ref_name} {rate_b:,.0f}/s)",
                        statistics.median(cpu_a), statistics.median(cpu_b), "s", ratios or [0.0],
                        "speedup", None, ref_name,
                        {"batches_per_s_ours": rate_a, "batches_per_s_ref": rate_b}))
