"""The SSE parser fed awkward chunks, and change streams (sync and async) against a tiny
fake SSE server (http.server, in a thread) that drops connections, ends streams and
refuses a token: each time the stream must resume from the right Last-Event-ID, with a
fresh token when refused."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from depot_client import AsyncClient, ChangeEvent, Client, Gone, ReconnectInfo, SseEvent, SseParser

FRAMES = (
    'retry: 1000\nid: 7.0\n\n: keep-alive\nid: 7.1\nevent: create\ndata: {"a":1}\n\nevent: end\ndata: x\ndata: y\n\n'
)
WANT = [SseEvent("create", '{"a":1}', "7.1"), SseEvent("end", "x\ny", "7.1")]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_frames_split_anywhere_with_any_line_end_parse_to_the_same_events(eol: str) -> None:
    text = FRAMES.replace("\n", eol)
    for cut in range(len(text) + 1):
        parser = SseParser()
        assert parser.push(text[:cut]) + parser.push(text[cut:]) == WANT, f"cut at {cut}"
        assert parser.retry_ms == 1000
    parser = SseParser()
    assert [e for ch in text for e in parser.push(ch)] == WANT


def test_a_bare_id_frame_moves_last_event_id_and_comments_are_ignored() -> None:
    parser = SseParser()
    assert parser.push("\ufeffid: 3.9\n\n:comment\nfoo: bar\nretry: soon\n") == []
    assert (parser.last_event_id, parser.retry_ms) == ("3.9", None)
    assert parser.push("data\n\n") == [SseEvent("message", "", "3.9")]
    assert parser.push("id\ndata:no space\n\n") == [SseEvent("message", "no space", "")]
    assert parser.push("id: a\0b\ndata: kept\n\n") == [SseEvent("message", "kept", "")]


# --- a fake SSE server ------------------------------------------------------------

Script = Callable[[BaseHTTPRequestHandler], None]


def event(cursor: str, op: str = "create") -> str:
    body = {"cursor": cursor, "op": op, "collection": "notes", "id": f"i{cursor}", "version": 1, "at": "2026-01-01"}
    return f"id: {cursor}\nevent: {op}\ndata: {json.dumps(body)}\n\n"


def sse(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.send_header("Cache-Control", "no-store")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()


def write(h: BaseHTTPRequestHandler, *chunks: str) -> None:
    """Each chunk as its own HTTP chunk, a little apart, so the client reads them apart."""
    for chunk in chunks:
        data = chunk.encode()
        h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        h.wfile.flush()
        time.sleep(0.01)


def finish(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"0\r\n\r\n")
    h.wfile.flush()
    h.close_connection = True


def drop(h: BaseHTTPRequestHandler) -> None:
    """Gone mid-body: no last chunk, the socket just closes."""
    h.connection.shutdown(socket.SHUT_RDWR)
    h.close_connection = True


def answer(h: BaseHTTPRequestHandler, status: int, body: dict[str, Any], **headers: str) -> None:
    data = json.dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for k, v in headers.items():
        h.send_header(k.replace("_", "-"), v)
    h.end_headers()
    h.wfile.write(data)


class Fake:
    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.seen: list[tuple[str | None, str | None, str | None]] = []
        self.tokens = 0
        self.stop = threading.Event()


@contextmanager
def fake_server(scripts: list[Script]) -> Iterator[tuple[str, Fake]]:
    fake = Fake(scripts)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.endswith("/changes/tickets"):
                fake.seen.append((self.path, None, self.headers.get("Authorization")))
                answer(self, 201, {"ticket": "dpt_a+/", "expires_in": 60})
                return
            fake.tokens += 1
            token = {"access_token": f"t{fake.tokens}", "token_type": "Bearer", "expires_in": 3600, "scope": "admin"}
            answer(self, 200, token)

        def do_GET(self) -> None:
            since = parse_qs(urlsplit(self.path).query).get("since", [None])[0]
            fake.seen.append((self.headers.get("Last-Event-ID"), since, self.headers.get("Authorization")))
            if not fake.scripts:
                drop(self)
                return
            fake.scripts.pop(0)(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        fake.stop.set()
        server.shutdown()
        server.server_close()


def resume_scripts(fake_stop: Callable[[], threading.Event]) -> list[Script]:
    ev11 = event("1.1").replace("\n", "\r\n")

    def first(h: BaseHTTPRequestHandler) -> None:  # the open frame, a keep-alive, then a drop
        sse(h)
        write(h, "retry: 5\r\nid: 1.0\r\n\r\n", ": keep-alive\r\n")
        drop(h)

    def second(h: BaseHTTPRequestHandler) -> None:  # an event split mid-line and mid-CRLF, then end
        sse(h)
        end = 'event: end\ndata: {"reason":"token_expired","cursor":"1.2"}\n\n'
        write(h, "id: 1.1\n\n", ev11[:9], ev11[9:40], ev11[40:-1], ev11[-1:], end)
        finish(h)

    def third(h: BaseHTTPRequestHandler) -> None:  # the token is refused
        answer(h, 401, {"code": 401, "message": "expired"}, WWW_Authenticate='Bearer error="invalid_token"')

    def fourth(h: BaseHTTPRequestHandler) -> None:  # an event, then the stream stays open
        sse(h)
        write(h, "id: 1.2\n\n" + event("1.3", "update"))
        fake_stop().wait(10)

    return [first, second, third, fourth]


WANT_SEEN = [
    (None, "oldest", "Bearer t1"),
    ("1.0", "1.0", "Bearer t1"),
    ("1.2", "1.2", "Bearer t1"),
    ("1.2", "1.2", "Bearer t2"),
]


def test_a_stream_resumes_after_a_drop_an_end_and_a_refused_token() -> None:
    holder: list[Fake] = []
    with fake_server(resume_scripts(lambda: holder[0].stop)) as (url, fake):
        holder.append(fake)
        delays: list[float] = []
        reconnects: list[ReconnectInfo] = []
        with Client(url, client_id="id", client_secret="s", sleep=delays.append) as client:
            got: list[ChangeEvent] = []
            with client.stream_changes("p", since="oldest", on_reconnect=reconnects.append) as stream:
                for e in stream:
                    got.append(e)
                    if len(got) == 2:
                        break
            assert [(e["cursor"], e["op"]) for e in got] == [("1.1", "create"), ("1.3", "update")]
            assert stream.last_event_id == "1.3"
    assert fake.seen == WANT_SEEN
    assert [r.reason.startswith("end:") for r in reconnects] == [False, True]
    assert reconnects[1] == ReconnectInfo("end:token_expired", "1.2", 0.0)
    assert len(delays) == 1
    assert delays[0] >= 0.005, "a drop waits the server's retry"


def test_the_async_stream_resumes_the_same_way() -> None:
    holder: list[Fake] = []

    async def run(url: str) -> tuple[list[ChangeEvent], list[float]]:
        delays: list[float] = []

        async def sleep(d: float) -> None:
            delays.append(d)

        async with AsyncClient(url, client_id="id", client_secret="s", sleep=sleep) as client:
            got: list[ChangeEvent] = []
            async with client.stream_changes("p", since="oldest") as stream:
                async for e in stream:
                    got.append(e)
                    if len(got) == 2:
                        break
            assert stream.last_event_id == "1.3"
            return got, delays

    with fake_server(resume_scripts(lambda: holder[0].stop)) as (url, fake):
        holder.append(fake)
        got, delays = asyncio.run(run(url))
    assert [e["cursor"] for e in got] == ["1.1", "1.3"]
    assert fake.seen == WANT_SEEN
    assert len(delays) == 1


def test_a_503_on_connect_is_retried_and_a_410_ends_the_stream() -> None:
    scripts: list[Script] = [
        lambda h: answer(h, 503, {"code": 503, "message": "too many streams"}, Retry_After="2"),
        lambda h: answer(h, 410, {"code": 410, "message": "resume from since=oldest"}),
    ]
    delays: list[float] = []
    with fake_server(scripts) as (url, fake), Client(url, token="tok", sleep=delays.append) as client:
        with pytest.raises(Gone):
            next(iter(client.stream_changes("p", since="9.9")))
    assert [s[1] for s in fake.seen] == ["9.9", "9.9"]
    assert delays
    assert delays[0] >= 2


def test_event_source_url_carries_a_ticket_and_the_query_never_the_token() -> None:
    with fake_server([]) as (url, fake), Client(url, token="secret-token") as client:
        got = client.event_source_url("my proj", since="oldest", collections=["a", "b"], include_item=True)
    assert got == f"{url}/v1/projects/my%20proj/changes?since=oldest&collections=a%2Cb&include=item&ticket=dpt_a%2B%2F"
    assert "secret-token" not in got
    assert fake.seen == [("/v1/projects/my%20proj/changes/tickets", None, "Bearer secret-token")]
