"""A scripted depot stand-in on 127.0.0.1:0, in a thread: ``/oauth/token`` hands out
``tok-1``, ``tok-2``, ...; every other request is recorded and answered with the next
scripted answer, in the shared scenario format (``clients/scenarios/README.md``):
``{"status", "headers", "json", "retry_after_http_date_in_s"}`` or ``{"drop": true}``.
When the script runs out (and the last answer doesn't repeat) the answer is a 500."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Mapping[str, Any]


@dataclass(frozen=True)
class Seen:
    """A request the server received; header names are lowercase."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Script:
    def __init__(self, answers: Sequence[Answer], repeat_last: bool) -> None:
        self.answers = list(answers)
        self.repeat_last = repeat_last
        self.seen: list[Seen] = []
        self.token_requests: list[Seen] = []
        self.lock = threading.Lock()

    def next(self, seen: Seen) -> Answer:
        with self.lock:
            self.seen.append(seen)
            if len(self.answers) > 1 or (self.answers and not self.repeat_last):
                return self.answers.pop(0)
            if self.answers:
                return self.answers[0]
            return {"status": 500, "json": {"code": 500, "message": "the script ran out"}}

    def token(self, seen: Seen) -> Answer:
        with self.lock:
            self.token_requests.append(seen)
            n = len(self.token_requests)
        body = {"access_token": f"tok-{n}", "token_type": "Bearer", "expires_in": 3600, "scope": "admin"}
        return {"status": 200, "json": body}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle's algorithm and
    # the client's delayed ACK stall every answer by ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        seen = Seen(self.command, self.path, headers, body)
        script = self.server.script
        answer = script.token(seen) if self.path == "/oauth/token" else script.next(seen)
        if answer.get("drop"):
            # Close without a byte of answer: the client sees a transport failure.
            self.close_connection = True
            return
        content = json.dumps(answer.get("json", {})).encode()
        self.send_response(int(answer["status"]))
        for name, value in answer.get("headers", {}).items():
            self.send_header(name, value)
        if "retry_after_http_date_in_s" in answer:
            self.send_header("Retry-After", formatdate(time.time() + answer["retry_after_http_date_in_s"], usegmt=True))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@contextmanager
def scripted(answers: Sequence[Answer], *, repeat_last: bool = False) -> Iterator[tuple[str, Script]]:
    """Serves ``answers``; yields the base URL and the script (with what was seen)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script = Script(answers, repeat_last)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", server.script
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class VirtualTime:
    """A clock that only moves when the library sleeps, and the sleeps it asked for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
