"""Every scenario of the shared ``clients/scenarios/retry.json``, for the sync and the
async client, against the scripted server with virtual time: each delay the library
chose is checked exactly, and a deadline scenario takes no real time."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from depot_client import AsyncClient, Client, RetryBudget, RetryEvent, RetryPolicy, TransportError

from scripted import Script, VirtualTime, scripted

SCENARIO_FILE = Path(__file__).resolve().parents[2] / "scenarios" / "retry.json"
DOC = json.loads(SCENARIO_FILE.read_text())
SCENARIOS: list[dict[str, Any]] = DOC["scenarios"]
STATIC_TOKEN = "scenario-token"


@dataclass
class Outcome:
    status: int | None
    transport_error: bool
    events: list[RetryEvent]


def policy_of(scenario: dict[str, Any]) -> RetryPolicy:
    p = {**DOC["defaults"]["policy"], **scenario.get("policy", {})}
    deadline = p.get("deadline_ms")
    return RetryPolicy(
        base=p["base_ms"] / 1000,
        factor=p["factor"],
        cap=p["cap_ms"] / 1000,
        max_retries=p["max_retries"],
        deadline=None if deadline is None else deadline / 1000,
    )


def budget_of(scenario: dict[str, Any], time: VirtualTime) -> RetryBudget:
    b = scenario.get("budget", DOC["defaults"]["budget"])
    if b == "unlimited":
        return RetryBudget.unlimited()
    return RetryBudget(
        b["ratio"], b["min_per_second"], b["max_tokens"], initial_tokens=b["initial_tokens"], clock=time.clock
    )


def client_options(scenario: dict[str, Any], time: VirtualTime, events: list[RetryEvent]) -> dict[str, Any]:
    auth: dict[str, Any] = (
        {"client_id": "id", "client_secret": "secret"}
        if scenario.get("auth") == "client_credentials"
        else {"token": STATIC_TOKEN}
    )
    return {
        **auth,
        "retry_policy": policy_of(scenario),
        "retry_budget": budget_of(scenario, time),
        "on_retry": events.append,
        "clock": time.clock,
    }


def request_args(scenario: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    req = scenario["request"]
    kwargs: dict[str, Any] = {"idempotency_key": req.get("idempotency_key", True)}
    if "json" in req:
        kwargs["json"] = req["json"]
    return req["method"], req["path"], kwargs


def run_sync(scenario: dict[str, Any], url: str, time: VirtualTime) -> Outcome:
    events: list[RetryEvent] = []
    with Client(url, sleep=time.sleep, **client_options(scenario, time, events)) as client:
        method, path, kwargs = request_args(scenario)
        try:
            response = client.request(method, path, **kwargs)
        except TransportError:
            return Outcome(None, True, events)
    return Outcome(response.status, False, events)


def run_async(scenario: dict[str, Any], url: str, time: VirtualTime) -> Outcome:
    async def go() -> Outcome:
        events: list[RetryEvent] = []
        async with AsyncClient(url, sleep=time.async_sleep, **client_options(scenario, time, events)) as client:
            method, path, kwargs = request_args(scenario)
            try:
                response = await client.request(method, path, **kwargs)
            except TransportError:
                return Outcome(None, True, events)
        return Outcome(response.status, False, events)

    return asyncio.run(go())


def check(scenario: dict[str, Any], outcome: Outcome, script: Script, time: VirtualTime) -> None:
    expect = scenario["expect"]
    assert len(script.seen) == expect["attempts"], "attempts"

    result = expect["result"]
    if result.get("transport_error"):
        assert outcome.transport_error, f"expected a transport error, got {outcome.status}"
    else:
        assert (outcome.transport_error, outcome.status) == (False, result["status"])

    slept_ms = [s * 1000 for s in time.sleeps]
    bounds = [(d["min"], d["max"]) for d in expect["delays_ms"]]
    assert len(slept_ms) == len(bounds), f"slept {slept_ms} ms, expected {bounds}"
    for ms, (lo, hi) in zip(slept_ms, bounds, strict=True):
        assert lo - 1e-6 <= ms <= hi + 1e-6, f"slept {slept_ms} ms, expected {bounds}"

    seen_events = [
        {"attempt": e.attempt, "reason": f"status:{e.reason.status}" if e.reason.kind == "status" else "transport"}
        for e in outcome.events
    ]
    assert seen_events == expect["retry_events"]
    # The hook is told the delay the client then really sleeps.
    assert [e.delay for e in outcome.events] == time.sleeps

    check_key(expect.get("idempotency_key"), [s.headers.get("idempotency-key") for s in script.seen])
    check_auth(scenario, script)


def check_key(rule: str | None, keys: list[str | None]) -> None:
    if rule is None:
        return
    if rule == "absent":
        assert keys == [None] * len(keys)
    elif rule == "same_on_every_attempt":
        assert keys[0] is not None, keys
        assert keys == [keys[0]] * len(keys)
    else:
        assert rule.startswith("given:"), rule
        assert keys == [rule.removeprefix("given:")] * len(keys)


def check_auth(scenario: dict[str, Any], script: Script) -> None:
    auth = [s.headers.get("authorization") for s in script.seen]
    if scenario.get("auth") == "client_credentials":
        assert len(script.token_requests) == 1, "one token, fetched once and cached"
        assert auth == ["Bearer tok-1"] * len(auth)
    else:
        assert not script.token_requests
        assert auth == [f"Bearer {STATIC_TOKEN}"] * len(auth)


def test_the_scenario_file_is_format_1_with_unique_names() -> None:
    assert DOC["format"] == 1
    names = [s["name"] for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert len(SCENARIOS) >= 30


@pytest.mark.parametrize("flavor", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any], flavor: str) -> None:
    time = VirtualTime()
    with scripted(scenario["answers"], repeat_last=scenario.get("repeat_last", False)) as (url, script):
        run = run_sync if flavor == "sync" else run_async
        outcome = run(scenario, url, time)
    check(scenario, outcome, script, time)
