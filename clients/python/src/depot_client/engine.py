"""The retry loop's decisions, free of I/O: the sync and the async client drive the same
`RetryRun` and differ only in how they send and sleep.

What is retried (contract §4 to §6):

- a 503 or a 429, for every method: both are answered before any work, so the request
  had no effect;
- a transport failure (no answer at all) when the request is safe to repeat: the
  idempotent methods, and a POST carrying an ``Idempotency-Key``;
- nothing else: no other 4xx (the request itself is wrong), no other 5xx (a 500 is a
  bug a retry would only repeat).

A run stops at ``max_retries``, when the next delay would end past the deadline, or when
the `RetryBudget` is empty, and the caller then gets the last outcome unchanged: the
503 as an error carrying it, or the transport error. Why it stopped is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .budget import RetryBudget
from .retry import RetryPolicy

__all__ = ["RETRYABLE_STATUSES", "OnRetry", "RetryEvent", "RetryReason", "RetryRun"]

logger = logging.getLogger("depot_client")

#: Statuses retried for every method.
RETRYABLE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryReason:
    """Why a retry is made: the server answered ``status``, or there was no answer
    (``transport`` holds the failure's text)."""

    status: int | None = None
    transport: str | None = None

    @property
    def kind(self) -> str:
        """``"status"`` or ``"transport"``."""
        return "status" if self.status is not None else "transport"

    def __str__(self) -> str:
        return str(self.status) if self.status is not None else (self.transport or "transport error")


@dataclass(frozen=True)
class RetryEvent:
    """One retry about to be made, given to the ``on_retry`` hook before its delay."""

    #: 1 for the first retry (the second attempt).
    attempt: int
    max_retries: int
    #: Seconds the client sleeps before making it.
    delay: float
    reason: RetryReason
    method: str
    #: The request's path and query, without the base URL.
    path: str

    def __str__(self) -> str:
        """``503, retrying in 1.3 s (2/5)``: the line the Rust CLI prints too."""
        return f"{self.reason}, retrying in {self.delay:.1f} s ({self.attempt}/{self.max_retries})"


#: The hook called before every retry's delay.
OnRetry = Callable[[RetryEvent], None]


class RetryRun:
    """The state of one call's retries. Create it just before the first attempt (it
    deposits that attempt into the budget), then report each outcome: the answer is a
    delay to sleep before the next attempt, or None to hand the outcome to the caller.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        budget: RetryBudget,
        clock: Callable[[], float],
        *,
        method: str,
        path: str,
        retry_transport: bool,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.method = method
        self.path = path
        self.retry_transport = retry_transport
        self.on_retry = on_retry
        self.retries = 0
        self.started = clock()
        budget.deposit()

    def after_answer(self, status: int, retry_after: float | None) -> float | None:
        """The server answered ``status`` (with a parsed ``Retry-After``, if any)."""
        if status not in RETRYABLE_STATUSES:
            return None
        return self._next(RetryReason(status=status), retry_after)

    def after_failure(self, text: str) -> float | None:
        """The attempt got no answer; ``text`` says why."""
        if not self.retry_transport:
            return None
        return self._next(RetryReason(transport=text), None)

    def _next(self, reason: RetryReason, retry_after: float | None) -> float | None:
        delay = self.policy.delay(self.retries, retry_after)
        why = self._stop_reason(self.clock() - self.started + delay)
        if why is not None:
            logger.info("%s %s: %s, not retrying: %s", self.method, self.path, reason, why)
            return None
        self.retries += 1
        event = RetryEvent(self.retries, self.policy.max_retries, delay, reason, self.method, self.path)
        logger.info("%s %s: %s", self.method, self.path, event, extra={"depot_retry": event})
        if self.on_retry is not None:
            self.on_retry(event)
        return delay

    def _stop_reason(self, ends_at: float) -> str | None:
        """Why the run must stop instead of making a retry that would end ``ends_at``
        seconds after the start. The budget is asked last, so a token is only taken for
        a retry that will really be made."""
        if self.retries >= self.policy.max_retries:
            return "max retries reached"
        if self.policy.deadline is not None and ends_at > self.policy.deadline:
            return "the next retry would pass the deadline"
        if not self.budget.try_withdraw():
            return "the retry budget is exhausted"
        return None
