"""The contract: Schemathesis (every check) against `timtin serve` on a small index finds no failure.

The server is the real one (gunicorn, the asyncio worker, ``webapp.httpguard``) on 127.0.0.1, so the
statuses the HTTP server answers itself (414, 431…) are tested against the document too.  The run is
bounded: ``EXAMPLES`` cases per operation and phase, a fixed seed (the same cases on every run; change
it locally to explore), one worker, and a time limit on the whole command.  Cross-parameter rules
that JSON Schema cannot state are given to Schemathesis in tests/schemathesis_hooks.py, its settings
in tests/schemathesis.toml (both explain why).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import build_fixture_index

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = 25
SEED = 20261201
TIME_LIMIT = 240  # seconds for the whole run (it takes about 15 s here)


def _operations(path_item: dict) -> dict:
    """The operations of an OpenAPI path item (not its shared ``parameters``)."""
    return {m: op for m, op in path_item.items() if m in ("get", "put", "post", "delete", "patch")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """`timtin serve` on the web fixture: (base URL, index folder)."""
    folder = tmp_path_factory.mktemp("contract")
    index = build_fixture_index(folder / "index")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TIMTIN_RATE_LIMIT", None)
    log = (folder / "serve.log").open("wb")  # a file, not a pipe nobody reads while the server runs
    proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "serve", "--index", str(index), "--host",
                             "127.0.0.1", "--port", str(port), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                    assert json.load(resp)["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url, index
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        log.close()


def test_schemathesis_finds_no_failure(server: tuple[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("schemathesis")
    url, index = server
    spec = json.load(urllib.request.urlopen(url + "/openapi.json", timeout=5))
    report = tmp_path / "report.xml"
    command = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()",
               "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "--no-color",
               "run", url + "/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", str(SEED),
               "--workers", "1", "--request-timeout", "20", "--report", "junit", "--report-junit-path", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks"}
    if any("security" in op and {} not in op["security"] for item in spec["paths"].values()
           for op in _operations(item).values()):
        # the write API's operations (bearerKey): tested with a write key made for this index
        key = subprocess.run([sys.executable, "-m", "indexer.cli", "keys", "create", "schemathesis", "--scope",
                              "write", "--index", str(index)], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True, timeout=60).stdout.strip()
        command += ["--header", f"Authorization: Bearer {key}"]
    # in a folder of its own: Schemathesis keeps a cache of failures (.schemathesis/) where it runs
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIME_LIMIT)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    # every operation but /openapi.json itself, which Schemathesis leaves out as the schema it loaded
    operations = sum(len(_operations(item)) for path, item in spec["paths"].items() if path != "/openapi.json")
    assert re.search(rf"Tested:\s+{operations}\b", out), out[-3000:]  # every operation, none skipped
    cases = re.search(r"(\d+) generated, (\d+) passed", out)
    assert cases and cases.group(1) == cases.group(2) and int(cases.group(1)) >= EXAMPLES * operations, out[-3000:]
    assert "failure" not in out.split("SUMMARY")[-1].lower(), out[-3000:]
    assert report.exists() and 'failures="0"' in report.read_text() and 'errors="0"' in report.read_text()


# -- what Schemathesis first found, as plain regression tests --------------------------------------

def _get(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_the_findings_of_the_first_run(server: tuple[str, Path]) -> None:
    url, _ = server
    spec = json.load(urllib.request.urlopen(url + "/openapi.json", timeout=5))
    region = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "region")
    names = region["schema"]["items"]["anyOf"][0]["enum"]
    assert {"Hà Nội", "Thái Nguyên", "Bắc Kạn", "Thành phố Hồ Chí Minh"} <= set(names)
    for name in names:  # every value the document allows is accepted
        status, _, body = _get(f"{url}/search?q=dang&region=" + urllib.parse.quote(name))
        assert status == 200, (name, body)
    assert _get(f"{url}/search?q=dang&region=0")[0] == 400  # and another is not
    # an empty value for an integer is not an integer
    status, _, body = _get(f"{url}/suggest?q=dai&limit=")
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_parameter"
    # the HTTP server's own answer to an over-long request line: documented, and the usual JSON error
    status, headers, body = _get(f"{url}/search?q=" + "a" * 9000)
    assert status == 414 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    for path, item in spec["paths"].items():
        for op in _operations(item).values():
            assert {"400", "408", "413", "414", "431"} <= set(op["responses"]), path


def test_over_the_connection_limit_the_answer_is_json_too() -> None:
    """uvicorn's own 503 beyond ``limit_concurrency`` (gunicorn's worker_connections) is the usual JSON error."""
    import threading

    import uvicorn

    from webapp.httpguard import GuardedHttpToolsProtocol

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=GuardedHttpToolsProtocol,
                                           lifespan="off", limit_concurrency=2, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # with this one, the limit is reached
            deadline = time.monotonic() + 10  # until the server has accepted it
            while (answer := _get(f"http://127.0.0.1:{port}/search?q=x"))[0] == 200:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            status, headers, body = answer
        assert status == 503 and headers["content-type"] == "application/json" and headers["retry-after"] == "1"
        assert json.loads(body)["error"]["code"] == "server_busy"
        deadline = time.monotonic() + 10  # with that connection closed (once the server has seen it), it answers
        while _get(f"http://127.0.0.1:{port}/")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        server.should_exit = True
        thread.join(10)
