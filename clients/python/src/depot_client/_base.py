"""What the sync and the async client share: configuration, checked once; how a `Call`
becomes the headers and URL of its attempts; the access-token cache's bookkeeping."""

from __future__ import annotations

import base64
import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from ._http import IDEMPOTENT_METHODS, Call, Response, seg
from ._version import __version__
from .budget import RetryBudget
from .engine import OnRetry, RetryRun
from .errors import TransportError
from .retry import RetryPolicy, parse_retry_after

T = TypeVar("T")
Self = TypeVar("Self", bound="BaseClient")

#: The header that makes a POST safe to repeat (contract §5).
IDEMPOTENCY_KEY = "Idempotency-Key"

#: Per attempt: 10 s to connect, 30 s for each read or write.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

_NOT_GIVEN: Any = object()
_NO_BODY: Any = object()


@dataclass(frozen=True)
class Prepared:
    """A `Call` with what stays the same on every attempt decided: its URL, its
    headers but ``Authorization``, whether a transport failure may be retried."""

    call: Call[Any]
    url: str
    headers: dict[str, str]
    retry_transport: bool


class TokenSlot:
    """The cached access token of a client-credentials client. Not locked itself: each
    client holds the lock of its kind around it, across the fetch, so that concurrent
    requests wait for one token fetch instead of each starting their own."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.refresh_at = 0.0

    def fresh(self, now: float) -> str | None:
        return self.token if self.token is not None and now < self.refresh_at else None

    def store(self, token: str, expires_in: float, now: float) -> None:
        # A tenth of the lifetime (at most 30 s) before expiry, so that a request sent
        # just before expiry doesn't arrive just after it.
        self.token = token
        self.refresh_at = now + expires_in - min(expires_in / 10, 30.0)

    def invalidate(self, used: str) -> None:
        """Forgets ``used`` after the server refused it; a different token in the slot
        was fetched by a concurrent request after it and is kept."""
        if self.token == used:
            self.token = None

    def take(self) -> str | None:
        token, self.token = self.token, None
        return token


class BaseClient:
    """Configuration and request preparation; `Client` and `AsyncClient` add I/O."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        client_id: str | None,
        client_secret: str | None,
        scope: str | None,
        retry_policy: RetryPolicy | None,
        max_retries: int | None,
        retry_budget: RetryBudget | None,
        on_retry: OnRetry | None,
        timeout: float | httpx.Timeout | None,
        clock: Callable[[], float] | None,
    ) -> None:
        self._base_url = _check_base_url(base_url)
        if token is not None and (client_id is not None or client_secret is not None):
            raise ValueError("give either token or client_id and client_secret, not both")
        if (client_id is None) != (client_secret is None):
            raise ValueError("client_id and client_secret go together")
        self._token = token
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        policy = retry_policy if retry_policy is not None else RetryPolicy()
        if max_retries is not None:
            policy = RetryPolicy(policy.base, policy.factor, policy.cap, max_retries, policy.deadline)
        self._policy = policy
        self._clock = clock if clock is not None else time.monotonic
        self._budget = retry_budget if retry_budget is not None else RetryBudget(clock=self._clock)
        self._on_retry = on_retry
        self._timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self._tokens = TokenSlot()
        #: Whether close() closes the HTTP client: not one the caller brought, nor the
        #: one a client made by with_options shares.
        self._owns_http = True

    def __repr__(self) -> str:
        # Never shows the token or the secret.
        auth = "client_credentials" if self._client_id else "token" if self._token else "anonymous"
        return f"<{type(self).__name__} {self._base_url} auth={auth} {self._policy}>"

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._policy

    @property
    def retry_budget(self) -> RetryBudget:
        return self._budget

    def _derive(self: Self, retry_policy: RetryPolicy | None, max_retries: int | None, timeout: Any) -> Self:
        """A shallow copy: the HTTP connection pool, the token cache and the retry
        budget stay shared, and the pool stays the original's to close."""
        clone = copy.copy(self)
        clone._owns_http = False
        if retry_policy is not None:
            clone._policy = retry_policy
        if max_retries is not None:
            p = clone._policy
            clone._policy = RetryPolicy(p.base, p.factor, p.cap, max_retries, p.deadline)
        if timeout is not _NOT_GIVEN:
            clone._timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        return clone

    @property
    def _refreshable(self) -> bool:
        return self._client_id is not None

    def _prepare(self, call: Call[Any]) -> Prepared:
        headers = {"Accept": "application/json", "User-Agent": f"depot-client-python/{__version__}"}
        headers.update(call.headers)
        if call.content_type is not None:
            headers["Content-Type"] = call.content_type
        key = call.idempotency_key
        # One key per logical request, kept on every retry and on the resend after a
        # token refresh: the server replays rather than repeats.
        if isinstance(key, str):
            headers[IDEMPOTENCY_KEY] = key
        elif key and call.method == "POST" and call.auth == "bearer":
            headers[IDEMPOTENCY_KEY] = str(uuid.uuid4())
        if call.auth == "basic":
            headers["Authorization"] = self._basic_auth()
        retry_transport = (
            call.method in IDEMPOTENT_METHODS
            # A second token or a second revocation is harmless.
            or call.auth == "basic"
            or (call.method == "POST" and IDEMPOTENCY_KEY in headers)
        )
        return Prepared(call, self._base_url + call.path, headers, retry_transport)

    def _basic_auth(self) -> str:
        if self._client_id is None or self._client_secret is None:
            raise ValueError("this call needs client credentials (client_id and client_secret)")
        pair = f"{seg(self._client_id)}:{seg(self._client_secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def _headers(self, prepared: Prepared, token: str | None) -> dict[str, str]:
        if token is None:
            return prepared.headers
        return {**prepared.headers, "Authorization": f"Bearer {token}"}

    def _start_run(self, prepared: Prepared) -> RetryRun:
        policy = self._policy if prepared.call.retries else RetryPolicy.no_retries()
        return RetryRun(
            policy,
            self._budget,
            self._clock,
            method=prepared.call.method,
            path=prepared.call.path,
            retry_transport=prepared.retry_transport,
            on_retry=self._on_retry,
        )

    @staticmethod
    def _response(r: httpx.Response) -> tuple[Response, float | None]:
        """The answer, and its ``Retry-After`` in seconds if it has a valid one."""
        value = r.headers.get("retry-after")
        retry_after = None if value is None else parse_retry_after(value, time.time())
        return Response(r.status_code, r.headers, r.content), retry_after

    @staticmethod
    def _decode(call: Call[T], response: Response) -> T:
        if not response.is_success and response.status not in call.ok_statuses:
            raise response.error()
        return call.decode(response)


def _check_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise ValueError(f"base URL {base_url!r} must be http(s)://host[:port][/prefix], without a query")
    return base_url.rstrip("/")


def describe(error: BaseException) -> str:
    """``error: cause: cause...``, skipping a cause whose text its parent already has."""
    text = str(error) or type(error).__name__
    cause = error.__cause__ or error.__context__
    while cause is not None:
        part = str(cause)
        if part and part not in text:
            text += f": {part}"
        cause = cause.__cause__ or cause.__context__
    return text


def transport_error(error: BaseException) -> TransportError:
    return TransportError(f"transport error: {describe(error)}")
