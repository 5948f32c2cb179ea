"""Locust load for ``timtin serve``: the same request mix as ``benchmarks/load.py``, paced per user.

Each user keeps one keep-alive connection (``FastHttpUser``) and sends 1 request per second, so
``-u 40`` is 40 requests/s: 10% page 2, 10% with a source filter, 5% sorted by date, the rest plain
searches of the dev queries.  Loopback only; locust is not a dependency of timtin (install it
apart, e.g. in its own venv: ``pip install 'locust>=2.30,<3'``).

    locust -f benchmarks/locustfile.py --headless -u 40 -r 40 -t 60s --host http://127.0.0.1:8000 \\
        --only-summary --csv /tmp/loc

``TIMTIN_QUERIES`` names another queries file (default ``../shared/data/dev-queries.json``);
``TIMTIN_RATE_PER_USER`` changes the requests per second of each user (default 1).  Each user
starts after a random part of its period (``TIMTIN_IN_STEP=1``: not, so users fire in step).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, constant_throughput, events, task

QUERIES_FILE = Path(os.environ.get("TIMTIN_QUERIES",
                                   Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-queries.json"))
SOURCES = ("VnExpress", "Tuổi Trẻ", "Người Lao Động", "Thanh Niên")  # as benchmarks/load.py


def _queries() -> list[str]:
    data = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    items = data["queries"] if isinstance(data, dict) else data
    return [q["query"] if isinstance(q, dict) else str(q) for q in items if q]


QUERIES = _queries()


@events.test_start.add_listener
def _loopback_only(environment, **_kw) -> None:
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--host must be on the loopback interface, not {host!r}")


RATE_PER_USER = float(os.environ.get("TIMTIN_RATE_PER_USER", "1"))


class Searcher(FastHttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self) -> None:
        # Users spawned at a fixed rate share one phase of the pacing period (spawned 1/r s apart,
        # each firing every 1/RATE_PER_USER s), so all of them fire in the same instant: bursts of
        # -u requests, not a rate. A random first delay makes them independent, as readers are.
        if os.environ.get("TIMTIN_IN_STEP") != "1":
            gevent.sleep(random.random() / RATE_PER_USER)

    @task
    def search(self) -> None:
        params = {"q": random.choice(QUERIES)}
        r = random.random()
        name = "plain"
        if r < 0.10:
            params["page"], name = "2", "page 2"
        elif r < 0.20:
            params["source"], name = random.choice(SOURCES), "source"
        elif r < 0.25:
            params["sort"], name = "newest", "newest"
        self.client.get("/search?" + urlencode(params), name=name)
