"""The playground answers only its own page (issue 21): Host, Origin, content type, body
size, numbers, booleans, every run's panel, and no request holding up the others.

The cross-origin POST and the endless chunked body go to the real server (``textgen-lab
playground`` under uvicorn on 127.0.0.1, over a raw socket); the rest to Starlette's
TestClient.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from _playground_runs import free_port, save_tiny_runs

from lab.cli import main

pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("uvicorn", reason="the playground extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from lab.playground.app import MAX_BODY_BYTES, create_app
from lab.playground.service import MAX_STEP_TOKENS, MAX_TEXT_CHARS, Playground

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> list[Path]:
    return save_tiny_runs(tmp_path_factory.mktemp("runs"), prose_text)


@pytest.fixture(scope="module")
def playground(runs: list[Path]) -> Playground:
    return Playground.load(runs)


@pytest.fixture(scope="module")
def client(playground: Playground) -> TestClient:
    return TestClient(create_app(playground), base_url="http://127.0.0.1:8765")


@pytest.fixture(scope="module")
def live(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``textgen-lab playground`` on the Markov run, in a subprocess; yields its port."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "playground", str(runs[1]), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the playground did not start: {log.read_text()}")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/generate", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


# -- the real server -------------------------------------------------------------------


def test_a_cross_origin_post_to_the_running_server_is_refused(live: int) -> None:
    """The attack: a simple POST from any page (foreign Host, foreign Origin, text/plain)."""
    body = json.dumps({"prompt": "Alice", "max_tokens": 3}).encode()
    status, reply = _post(
        live,
        body,
        {"Host": "attacker.example", "Origin": "http://attacker.example",
         "Content-Type": "text/plain"},
    )  # fmt: skip
    assert status == 403 and "loopback" in str(reply["error"])
    for headers in (  # each check on its own, the other two as the page sends them
        {"Host": f"127.0.0.1:{live}", "Origin": "http://attacker.example", **JSON},
        {"Host": f"attacker.example:{live}", "Origin": f"http://attacker.example:{live}", **JSON},
    ):
        assert _post(live, body, headers)[0] == 403, headers
    text_plain = {"Host": f"127.0.0.1:{live}", "Origin": f"http://127.0.0.1:{live}"}
    assert _post(live, body, {**text_plain, "Content-Type": "text/plain"})[0] == 415
    status, reply = _post(live, body, {**text_plain, **JSON})  # the page's own request
    assert status == 200 and reply["results"], reply
    status, _ = _post(live, body, {"Host": f"localhost:{live}", **JSON})  # no Origin: curl
    assert status == 200


def test_an_endless_chunked_body_is_cut_off_while_it_is_read(live: int) -> None:
    """300 MB chunked got its 413 only after the server read it all; now the answer comes
    while the body is still arriving (this client never sends the last chunk)."""
    with socket.create_connection(("127.0.0.1", live), timeout=30) as sock:
        sock.sendall(
            b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        sent = 0
        sock.settimeout(0.05)
        reply = b""
        started = time.monotonic()
        while sent < 20 * MAX_BODY_BYTES and not reply:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            except OSError:  # the server closed its side: its answer is waiting
                break
            with contextlib.suppress(TimeoutError):
                reply = sock.recv(4096)
        sock.settimeout(10)
        if not reply:
            reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert sent < 4 * MAX_BODY_BYTES, sent  # refused near the limit, not at the end
    assert time.monotonic() - started < 30


# -- requests the page never sends -----------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "attacker.example"}, 403),
        ({"Host": "127.0.0.1.attacker.example"}, 403),
        ({"Origin": "http://attacker.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://127.0.0.1:9999"}, 403),  # another local page is another origin
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415),
        ({"Origin": "http://127.0.0.1:8765"}, 200),
        ({"Host": "localhost:8765", "Origin": "http://localhost:8765"}, 200),
        ({"Host": "[::1]:8765", "Origin": "http://[::1]:8765"}, 200),
    ],
)
def test_only_the_pages_own_requests_are_answered(
    client: TestClient, headers: dict[str, str], status: int
) -> None:
    body = json.dumps({"prompt": "Alice", "max_tokens": 2}).encode()
    response = client.post("/api/generate", content=body, headers={**JSON, **headers})
    assert response.status_code == status, response.text
    if status != 200:
        assert "\n" not in response.json()["error"]


def test_the_page_itself_is_refused_to_a_foreign_host(client: TestClient) -> None:
    """DNS rebinding reads pages too, not only the API."""
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 403
    assert client.get("/api/models", headers={"Host": "attacker.example"}).status_code == 403
    assert client.get("/api/models").status_code == 200


def test_a_declared_body_over_the_limit_is_refused_unread(client: TestClient) -> None:
    response = client.post("/api/generate", content=b" " * (MAX_BODY_BYTES + 1), headers=JSON)
    assert response.status_code == 413


RAW_400 = {  # raw JSON text -> words of the one-line message (the same as the CLI's)
    '{"temperature": 1e400}': "temperature must be a finite number",
    '{"top_k": 1' + "0" * 400 + "}": "top_k must be at most",
    '{"top_p": 1' + "0" * 400 + "}": "top_p must be a finite number",
    '{"seed": 1180591620717411303424}': "seed must be between 0 and 2**63 - 1",
    '{"seed": -1}': "seed must be between 0 and 2**63 - 1, not -1",
    '{"seed": 1.5}': "seed must be a whole number",
    '{"greedy": "false"}': "greedy must be true or false, not 'false'",
    '{"greedy": 0}': "greedy must be true or false",
    '{"max_tokens": 1e400}': "max_tokens must be a whole number",
    '{"max_tokens": 20001}': "over the limit of 20,000",
    '{"temperature": NaN}': "temperature must be a finite number",
    '{"temperature": 1e-300}': "temperature must be >= 0.001",
    '{"num_samples": 2}': "num_samples must be 1",
    "[" * 100_000 + "]" * 100_000: "nested too deeply",
}


@pytest.mark.parametrize("raw", RAW_400, ids=lambda raw: raw[:40])
def test_numbers_and_booleans_are_checked_as_the_cli_checks_them(
    client: TestClient, raw: str
) -> None:
    """10**400 or a seed of 2**70 gave HTTP 500; -1 was accepted; "false" meant true."""
    response = client.post("/api/generate", content=raw.encode(), headers=JSON)
    assert response.status_code == 400, response.text
    assert RAW_400[raw] in response.json()["error"]


def test_the_validator_is_the_clis(tmp_path: Path, runs: list[Path], capsys) -> None:
    """The same mistake, the same sentence, on the command line."""
    for flags, words in (
        (["--seed", "-1"], "2**63 - 1"),
        (["--temperature", "1e-300"], "temperature must be >= 0.001"),
        (["--max-tokens", "20001"], "over the limit of 20,000"),
    ):
        try:
            code = main(["generate", str(runs[1]), *flags])
        except SystemExit as exc:  # argparse's own type check
            code = int(exc.code or 0)
        assert code == 2 and words in capsys.readouterr().err, flags


@pytest.mark.parametrize("path", ["/api/generate", "/api/next", "/api/step"])
def test_every_endpoint_caps_its_context(client: TestClient, path: str) -> None:
    long_prompt = {"model": "markov", "prompt": "Alice " * (MAX_TEXT_CHARS // 6 + 1)}
    response = client.post(path, json=long_prompt)
    assert response.status_code == 400 and "the limit is" in response.json()["error"]
    if path != "/api/generate":
        walk = {"model": "markov", "tokens": ["Alice"] * (MAX_STEP_TOKENS + 1)}
        response = client.post(path, json=walk)
        assert response.status_code == 400 and "tokens" in response.json()["error"]


def test_a_long_request_to_one_model_does_not_hold_up_another(
    client: TestClient, playground: Playground
) -> None:
    """One global lock let a 1 MB prompt hold every request for 20+ s; now each model has
    its own lock (held here as a long request would hold it)."""
    lock = playground._locks["word-lstm"]
    assert lock.acquire(timeout=10)
    try:
        done: list[int] = []
        worker = threading.Thread(
            target=lambda: done.append(
                client.post("/api/next", json={"model": "markov", "prompt": "Alice"}).status_code
            )
        )
        worker.start()
        worker.join(30)
        assert done == [200]
    finally:
        lock.release()


def test_every_run_given_gets_a_panel_or_a_refusal(
    runs: list[Path], tmp_path: Path, capsys
) -> None:
    """``playground R R other`` showed two panels for three runs without a word."""
    code = main(["playground", str(runs[1]), str(runs[1]), str(runs[0])])
    err = capsys.readouterr().err
    assert code == 2 and "given twice" in err and err.count("\n") == 1
    import shutil

    for parent in ("a/x", "b/x"):  # same folder name, same parent name: still two panels
        shutil.copytree(runs[1], tmp_path / parent / "run")
    both = [tmp_path / "a/x/run", tmp_path / "b/x/run"]
    names = [m["name"] for m in Playground.load(both).describe()["models"]]
    assert len(set(names)) == 2, names
