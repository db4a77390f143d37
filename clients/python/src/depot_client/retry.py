"""`RetryPolicy`: how long to wait before each retry, and when to stop.

Full-jitter exponential backoff (the AWS Architecture Blog's "Exponential Backoff and
Jitter"): before retry ``n`` (0-based) the client sleeps
``uniform(0, min(cap, base * factor**n))``, but never less than the server's
``Retry-After``, itself clamped to ``cap`` so that a misbehaving server can't park a
client for an hour. Full rather than "equal" jitter because it spreads a fleet of
clients that failed together over the whole window, which is what lets an overloaded
server recover. All durations are seconds, as floats, like httpx's timeouts.
"""

from __future__ import annotations

import math
import random
import re
from calendar import timegm
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """The retry knobs; the defaults are those of the contract (§6). Frozen: derive
    a variant with ``dataclasses.replace(policy, max_retries=3)``.

    ``deadline`` bounds the whole call: no retry is started whose delay would end later
    than ``deadline`` seconds after the first attempt began (``None``: only
    ``max_retries`` limits retrying). An attempt in flight is bounded by the client's
    ``timeout``, not by the deadline.
    """

    base: float = 0.1
    factor: float = 2.0
    cap: float = 20.0
    max_retries: int = 5
    # Long enough for five retries of a maintenance window's Retry-After (which the
    # cap turns into 20 s each), short enough that a script notices.
    deadline: float | None = 120.0

    def __post_init__(self) -> None:
        for name in ("base", "factor", "cap"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0 and not math.isnan(value)):
                raise ValueError(f"RetryPolicy.{name} must be a number >= 0, not {value!r}")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"RetryPolicy.max_retries must be an int >= 0, not {self.max_retries!r}")
        if self.deadline is not None and not self.deadline >= 0:
            raise ValueError(f"RetryPolicy.deadline must be >= 0 or None, not {self.deadline!r}")

    @classmethod
    def no_retries(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(max_retries=0)

    def ceiling(self, retry: int) -> float:
        """``min(cap, base * factor**retry)``: the upper bound of the jittered delay
        before retry number ``retry`` (0-based). Saturates at the cap instead of
        overflowing for a large ``retry``."""
        try:
            secs = self.base * max(self.factor, 1.0) ** retry
        except OverflowError:
            return self.cap
        if not math.isfinite(secs) or secs >= self.cap:
            return self.cap
        return max(secs, 0.0)

    def floor(self, retry_after: float | None) -> float:
        """The floor a ``Retry-After`` sets: the server's wish, but never beyond the cap."""
        return 0.0 if retry_after is None else min(max(retry_after, 0.0), self.cap)

    def delay(
        self,
        retry: int,
        retry_after: float | None,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> float:
        """The delay before retry number ``retry`` (0-based): uniform in
        ``[0, ceiling]``, raised to the ``Retry-After`` floor."""
        return max(uniform(0.0, self.ceiling(retry)), self.floor(retry_after))


_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_LONG = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_TIME = r"(\d{2}):(\d{2}):(\d{2})"
# RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient
# must still accept. Fields are captured as (day, month, year, h, m, s).
_IMF = re.compile(rf"{_DAY}, (\d{{2}}) ([A-Z][a-z]{{2}}) (\d{{4}}) {_TIME} GMT")
_RFC850 = re.compile(rf"{_DAY_LONG}, (\d{{2}})-([A-Z][a-z]{{2}})-(\d{{2}}) {_TIME} GMT")
_ASCTIME = re.compile(rf"{_DAY} ([A-Z][a-z]{{2}}) ([ \d]\d) {_TIME} (\d{{4}})")


def _http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP-date, or None if it is not one."""
    if m := _IMF.fullmatch(value):
        day, month, year, hh, mm, ss = m.groups()
    elif m := _RFC850.fullmatch(value):
        day, month, yy, hh, mm, ss = m.groups()
        # RFC 9110: a two-digit year more than 50 years in the future is in the past.
        year = str(2000 + int(yy) if int(yy) < 70 else 1900 + int(yy))
    elif m := _ASCTIME.fullmatch(value):
        month, day, hh, mm, ss, year = m.groups()
    else:
        return None
    if month not in _MONTHS:
        return None
    try:
        fields = (int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss))
        if not (1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60 and fields[5] < 61):
            return None
        return float(timegm((*fields, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None


def parse_retry_after(value: str, now: float) -> float | None:
    """Parses a ``Retry-After`` value (RFC 9110 §10.2.3): delay-seconds, or an
    HTTP-date turned into the seconds left from ``now`` (Unix seconds; 0 if already
    past). Anything else is None, so a malformed header is ignored rather than trusted.
    A huge number of seconds is valid, and left for the cap to clamp."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        try:
            return float(int(value))
        except OverflowError:
            return math.inf
    when = _http_date(value)
    return None if when is None else max(when - now, 0.0)
