"""Ctrl-C and SIGTERM in the command line: a graceful stop first, then an immediate one."""

from __future__ import annotations

import os
import signal

import pytest

from mparticle.cli.signals import Interrupt


def test_first_signal_stops_gracefully_the_second_raises_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    interrupt = Interrupt()
    interrupt.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert interrupt.event.wait(5) and interrupt.exit_code == 128 + signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            interrupt.event.wait(5)  # (the handler runs at the next bytecode boundary)
        assert interrupt.exit_code == 128 + signal.SIGTERM  # the first signal decides
    finally:
        interrupt.restore()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_signal_while_blocked_on_input_raises_at_once() -> None:
    interrupt = Interrupt()
    interrupt.install()
    try:
        interrupt.blocking = True
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            interrupt.event.wait(5)
        assert interrupt.event.is_set() and interrupt.exit_code == 130
    finally:
        interrupt.restore()
