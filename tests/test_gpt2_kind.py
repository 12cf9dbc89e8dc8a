"""The optional pretrained-model kind on a tiny GPT-2 made locally: fit, score, generate,
save, load, resume, and the one-line errors (no transformers, a missing model)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.models.checkpoint import load_generator
from lab.models.protocol import SamplingConfig
from lab.models.registry import generator_class
from lab.text.splitting import split_corpus

pytestmark = pytest.mark.usefixtures("tiny_gpt2")  # skipped without the gpt2 extra

#: Fast settings for the tiny model: 32-token windows, one thread.
TINY = {"block_size": 32, "bptt": 32, "batch_size": 4, "lr": 3e-3, "epochs": 2}
TINY |= {"device": "cpu", "num_threads": 1, "patience": 3}


@pytest.fixture(scope="module")
def pretrained(tiny_gpt2: Path) -> Path:
    return tiny_gpt2


@pytest.fixture(scope="module")
def fitted(pretrained: Path, prose_text: str):
    parts = split_corpus(prose_text)
    gen = generator_class("gpt2").from_options({**TINY, "pretrained": str(pretrained)})
    before = gen_score_before(pretrained, parts.valid)
    result = gen.fit(parts.train, parts.valid)
    return gen, result, before, parts


def gen_score_before(pretrained: Path, text: str) -> float:
    """Bits/char of ``text`` under the untrained tiny model (one step at lr ~0 trains nothing)."""
    gen = generator_class("gpt2").from_options(
        {**TINY, "pretrained": str(pretrained), "max_tokens": 1, "lr": 1e-12, "epochs": 1}
    )
    gen.fit(text, None)
    return gen.score(text).bits_per_char


def test_fine_tuning_lowers_the_loss(fitted) -> None:
    gen, result, before, parts = fitted
    assert result.history and result.history[-1]["train_nll"] is not None
    after = gen.score(parts.valid).bits_per_char
    assert math.isfinite(after) and after < 0.8 * before


def test_scores_are_open_vocabulary_bits_per_char_of_the_text(fitted) -> None:
    gen, _, _, parts = fitted
    result = gen.score(parts.test)
    assert result.num_chars == len(parts.test)
    assert result.num_tokens == len(gen.tokenizer.tokenize(parts.test))
    assert result.num_oov == 0 and result.open_bits_per_char == result.bits_per_char
    unseen = gen.score("Зебры и ксилофоны 🦓")  # characters the book never had
    assert unseen.num_oov == 0 and math.isfinite(unseen.nll_nats) and unseen.nll_nats > 0


def test_the_floor_counts_the_models_own_subwords(fitted) -> None:
    """train's and evaluate's unigram floor uses the model's tokenizer: no word is unknown
    (it used a word tokenizer over GPT-2's vocabulary: half the tokens were <unk>)."""
    from lab.evaluation.evaluate import floor_score

    gen, _, _, parts = fitted
    floor = floor_score(gen, parts.train, parts.valid)
    assert floor.num_oov == 0 and floor.num_tokens == gen.score(parts.valid).num_tokens
    assert math.isfinite(floor.nll_nats)


def test_token_logprobs_add_up_to_the_score(fitted) -> None:
    gen, _, _, parts = fitted
    text = parts.test[:400]
    values = gen.token_logprobs(text)
    assert len(values) == gen.score(text).num_tokens
    assert -math.fsum(v.logprob for v in values) == pytest.approx(
        gen.score(text).nll_nats, abs=1e-5 * max(1.0, len(values))
    )
    assert not any(v.oov for v in values)


def test_generation_is_seeded_and_reads_as_text(fitted) -> None:
    gen, _, _, _ = fitted
    sampling = SamplingConfig(temperature=0.9, top_k=20, top_p=0.95, repetition_penalty=1.2)
    first = gen.generate("Alice", max_tokens=40, sampling=sampling, num_samples=2, seed=3)
    again = gen.generate("Alice", max_tokens=40, sampling=sampling, num_samples=2, seed=3)
    assert [s.tokens for s in first] == [s.tokens for s in again]
    assert all(len(s.tokens) == 40 and "<unk>" not in s.tokens for s in first)
    assert first[0].full_text.startswith("Alice")
    # Past the 32-token window the context slides.
    assert len(gen.generate("The", max_tokens=50)[0].tokens) == 50


def test_save_load_round_trip_gives_identical_scores(fitted, tmp_path: Path) -> None:
    gen, _, _, parts = fitted
    gen.save(tmp_path / "run")
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert "hf-model.safetensors" in names and "hf-tokenizer.json" in names
    assert all(n.endswith((".json", ".safetensors")) for n in names)  # nothing pickled
    loaded = load_generator(tmp_path / "run")
    assert type(loaded) is type(gen) and loaded.vocab == gen.vocab
    assert loaded.score(parts.test).nll_nats == pytest.approx(gen.score(parts.test).nll_nats)
    kwargs = dict(max_tokens=12, sampling=SamplingConfig(temperature=1.0), num_samples=2, seed=5)
    assert loaded.generate("Alice", **kwargs) == gen.generate("Alice", **kwargs)


def test_resume_continues_exactly(pretrained: Path, prose_text: str, tmp_path) -> None:
    parts = split_corpus(prose_text)
    run = tmp_path / "run"
    options = {**TINY, "pretrained": str(pretrained), "epochs": 2}
    straight = generator_class("gpt2").from_options(options)
    straight.fit(parts.train, parts.valid)
    first = generator_class("gpt2").from_options({**options, "epochs": 1})
    first.fit(parts.train, parts.valid, checkpoint_dir=run)
    assert (run / "trainer_state.pt").is_file()
    resumed = generator_class("gpt2").from_options(options)
    result = resumed.fit(parts.train, parts.valid, checkpoint_dir=run, resume=True)
    assert result.epochs == 2 and len(result.history) == 2
    assert result.history[0] == first.metrics["history"][0]  # the first epoch was kept
    assert resumed.score(parts.valid).nll_nats == pytest.approx(
        straight.score(parts.valid).nll_nats, rel=1e-6
    )


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    gen = generator_class("gpt2").from_options({**TINY, "pretrained": str(tmp_path / "nothing")})
    with pytest.raises(LabError, match="does not exist"):
        gen.fit("some text " * 50)


def _cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        timeout=300,
    )


def test_the_cli_says_how_to_get_a_model_it_does_not_have(tmp_path: Path, prose_file) -> None:
    name = "someone/not-a-cached-model"
    out = _cli(
        [
            *("train", "--model", "gpt2", "--corpus", str(prose_file), "--pretrained", name),
            *("--out", str(tmp_path / "run"), "--num-threads", "1"),
        ],
        tmp_path,
    )
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr and len(lines) == 1, out.stderr
    assert name in lines[0] and "download" in lines[0] and "--pretrained DIR" in lines[0]


def test_without_transformers_the_kind_says_how_to_install_it(tmp_path: Path, prose_file) -> None:
    # A module named transformers that fails to import stands for a machine without the extra.
    (tmp_path / "transformers.py").write_text("raise ImportError('not installed')\n")
    out = _cli(
        ["train", "--model", "gpt2", "--corpus", str(prose_file), "--out", str(tmp_path / "r")],
        tmp_path,
        PYTHONPATH=str(tmp_path),
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert 'pip install -e ".[gpt2]"' in out.stderr.strip().splitlines()[-1]
