"""Fuzzing the surfaces a user (or someone who sends them a run) controls (issue 21):
``config.json``, ``model.json``/``vocab.json`` and the playground's JSON. Whatever the
values, the command line ends with exit 0 or 2 and at most one line on stderr, never an
internal error (3); the playground answers 200 or a one-line 400, never 500.

At least 500 examples per surface, derandomized (the same ones every run), calling the
CLI's ``main()`` in-process: a subprocess per example would take minutes.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.cli import main
from lab.storage.files import file_digest

EXAMPLES = 500
STEADY = {
    "max_examples": EXAMPLES,
    "derandomize": True,
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
}
TINY = ["--model", "word-lstm", "--embedding-dim", "8", "--hidden-dim", "8", "--num-layers", "1",
        "--batch-size", "16", "--bptt", "32", "--device", "cpu", "--min-freq", "1", "--epochs", "1",
        "--quiet"]  # fmt: skip

#: JSON values, the awkward ones included: huge integers, NaN, infinities, deep nesting.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 2**63, 10**400, 10**7])
    | st.floats(allow_subnormal=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)


def paths_of(doc: Any, prefix: tuple[Any, ...] = (), depth: int = 6) -> list[tuple[Any, ...]]:
    """Every key path into ``doc`` (objects and lists), to ``depth``."""
    found = [prefix] if prefix else []
    if depth == 0:
        return found
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, value in items:
        found += paths_of(value, (*prefix, key), depth - 1)
    return found


def mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    """A copy of ``doc`` with ``path`` set to ``value`` (or removed)."""
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def edits(doc: Any) -> st.SearchStrategy[list[tuple[tuple[Any, ...], Any, bool]]]:
    return st.lists(
        st.tuples(st.sampled_from(paths_of(doc)), VALUES, st.booleans()), min_size=1, max_size=3
    )


def apply(doc: Any, changes: list[tuple[tuple[Any, ...], Any, bool]]) -> Any:
    for path, value, delete in changes:
        try:
            doc = mutate(doc, path, value, delete)
        except (KeyError, IndexError, TypeError):  # an earlier edit removed the way there
            continue
    return doc


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, synthetic_text: str) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "book.txt").write_text(synthetic_text, encoding="utf-8")
    made = {}
    for name, flags in (("word-lstm", TINY), ("markov", ["--model", "markov", "--quiet"])):
        made[name] = root / name
        argv = ["train", "--corpus", str(root / "book.txt"), "--out", str(made[name]), *flags]
        assert main(argv) == 0
    return made


@pytest.fixture()
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generation capped at 30 tokens, so a fuzzed length is refused, not run for seconds."""
    monkeypatch.setenv("TEXTGEN_LAB_MAX_TOKENS", "30")
    monkeypatch.setenv("TEXTGEN_LAB_MAX_SAMPLES", "3")


def check_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code in (0, 2), err
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("textgen-lab: error:"), err


def _restore(run: Path, originals: dict[str, bytes]) -> None:
    for name, data in originals.items():
        (run / name).write_bytes(data)


@pytest.mark.timeout(1200)  # 250 loads each: minutes when the machine is busy
@pytest.mark.parametrize("kind", ["word-lstm", "markov"])
def test_fuzzed_config_json_is_rc_0_or_2(
    kind: str, runs: dict[str, Path], tmp_path: Path, small_caps: None, capsys
) -> None:
    run = tmp_path / "run"
    shutil.copytree(runs[kind], run)
    originals = {p.name: p.read_bytes() for p in run.iterdir()}
    manifest = json.loads(originals["config.json"])

    @settings(**{**STEADY, "max_examples": EXAMPLES // 2})  # two kinds: 500 in all
    @given(edits(manifest))
    def fuzz(changes: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
        _restore(run, originals)
        (run / "config.json").write_text(json.dumps(apply(manifest, changes)))
        check_cli(["generate", str(run), "--max-tokens", "3", "--num-samples", "2"], capsys)

    fuzz()


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", ["model.json", "vocab.json"])
def test_fuzzed_model_and_vocab_json_are_rc_0_or_2(
    name: str, runs: dict[str, Path], tmp_path: Path, small_caps: None, capsys
) -> None:
    """The digest in ``config.json`` is made to agree, so every edit reaches the loader."""
    run = tmp_path / "run"
    shutil.copytree(runs["markov"], run)
    originals = {p.name: p.read_bytes() for p in run.iterdir()}
    doc = json.loads(originals[name])
    manifest = json.loads(originals["config.json"])

    @settings(**{**STEADY, "max_examples": EXAMPLES // 2})  # two files: 500 in all
    @given(edits(doc), st.sampled_from(["", "Alice", "the cat", "zzz qqq"]))
    def fuzz(changes: list[tuple[tuple[Any, ...], Any, bool]], prompt: str) -> None:
        _restore(run, originals)
        (run / name).write_text(json.dumps(apply(doc, changes)))
        manifest["files"][name] = file_digest(run / name)
        (run / "config.json").write_text(json.dumps(manifest))
        check_cli(["generate", str(run), "--prompt", prompt, "--max-tokens", "5",
                   "--temperature", "0.7", "--seed", "1"], capsys)  # fmt: skip

    fuzz()


PLAYGROUND_KEYS = ["prompt", "text", "model", "tokens", "pick", "greedy", "temperature",
                   "top_k", "top_p", "max_tokens", "seed", "top_n", "num_samples"]  # fmt: skip
GOOD = {
    "prompt": st.sampled_from(["", "Alice", "the cat sat"]),
    "text": st.sampled_from(["Alice said", "zzz"]),
    "model": st.sampled_from(["word-lstm", "markov", "gpt"]),
    "tokens": st.lists(st.sampled_from(["Alice", "the", "<unk>", "<eos>", "zzz"]), max_size=4),
    "pick": st.sampled_from(["the", "<unk>", "zzz"]),
    "greedy": st.booleans(),
    "temperature": st.floats(0.001, 5),
    "top_k": st.integers(1, 50),
    "top_p": st.floats(0.01, 1),
    "max_tokens": st.integers(0, 30),
    "seed": st.integers(0, 2**63 - 1),
    "top_n": st.integers(1, 20),
}


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    """Mostly objects with the page's keys, each value good or arbitrary; sometimes not an object."""
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    body = {}
    for key in draw(st.lists(st.sampled_from(PLAYGROUND_KEYS), max_size=6, unique=True)):
        good = GOOD.get(key)
        body[key] = draw(good if good is not None and draw(st.booleans()) else VALUES)
    return body


@pytest.fixture()
def client(runs: dict[str, Path], small_caps: None) -> Iterator[Any]:
    pytest.importorskip("starlette", reason="the playground extra is not installed")
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from lab.playground.app import create_app
    from lab.playground.service import Playground

    app = create_app(Playground.load([runs["word-lstm"], runs["markov"]]))
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


@pytest.mark.timeout(1200)
def test_fuzzed_playground_json_is_200_or_a_one_line_400(client: Any) -> None:
    @settings(**STEADY)
    @given(
        st.sampled_from(["/api/generate", "/api/next", "/api/step", "/api/surprisal"]), payloads()
    )
    def fuzz(path: str, payload: Any) -> None:
        body = json.dumps(payload).encode()
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code in (200, 400), (path, payload, response.text)
        if response.status_code == 400:
            error = response.json()["error"]
            assert error and "\n" not in error and "internal error" not in error

    fuzz()
