"""Ctrl-C and SIGTERM in the command line: one helper routes them for send and serve; send
stops gracefully on the first and at once on the second."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any, List

import pytest

from mparticle.cli.signals import Interrupt, stop_signals


def handlers() -> List[Any]:
    return [signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)]


def test_stop_signals_routes_both_signals_inside_the_block_only() -> None:
    before = handlers()
    seen: List[int] = []
    with stop_signals(lambda signum, frame: seen.append(signum)):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        threading.Event().wait(0)  # (a handler runs at the next bytecode boundary)
    assert seen == [signal.SIGTERM, signal.SIGINT]
    assert handlers() == before


def test_stop_signals_restores_the_handlers_when_the_block_raises() -> None:
    before = handlers()
    with pytest.raises(RuntimeError), stop_signals(lambda *_: None):
        assert handlers() != before
        raise RuntimeError
    assert handlers() == before


def test_stop_signals_off_the_main_thread_leaves_the_handlers_alone() -> None:
    before = handlers()
    inside: List[List[Any]] = []

    def body() -> None:
        with stop_signals(lambda *_: None):
            inside.append(handlers())

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert inside == [before] and handlers() == before


def test_first_signal_stops_gracefully_the_second_raises() -> None:
    before = handlers()
    interrupt = Interrupt()
    with interrupt.handling():
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupt.event.wait(5) and interrupt.exit_code == 128 + signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(0)
        assert interrupt.exit_code == 128 + signal.SIGTERM  # the first signal decides
    assert handlers() == before


def test_a_signal_while_blocked_on_input_raises_at_once() -> None:
    interrupt = Interrupt()
    with interrupt.handling():
        interrupt.blocking = True
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(0)
        assert interrupt.event.is_set() and interrupt.exit_code == 130
