"""mParticle's Node data plan validator as a test oracle.

``DataPlanOracle`` installs ``@mparticle/data-planning-node`` (the exact version in
``package.json``) once into a cache directory outside the repository, keyed by the hash
of ``package.json``, starts ``oracle.js`` as one long-running Node process and sends it
requests as JSON Lines. When node, npm or the npm registry is not available it raises
``OracleUnavailable`` with the reason, for a test to skip with::

    try:
        oracle = DataPlanOracle()
    except OracleUnavailable as exc:
        pytest.skip(str(exc))
    oracle.validate_batch(plan, batch)  # -> {"batch": ..., "results": [...]}

The cache is ``$XDG_CACHE_HOME/mparticle-test/dataplan-oracle/<hash>`` (default
``~/.cache``); ``MPARTICLE_DATAPLAN_ORACLE_DIR`` overrides it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

HERE = Path(__file__).resolve().parent
PACKAGE = "@mparticle/data-planning-node"


class OracleUnavailable(Exception):
    """Node, npm or the package cannot be had here; the message says why."""


def install_dir() -> Path:
    """The cache directory for this package.json (installs it there if needed)."""
    package_json = (HERE / "package.json").read_bytes()
    override = os.environ.get("MPARTICLE_DATAPLAN_ORACLE_DIR")
    if override:
        target = Path(override)
    else:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        key = hashlib.sha256(package_json).hexdigest()[:16]
        target = cache / "mparticle-test" / "dataplan-oracle" / key
    if (target / "node_modules" / PACKAGE / "package.json").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise OracleUnavailable("npm is not installed: cannot install %s" % PACKAGE)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Install beside the target and rename, so that a broken or concurrent install
    # never leaves a half-filled cache behind.
    scratch = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=str(target.parent)))
    try:
        (scratch / "package.json").write_bytes(package_json)
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=str(scratch), stdin=subprocess.DEVNULL, capture_output=True,
                text=True, timeout=300,
            )
        except subprocess.TimeoutExpired:
            raise OracleUnavailable("npm install %s timed out (registry unreachable?)" % PACKAGE) from None
        if done.returncode != 0:
            said = [line[len("npm error "):] for line in done.stderr.splitlines()
                    if line.startswith("npm error ") and not line[10:].startswith(" ")]
            raise OracleUnavailable("npm install %s failed: %s"
                                    % (PACKAGE, "; ".join(said[:4]) or "exit %d" % done.returncode))
        try:
            scratch.rename(target)
        except OSError:
            if not (target / "node_modules" / PACKAGE).is_dir():  # not a lost race
                raise
    finally:
        shutil.rmtree(str(scratch), ignore_errors=True)
    return target


class DataPlanOracle:
    """One ``node oracle.js`` process; requests are answered in order."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise OracleUnavailable("node is not installed: no Node data plan validator to compare with")
        directory = install_dir()
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [node, str(HERE / "oracle.js"), str(directory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, encoding="utf-8", bufsize=1,
        )

    def request(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Send one request (see oracle.js) and return its answer."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError("oracle.js died: " + self._stderr.read().decode(errors="replace"))
        answer: Dict[str, Any] = json.loads(line)
        return answer

    def validate_batch(self, plan: Dict[str, Any], batch: Any, warnings: bool = False) -> Dict[str, Any]:
        """DPN's ``validateBatch(batch, plan)``: ``{"batch", "results"}`` or ``{"error"}``."""
        return self.request({"plan": plan, "batch": batch, "warnings": warnings})

    def validate_event(self, plan: Dict[str, Any], event: Any, warnings: bool = False) -> Dict[str, Any]:
        """DPN's ``validateEvent(event, plan)``: ``{"results": [r]}`` or ``{"error"}``."""
        return self.request({"plan": plan, "event": event, "warnings": warnings})

    def time_batch(self, plan: Dict[str, Any], batch: Any, repeat: int) -> float:
        """Seconds Node spends on ``repeat`` validateBatch calls (no process start)."""
        return float(self.request({"plan": plan, "batch": batch, "repeat": repeat})["seconds"])

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()

    def __enter__(self) -> "DataPlanOracle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def oracle_or_skip_reason() -> "tuple[Optional[DataPlanOracle], str]":
    """``(oracle, "")``, or ``(None, reason)`` for ``pytest.skip(reason)``."""
    try:
        return DataPlanOracle(), ""
    except OracleUnavailable as exc:
        return None, str(exc)
