"""uvicorn's httptools protocol with a request read deadline and request size limits.

Under the asyncio server a connection costs a socket and a few kB, not a thread; what a slow
client can still do is keep that socket forever, since uvicorn has no timeout for reading a
request (only for idle keep-alive connections) and no limits on the request line or headers.
``GuardedHttpToolsProtocol`` adds both, per connection:

* **Read deadline.** A request must arrive whole — request line, headers and body — within
  ``read_timeout`` seconds of its first byte (for a new connection: of the connection opening).
  Otherwise the client gets ``408`` (JSON, ``Connection: close``) if no response has started, and
  the connection is closed either way.  Requests that have arrived whole are never cut short,
  however long the search takes.
* **Size limits**, checked on the raw bytes before the parser buffers them: a request line over
  ``limit_request_line`` bytes gets ``414``, more than ``limit_request_fields`` header lines or
  one over ``limit_request_field_size`` bytes gets ``431``, a declared or chunked body over
  ``max_body`` bytes gets ``413``; each a JSON error with ``Connection: close``.  Malformed
  requests get a JSON ``400``.
* **Bigger bodies where the app takes them.** ``POST``/``PUT`` to a path under one of
  ``large_body_paths`` (the write API) may send up to ``max_large_body`` bytes.  A declared body
  (``Content-Length``) extends that request's deadline by one second per ``body_rate`` bytes, so a
  10 MiB upload at 256 KiB/s still arrives, while the deadline stays bounded (10 s + 40 s at most).
  The body itself is read in the event loop before the app runs (``webapp.server.BufferedBody``), so
  a slow upload costs a socket and its bytes, never a worker thread.
* **Busy.**  Over uvicorn's ``limit_concurrency`` (gunicorn's ``worker_connections``) a request gets
  uvicorn's ``503``, here as the usual JSON error (``server_busy``) rather than plain text.

The limits are class attributes; ``webapp.server`` makes a subclass with the configured values.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

BUSY_BODY = json.dumps({"error": {"code": "server_busy",
                                  "message": "The server is busy; try again in a moment."}}).encode()


async def server_busy(scope: Any, receive: Any, send: Any) -> None:
    """uvicorn's answer over its concurrency limit (``service_unavailable``), as a JSON error."""
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(BUSY_BODY)).encode()),
        (b"retry-after", b"1"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": BUSY_BODY, "more_body": False})


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` plus a read deadline per request and request line/header/body limits."""

    read_timeout: float = 10.0
    limit_request_line: int = 8190
    limit_request_fields: int = 50
    limit_request_field_size: int = 8190
    max_body: int = 64 * 1024
    large_body_paths: tuple[bytes, ...] = ()  # POST/PUT to these paths (or below them) may send ...
    max_large_body: int = 0  # ... up to this many bytes
    body_rate: int = 256 * 1024  # bytes per second of a declared body added to the read deadline

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._between = True  # no request in progress: the next byte starts one
        self._head = False  # reading a request line and headers
        self._line_no = 0  # 0: the request line; then header lines
        self._line_len = 0
        self._head_bytes = 0
        self._body_bytes = 0
        self._body_limit = self.max_body
        self._served = 0  # requests read whole on this connection
        self._stopping = False
        self._start_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    # -- the deadline -------------------------------------------------------------------------

    def _start_request(self) -> None:
        self._between = False
        self._head = True
        self._line_no = self._line_len = self._head_bytes = self._body_bytes = 0
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _read_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self._reject(408, "request_timeout",
                         f"The request did not arrive within {self.read_timeout:g} s.")
        else:
            self.transport.close()  # the app is answering a request whose body never came: stop

    def _extend_deadline(self, seconds: float) -> None:
        """Give the request ``seconds`` more (for a body of known size); never shortens it."""
        if self._deadline is None or seconds <= 0.05:
            return
        when = self._deadline.when() + seconds
        self._deadline.cancel()
        self._deadline = self.loop.call_at(when, self._read_timed_out)

    # -- size limits ----------------------------------------------------------------------------

    def _limit_for(self, method: bytes, url: bytes) -> int:
        """The body limit of a request: ``max_large_body`` for POST/PUT under ``large_body_paths``."""
        if method in (b"POST", b"PUT") and self.max_large_body > self.max_body:
            path = url.split(b"?", 1)[0]
            if any(path == p or path.startswith(p + b"/") for p in self.large_body_paths):
                return self.max_large_body
        return self.max_body

    def _head_limits(self, data: bytes) -> tuple[int, str, str] | None:
        """Scan head bytes; the error to send when a limit is exceeded, else None."""
        self._head_bytes += len(data)
        pos, end = 0, len(data)
        while pos < end:
            nl = data.find(b"\n", pos)
            stop = end if nl < 0 else nl
            self._line_len += stop - pos
            error = self._line_error()
            if error or nl < 0:
                return error
            if self._line_len <= 1 and self._line_no > 0:  # the empty line: headers are complete
                self._head = False
                return None
            if self._line_len > 1:
                self._line_no += 1
            self._line_len, pos = 0, nl + 1
        if self._head_bytes > self.limit_request_line + self.limit_request_fields * (self.limit_request_field_size + 2):
            return 431, "headers_too_large", "The request headers are too large."
        return None

    def _line_error(self) -> tuple[int, str, str] | None:
        if self._line_no == 0 and self._line_len > self.limit_request_line + 1:
            return 414, "uri_too_long", f"The request line is longer than {self.limit_request_line} bytes."
        if self._line_no > 0 and self._line_len > self.limit_request_field_size + 1:
            return 431, "headers_too_large", f"A header is longer than {self.limit_request_field_size} bytes."
        if self._line_no > self.limit_request_fields and self._line_len > 1:
            return 431, "headers_too_large", f"More than {self.limit_request_fields} headers."
        return None

    def _reject(self, status: int, code: str, message: str) -> None:
        """Send a JSON error with ``Connection: close`` and close the connection."""
        self._cancel_deadline()
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.transport.write(b"".join([
            STATUS_LINE[status], b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body]))
        self.transport.close()
        peer = f"{self.client[0]}:{self.client[1]}" if self.client else "-"
        self.logger.info("%s - rejected: %d %s", peer, status, code)

    def send_400_response(self, msg: str) -> None:
        if not self.transport.is_closing():
            self._reject(400, "bad_request", msg)

    def shutdown(self) -> None:
        """Graceful shutdown: finish requests in flight, including ones still arriving, then close.

        uvicorn closes every connection without a response in progress; that would drop a request
        sent on a new connection just before the worker stopped (e.g. when it is recycled after
        ``max_requests``).  Here a new connection gets one second to send its request, and a
        request already arriving gets its read deadline; each is answered with ``Connection: close``.
        """
        self._stopping = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        elif self._served == 0 and self._head_bytes == 0:
            self.loop.call_later(1.0, self._close_if_idle)
        elif self._between:
            self.transport.close()  # an idle keep-alive connection
        # else: a request is arriving: it gets an answer (or the read deadline closes it)

    def _close_if_idle(self) -> None:
        if self._head_bytes == 0 and self._served == 0 and not self.transport.is_closing():
            self.transport.close()

    # -- the protocol -----------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._between:
            self._start_request()
        if self._head:
            error = self._head_limits(data)
            if error:
                self._reject(*error)
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        if self.transport.is_closing():
            return
        if self._between:  # a pipelined request in the same read
            self._start_request()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head = False
        if self.transport.is_closing():
            return
        self._body_limit = self._limit_for(self.parser.get_method(), self.url)
        length = next((v for n, v in self.headers if n == b"content-length"), b"0")
        if length.strip().isdigit():
            if int(length) > self._body_limit:
                self._reject(413, "request_too_large", f"The request body is larger than {self._body_limit} bytes.")
                return
            self._extend_deadline(int(length) / self.body_rate)
        super().on_headers_complete()
        if self._stopping and self.cycle is not None:
            self.cycle.keep_alive = False  # the server is stopping: answer, then close

    def on_body(self, body: bytes) -> None:
        if self.transport.is_closing():
            return
        self._body_bytes += len(body)
        if self._body_bytes > self._body_limit:
            self._reject(413, "request_too_large", f"The request body is larger than {self._body_limit} bytes.")
            return
        super().on_body(body)

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        super()._start_asgi_task(cycle, server_busy if app is service_unavailable else app)

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        self._between = True
        self._served += 1
        if not self.transport.is_closing():
            super().on_message_complete()
