"""The playground's JSON API (through Starlette's TestClient) and its command line."""

from __future__ import annotations

import math
import re
import sys
import warnings
from pathlib import Path

import pytest
from _playground_runs import save_tiny_runs

from lab.cli import main
from lab.models.checkpoint import load_generator
from lab.models.sampling import SamplingConfig

pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 but still works with httpx, which older releases need.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from lab.playground.app import create_app
from lab.playground.service import Playground


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> list[Path]:
    return save_tiny_runs(tmp_path_factory.mktemp("runs"), prose_text)


@pytest.fixture(scope="module")
def client(runs: list[Path]) -> TestClient:
    return TestClient(create_app(Playground.load(runs)), base_url="http://127.0.0.1:8765")


def test_the_page_and_its_files_are_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name in ("playground.js", "playground.css"):
        assert f"/static/{name}" in page.text
        served = client.get(f"/static/{name}")
        assert served.status_code == 200 and served.text
        # Nothing from a CDN or any other host: every asset is one of these files.
        assert not re.search(r"https?://", served.text)
    assert not re.search(r"https?://", page.text)


def test_models_are_listed(client: TestClient) -> None:
    models = client.get("/api/models").json()["models"]
    assert [m["name"] for m in models] == ["word-lstm", "markov"]
    assert {m["kind"] for m in models} == {"word-lstm", "markov"}


def test_greedy_generation_repeats_and_sampling_follows_the_seed(client: TestClient) -> None:
    greedy = {"prompt": "Alice", "greedy": True, "max_tokens": 8}
    first = client.post("/api/generate", json=greedy).json()
    assert first["sampling"] == "greedy"
    assert [r["model"] for r in first["results"]] == ["word-lstm", "markov"]
    assert all(r["full_text"].startswith("Alice") for r in first["results"])
    assert client.post("/api/generate", json={**greedy, "seed": 5}).json() == first
    hot = {"prompt": "Alice", "temperature": 1.5, "max_tokens": 12, "seed": 3}
    assert (
        client.post("/api/generate", json=hot).json()
        == client.post("/api/generate", json=hot).json()
    )


def test_next_tokens_before_and_after_the_settings(client: TestClient) -> None:
    ask = {"model": "word-lstm", "prompt": "Alice"}
    plain = client.post("/api/next", json=ask).json()
    assert len(plain["top"]) == 10 and plain["context"] == ["Alice"]
    cold = client.post("/api/next", json={**ask, "temperature": 0.3}).json()
    assert [c["prob"] for c in cold["top"]] == [c["prob"] for c in plain["top"]]
    assert cold["top"][0]["sampled_prob"] > plain["top"][0]["sampled_prob"]
    cut = client.post("/api/next", json={**ask, "top_k": 3}).json()
    assert cut["kept"] == 3 and cut["sampling"] == "T=1,k=3"
    assert math.fsum(c["sampled_prob"] for c in cut["top"]) == pytest.approx(1.0)


def test_a_walk_picks_and_samples(client: TestClient) -> None:
    picked = client.post(
        "/api/step", json={"model": "word-lstm", "tokens": ["Alice"], "pick": "said"}
    ).json()
    assert picked["tokens"] == ["Alice", "said"]
    ask = {"model": "markov", "tokens": ["Alice"], "temperature": 2.0, "seed": 4}
    drawn = client.post("/api/step", json=ask).json()
    assert drawn == client.post("/api/step", json=ask).json()
    after = client.post("/api/next", json={"model": "markov", "tokens": drawn["tokens"]}).json()
    assert after["context"] == drawn["tokens"]


def test_the_page_takes_hfs_decoding_controls(client: TestClient, runs: list[Path]) -> None:
    body = {"prompt": "Alice", "temperature": 0, "no_repeat_ngram_size": 3, "max_tokens": 30}
    reply = client.post("/api/generate", json=body).json()
    assert reply["sampling"] == "greedy,no-repeat-3"
    rule = SamplingConfig(greedy=True, no_repeat_ngram_size=3)
    for run, result in zip(runs, reply["results"], strict=True):
        gen = load_generator(run)
        (sample,) = gen.generate("Alice", max_tokens=30, sampling=rule)
        assert result["text"] == sample.text
        tokens = [*gen.tokenizer.tokenize_prompt("Alice"), *sample.tokens]
        grams = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
        assert len(grams) == len(set(grams)), result
    penalised = {**body, "temperature": 0.9, "repetition_penalty": 1.3, "no_repeat_ngram_size": 0}
    assert client.post("/api/next", json={**penalised, "model": "markov"}).json()["sampling"] == (
        "T=0.9,rep=1.3"
    )


def test_surprisal_adds_up_to_the_score(client: TestClient, runs: list[Path]) -> None:
    text = "Alice said the cat was odd. Zebras juxtapose."
    results = client.post("/api/surprisal", json={"text": text}).json()["results"]
    for run, result in zip(runs, results, strict=True):
        score = load_generator(run).score(text)
        assert len(result["tokens"]) == score.num_tokens
        assert result["nll_nats"] == pytest.approx(score.nll_nats, rel=1e-5)
        assert sum(t["oov"] for t in result["tokens"]) == score.num_oov


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/next", {"model": "markov", "top_p": 1.5}, "top_p must be in (0, 1], not 1.5"),
        ("/api/next", {"model": "markov", "temperature": -1}, "temperature must be a positive"),
        ("/api/generate", {"greedy": True, "temperature": 0.7}, "greedy decoding ignores"),
        ("/api/generate", {"temperature": 0, "top_k": 5}, "temperature 0 means greedy"),
        ("/api/generate", {"repetition_penalty": -1}, "repetition_penalty must be positive"),
        ("/api/generate", {"no_repeat_ngram_size": "3"}, "no_repeat_ngram_size must be a"),
        ("/api/generate", {"num_return_sequences": 2}, "num_samples must be 1"),
        ("/api/next", {"model": "markov", "top_k": "many"}, "top_k must be a number"),
        ("/api/next", {"model": "markov", "top_k": 2.5}, "top_k must be a whole number"),
        ("/api/next", {"model": "gpt-9"}, "unknown model 'gpt-9'"),
        ("/api/step", {"model": "markov", "pick": "<unk>"}, "never generated"),
        ("/api/step", {"model": "markov", "pick": "zebra"}, "not a token of markov"),
        ("/api/generate", {"max_tokens": -1}, "max_tokens must be >= 0"),
        ("/api/surprisal", {"text": 5}, "text must be text"),
    ],
)
def test_bad_settings_are_one_line_400s(
    client: TestClient, path: str, body: dict[str, object], message: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "\n" not in response.json()["error"]


def test_a_body_that_is_not_json_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/api/next", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "not JSON" in response.json()["error"]


def test_cli_refuses_missing_or_broken_runs_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["playground", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a run directory" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    assert main(["playground", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("textgen-lab: error:")


def test_cli_keeps_to_loopback_unless_told(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["playground", str(runs[0]), "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_cli_says_how_to_install_the_extra(
    runs: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    assert main(["playground", str(runs[0])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'textgen-lab[playground]'" in err
