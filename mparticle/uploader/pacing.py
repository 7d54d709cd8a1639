"""Pacing: how fast this process sends, from what the server says about the account's limit.

mParticle limits an account to a number of batches per second, shared by every process that
sends for it, and tells each client how close the account is: ``X-mp-rate-limit-percentage-used``
on 2xx responses, ``X-mp-rate-limit-exceeded`` (``account``, ``acceleration``, ...) with
``Retry-After`` on 429s. Every process reads the same signal, so each can steer its own rate
by it and the fleet settles below the limit without any coordination between processes.

The :class:`Pacer` is that controller (parameters in :class:`Pacing`):

* It stays out of the way until the server shows the limit matters: the first 2xx that says
  ``engage`` percent or more is in use, or the first 429 that names the limit exceeded (or
  comes from a server that sends the percentage; other 429s are left to their Retry-After
  and the retry backoff). A server that answers 2xx without ever sending the percentage is
  not paced (a 429 then only holds requests for its Retry-After). It then starts from the
  batches this process had accepted over the last second (or sent, if more: a burst whose
  first answer is a 429), scaled by ``min(max_growth, target / used)`` (by ``decrease``
  after a 429).
* Each 2xx with ``used`` percent adjusts the rate once its batches are counted as accepted
  (:meth:`Pacer.delivered`), ``dt`` being the seconds since the last adjustment (at most
  1): below ``target`` it grows by ``min(max_growth, target / used) ** (gain * dt)`` plus
  ``additive * dt`` batches/s, and only while pacing held back a request that was otherwise
  due (a process sending less than its rate claims no more); above ``target`` it shrinks
  by ``decrease ** (gain * dt * overshoot ** 2)``, ``overshoot`` going from 0 at ``target``
  to 1 at 100 (a saturated account: halving per second by default; gentle near
  the target, so noise around it does not pull the fleet below it), but not below
  ``target`` percent of what the server accepted from this process over the last second
  (the percentage lags the rate: without that floor the fleet would overshoot far below the
  limit after a burst). A 2xx without the header engages nothing, and once engaged counts
  as ``engage`` percent.
* A 429 for a speed limit (``account``, ``org``, ...) multiplies it by ``decrease`` (once
  engaged, and only from a server that sends the percentage: without it a 429 cannot tell a
  busy account from other throttling, and cutting on every one would starve the sender); one for
  ``acceleration`` by ``acceleration_decrease``, and the growth is ``slow_ramp`` times slower for
  ``slow_ramp_seconds``. Requests in flight come back together: at most one cut per second,
  and never below that factor of what the server accepted from this process over the last
  second (the 429s of requests sent before the last cut, retries among them, would cut again).
* The rate stays within ``min_rate`` and ``max_batches_per_second`` (when given, a hard cap
  that applies with pacing off too).

Requests are spaced by the rate (a request of ``n`` batches stands for ``n / rate`` seconds)
and hold at most ``quantum`` seconds of it, so the account sees a steady flow, not bursts. The
429 gate (the server's Retry-After) holds the senders as before, and a request retried after
it (or after a backoff) then waits its turn like a new one (:meth:`Pacer.reserve`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, fields
from typing import Any, Callable, Deque, Optional, Tuple

from mparticle.limits import RATE_LIMIT_EXCEEDED_HEADER, RATE_LIMIT_PERCENTAGE_HEADER

__all__ = ["DEFAULT_PACING", "Pacer", "Pacing", "PacingStats", "pacing_policy"]

#: The slowest rate a process may be paced or capped to (batches/s): one batch per 100 s.
MIN_RATE = 0.01


@dataclass(frozen=True)
class Pacing:
    """The pacing controller's parameters (see :mod:`mparticle.uploader.pacing`)."""

    target: float = 97.0  #: the percentage of the account's limit to aim for
    engage: float = 50.0  #: start pacing once a response says this much (or a 429 came)
    gain: float = 1.0  #: how fast the rate moves towards the target (per second)
    max_growth: float = 2.0  #: the most the rate may grow in one second (a factor)
    additive: float = 2.0  #: batches/s added per second below the target (shares even out)
    decrease: float = 0.5  #: factor applied on a 429 for a speed limit
    acceleration_decrease: float = 0.8  #: factor applied on a 429 for the acceleration limit
    slow_ramp: float = 0.25  #: growth factor after an ``acceleration`` 429 ...
    slow_ramp_seconds: float = 30.0  #: ... for this long
    min_rate: float = 1.0  #: batches/s never paced below
    quantum: float = 0.25  #: seconds of the rate one request may hold

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Pacing.{item.name} must be a number, not {value!r}")
        _require(0 < self.target <= 100, "target", self.target, "a percentage above 0, at most 100")
        _require(0 < self.engage <= 100, "engage", self.engage, "a percentage above 0, at most 100")
        _require(0 < self.gain <= 10, "gain", self.gain, "above 0, at most 10 (per second)")
        _require(1 < self.max_growth <= 100, "max_growth", self.max_growth, "above 1, at most 100")
        _require(0 <= self.additive <= 1e6, "additive", self.additive, "0 to 1e6 batches/s per second")
        _require(0 < self.decrease < 1, "decrease", self.decrease, "between 0 and 1")
        _require(0 < self.acceleration_decrease < 1, "acceleration_decrease", self.acceleration_decrease,
                 "between 0 and 1")
        _require(0 < self.slow_ramp <= 1, "slow_ramp", self.slow_ramp, "above 0, at most 1")
        _require(0 <= self.slow_ramp_seconds <= 3600, "slow_ramp_seconds", self.slow_ramp_seconds,
                 "0 to 3600 seconds")
        _require(MIN_RATE <= self.min_rate <= 1e6, "min_rate", self.min_rate, f"{MIN_RATE} to 1e6 batches/s")
        _require(0 < self.quantum <= 10, "quantum", self.quantum, "above 0, at most 10 seconds")


def _require(ok: bool, name: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ValueError(f"Pacing.{name} must be {allowed}, not {value!r}")


DEFAULT_PACING = Pacing()


@dataclass(frozen=True)
class PacingStats:
    """What the pacer is doing, in :attr:`UploaderStats.pacing`."""

    rate: Optional[float]  #: batches/s this process is paced to now; None: not paced
    percentage_used: Optional[int]  #: the last ``X-mp-rate-limit-percentage-used`` seen
    rate_limited: int  #: 429 responses seen (each retried by the transport or requeued)
    last_exceeded: Optional[str]  #: the last 429's ``X-mp-rate-limit-exceeded`` value


def pacing_policy(pacing: Any) -> Optional[Pacing]:
    """``pacing=`` as given to the uploader: True (the defaults), False/None (off) or a Pacing."""
    if pacing is True:
        return DEFAULT_PACING
    if pacing is False or pacing is None:
        return None
    if isinstance(pacing, Pacing):
        return pacing
    raise TypeError("pacing must be True, False or a mparticle.uploader.Pacing, not %r" % (pacing,))


class Pacer:
    """One process's sending rate (thread-safe): the queue asks :meth:`delay` before handing out
    a request, :meth:`request_limit` for its size and tells :meth:`took`; the transport
    tells :meth:`observe` of every response and the sender :meth:`delivered` of every success.

    ``policy`` None: no pacing, only the ``cap`` (batches/s) applies, if given.
    """

    def __init__(
        self,
        policy: Optional[Pacing],
        cap: Optional[float] = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.cap = cap
        self._clock = clock
        self._lock = threading.Lock()
        self._rate: Optional[float] = None  # the controller's rate, once engaged
        self._next = 0.0  # when the next request may leave (monotonic)
        self._held = False  # pacing held a request back since the last adjustment
        self._adjusted = 0.0
        self._cut = -math.inf  # the last 429 cut
        self._slow_until = -math.inf
        self._accepted: Deque[Tuple[float, int]] = deque()  # (time, batches) over the last second
        self._sent: Deque[Tuple[float, int]] = deque()  # the same of requests that left
        self._answered: Optional[float] = None  # a 2xx's percentage, applied at its delivery
        self._used: Optional[int] = None
        self._limited = 0
        self._exceeded: Optional[str] = None

    # -- the queue's side ---------------------------------------------------------------------
    def rate(self) -> Optional[float]:
        """Batches per second requests are spaced by now (None: not paced)."""
        with self._lock:
            return self._paced()

    def delay(self) -> float:
        """Seconds before the next request may leave (0.0: now); asked when one is due."""
        with self._lock:
            if self._paced() is None:
                return 0.0
            wait = self._next - self._clock()
            if wait <= 0:
                return 0.0
            self._held = True
            return wait

    def request_limit(self, count: int) -> int:
        """The most batches one request may hold now (``count``: the configured most). Asked on
        every enqueue, so it reads the rate without the lock: one attribute, read whole."""
        rate = self._paced()
        if rate is None:
            return count
        quantum = self.policy.quantum if self.policy is not None else DEFAULT_PACING.quantum
        return max(1, min(count, int(rate * quantum)))

    def took(self, batches: int) -> None:
        """A request of ``batches`` batches leaves now: the next waits for its share of time
        (the queue asks :meth:`delay` and tells this under its own lock)."""
        if self.policy is None and self.cap is None:
            return
        with self._lock:
            self._book(self._clock(), batches)

    def reserve(self, batches: int) -> float:
        """:meth:`delay` and :meth:`took` in one step, for callers that share no queue lock
        (sync mode): the seconds this request must wait; its share of time is booked."""
        if self.policy is None and self.cap is None:
            return 0.0
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now) if self._paced() is not None else 0.0
            if wait > 0:
                self._held = True
            self._book(now, batches)
            return wait

    # -- the transport's side -----------------------------------------------------------------
    def delivered(self, batches: int) -> None:
        """The server accepted ``batches`` batches."""
        if self.policy is None:
            return
        with self._lock:
            now = self._clock()
            self._accepted.append((now, batches))
            self._forget(now)
            used, self._answered = self._answered, None
            if used is not None:  # steered once this request's batches are counted
                self._on_2xx(self.policy, now, used)

    def observe(self, response: Any) -> None:
        """Adjust to one response (any status): its rate-limit headers, or its 429 (a 2xx's
        percentage is applied when the sender tells :meth:`delivered` of its batches)."""
        policy = self.policy
        status = getattr(response, "status", 0)
        if status == 429:
            exceeded = response.getheader(RATE_LIMIT_EXCEEDED_HEADER)
            if exceeded is not None:
                exceeded = exceeded.strip()[:64]  # a word ("account"); a hostile value is cut short
            with self._lock:
                self._limited += 1
                self._exceeded = exceeded
                if policy is not None and (exceeded is not None or self._used is not None):
                    self._on_429(policy, exceeded == "acceleration")
            return
        if policy is None or not 200 <= status < 300:
            return
        used = _percentage(response.getheader(RATE_LIMIT_PERCENTAGE_HEADER))
        with self._lock:
            if used is not None:
                self._used = used
            elif self._used is None:  # a server that does not send the percentage is not paced
                if self._rate is not None:
                    self._disengage()
                return
            self._answered = policy.engage if used is None else used

    def stats(self) -> PacingStats:
        """A snapshot for :meth:`BatchUploader.stats`."""
        with self._lock:
            return PacingStats(self._paced(), self._used, self._limited, self._exceeded)

    # -- the controller (under the lock) --------------------------------------------------------
    def _on_2xx(self, policy: Pacing, now: float, used: float) -> None:
        if self._rate is None:
            if used >= policy.engage:
                self._engage(policy, now, min(policy.max_growth, policy.target / max(used, 1.0)))
            return
        dt = min(1.0, max(0.0, now - self._adjusted))
        self._adjusted = now
        rate = self._rate
        if used < policy.target:
            if not self._held:
                return  # sending less than the rate allows: nothing to claim
            self._held = False
            slow = policy.slow_ramp if now < self._slow_until else 1.0
            growth = min(policy.max_growth, policy.target / max(used, 1.0)) ** (policy.gain * slow * dt)
            rate = rate * growth + policy.additive * slow * dt
        elif used > policy.target:
            overshoot = min(1.0, (used - policy.target) / max(100.0 - policy.target, 1.0))
            rate *= policy.decrease ** (policy.gain * dt * overshoot * overshoot)
            # a percentage alone never cuts below what the server took lately
            rate = max(rate, min(self._rate, self._recent(now) * policy.target / 100.0))
        self._set(policy, rate)

    def _on_429(self, policy: Pacing, acceleration: bool) -> None:
        now = self._clock()
        factor = policy.acceleration_decrease if acceleration else policy.decrease
        if acceleration:
            self._slow_until = now + policy.slow_ramp_seconds
        if self._rate is None:
            self._engage(policy, now, factor)
        elif self._used is None:
            return  # a server that never said how much is in use: its 429s may not mean "slower"
        elif now - self._cut >= 1.0:  # not below a cut of what the server just took from us: the
            # 429s of requests sent before the last cut (retried ones among them) would cut again
            floor = min(self._rate, self._recent(now) * factor)
            self._set(policy, max(self._rate * factor, floor))
        else:
            return
        self._cut = now

    def _engage(self, policy: Pacing, now: float, factor: float) -> None:
        """From what the server took over the last second (or, if it refused everything, what
        was sent), times ``factor``."""
        accepted = self._recent(now)  # forgets what is older than a second, sent requests too
        sent = sum(batches for _, batches in self._sent)
        self._adjusted = now
        self._held = False
        self._set(policy, max(accepted, sent) * factor)

    def _paced(self) -> Optional[float]:
        """:meth:`rate`, without taking the lock."""
        rate, cap = self._rate, self.cap
        if cap is None:
            return rate
        return cap if rate is None else min(rate, cap)

    def _book(self, now: float, batches: int) -> None:
        """A request of ``batches`` leaves at ``now`` (or when the time booked before it ends)."""
        if self.policy is not None:
            self._sent.append((now, batches))
            self._forget(now)
        rate = self._paced()
        if rate is not None:
            self._next = max(self._next, now) + batches / rate

    def _disengage(self) -> None:
        self._rate = None
        self._next = min(self._next, self._clock())

    def _set(self, policy: Pacing, rate: float) -> None:
        old = self._paced()
        self._rate = max(policy.min_rate, rate)
        new, now = self._paced(), self._clock()
        if old is not None and new is not None and self._next > now:  # owed at the old rate
            self._next = now + (self._next - now) * old / new

    def _recent(self, now: float) -> int:
        """Batches the server accepted from this process over the last second."""
        self._forget(now)
        return sum(batches for _, batches in self._accepted)

    def _forget(self, now: float) -> None:
        for window in (self._accepted, self._sent):
            while window and window[0][0] < now - 1.0:
                window.popleft()


def _percentage(value: Optional[str]) -> Optional[int]:
    """``X-mp-rate-limit-percentage-used`` as an integer 0-100 (None when absent or not a number)."""
    if value is None:
        return None
    try:
        used = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(used):
        return None
    return min(100, max(0, round(used)))
