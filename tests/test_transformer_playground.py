"""A saved transformer run in the playground's API and the notebook's explorer: generation,
the next-token view (what the sampler draws from), a step, and surprisal that adds up to
``score``, as for the other kinds in test_playground.py and test_explorer.py."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from test_protocol import TINY_TRANSFORMER

from lab.models.checkpoint import load_generator
from lab.models.registry import generator_class
from lab.models.sampling import SamplingConfig
from lab.playground.explorer import render
from lab.text.splitting import split_corpus

pytest.importorskip("starlette", reason="the playground extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from lab.playground.app import create_app
from lab.playground.service import Playground


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> Path:
    parts = split_corpus(prose_text)
    gen = generator_class("transformer").from_options({**TINY_TRANSFORMER, "epochs": 4})
    gen.fit(parts.train, parts.valid)
    path = tmp_path_factory.mktemp("runs") / "transformer"
    gen.save(path)
    return path


@pytest.fixture(scope="module")
def client(run: Path) -> TestClient:
    return TestClient(create_app(Playground.load([run])), base_url="http://127.0.0.1:8765")


def test_the_playground_serves_a_transformer(client: TestClient, run: Path) -> None:
    models = client.get("/api/models").json()["models"]
    assert [m["kind"] for m in models] == ["transformer"]
    greedy = {"prompt": "Alice", "greedy": True, "max_tokens": 40}  # past its 16-token window
    first = client.post("/api/generate", json=greedy).json()["results"][0]
    expected = load_generator(run).generate("Alice", max_tokens=40)[0]
    assert first["full_text"] == expected.full_text


def test_the_next_token_view_and_a_step(client: TestClient) -> None:
    name = client.get("/api/models").json()["models"][0]["name"]
    view = client.post("/api/next", json={"model": name, "prompt": "Alice", "top_k": 3}).json()
    assert view["kept"] == 3 and len(view["top"]) == 10
    step = client.post("/api/step", json={"model": name, "tokens": ["Alice"], "greedy": True})
    assert step.json()["tokens"][:1] == ["Alice"] and len(step.json()["tokens"]) == 2


def test_surprisal_adds_up_to_the_score(client: TestClient, run: Path) -> None:
    text = "Alice said the cat was odd. The Queen looked at the door."
    result = client.post("/api/surprisal", json={"text": text}).json()["results"][0]
    score = load_generator(run).score(text)
    assert len(result["tokens"]) == score.num_tokens
    assert result["nll_nats"] == pytest.approx(score.nll_nats, rel=1e-5)


def test_the_explorer_renders_a_transformer(run: Path) -> None:
    model = load_generator(run)
    html = render({"gpt": model}, {"gpt": ["Alice"]}, SamplingConfig(temperature=0.5))
    assert "<b>gpt</b>" in html
