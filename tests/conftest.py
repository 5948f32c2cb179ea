"""Fixtures, defined once: the small search index and the web app over the web fixture.

``index_dir`` (session): tests/helpers.ARTICLES indexed.  ``web_articles`` (module): what ``web_index``
holds, ``fixture_articles()`` unless a test module overrides it.  ``web_index``, ``app``, ``client`` and
``live_url`` (module): that index, the Flask app on it (search assistance warm), its test client, and the
app served on a free loopback port.  ``browser`` (module): headless Chromium for the browser tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import webapp
from indexer.models import Article
from indexer.store.index import write_articles
from tests.helpers import ARTICLES, CHROMIUM, CHROMIUM_ARGS, fixture_articles


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index")
    stats = write_articles(path, ARTICLES)
    assert stats.indexed == len(ARTICLES)
    return path


@pytest.fixture(scope="module")
def web_articles() -> list[Article]:
    """The articles in ``web_index``; override in a test module to index others."""
    return fixture_articles()


@pytest.fixture(scope="module")
def web_index(tmp_path_factory: pytest.TempPathFactory, web_articles: list[Article]) -> Path:
    path = tmp_path_factory.mktemp("web") / "index"
    stats = write_articles(path, web_articles)
    assert stats.indexed == len(web_articles)
    return path


@pytest.fixture(scope="module")
def app(web_index: Path) -> Flask:
    app = webapp.create_app(str(web_index))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug must show up as a 500, not as a test exception
    assert app.extensions["timtin_assist"].wait(60)  # "did you mean" and autocomplete are ready
    return app


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium driven by Playwright (the browser tests skip themselves without either)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def live_url(app: Flask) -> Iterator[str]:
    """``app`` served on a free loopback port in a thread: its base URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
