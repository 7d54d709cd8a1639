"""Constants and helpers shared by the benchmark scripts (driver and workers alike)."""

from __future__ import annotations

import atexit
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_ORIG_PYTHON = "/work/origvenv/bin/python"
ORIG_REQUIREMENT = "mparticle==0.16.1"
API_KEY = "bench-key"
API_SECRET = "bench-secret"
MAX_BATCHES = 100
MAX_REQUEST_BYTES = 256 * 1024
#: Batches per bulk request in the bulk case.
BULK_BATCHES = 60
# The loopback servers accept bodies far above the service limit: the original's JSON
# has spaces after separators and is larger, and the server's limit is not under test.
SERVER_MAX_BYTES = 16 * 1024 * 1024
_SCRUB_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MPARTICLE_HOST",
              "MPARTICLE_API_KEY", "MPARTICLE_API_SECRET")


def _clean_env() -> Dict[str, str]:
    """This environment without the variables that would change what a child imports or sends."""
    return {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}


clean_env = _clean_env


def ensure_orig_python(path: str) -> str:
    """``path`` if it exists, else a temp venv's interpreter with mparticle==0.16.1 (created once)."""
    if os.path.exists(path):
        return path
    venv = os.path.join(tempfile.gettempdir(), "mparticle-bench-orig-0.16.1")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        print(f"{path} not found: creating {venv} with {ORIG_REQUIREMENT} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", ORIG_REQUIREMENT], check=True)
    return python


def quantiles(values: List[float]) -> Tuple[float, float, float]:
    """First quartile, median and third quartile (all three the value itself for one value)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


def fmt_value(value: float, unit: str) -> str:
    """A time in s/ms/us/ns, a size in B/KiB, or a number with its unit."""
    if unit == "s":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
            if value >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value * 1e9:.3g} ns"
    if unit == "B":
        return f"{value / 1024:.1f} KiB" if value >= 10240 else f"{value:.0f} B"
    return f"{value:.3g} {unit}"


class ChildEndpoint:
    """A local endpoint in a process of its own (so that it does not share the client's GIL):
    ``argv`` prints its URL as its first line, then answers each command line on its stdin with
    one JSON line, until stdin closes. ``what`` names it in the error if it does not start."""

    def __init__(self, argv: List[str], what: str) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1, env=clean_env())
        atexit.register(self.close)
        self.url = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"{what} did not start")

    def ask(self, command: str) -> Dict[str, Any]:
        """Send one command line and return its JSON answer."""
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return json.loads(self.proc.stdout.readline())  # type: ignore[union-attr,no-any-return]

    def close(self) -> None:
        """Close its stdin (it stops) and wait; kill it if it does not stop within 30 s."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # type: ignore[union-attr]
                self.proc.wait(30)
            except Exception:
                self.proc.kill()
                self.proc.wait()
