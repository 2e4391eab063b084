"""Hostile requests at the byte level, sent over raw sockets to the real ``dom up``: an
oversized header block is a 431 that never grows the process, and a Host header that is
not exactly an allowed name with an optional valid port is a 400, as are two of them."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from starter.bootstrap.http import MAX_HEAD_BYTES, MAX_HEADER_BYTES
from tests.support.data import TEXTBOOK
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@dataclass
class Running:
    stack: Stack
    process: subprocess.Popen[bytes]
    address: tuple[str, int]
    token: str

    def rss_mb(self) -> float:
        """The API process's resident memory, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("hostile")
    process, stack = start_stack(tmp, TEXTBOOK)
    url = urlsplit(stack.api_url)
    assert url.hostname and url.port
    yield Running(stack, process, (url.hostname, url.port), stack.token())
    stop_stack(process, stack)
    assert process.returncode == 0, stack.log.read_text()


def exchange(running: Running, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (request line and headers, without the blank line) and ``body`` on a
    new connection; the status, headers and body of the answer."""
    with socket.create_connection(running.address, timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer: {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def get(running: Running, path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", *headers, f"Authorization: Bearer {running.token}"]
    return "\r\n".join(lines).encode("latin-1")


def host(running: Running) -> str:
    return f"Host: 127.0.0.1:{running.address[1]}"


def test_a_plain_request_over_the_socket_is_served(running: Running) -> None:
    status, _, body = exchange(running, get(running, "/locations", host(running)))
    assert status == 200, body


def test_headers_up_to_the_limit_are_served(running: Running) -> None:
    # 24 KiB of headers in lines of 6 KiB: under both limits.
    fillers = [f"X-Filler-{i}: {'a' * 6000}" for i in range(4)]
    status, _, body = exchange(running, get(running, "/locations", host(running), *fillers))
    assert status == 200, body


def test_a_header_block_over_32_kib_is_a_431(running: Running) -> None:
    fillers = [f"X-Filler-{i}: {'a' * 6000}" for i in range(MAX_HEAD_BYTES // 6000 + 1)]
    status, headers, body = exchange(running, get(running, "/locations", host(running), *fillers))
    assert status == 431
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "message": f"the request's headers are over {MAX_HEAD_BYTES} bytes",
        "error": "RequestHeaderFieldsTooLarge",
    }


def test_one_header_over_8_kib_is_a_431(running: Running) -> None:
    line = f"X-Big: {'b' * MAX_HEADER_BYTES}"
    status, _, body = exchange(running, get(running, "/locations", host(running), line))
    assert status == 431
    assert json.loads(body)["message"] == f"a header line is over {MAX_HEADER_BYTES} bytes"


def test_a_large_body_is_not_a_large_header(running: Running) -> None:
    body = json.dumps({"order_id": "BIG-1", "note": "x" * 200_000}).encode()
    head = "\r\n".join(
        [
            "POST /orders HTTP/1.1",
            host(running),
            f"Authorization: Bearer {running.token}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
    ).encode()
    status, _, answer = exchange(running, head, body)
    assert status == 422, answer  # read and validated, not refused for its size


def test_ten_16_mb_header_lines_never_grow_the_process(running: Running) -> None:
    exchange(running, get(running, "/health", host(running)))  # warm
    before = running.rss_mb()
    line = b"X-Huge: " + b"h" * (16 * 1024 * 1024) + b"\r\n"
    answers = []
    for _ in range(10):
        with socket.create_connection(running.address, timeout=10) as sock:
            sock.sendall(get(running, "/health", host(running)) + b"\r\n")
            sent = 0
            # The server reads 32 KiB of head, answers and closes; what follows is refused.
            with contextlib.suppress(OSError):
                while sent < len(line):
                    sent += sock.send(line[sent : sent + 1024 * 1024])
            with contextlib.suppress(OSError):
                answers.append(read_answer(sock)[0])
            assert sent < len(line), "the server read a 16 MB header line to its end"
    time.sleep(0.5)
    grown = running.rss_mb() - before
    assert grown < 10, f"the API grew by {grown:.0f} MB"
    assert set(answers) <= {431}  # those not lost to the reset of the refused bytes
    status, _, _ = exchange(running, get(running, "/locations", host(running)))
    assert status == 200


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:evil",
        "[127.0.0.1]evil.example",
        "127.0.0.1:",
        "127.0.0.1:99999",
        "127.0.0.1:0",
        "127.0.0.1:+80",
        "127.0.0.1:8000:8000",
        "127.0.0.1 .evil.example",
        "127.0.0.1@evil.example",
        "localhost/evil",
        "evil.example",
        "",
    ],
)
def test_a_host_that_is_not_exactly_an_allowed_name_is_a_400(running: Running, value: str) -> None:
    status, _, body = exchange(running, get(running, "/locations", f"Host: {value}"))
    assert (status, json.loads(body)["error"]) == (400, "UnknownHost"), value


def test_a_request_with_two_host_headers_is_a_400(running: Running) -> None:
    for pair in [(host(running), "Host: evil.example"), ("Host: evil.example", host(running))]:
        status, _, body = exchange(running, get(running, "/locations", *pair))
        assert (status, json.loads(body)["error"]) == (400, "UnknownHost"), pair
    # Even two of the same allowed name: one Host, or the request is refused.
    status, _, _ = exchange(running, get(running, "/locations", host(running), host(running)))
    assert status == 400


def test_a_head_sent_a_little_at_a_time_is_counted_whole(running: Running) -> None:
    """Slow senders too: the limit is on the head, however it arrives."""
    fillers = [f"X-Filler-{i}: {'a' * 4000}" for i in range(MAX_HEAD_BYTES // 4000 + 1)]
    # Just past the limit: the server has read every byte when it answers (a byte sent
    # after it closed would reset the connection, and could lose the answer).
    head = get(running, "/locations", host(running), *fillers)[: MAX_HEAD_BYTES + 100]
    with socket.create_connection(running.address, timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(head), 4096):
            sock.sendall(head[start : start + 4096])
            time.sleep(0.002)
        status, _, _ = read_answer(sock)
    assert status == 431
