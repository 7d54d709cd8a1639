"""What the local endpoint received: :class:`RecordedRequest` and its :class:`Headers`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

__all__ = ["Headers", "RecordedRequest"]

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
