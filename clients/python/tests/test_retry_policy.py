"""The policy's arithmetic, Retry-After parsing and the budget, without HTTP."""

from __future__ import annotations

import math
from email.utils import formatdate

import pytest

from depot_client import RetryBudget, RetryEvent, RetryPolicy, RetryReason, parse_retry_after

from scripted import VirtualTime

# 784111777 is Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's own example date.
NOW = 784_111_777.0


def test_the_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    p = RetryPolicy()
    assert [p.ceiling(n) for n in range(4)] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert p.ceiling(7) == pytest.approx(12.8)
    assert p.ceiling(8) == 20.0
    assert p.ceiling(10_000) == 20.0


def test_delays_stay_within_the_jitter_window() -> None:
    p = RetryPolicy()
    for n in range(10):
        for _ in range(50):
            assert 0.0 <= p.delay(n, None) <= p.ceiling(n)


def test_the_jitter_spans_the_whole_window() -> None:
    p = RetryPolicy()
    assert p.delay(3, None, uniform=lambda lo, hi: hi) == pytest.approx(0.8)
    assert p.delay(3, None, uniform=lambda lo, hi: lo) == 0.0


def test_retry_after_is_a_floor_clamped_to_the_cap() -> None:
    p = RetryPolicy()
    # The jitter window (100 ms) is below the floor, so the floor wins every time.
    assert all(p.delay(0, 3.0) == 3.0 for _ in range(50))
    for _ in range(50):
        assert 3.0 <= p.delay(7, 3.0) <= p.ceiling(7)
    assert p.delay(0, 3600.0) == 20.0
    assert p.delay(0, math.inf) == 20.0


def test_a_policy_refuses_nonsense_knobs() -> None:
    for bad in ({"base": -1.0}, {"cap": math.nan}, {"max_retries": -1}, {"deadline": -5.0}):
        with pytest.raises(ValueError, match="RetryPolicy"):
            RetryPolicy(**bad)
    assert RetryPolicy.no_retries().max_retries == 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("Sun, 06 Nov 1994 08:49:47 GMT", 10.0),
        ("Sunday, 06-Nov-94 08:49:47 GMT", 10.0),
        ("Sun Nov  6 08:49:47 1994", 10.0),
        ("Sun, 06 Nov 1994 08:49:07 GMT", 0.0),
        ("99999999999999999999999", 1e23),
    ],
)
def test_retry_after_parses_seconds_and_the_three_http_date_forms(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "soon", "-1", "1.5", "3s", "Sun, 06 Nov 1994", "Sun, 06 Foo 1994 08:49:47 GMT"])
def test_retry_after_ignores_anything_else(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_a_formatted_http_date_round_trips() -> None:
    assert parse_retry_after(formatdate(NOW + 7, usegmt=True), NOW) == 7.0


def test_retries_are_capped_by_deposits_and_the_floor() -> None:
    time = VirtualTime()
    budget = RetryBudget(0.5, 1.0, 2.0, clock=time.clock)
    assert budget.try_withdraw()
    assert budget.try_withdraw()
    assert not budget.try_withdraw(), "the bucket started with 2"
    budget.deposit()
    assert not budget.try_withdraw(), "half a token is not a retry"
    budget.deposit()
    assert budget.try_withdraw(), "two requests at 0.5 earn one retry"
    time.sleep(1.5)
    assert budget.try_withdraw(), "the floor refilled 1.5 tokens"
    assert not budget.try_withdraw()


def test_ten_deposits_of_a_tenth_make_one_retry() -> None:
    budget = RetryBudget(0.1, 0.0, 10.0, initial_tokens=0)
    for _ in range(9):
        budget.deposit()
    assert not budget.try_withdraw()
    budget.deposit()
    assert budget.try_withdraw()


def test_the_bucket_never_holds_more_than_its_maximum() -> None:
    time = VirtualTime()
    budget = RetryBudget(0.1, 10.0, 3.0, initial_tokens=100, clock=time.clock)
    time.sleep(3600)
    for _ in range(100):
        budget.deposit()
    assert budget.available() == pytest.approx(3.0)


def test_an_unlimited_budget_always_allows_a_retry() -> None:
    budget = RetryBudget.unlimited()
    assert all(budget.try_withdraw() for _ in range(10_000))


def test_an_event_reads_as_the_cli_prints_it() -> None:
    event = RetryEvent(2, 5, 1.29, RetryReason(status=503), "GET", "/v1/projects")
    assert str(event) == "503, retrying in 1.3 s (2/5)"
    lost = RetryEvent(1, 5, 0.05, RetryReason(transport="connection reset"), "GET", "/")
    assert (str(lost), lost.reason.kind) == ("connection reset, retrying in 0.1 s (1/5)", "transport")
