"""A Server-Sent Events parser (the WHATWG HTML "event stream interpretation"), fed text
in chunks of any size: a chunk may end in the middle of a line, or between the ``\\r``
and ``\\n`` of one line end."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SseEvent", "SseParser"]

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its type (``event:``, else "message"), its ``data:``
    lines joined with newlines, and the last event id after it."""

    event: str
    data: str
    id: str


class SseParser:
    """Feed it decoded text with `push`; it returns the events each chunk completes.
    ``last_event_id`` follows every ``id:``, also one in a frame without data (which
    dispatches nothing); ``retry_ms`` is the last valid ``retry:``."""

    def __init__(self, last_event_id: str = "") -> None:
        self.last_event_id = last_event_id
        self.retry_ms: int | None = None
        self._buffer = ""
        self._after_cr = False
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id = last_event_id

    def push(self, text: str) -> list[SseEvent]:
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._after_cr and text:
            text = text.removeprefix("\n")
            self._after_cr = False
        self._buffer += text
        out: list[SseEvent] = []
        start = 0
        for m in _LINE_END.finditer(self._buffer):
            if m.group() == "\r" and m.end() == len(self._buffer):
                # A `\r` ending the chunk: a line end, and a `\n` may follow in the next.
                self._after_cr = True
            event = self._line(self._buffer[start : m.start()])
            if event is not None:
                out.append(event)
            start = m.end()
        self._buffer = self._buffer[start:]
        return out

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment (a keep-alive)
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        self.last_event_id = self._id
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None  # `id:` alone moves last_event_id only
        return SseEvent(event or "message", "\n".join(data), self.last_event_id)
