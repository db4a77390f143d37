"""`RetryBudget`: a token bucket that caps retries as a share of requests.

Backoff alone does not stop a fleet from amplifying an overload: if every one of a
thousand clients retries five times, a struggling server sees six times the load. The
budget (after Finagle's ``RetryBudget`` and tower's ``retry::budget``, as in the Rust
client) lets retries be at most ``ratio`` of first attempts plus a small floor:

- every first attempt deposits ``ratio`` tokens (0.1: one retry per ten requests);
- the bucket also refills at ``min_per_second`` tokens per second, so a client that
  sends few requests can still retry a few;
- every retry withdraws one token, and is not made when less than one is left;
- the bucket holds at most ``max_tokens``, so a quiet hour can't bank a retry storm.

One budget is shared by a client and everything derived from it with
``with_options``; pass the same budget to several clients to share it between them.
It is thread-safe, so one budget may serve sync and async clients at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["RetryBudget"]


class RetryBudget:
    """A retry token bucket; see the module docs.

    ``initial_tokens`` (default: ``max_tokens``, a full bucket) is mostly for tests, as
    is ``clock`` (monotonic seconds; default ``time.monotonic``), which drives the
    per-second refill.
    """

    def __init__(
        self,
        ratio: float = 0.1,
        min_per_second: float = 1.0,
        max_tokens: float = 10.0,
        *,
        initial_tokens: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ratio = _clean(ratio)
        self.min_per_second = _clean(min_per_second)
        self.max_tokens = _clean(max_tokens)
        start = self.max_tokens if initial_tokens is None else _clean(initial_tokens)
        self._tokens = min(start, self.max_tokens)
        self._clock = clock
        self._refilled_at = clock()
        self._lock = threading.Lock()

    @classmethod
    def unlimited(cls) -> RetryBudget:
        """A budget that never runs dry: only the policy limits retrying."""
        return cls(0.0, 0.0, math.inf)

    def __repr__(self) -> str:
        return (
            f"RetryBudget(ratio={self.ratio}, min_per_second={self.min_per_second}, "
            f"max_tokens={self.max_tokens}, available={self.available():.2f})"
        )

    def deposit(self) -> None:
        """Records a first attempt: earns ``ratio`` of a retry."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens + self.ratio, self.max_tokens)

    def try_withdraw(self) -> bool:
        """Takes one retry from the budget; False (and nothing taken) when less than
        one is left."""
        with self._lock:
            self._refill()
            # The epsilon forgives float rounding: ten deposits of 0.1 sum to 0.999...9.
            if self._tokens >= 1.0 - 1e-9:
                self._tokens = max(self._tokens - 1.0, 0.0)
                return True
            return False

    def available(self) -> float:
        """The retries available now (fractional while a token is being earned)."""
        with self._lock:
            self._refill()
            return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        earned = max(now - self._refilled_at, 0.0) * self.min_per_second
        self._tokens = min(self._tokens + earned, self.max_tokens)
        self._refilled_at = now


def _clean(x: float) -> float:
    """Negative or NaN knobs count as zero."""
    return 0.0 if math.isnan(x) else max(float(x), 0.0)
