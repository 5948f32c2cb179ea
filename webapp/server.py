"""Production serving: the app under gunicorn, started from Python (``timtin serve``)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from indexer.shard.manifest import shard_dirs
from indexer.store.index import open_index
from webapp import create_app


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) + 1))


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """Gunicorn settings: bounded requests, 30 s worker timeout, access log on stdout."""
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 8190,  # a 500-character Vietnamese query is ~4.5 kB percent-encoded
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        "max_requests": 10_000,  # recycle workers now and then
        "max_requests_jitter": 1_000,
        "preload_app": False,  # each worker opens the index itself (no file handles across fork)
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "timtin",
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
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = create_app(self.index_dir)
        app.debug = False  # never the debugger in production, whatever FLASK_DEBUG says
        if self.cluster:  # searches go to searcher actors on the Ray cluster (created by this worker)
            from indexer.cluster.runtime import connect
            from indexer.cluster.serving import ClusterSearch

            connect(self.cluster)
            app.config["SEARCH_BACKEND"] = ClusterSearch(self.index_dir, replicas=self.replicas)
        return app


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 8000, workers: int | None = None,
          cluster: str | None = None, replicas: int = 1) -> None:
    """Serve the index in ``index_dir`` until interrupted; fails fast if there is no index.

    With ``cluster`` (a Ray head's host:port) one gunicorn worker (8 threads) joins the cluster
    and searches through ``replicas`` searcher actors per shard; it merges, the actors search.
    """
    for shard_dir in shard_dirs(index_dir):  # a plain index, or every shard of a sharded one
        open_index(shard_dir, create=False)  # FileNotFoundError / RuntimeError with a clear message
    options = gunicorn_options(host, port, 1 if cluster else workers or default_workers())
    if cluster:
        options["threads"] = 8
    TimtinServer(str(index_dir), options, cluster, replicas).run()
