"""uvicorn's HTTP protocol (httptools) with a limit on a request's header block: a request
whose head (request line and headers) is over ``MAX_HEAD_BYTES``, or with one header line
over ``MAX_HEADER_BYTES``, is answered 431 and its connection closed.

httptools has no such limit: it keeps a header's bytes until the header ends, so ten
16 MB header lines grew the API by 200 MB, for good (the allocator keeps the pages).
uvicorn's h11 parser has one (``h11_max_incomplete_event_size``) but answers 400, and
parses in pure Python. Here bytes are fed to the parser only while the head can still
be within the limit: a connection never holds more than ``MAX_HEAD_BYTES`` of head,
plus one read, whatever is sent.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024
"""The request line and every header together, as sent (nginx's default is 32 KiB too)."""
MAX_HEADER_BYTES = 8 * 1024
"""One header line, name and value."""


class HeadTooLarge(Exception):
    """A request's head, or one of its header lines, is over the limit."""


class BoundedHeadProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that answers 431 to an oversized head, before the app runs."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._in_head = True  # between requests, bytes are the next request's head
        self._head_bytes = 0
        self._too_large = ""

    def data_received(self, data: bytes) -> None:
        try:
            # Until the connection closes or is handed to another protocol (an upgrade).
            while data and not self.transport.is_closing() and self._still_http():
                if not self._in_head:  # a body: as uvicorn reads it
                    self._feed(data)
                    return
                room = MAX_HEAD_BYTES - self._head_bytes
                if room <= 0:
                    raise HeadTooLarge(f"the request's headers are over {MAX_HEAD_BYTES} bytes")
                # Only what may still be head; the rest once the head has ended.
                part, data = data[:room], data[room:]
                self._feed(part)
        except HeadTooLarge as exc:
            self._refuse(str(exc))

    def _still_http(self) -> bool:
        return self.transport.get_protocol() is self

    def _feed(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._in_head = True
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) + len(value) > MAX_HEADER_BYTES:
            # The parser stops on it and uvicorn answers send_400_response: a 431 there.
            self._too_large = f"a header line is over {MAX_HEADER_BYTES} bytes"
            raise HeadTooLarge(self._too_large)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._too_large:
            self._refuse(self._too_large)
        else:
            super().send_400_response(msg)

    def _refuse(self, message: str) -> None:
        """431 in the API's error shape, then close: the rest is never read."""
        self._in_head = False
        if self.transport.is_closing():
            return
        body = json.dumps({"message": message, "error": "RequestHeaderFieldsTooLarge"}).encode()
        head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.logger.info("refused a request: %s", message)
        self.transport.write(b"".join(head) + body)
        self.transport.close()
