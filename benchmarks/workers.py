#!/usr/bin/env python
"""The benchmark's worker process: one per side, ours (this checkout) or the original.

Started by the driver as ``python workers.py ours|orig`` in the side's interpreter. Line
protocol on stdin/stdout: ``<command> <JSON array of arguments>`` -> ``ok <JSON>`` or
``err <JSON traceback>``; ``quit`` ends it. ``run <case> <n>`` runs a case ``n`` times and
answers ``[wall seconds, CPU seconds]`` (``time.perf_counter``, ``time.process_time``).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any, Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import realistic  # noqa: E402
from common import API_KEY, API_SECRET, BULK_BATCHES, REPO  # noqa: E402
from setters import SetterRunner, field_specs  # noqa: E402


def _codecs(m: Any, side: str) -> Dict[str, Callable[..., Any]]:
    """build_ctor, serialize (what the side's upload does) and plain (the JSON-ready form)."""
    if side == "ours":
        from mparticle.serialization import dumps, to_jsonable

        return {"ctor": lambda: realistic.build_ctor(m), "serialize": dumps, "plain": to_jsonable}
    from mparticle.api_client import ApiClient

    sanitize = ApiClient.sanitize_for_serialization
    return {"ctor": lambda: realistic.build_ctor(m, events_in_constructor=False),
            "serialize": lambda b: json.dumps(sanitize(b)), "plain": sanitize}


class Worker:
    def __init__(self, side: str) -> None:
        import mparticle

        self.side = side
        self.m = mparticle
        codecs = _codecs(mparticle, side)
        self.build_ctor, self.serialize, self.plain = codecs["ctor"], codecs["serialize"], codecs["plain"]
        self.batch = realistic.build_setters(mparticle)
        self.plain_batch = self.plain(self.batch)
        self.parsed_batch = json.loads(json.dumps(self.plain_batch))
        self.setters = SetterRunner(mparticle)
        self.api: Any = None
        self.raw_one = self.raw_bulk = b""
        self.bulk_body: List[Any] = []
        self.cases: Dict[str, Callable[[], Any]] = self._cases()

    def _cases(self) -> Dict[str, Callable[[], Any]]:
        m, serialize, plain = self.m, self.serialize, self.plain_batch
        cases: Dict[str, Callable[[], Any]] = {
            "build_ser_setters": lambda: serialize(realistic.build_setters(m)),
            "build_setters": lambda: realistic.build_setters(m),
            "build_ser_ctor": lambda: serialize(self.build_ctor()),
            "build_ctor": self.build_ctor,
            "app_event3": lambda: realistic.app_event_three(m),
            "small_batch": lambda: realistic.small_batch(m),
            "ser": lambda: serialize(self.batch),
            "json": lambda: json.dumps(plain),
            "json_compact": lambda: json.dumps(plain, separators=(",", ":")).encode(),
            "upload": lambda: self.api.upload_events(self.batch),
            "bulk": lambda: self.api.bulk_upload_events(self.bulk_body),
            "raw_upload": lambda: self.raw_post("/events", self.raw_one),
            "raw_bulk": lambda: self.raw_post("/bulkevents", self.raw_bulk),
        }
        if self.side == "ours":  # m.validate is loaded on first use (its lookup costs ~50 ns)
            cases["validate"] = lambda: m.validate(self.batch)
            cases["validate_dict"] = lambda: m.validate(self.parsed_batch)
        return cases

    # -- commands ---------------------------------------------------------------------------
    def cmd_info(self) -> Any:
        try:
            from importlib.metadata import version

            dist = version("mparticle")
        except Exception:
            dist = None
        info = {"side": self.side, "python": sys.version.split()[0], "executable": sys.executable,
                "mparticle_file": self.m.__file__, "installed_dist": dist,
                "version": getattr(self.m, "__version__", None) or dist,
                "serialized_bytes": len(self.serialize(self.batch))}
        if self.side == "ours":  # the two builds of the realistic batch: the same wire bytes
            by_setters, by_ctor = self.serialize(self.batch), self.serialize(self.build_ctor())
            if by_setters != by_ctor:
                raise AssertionError(f"setter-built and constructor-built bytes differ:\n"
                                     f"{by_setters!r}\n{by_ctor!r}")
            try:
                info["validate_problems"] = [str(p) for p in self.m.validate(self.batch)]
            except Exception as exc:  # reported; only the validate case needs it
                info["validate_problems"] = [f"validate() unavailable: {exc!r}"]
        return info

    def cmd_dump(self, how: str) -> Any:
        batch = realistic.build_setters(self.m) if how == "setters" else self.build_ctor()
        return json.loads(json.dumps(self.plain(batch)))

    def cmd_server(self, url: str) -> Any:
        """Point an EventsApi and the floor's urllib3 pool at the sink at ``url``."""
        import base64

        import urllib3

        config = self.m.Configuration()
        config.host, config.api_key, config.api_secret = url, API_KEY, API_SECRET
        self.url = url
        self.api = self.m.EventsApi(config)
        self.api.upload_events(self.batch)  # connect, and check it is accepted
        # The floor: the same request made with urllib3 directly from bytes serialized
        # beforehand, against the same server (transport + server time only).
        token = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
        self.raw_headers = {"Accept": "application/json", "Content-Type": "application/json",
                            "Authorization": "Basic " + token}
        self.raw_pool = urllib3.PoolManager(num_pools=1, maxsize=1)
        body = self.serialize(self.batch)
        self.raw_one = body.encode() if isinstance(body, str) else body
        self.raw_post("/events", self.raw_one)
        self.bulk_body = [realistic.build_setters(self.m) for _ in range(BULK_BATCHES)]
        self.raw_bulk = b"[" + b",".join([self.raw_one] * BULK_BATCHES) + b"]"
        self.raw_post("/bulkevents", self.raw_bulk)
        self.api.bulk_upload_events(self.bulk_body)
        return len(self.raw_bulk)

    def raw_post(self, path: str, body: bytes) -> Any:
        response = self.raw_pool.request("POST", self.url + path, body=body, headers=self.raw_headers)
        if response.status != 202:
            raise RuntimeError(f"raw POST {path}: HTTP {response.status}")
        return response

    def cmd_run(self, case: str, count: int) -> Any:
        fn = self.cases[case]
        wall, cpu = time.perf_counter, time.process_time
        t0, c0 = wall(), cpu()
        for _ in range(count):
            fn()
        return [wall() - t0, cpu() - c0]

    def cmd_mem(self, what: str, count: int) -> Any:
        import gc
        import tracemalloc

        make = {"setters": lambda: realistic.build_setters(self.m), "ctor": self.build_ctor,
                "attrs": realistic.attribute_dicts}[what]
        make()  # warm caches (lazy class state, interned keys) outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            held = [make() for _ in range(count)]
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        return (after - before) / len(held)

    def cmd_setter_specs(self, every_field: bool) -> Any:
        return field_specs(self.m, every_field)

    def cmd_setter_prep(self, index: int, spec: Dict[str, Any]) -> Any:
        return self.setters.prep(index, spec)

    def cmd_setter_run(self, index: int, pool_size: int, rounds: int) -> Any:
        return self.setters.run(index, pool_size, rounds)

    def cmd_profile(self, case: str, count: int, top: int = 15) -> Any:
        import cProfile
        import io
        import pstats

        fn = self.cases[case]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            fn()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        return out.getvalue()


def _serve(worker: Worker, proto: Any) -> None:
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if not command:
            continue
        if command == "quit":
            break
        try:
            result = getattr(worker, "cmd_" + command)(*(json.loads(rest) if rest else []))
            proto.write("ok " + json.dumps(result) + "\n")
        except Exception:
            proto.write("err " + json.dumps(traceback.format_exc()) + "\n")


def worker_main(side: str) -> int:
    if side == "ours":
        sys.path.insert(0, REPO)
    else:  # never pick up the checkout from the original's interpreter
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != REPO]
    # Protocol on a private copy of stdout; anything printed by the code under test goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        worker = Worker(side)
    except Exception:
        proto.write("err " + json.dumps(traceback.format_exc()) + "\n")
        return 1
    proto.write("ready\n")
    _serve(worker, proto)
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1]))
