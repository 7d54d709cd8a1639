#!/usr/bin/env python
"""Benchmark this SDK against the original mparticle 0.16.1, side by side, in one run.

Not a pytest test: run it as a script from the repository root::

    /work/venv/bin/python benchmarks/benchmark.py            # full run (about a minute)
    /work/venv/bin/python benchmarks/benchmark.py --quick    # smoke run (a few seconds)
    /work/venv/bin/python benchmarks/benchmark.py --json results.json

Method. Machine speed drifts by up to ~1.7x from one second to the next, so the two
sides are never timed in separate phases. Each side runs in its own long-lived worker
process (ours: this checkout; the original: ``--orig-python``, an interpreter with
``mparticle==0.16.1`` installed). Both workers are this same file started with
``--worker`` and speak the same line protocol on stdin/stdout (``run <case> <n>`` ->
elapsed seconds). The driver calibrates ``n`` per side so that one sample takes about
``--sample-ms``, then takes ``--pairs`` pairs of samples, alternating which side goes
first, and reports the median and interquartile range of the per-pair ratios.

Cases (targets in brackets):

1. build + serialize one realistic batch: original / ours time            [>= 5x]
2. serialize a prebuilt batch: ours / ``json.dumps`` of the same plain dict,
   both in our worker                                                        [<= 1.3x]
   (also: ours vs the original's ``json.dumps(sanitize_for_serialization(b))``)
3. sequential ``EventsApi.upload_events`` to a loopback server in each worker  [>= 2x]
4. ``bulk_upload_events([batch] * N)``, N as many as fit 100 batches / 256 KB  [>= 4x]
5. tracemalloc bytes per held batch (2,000 held): ours / original            [<= 0.4x]
6. ``import mparticle`` in a fresh interpreter: ours / original              [<= 0.7x]

Info rows (no target): 1b ours built with the original's ``Batch()`` + setters idiom;
2b/2c serialization vs the original and vs byte-identical compact ``json.dumps``;
3b/4b ours vs the *floor* (the same request sent with urllib3 from bytes serialized
beforehand, same server: transport + server time only); 3c/4c the original vs that floor,
i.e. the best ratio any SDK could reach against this server; 5b the share of the memory
that is the caller's own attribute dicts.

The loopback server is the same one for both sides: by default this checkout's
``mparticle.testing.LocalEventsServer`` in a process of its own, started from this
interpreter (so the original's worker never imports our package, and the server does not
compete for a client's GIL); ``--server minimal`` runs a minimal ``http.server`` endpoint
defined here inside each worker instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THIS = os.path.abspath(__file__)
DEFAULT_ORIG_PYTHON = "/work/origvenv/bin/python"
ORIG_REQUIREMENT = "mparticle==0.16.1"
API_KEY = "bench-key"
API_SECRET = "bench-secret"
MAX_BATCHES = 100
MAX_REQUEST_BYTES = 256 * 1024
# The loopback servers accept bodies far above the service limit: the original's JSON
# has spaces after separators and is larger, and the server's limit is not under test.
SERVER_MAX_BYTES = 16 * 1024 * 1024
KNOWN_WIRE_FIXES = (("customerid", "customer_id"),)
_SCRUB_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "MPARTICLE_HOST",
              "MPARTICLE_API_KEY", "MPARTICLE_API_SECRET")


# =============================================================================================
# Worker side: runs inside ours' or the original's interpreter.
# =============================================================================================

TS = 1700000000000
MPID = 8675309123456789
IDFA = "5b1f8a56-8c1e-4d2a-9c7b-2f0e6d4a1b3c"
SCREENS = ("home", "search", "product", "cart", "checkout", "account")


def _event_attributes(i: int) -> Dict[str, Any]:
    """The 8 custom attributes of custom event ``i`` (a literal dict, built anew on every call)."""
    return {
        "screen": SCREENS[i],
        "previous_screen": SCREENS[i - 1],
        "source": "tab_bar",
        "experiment": "exp_42",
        "variant": "B",
        "app_version": "5.4.1",
        "locale": "en_US",
        "position": "3",
    }


def _custom_events(app_event: Any) -> List[Any]:
    """The six custom events; attribute dicts are literals, built anew on every call."""
    events = []
    for i in range(6):
        events.append(app_event(
            event_name="navigate_" + SCREENS[i],
            custom_event_type="navigation",
            timestamp_unixtime_ms=TS + i * 1000,
            custom_attributes=_event_attributes(i),
        ))
    return events


def _other_events(m: Any) -> List[Any]:
    products = [
        m.Product(id="sku-1001", name="Running Shoes", brand="Acme", category="Footwear",
                  price=89.99, quantity=1, total_product_amount=89.99),
        m.Product(id="sku-2002", name="Sport Socks", brand="Acme", category="Apparel",
                  price=9.5, quantity=3, total_product_amount=28.5),
        m.Product(id="sku-3003", name="Water Bottle", brand="Hydro", category="Outdoor",
                  price=24.0, quantity=1, total_product_amount=24.0),
    ]
    action = m.ProductAction(
        "purchase", transaction_id="txn-000123", affiliation="online",
        total_amount=152.49, tax_amount=10.0, shipping_amount=0.0, products=products,
    )
    return [
        m.CommerceEvent(product_action=action, timestamp_unixtime_ms=TS + 6000,
                        currency_code="USD"),
        m.SessionStartEvent(timestamp_unixtime_ms=TS - 1000, session_id=123456789),
        m.SessionEndEvent(timestamp_unixtime_ms=TS + 9000, session_id=123456789,
                          session_duration_ms=10000),
        m.ScreenViewEvent(timestamp_unixtime_ms=TS + 7000, screen_name="order_confirmation"),
    ]


def _user_attributes() -> Dict[str, Any]:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "plan": "premium",
        "age": 36,
        "city": "London",
        "country": "GB",
        "newsletter": True,
        "ltv": 1234.5,
        "signup_source": "referral",
        "favorite_category": "Footwear",
    }


def _identities(m: Any) -> Any:
    return m.UserIdentities(customerid="cust-123456", email="ada@example.com")


def _device(m: Any) -> Any:
    return m.DeviceInformation(platform="iOS", ios_advertising_id=IDFA, os_version="17.4.1",
                               brand="Apple", device_model="iPhone15,2")


def build_ours_ctor(m: Any) -> Any:
    """Our idiom: everything through the constructor."""
    return m.Batch(
        events=_custom_events(m.AppEvent) + _other_events(m),
        environment="development",
        user_identities=_identities(m),
        device_info=_device(m),
        user_attributes=_user_attributes(),
        mpid=MPID,
    )


def build_setters(m: Any) -> Any:
    """The original's idiom (its constructor does not wrap events): ``Batch()`` + setters."""
    batch = m.Batch()
    batch.events = _custom_events(m.AppEvent) + _other_events(m)
    batch.environment = "development"
    batch.user_identities = _identities(m)
    batch.device_info = _device(m)
    batch.user_attributes = _user_attributes()
    batch.mpid = MPID
    return batch


def attribute_dicts() -> List[Any]:
    """The caller's own attribute dicts of one batch, alone (for the memory share)."""
    dicts = []
    for i in range(6):
        dicts.append(_event_attributes(i))
    dicts.append(_user_attributes())
    return dicts


class _RemoteServer:
    """A server that runs elsewhere: only its URL is known here."""

    def __init__(self, url: str) -> None:
        self.url = url

    def stop(self) -> None:
        pass


def _start_server_process(meta: Dict[str, Any]) -> str:
    """Start LocalEventsServer(record=False, validate=False) in a process of its own; return its URL.

    Without batch validation the endpoint costs little more than parsing the JSON: the cases
    time the clients, not the endpoint.
    """
    import atexit
    import subprocess

    code = (
        "import sys, time\n"
        f"sys.path.insert(0, {REPO!r})\n"
        "from mparticle.testing import LocalEventsServer\n"
        f"s = LocalEventsServer({API_KEY!r}, {API_SECRET!r}, record=False, validate=False, "
        f"max_request_bytes={SERVER_MAX_BYTES}, max_batches={MAX_BATCHES}).start()\n"
        "print(s.url, flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    atexit.register(process.kill)
    url = process.stdout.readline().strip() if process.stdout else ""
    if not url.startswith("http://127.0.0.1:"):
        raise RuntimeError("the server process did not start")
    meta["server_pid"] = process.pid
    return url


class MinimalServer:
    """Fallback loopback endpoint: HTTP/1.1 keep-alive, basic auth, parse JSON, answer 202."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        import base64
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        expected = "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Authorization") != expected:
                    status = 401
                else:
                    if self.headers.get("Content-Encoding") == "gzip":
                        import gzip
                        body = gzip.decompress(body)
                    json.loads(body)
                    status = 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v2"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Worker:
    def __init__(self, side: str) -> None:
        import mparticle

        self.side = side
        self.m = mparticle
        if side == "ours":
            from mparticle.serialization import dumps, to_jsonable

            self.build: Callable[[], Any] = lambda: build_ours_ctor(mparticle)
            self.serialize: Callable[[Any], Any] = dumps
            self.plain: Callable[[Any], Any] = to_jsonable
        else:
            from mparticle.api_client import ApiClient

            sanitize = ApiClient.sanitize_for_serialization
            self.build = lambda: build_setters(mparticle)
            self.serialize = lambda b: json.dumps(sanitize(b))  # what its upload does
            self.plain = sanitize
        self.batch = self.build()
        self.plain_batch = self.plain(self.batch)
        self.server: Any = None
        self.api: Any = None
        self.bulk_body: List[Any] = []
        self.cases: Dict[str, Callable[[], Any]] = self._cases()

    def _cases(self) -> Dict[str, Callable[[], Any]]:
        m, build, serialize = self.m, self.build, self.serialize
        plain = self.plain_batch

        def build_ser() -> Any:
            return serialize(build())

        def build_ser_setters() -> Any:
            return serialize(build_setters(m))

        def ser() -> Any:
            return serialize(self.batch)

        def json_default() -> Any:
            return json.dumps(plain)

        def json_compact_bytes() -> Any:
            return json.dumps(plain, separators=(",", ":")).encode()

        def upload() -> Any:
            return self.api.upload_events(self.batch)

        def bulk() -> Any:
            return self.api.bulk_upload_events(self.bulk_body)

        def raw_upload() -> Any:
            return self.raw_post("/events", self.raw_one)

        def raw_bulk() -> Any:
            return self.raw_post("/bulkevents", self.raw_bulk)

        return {
            "raw_upload": raw_upload,
            "raw_bulk": raw_bulk,
            "build_ser": build_ser,
            "build_ser_setters": build_ser_setters,
            "build": build,
            "ser": ser,
            "json": json_default,
            "json_compact": json_compact_bytes,
            "upload": upload,
            "bulk": bulk,
        }

    # -- commands ---------------------------------------------------------------------------
    def cmd_info(self) -> Any:
        try:
            from importlib.metadata import version

            dist = version("mparticle")
        except Exception:
            dist = None
        return {
            "side": self.side,
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "mparticle_file": self.m.__file__,
            "version": getattr(self.m, "__version__", None) or dist,
            "installed_dist": dist,
            "serialized_bytes": len(self.serialize(self.batch)),
        }

    def cmd_dump(self) -> Any:
        return json.loads(json.dumps(self.plain(self.build())))

    def cmd_server(self, kind: str) -> Any:
        if self.server is None:
            if kind.startswith("http://"):  # a server in its own process, shared by both sides
                self.server = _RemoteServer(kind)
            else:
                self.server = MinimalServer(API_KEY, API_SECRET)
            config = self.m.Configuration()
            config.host = self.server.url
            config.api_key = API_KEY
            config.api_secret = API_SECRET
            self.api = self.m.EventsApi(config)
            self.api.upload_events(self.batch)  # connect, and check it is accepted
            # The floor: the same request made with urllib3 directly from bytes serialized
            # beforehand, against the same server (transport + server time only).
            import base64

            import urllib3

            token = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
            self.raw_headers = {"Accept": "application/json",
                                "Content-Type": "application/json",
                                "Authorization": "Basic " + token}
            self.raw_pool = urllib3.PoolManager(num_pools=1, maxsize=1)
            body = self.serialize(self.batch)
            self.raw_one = body.encode() if isinstance(body, str) else body
            self.raw_bulk = b"[" + self.raw_one + b"]"
            self.raw_post("/events", self.raw_one)
        return self.server.url

    def raw_post(self, path: str, body: bytes) -> Any:
        response = self.raw_pool.request("POST", self.server.url + path, body=body,
                                         headers=self.raw_headers)
        if response.status != 202:
            raise RuntimeError(f"raw POST {path}: HTTP {response.status}")
        return response

    def cmd_bulkn(self, n: str) -> Any:
        self.bulk_body = [self.batch] * int(n)
        self.raw_bulk = b"[" + b",".join([self.raw_one] * int(n)) + b"]"
        self.raw_post("/bulkevents", self.raw_bulk)
        self.api.bulk_upload_events(self.bulk_body)
        return len(self.bulk_body)

    def cmd_run(self, case: str, n: str) -> Any:
        fn = self.cases[case]
        count = int(n)
        clock = time.perf_counter
        t0 = clock()
        for _ in range(count):
            fn()
        return clock() - t0

    def cmd_mem(self, what: str, count: str) -> Any:
        import gc
        import tracemalloc

        make = self.build if what == "batch" else attribute_dicts
        make()  # warm caches (lazy class state, interned keys) outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            held = [make() for _ in range(int(count))]
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        per = (after - before) / len(held)
        del held
        gc.collect()
        return per

    def cmd_profile(self, case: str, n: str, top: str = "15") -> Any:
        import cProfile
        import io
        import pstats

        fn = self.cases[case]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(int(n)):
            fn()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(int(top))
        stats.sort_stats("cumulative").print_stats(int(top))
        return out.getvalue()


def worker_main(side: str) -> int:
    if side == "ours":
        sys.path.insert(0, REPO)
    else:  # never pick up the checkout from the original's interpreter
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
    # Protocol on a private copy of stdout; anything printed by the code under test goes
    # to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        worker = Worker(side)
    except Exception:
        proto.write("err " + json.dumps(traceback.format_exc()) + "\n")
        return 1
    proto.write("ready\n")
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        try:
            result = getattr(worker, "cmd_" + parts[0])(*parts[1:])
            proto.write("ok " + json.dumps(result) + "\n")
        except Exception:
            proto.write("err " + json.dumps(traceback.format_exc()) + "\n")
    if worker.server is not None:
        worker.server.stop()
    return 0


# =============================================================================================
# Driver side
# =============================================================================================


class WorkerError(RuntimeError):
    pass


def _clean_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
    return env


class WorkerProc:
    """A long-lived worker process speaking the line protocol."""

    def __init__(self, side: str, python: str, cpu: Optional[int]) -> None:
        self.side = side
        self.python = python
        self.stderr = tempfile.TemporaryFile(mode="w+")
        cwd = REPO if side == "ours" else tempfile.gettempdir()
        self.proc = subprocess.Popen(
            [python, THIS, "--worker", side],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            text=True, bufsize=1, cwd=cwd, env=_clean_env(),
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
        detail = ""
        if line.startswith("err "):
            detail = json.loads(line[4:])
        self.stderr.seek(0)
        tail = self.stderr.read()[-3000:]
        raise WorkerError(f"{self.side} worker ({self.python}) failed on {what!r}:\n{detail}{tail}")

    def call(self, *args: Any) -> Any:
        command = " ".join(str(a) for a in args)
        self.proc.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("ok "):
            self._fail(command, line)
        return json.loads(line[3:])

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def ensure_orig_python(path: str) -> str:
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
    if len(values) == 1:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


class Result:
    def __init__(self, key: str, name: str, ours: float, ref: float, unit: str,
                 ratios: List[float], ratio_kind: str, target: Optional[Tuple[str, float]],
                 ref_name: str, extra: Optional[Dict[str, Any]] = None) -> None:
        self.key, self.name, self.unit = key, name, unit
        self.ours, self.ref, self.ref_name = ours, ref, ref_name
        self.ratios = ratios
        self.ratio_kind = ratio_kind  # "speedup" (ref/ours) or "ours/ref"
        self.q1, self.median, self.q3 = quantiles(ratios)
        self.target = target
        self.extra = extra or {}

    @property
    def passed(self) -> Optional[bool]:
        if self.target is None:
            return None
        op, value = self.target
        return self.median >= value if op == ">=" else self.median <= value

    def as_dict(self) -> Dict[str, Any]:
        return {
            "case": self.key, "name": self.name, "unit": self.unit,
            "ours": self.ours, "reference": self.ref, "reference_name": self.ref_name,
            "ratio_kind": self.ratio_kind, "ratio_median": self.median,
            "ratio_q1": self.q1, "ratio_q3": self.q3, "pairs": len(self.ratios),
            "target": None if self.target is None else f"{self.target[0]} {self.target[1]}",
            "pass": self.passed, "ratios": self.ratios, **self.extra,
        }


def fmt_value(value: float, unit: str) -> str:
    if unit == "s":
        for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
            if value >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value * 1e9:.3g} ns"
    if unit == "B":
        return f"{value / 1024:.1f} KiB" if value >= 10240 else f"{value:.0f} B"
    return f"{value:.3g} {unit}"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pairs: int = args.pairs
        self.sample_s: float = args.sample_ms / 1000.0
        self.ours = WorkerProc("ours", args.ours_python, args.cpu)
        self.orig = WorkerProc("orig", args.orig_python, args.cpu)
        self.results: List[Result] = []
        self.meta: Dict[str, Any] = {}

    def close(self) -> None:
        self.ours.close()
        self.orig.close()

    # -- sampling ---------------------------------------------------------------------------
    def calibrate(self, worker: WorkerProc, case: str) -> int:
        worker.call("run", case, 1)  # warm up
        n = 1
        while True:
            elapsed = worker.call("run", case, n)
            if elapsed >= self.sample_s / 3 or n >= 1 << 22:
                return max(1, round(n * self.sample_s / max(elapsed, 1e-9)))
            n *= 4 if elapsed < self.sample_s / 30 else 2

    def paired(self, a: Tuple[WorkerProc, str], b: Tuple[WorkerProc, str]
               ) -> Tuple[List[float], List[float], int, int]:
        """Alternate samples of side a and side b; per-op seconds of each sample."""
        na, nb = self.calibrate(*a), self.calibrate(*b)
        ta: List[float] = []
        tb: List[float] = []
        for i in range(self.pairs):
            order = ((a, na, ta), (b, nb, tb)) if i % 2 == 0 else ((b, nb, tb), (a, na, ta))
            for (worker, case), n, out in order:
                out.append(worker.call("run", case, n) / n)
        return ta, tb, na, nb

    def add(self, result: Result) -> None:
        self.results.append(result)
        if self.args.verbose:
            print(f"  done {result.key}: {result.median:.3f}", file=sys.stderr, flush=True)

    def time_case(self, key: str, name: str, ours: Tuple[WorkerProc, str],
                  ref: Tuple[WorkerProc, str], ref_name: str, kind: str,
                  target: Optional[Tuple[str, float]], **extra: Any) -> Result:
        t_ours, t_ref, n_ours, n_ref = self.paired(ours, ref)
        if kind == "speedup":
            ratios = [r / o for o, r in zip(t_ours, t_ref)]
        else:
            ratios = [o / r for o, r in zip(t_ours, t_ref)]
        result = Result(key, name, statistics.median(t_ours), statistics.median(t_ref), "s",
                        ratios, kind, target, ref_name,
                        {"n_per_sample_ours": n_ours, "n_per_sample_ref": n_ref, **extra})
        self.add(result)
        return result

    # -- cases ------------------------------------------------------------------------------
    def check_equivalence(self) -> None:
        info_ours, info_orig = self.ours.call("info"), self.orig.call("info")
        self.meta.update(ours=info_ours, orig=info_orig)
        if not os.path.abspath(info_ours["mparticle_file"]).startswith(REPO + os.sep):
            raise SystemExit(f"ours worker imported {info_ours['mparticle_file']}, not the checkout")
        if os.path.abspath(info_orig["mparticle_file"]).startswith(REPO + os.sep):
            raise SystemExit("the original's worker imported the checkout")
        if info_orig.get("installed_dist") != "0.16.1":
            print(f"warning: original reports version {info_orig.get('installed_dist')}",
                  file=sys.stderr)
        a, b = self.ours.call("dump"), self.orig.call("dump")
        # Intentional wire fixes of ours, normalized before comparing: the original sends
        # UserIdentities.customerid as "customerid", the Events API's key is "customer_id".
        for key, fixed in KNOWN_WIRE_FIXES:
            identities = b.get("user_identities") or {}
            if key in identities:
                identities[fixed] = identities.pop(key)
        if a != b:
            raise SystemExit("the two sides' batches differ:\n"
                             f"ours: {json.dumps(a, sort_keys=True)}\n"
                             f"orig: {json.dumps(b, sort_keys=True)}")
        self.meta["batch_events"] = len(a["events"])

    def case_build_ser(self) -> None:
        self.time_case("1", "build+serialize batch", (self.ours, "build_ser"),
                       (self.orig, "build_ser"), "original", "speedup", (">=", 5.0))
        self.time_case("1b", "  same, ours with the original's Batch()+setters idiom",
                       (self.ours, "build_ser_setters"), (self.orig, "build_ser"),
                       "original", "speedup", None)

    def case_ser(self) -> None:
        self.time_case("2", "serialize prebuilt batch vs json.dumps(plain dict)",
                       (self.ours, "ser"), (self.ours, "json"), "json.dumps (our process)",
                       "ours/ref", ("<=", 1.3))
        self.time_case("2b", "  serialize: ours vs original (sanitize+json.dumps)",
                       (self.ours, "ser"), (self.orig, "ser"), "original", "speedup", None)
        self.time_case("2c", "  vs json.dumps(compact).encode() (same bytes)",
                       (self.ours, "ser"), (self.ours, "json_compact"),
                       "json compact bytes", "ours/ref", None)

    def start_servers(self) -> None:
        if getattr(self, "_servers", False):
            return
        kind = self.args.server
        if kind == "process":
            url = _start_server_process(self.meta)
            self.meta["server"] = "LocalEventsServer in its own process"
            for worker in (self.ours, self.orig):
                worker.call("server", url)
            self._servers = True
            return
        self.meta["server"] = kind
        for worker in (self.ours, self.orig):
            worker.call("server", kind)
        self._servers = True

    def case_upload(self) -> None:
        self.start_servers()
        self.time_case("3", "upload_events, sequential, loopback", (self.ours, "upload"),
                       (self.orig, "upload"), "original", "speedup", (">=", 2.0))
        self.time_case("3b", "  ours vs floor: urllib3 POST of ready bytes, same server",
                       (self.ours, "upload"), (self.ours, "raw_upload"), "floor",
                       "ours/ref", None)
        self.time_case("3c", "  ceiling: original vs that floor (a zero-cost SDK)",
                       (self.ours, "raw_upload"), (self.orig, "upload"), "original",
                       "speedup", None)

    def case_bulk(self) -> None:
        self.start_servers()
        size = self.meta["ours"]["serialized_bytes"]
        n = min(MAX_BATCHES, (MAX_REQUEST_BYTES - 2) // (size + 1))
        self.ours.call("bulkn", n)
        self.orig.call("bulkn", n)
        self.time_case("4", f"bulk_upload_events, {n} batches/request", (self.ours, "bulk"),
                       (self.orig, "bulk"), "original", "speedup", (">=", 4.0),
                       batches_per_request=n, batch_bytes_ours=size,
                       batch_bytes_orig=self.meta["orig"]["serialized_bytes"])
        self.time_case("4b", "  ours vs floor: urllib3 POST of ready bytes, same server",
                       (self.ours, "bulk"), (self.ours, "raw_bulk"), "floor",
                       "ours/ref", None)
        self.time_case("4c", "  ceiling: original vs that floor (a zero-cost SDK)",
                       (self.ours, "raw_bulk"), (self.orig, "bulk"), "original",
                       "speedup", None)

    def case_memory(self) -> None:
        count = self.args.mem_count
        reps = self.args.mem_reps
        ours: List[float] = []
        orig: List[float] = []
        attrs: List[float] = []
        for i in range(reps):
            order = ((self.ours, ours), (self.orig, orig))
            for worker, out in order if i % 2 == 0 else order[::-1]:
                out.append(worker.call("mem", "batch", count))
            attrs.append(self.ours.call("mem", "attrs", count))
        ratios = [o / r for o, r in zip(ours, orig)]
        attr = statistics.median(attrs)
        mo, mr = statistics.median(ours), statistics.median(orig)
        self.add(Result("5", f"memory per held batch ({count} held)", mo, mr, "B", ratios,
                        "ours/ref", ("<=", 0.4), "original",
                        {"attribute_dict_bytes": attr, "samples_ours": ours,
                         "samples_orig": orig}))
        self.add(Result("5b", "  of which the caller's own attribute dicts (measured alone)",
                        attr, mo, "B", [attr / mo], "share", None, "ours per batch",
                        {"share_of_orig": attr / mr}))

    def case_import(self) -> None:
        code = ("import time; t = time.perf_counter(); import mparticle; "
                "print(time.perf_counter() - t, mparticle.__file__)")
        env = _clean_env()
        neutral = tempfile.gettempdir()

        def once(python: str, cwd: str) -> Tuple[float, str]:
            out = subprocess.run([python, "-c", code], cwd=cwd, env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            return float(out[0]), out[1]

        sides = ((self.args.ours_python, REPO), (self.args.orig_python, neutral))
        for python, cwd in sides:  # warm up (bytecode caches, page cache)
            once(python, cwd)
        if not once(*sides[0])[1].startswith(REPO) or once(*sides[1])[1].startswith(REPO):
            raise SystemExit("import case: wrong mparticle picked up")
        ours: List[float] = []
        orig: List[float] = []
        for i in range(self.args.import_pairs):
            if i % 2 == 0:
                ours.append(once(*sides[0])[0])
                orig.append(once(*sides[1])[0])
            else:
                orig.append(once(*sides[1])[0])
                ours.append(once(*sides[0])[0])
        ratios = [o / r for o, r in zip(ours, orig)]
        self.add(Result("6", "import mparticle (fresh interpreter)", statistics.median(ours),
                        statistics.median(orig), "s", ratios, "ours/ref", ("<=", 0.7),
                        "original"))

    # -- report -----------------------------------------------------------------------------
    def table(self) -> str:
        header = ("case", "what", "ours", "reference", "ratio (median)", "IQR", "target",
                  "result")
        rows = [header]
        for r in self.results:
            if r.ratio_kind == "speedup":
                ratio, iqr = f"{r.median:.2f}x faster", f"{r.q1:.2f}-{r.q3:.2f}"
            elif r.ratio_kind == "share":
                ratio = f"{r.median:.0%} of ours ({r.extra['share_of_orig']:.0%} of orig)"
                iqr = "-"
            else:
                ratio, iqr = f"{r.median:.3f}x", f"{r.q1:.3f}-{r.q3:.3f}"
            target = "-" if r.target is None else f"{r.target[0]} {r.target[1]:g}"
            verdict = {None: "info", True: "PASS", False: "FAIL"}[r.passed]
            rows.append((r.key, r.name, fmt_value(r.ours, r.unit),
                         f"{fmt_value(r.ref, r.unit)} ({r.ref_name})", ratio, iqr, target,
                         verdict))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = []
        for j, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


CASES = {
    "1": "case_build_ser",
    "2": "case_ser",
    "3": "case_upload",
    "4": "case_bulk",
    "5": "case_memory",
    "6": "case_import",
}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orig-python", default=DEFAULT_ORIG_PYTHON,
                   help="interpreter with mparticle==0.16.1 (created in a temp venv if missing)")
    p.add_argument("--ours-python", default=sys.executable,
                   help="interpreter for our side (default: this one)")
    p.add_argument("--quick", action="store_true", help="smoke run: few, short samples")
    p.add_argument("--pairs", type=int, help="sample pairs per timed case (default 60, --quick 8)")
    p.add_argument("--sample-ms", type=float, help="target duration of one sample (default 15 ms)")
    p.add_argument("--import-pairs", type=int)
    p.add_argument("--mem-count", type=int, help="batches held for the memory case")
    p.add_argument("--mem-reps", type=int)
    p.add_argument("--cases", default=",".join(CASES), help="e.g. 1,2,5")
    p.add_argument("--server", choices=("process", "minimal"), default="process",
                   help="loopback server for cases 3-4, the same one for both sides: 'process' runs "
                        "LocalEventsServer in a process of its own (like a real remote endpoint, it "
                        "does not compete for the client's GIL); 'minimal' runs a minimal endpoint "
                        "inside each worker")
    p.add_argument("--cpu", type=int, help="pin both workers to this CPU")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON here")
    p.add_argument("--profile", metavar="CASE",
                   help="instead of benchmarking, cProfile ours on a worker case "
                        "(build_ser, ser, upload, bulk, ...)")
    p.add_argument("--profile-n", type=int, default=2000)
    p.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    p.add_argument("--verbose", "-v", action="store_true")
    p.add_argument("--worker", choices=("ours", "orig"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "pairs": 8 if quick else 60,
        "sample_ms": 10.0 if quick else 15.0,
        "import_pairs": 6 if quick else 30,
        "mem_count": 300 if quick else 2000,
        "mem_reps": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args.worker)
    args.orig_python = ensure_orig_python(args.orig_python)
    selected = [c.strip() for c in args.cases.split(",") if c.strip()]
    started = time.monotonic()
    bench = Bench(args)
    try:
        bench.check_equivalence()
        if args.profile:
            if args.profile in ("upload", "bulk"):
                bench.start_servers()
                if args.profile == "bulk":
                    size = bench.meta["ours"]["serialized_bytes"]
                    bench.ours.call("bulkn", min(MAX_BATCHES, (MAX_REQUEST_BYTES - 2) // (size + 1)))
            print(bench.ours.call("profile", args.profile, args.profile_n))
            return 0
        for key in selected:
            if key not in CASES:
                raise SystemExit(f"unknown case {key!r}; choose from {', '.join(CASES)}")
            getattr(bench, CASES[key])()
    finally:
        bench.close()
    elapsed = time.monotonic() - started
    ours, orig = bench.meta["ours"], bench.meta["orig"]
    print(f"mparticle benchmark: ours {ours['version']} ({ours['mparticle_file']}) vs original "
          f"{orig['installed_dist']} ({orig['executable']}); Python {ours['python']}")
    print(f"{args.pairs} pairs/case, ~{args.sample_ms:g} ms/sample, "
          f"{args.import_pairs} import pairs, memory {args.mem_count} batches x {args.mem_reps}; "
          f"batch: {bench.meta['batch_events']} events, {ours['serialized_bytes']} B serialized "
          f"(original {orig['serialized_bytes']} B); server: {bench.meta.get('server', '-')}; "
          f"{elapsed:.0f} s")
    print("ratio: 'Nx faster' = reference time / ours per pair; 'Nx' = ours / reference; "
          "median and IQR over pairs")
    print()
    print(bench.table())
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"meta": {**bench.meta, "args": {k: v for k, v in vars(args).items()},
                                "elapsed_s": elapsed},
                       "results": [r.as_dict() for r in bench.results]}, handle, indent=2)
    failed = [r.key for r in bench.results if r.passed is False]
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
