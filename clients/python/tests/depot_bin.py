"""Runs the real ``depot`` binary for the end-to-end tests.

The binary is ``$DEPOT_BIN``, or ``../../target/debug/depot`` from ``clients/python``.
Without ``DEPOT_BIN`` and without that file, the tests are skipped with a loud message;
with ``DEPOT_BIN`` set (as CI does) a missing binary is a failure."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ADMIN_ID = "admin"
ADMIN_SECRET = "s3cret-s3cret-for-tests"
DEFAULT_BIN = Path(__file__).resolve().parents[1] / ".." / ".." / "target" / "debug" / "depot"


def depot_bin() -> Path:
    given = os.environ.get("DEPOT_BIN")
    path = Path(given) if given else DEFAULT_BIN.resolve()
    if path.is_file():
        return path
    if given:
        pytest.fail(f"DEPOT_BIN={given} does not exist")
    message = f"SKIPPING the end-to-end tests: no depot binary at {path} (set DEPOT_BIN)"
    print(f"\n*** {message} ***", file=sys.stderr)
    pytest.skip(message)


@contextmanager
def running_depot(data_dir: Path, *flags: str) -> Iterator[str]:
    """Starts ``depot serve`` on 127.0.0.1:0 and yields its base URL."""
    env = {
        **os.environ,
        "DEPOT_ADMIN_CLIENT_ID": ADMIN_ID,
        "DEPOT_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
        "RUST_LOG": os.environ.get("RUST_LOG", "warn"),
    }
    cmd = [str(depot_bin()), "serve", "--addr", "127.0.0.1:0", "--data-dir", str(data_dir), *flags]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield _address(proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _address(proc: subprocess.Popen[str]) -> str:
    """The URL from the ``depot listening on http://ADDR`` line, within 30 s."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            pytest.fail("depot serve printed no 'listening on' line within 30 s")
        if "listening on " in line:
            return line.split("listening on ", 1)[1].strip()
