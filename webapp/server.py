"""Production serving: the app under gunicorn with asyncio workers, started from Python (``timtin serve``).

Gunicorn manages the processes (``--workers N``, recycling after ``max_requests``, graceful
shutdown on SIGTERM, the access log); each worker runs uvicorn's event loop
(``uvicorn_worker.UvicornWorker``) with ``webapp.httpguard.GuardedHttpToolsProtocol``, which
reads requests without a thread per connection, closes connections whose request does not
arrive whole within ``read_timeout`` seconds and enforces the request line, header and body
limits.  The Flask (WSGI) app runs in a pool of ``threads`` threads per worker
(``a2wsgi.WSGIMiddleware``), so a slow search never blocks the event loop and a slow client
costs a socket, not a thread.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from flask import Flask
from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from indexer.shard.manifest import shard_dirs
from indexer.store.index import open_index
from webapp import create_app
from webapp.articles import MAX_WRITE_BODY, WRITE_PATH
from webapp.httpguard import GuardedHttpToolsProtocol

READ_TIMEOUT = 10.0  # seconds for a whole request (line, headers, body) to arrive
MAX_BODY = 64 * 1024  # requests other than writes; Flask's MAX_CONTENT_LENGTH is the same
ACCESS_LOGGER = "gunicorn.access"
WRITES_LOGGER = "timtin.writes"


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) + 1))


class TimtinWorker(UvicornWorker):
    """Uvicorn worker: asyncio loop, the guarded httptools protocol, no proxy headers, own access log."""

    read_timeout: float = READ_TIMEOUT
    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "asyncio",
        "http": GuardedHttpToolsProtocol,
        "lifespan": "off",
        "ws": "none",  # no WebSocket upgrades, whatever is installed
        "proxy_headers": False,  # X-Forwarded-For is judged by the app (TIMTIN_TRUSTED_PROXIES)
        "access_log": False,  # AccessLog below writes gunicorn-style lines with the duration
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cfg = self.cfg
        self.config.http = type("TimtinProtocol", (GuardedHttpToolsProtocol,), {
            "read_timeout": self.read_timeout,
            "limit_request_line": cfg.limit_request_line,
            "limit_request_fields": cfg.limit_request_fields,
            "limit_request_field_size": cfg.limit_request_field_size,
            "max_body": MAX_BODY,
            "large_body_paths": (WRITE_PATH.encode(),),  # POST/PUT /api/articles[/{id}]
            "max_large_body": MAX_WRITE_BODY,
        })
        self.config.limit_concurrency = cfg.worker_connections  # beyond: 503, not an unbounded queue
        self.config.timeout_graceful_shutdown = cfg.graceful_timeout


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() and c != '"' else f"\\x{ord(c):02x}" for c in text)


class BufferedBody:
    """ASGI middleware: read the whole request body in the event loop, then run the (WSGI) app.

    a2wsgi hands the body to the app's thread as it arrives, so a client trickling a large body
    would hold a worker thread for as long as it likes.  Here the body is collected first (the
    protocol bounds its size and the time it may take), and the app gets it in one message.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before its body was whole: nothing to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()  # then: the disconnect, when it comes

        await self.app(scope, replay, send)


class AccessLog:
    """ASGI middleware: one gunicorn-style access log line per request, with its duration.

    It also holds each body chunk back until the next message, so that the last chunk goes out
    marked as the last (a2wsgi ends every response with a separate empty message).  Without
    that, a client that reads its ``Content-Length`` and hangs up before the empty message is
    sent makes uvicorn drop the response from its count, and ``max_requests`` never recycles.
    """

    def __init__(self, app: Any, logger: logging.Logger):
        self.app = app
        self.logger = logger

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, size = 0, 0
        held: dict | None = None  # a body chunk not sent yet

        async def send_and_count(message: dict) -> None:
            nonlocal status, size, held
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if held is not None:
                    if not message.get("more_body") and not message.get("body"):
                        message = {**held, "more_body": False}  # the held chunk was the last one
                    else:
                        await send(held)
                    held = None
                if message.get("more_body"):
                    held = message
                    return
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
            if held is not None:
                await send(held)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                headers = dict(scope.get("headers") or [])
                target = scope.get("raw_path", b"").decode("latin-1")
                if scope.get("query_string"):
                    target += "?" + scope["query_string"].decode("latin-1")
                client = (scope.get("client") or ("-",))[0]
                when = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S %z")
                self.logger.info('%s - - [%s] "%s %s HTTP/%s" %d %d %.1fms "%s"', client, when, scope["method"],
                                 _printable(target), scope.get("http_version", "1.1"), status or 500, size,
                                 (time.perf_counter() - started) * 1000,
                                 _printable(headers.get(b"user-agent", b"-").decode("latin-1")))


def gunicorn_options(host: str, port: int, workers: int, threads: int = 8, read_timeout: float = READ_TIMEOUT,
                     max_requests: int = 10_000) -> dict[str, Any]:
    """Gunicorn settings: asyncio workers, bounded requests, access log on stdout."""
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    worker = type("TimtinWorker", (TimtinWorker,), {"read_timeout": read_timeout})
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        "worker_class": worker,
        "threads": threads,  # the WSGI thread pool of each worker (searches run there)
        "worker_connections": 1000,  # per worker; more gets 503
        "timeout": 30,  # a worker whose event loop stalls this long is replaced
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 8190,  # a 500-character Vietnamese query is ~4.5 kB percent-encoded
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        "max_requests": max_requests,  # recycle workers now and then (0: never)
        "max_requests_jitter": max(1, max_requests // 10) if max_requests else 0,
        "preload_app": False,  # each worker opens the index itself (no file handles across fork)
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "timtin",
        "control_socket_disable": True,  # gunicorn ≥ 25: one fixed socket path shared by every server of a user
    }


class TimtinServer(BaseApplication):
    """Gunicorn application that builds the Flask app in each worker."""

    def __init__(self, index_dir: str, options: dict[str, Any], cluster: str | None = None, replicas: int = 1):
        self.index_dir = index_dir
        self.options = options
        self.cluster = cluster
        self.replicas = replicas
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings newer than the installed gunicorn are skipped
                self.cfg.set(key, value)

    def load(self) -> Any:
        wsgi = cast(Any, self.load_wsgi())  # a Flask app is a WSGI callable; a2wsgi's stub asks for a narrower type
        return AccessLog(BufferedBody(WSGIMiddleware(wsgi, workers=self.cfg.threads)),
                         logging.getLogger(ACCESS_LOGGER))

    def load_wsgi(self) -> Flask:
        app = create_app(self.index_dir)
        app.debug = False  # never the debugger in production, whatever FLASK_DEBUG says
        writes_log = logging.getLogger(WRITES_LOGGER)  # who wrote what, in gunicorn's error log
        writes_log.handlers = logging.getLogger("gunicorn.error").handlers
        writes_log.setLevel(logging.INFO)
        writes_log.propagate = False
        if self.cluster:  # searches go to searcher actors on the Ray cluster (created by this worker)
            from indexer.cluster.runtime import connect
            from indexer.cluster.serving import ClusterSearch

            connect(self.cluster)
            app.config["SEARCH_BACKEND"] = ClusterSearch(self.index_dir, replicas=self.replicas)
        return app


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          threads: int = 8, read_timeout: float = READ_TIMEOUT, max_requests: int = 10_000,
          cluster: str | None = None, replicas: int = 1) -> None:
    """Serve the index in ``index_dir`` until interrupted; fails fast if there is no index.

    With ``cluster`` (a Ray head's host:port) one gunicorn worker joins the cluster and searches
    through ``replicas`` searcher actors per shard; it merges, the actors search.
    """
    for shard_dir in shard_dirs(index_dir):  # a plain index, or every shard of a sharded one
        open_index(shard_dir, create=False)  # FileNotFoundError / RuntimeError with a clear message
    options = gunicorn_options(host, port, 1 if cluster else workers or default_workers(), threads,
                               read_timeout, max_requests)
    TimtinServer(str(index_dir), options, cluster, replicas).run()
