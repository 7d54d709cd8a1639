"""The uploader's two asyncio helpers, written so that importing the uploader never imports
asyncio: a program that does not use it does not pay for it."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, TypeVar

__all__ = ["off_loop", "on_event_loop"]

T = TypeVar("T")


def on_event_loop() -> bool:
    """True on a thread that runs an event loop (which must never block)."""
    asyncio = sys.modules.get("asyncio")  # not imported at all: no event loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(*args)`` in the loop's default executor and return its result."""
    import asyncio  # (loaded already: we are in a coroutine) kept out of the module's imports

    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))
