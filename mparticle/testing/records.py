"""What the local endpoint received: :class:`RecordedRequest`, its :class:`Headers`, the :class:`Recorder`."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

__all__ = ["Headers", "RecordedRequest", "Recorder"]

class Headers(Mapping[str, str]):
    """Read-only, case-insensitive view of request headers (the first value wins)."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = list(items)
        index: Dict[str, Tuple[str, str]] = {}
        for name, value in self._items:
            index.setdefault(name.lower(), (name, value))
        self._index = index

    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._index.values())

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> List[str]:
        """All values of header ``name``, in order."""
        lowered = name.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """A record of one request the server received.

    ``body`` is the payload after content decoding (gunzipped), empty when the
    server runs with ``record=False`` or the body was discarded (413).
    ``status`` is what was answered (0: dropped). ``batches`` holds the parsed
    batches of accepted requests. ``error`` is the message of an error answer.
    ``faulted`` tells whether a scripted or random fault decided the answer.
    """

    method: str
    path: str
    headers: Headers
    raw_headers: List[Tuple[str, str]]
    body: bytes
    status: int
    batches: List[Dict[str, Any]]
    received_at: float
    error: Optional[str] = None
    faulted: bool = False
    wire_size: int = 0

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Recorder:
    """Thread-safe store of the requests received, the batches accepted and the counters.

    ``keep_payloads=False`` keeps the requests without bodies and batches (counters are kept).
    """

    def __init__(self, keep_payloads: bool = True) -> None:
        self.keep_payloads = keep_payloads
        self._lock = threading.Lock()
        self._accepted = threading.Condition(self._lock)
        self._requests: List[RecordedRequest] = []
        self._batches: List[Dict[str, Any]] = []
        self._accepted_count = 0
        self._status_counts: Dict[int, int] = {}
        self._errors: List[BaseException] = []

    def add(self, request: RecordedRequest, batches: List[Dict[str, Any]]) -> None:
        """Record ``request``; ``batches`` count as accepted when it was answered 202."""
        with self._accepted:
            self._status_counts[request.status] = self._status_counts.get(request.status, 0) + 1
            self._requests.append(request)
            if request.status == 202 and batches:
                if self.keep_payloads:
                    self._batches.extend(batches)
                self._accepted_count += len(batches)
                self._accepted.notify_all()

    def add_error(self, exc: BaseException) -> None:
        """Keep an unexpected exception raised while handling a request."""
        with self._lock:
            self._errors.append(exc)

    @property
    def requests(self) -> List[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def batches(self) -> List[Dict[str, Any]]:
        with self._lock:
            return list(self._batches)

    @property
    def accepted_count(self) -> int:
        return self._accepted_count

    @property
    def status_counts(self) -> Dict[int, int]:
        with self._lock:
            return dict(self._status_counts)

    @property
    def request_count(self) -> int:
        with self._lock:
            return sum(self._status_counts.values())

    @property
    def errors(self) -> List[BaseException]:
        with self._lock:
            return list(self._errors)

    def wait_for(self, n_batches: int, timeout: float) -> bool:
        """Block until at least ``n_batches`` batches were accepted; False on timeout."""
        with self._accepted:
            return self._accepted.wait_for(lambda: self._accepted_count >= n_batches, timeout)

    def clear(self) -> None:
        """Forget requests, batches, counters and errors."""
        with self._lock:
            self._requests.clear()
            self._batches.clear()
            self._accepted_count = 0
            self._status_counts.clear()
            self._errors.clear()
