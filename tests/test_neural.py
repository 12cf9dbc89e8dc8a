"""The word and character LSTM generators on small data the tests make themselves."""

from __future__ import annotations

import warnings

import pytest
import torch
from test_protocol import TINY_TRANSFORMER

from lab.errors import UnknownTokenWarning
from lab.evaluation.evaluate import floor_score
from lab.models.base import Generator
from lab.models.protocol import GREEDY, SamplingConfig
from lab.models.registry import generator_class
from lab.neural.generators import CharLSTMGenerator, WordLSTMGenerator
from lab.text.splitting import split_corpus
from lab.text.vocabulary import UNK

TINY = dict(
    embedding_dim=32, hidden_dim=32, num_layers=1, dropout=0.0, batch_size=8, bptt=16, device="cpu"
)


def tiny_word(**extra) -> WordLSTMGenerator:
    return WordLSTMGenerator.from_options(
        {**TINY, "eos": "line", "min_freq": 1, "epochs": 4, **extra}
    )


def tiny_network(kind: str, **extra) -> Generator:
    """A tiny word model of network kind ``kind`` (the word LSTM or the transformer)."""
    if kind == "word-lstm":
        return tiny_word(**extra)
    options = {**TINY_TRANSFORMER, "eos": "line", "min_freq": 1, "epochs": 4, **extra}
    return generator_class(kind).from_options(options)


@pytest.fixture(scope="module")
def trained_word(synthetic_text: str) -> tuple[WordLSTMGenerator, str, str]:
    parts = split_corpus(synthetic_text)
    gen = tiny_word(epochs=6, lr=1e-2)
    gen.fit(parts.train, parts.valid)
    return gen, parts.train, parts.valid


def test_word_lstm_beats_unigram_floor(trained_word) -> None:
    gen, train, valid = trained_word
    model = gen.score(valid)
    floor = floor_score(gen, train, valid)
    assert model.num_tokens == floor.num_tokens
    assert model.ppl < 0.8 * floor.ppl, (model.ppl, floor.ppl)


def test_score_counts_every_token_including_eos(trained_word) -> None:
    gen, _, _ = trained_word
    result = gen.score("bako tilu\nzz\n")
    assert result.num_tokens == len(gen.tokenizer.tokenize("bako tilu\nzz\n"))
    assert result.num_chars == len("bako tilu\nzz\n")
    assert result.num_oov >= 1


def test_same_seed_same_text_and_other_seed_differs(trained_word) -> None:
    gen, _, _ = trained_word
    sampling = SamplingConfig(temperature=1.0)
    first = gen.generate("", max_tokens=30, sampling=sampling, num_samples=3, seed=5)
    again = gen.generate("", max_tokens=30, sampling=sampling, num_samples=3, seed=5)
    other = gen.generate("", max_tokens=30, sampling=sampling, num_samples=3, seed=6)
    assert [s.tokens for s in first] == [s.tokens for s in again]
    assert [s.tokens for s in first] != [s.tokens for s in other]
    assert len({s.tokens for s in first}) > 1  # one batch, independent samples


def test_greedy_samples_in_a_batch_are_identical(trained_word) -> None:
    gen, _, _ = trained_word
    samples = gen.generate("", max_tokens=20, sampling=GREEDY, num_samples=3, seed=0)
    assert len({s.tokens for s in samples}) == 1
    assert all(len(s.tokens) == 20 for s in samples)


def test_unknown_prompt_words_warn_and_unk_is_never_emitted(trained_word) -> None:
    gen, _, _ = trained_word
    with pytest.warns(UnknownTokenWarning, match="qqqq"):
        samples = gen.generate(
            "qqqq", max_tokens=200, sampling=SamplingConfig(temperature=3.0), num_samples=4
        )
    assert all(UNK not in s.tokens and "<pad>" not in s.tokens for s in samples)


def test_stop_at_eos(trained_word) -> None:
    gen, _, _ = trained_word
    for s in gen.generate(
        "", max_tokens=200, sampling=SamplingConfig(), num_samples=4, stop_at_eos=True
    ):
        assert s.tokens[-1] == "<eos>" and s.tokens.count("<eos>") == 1


def test_save_and_load_give_identical_scores_and_samples(trained_word, tmp_path) -> None:
    gen, _, valid = trained_word
    gen.save(tmp_path / "run")
    loaded = WordLSTMGenerator.load(tmp_path / "run")
    assert loaded.score(valid).nll_nats == gen.score(valid).nll_nats
    kwargs = dict(max_tokens=25, sampling=SamplingConfig(temperature=0.8), num_samples=2, seed=3)
    assert loaded.generate("", **kwargs) == gen.generate("", **kwargs)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "config.json",
        "vocab.json",
        "weights.safetensors",
    ]


def test_training_is_seeded_and_leaves_global_rng_alone(synthetic_text: str) -> None:
    parts = split_corpus(synthetic_text)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = tiny_word(epochs=2, seed=4)
    a.fit(parts.train, parts.valid)
    assert torch.equal(before, torch.get_rng_state())
    b = tiny_word(epochs=2, seed=4)
    b.fit(parts.train, parts.valid)
    c = tiny_word(epochs=2, seed=5)
    c.fit(parts.train, parts.valid)
    assert a.score(parts.valid).nll_nats == b.score(parts.valid).nll_nats
    assert a.score(parts.valid).nll_nats != c.score(parts.valid).nll_nats


@pytest.mark.parametrize("kind", ["word-lstm", "transformer"])
def test_resume_continues_exactly(synthetic_text: str, tmp_path, kind: str) -> None:
    parts = split_corpus(synthetic_text)
    straight = tiny_network(kind, epochs=4, patience=10, dropout=0.2)
    straight.fit(parts.train, parts.valid)
    first = tiny_network(kind, epochs=2, patience=10, dropout=0.2)
    first.fit(parts.train, parts.valid, checkpoint_dir=tmp_path / "run")
    resumed = tiny_network(kind, epochs=4, patience=10, dropout=0.2)
    result = resumed.fit(parts.train, parts.valid, checkpoint_dir=tmp_path / "run", resume=True)
    assert result.epochs == 4
    assert resumed.score(parts.valid).nll_nats == pytest.approx(
        straight.score(parts.valid).nll_nats, rel=1e-6
    )


def test_prompt_primes_the_state() -> None:
    """A char model of a cyclic text continues a prompt from where it stops."""
    text = "abcdefg" * 300
    gen = CharLSTMGenerator.from_options({**TINY, "epochs": 8, "lr": 2e-2})
    gen.fit(text, text[:200])
    for prompt, expected in [("abc", "defgabc"), ("abcde", "fgabcde"), ("g", "abcdefg")]:
        assert gen.generate(prompt, max_tokens=7, sampling=GREEDY)[0].text == expected


def test_char_lstm_beats_unigram_bits_per_char(prose_text: str) -> None:
    parts = split_corpus(prose_text)
    gen = CharLSTMGenerator.from_options({**TINY, "epochs": 3, "lr": 1e-2, "hidden_dim": 64})
    gen.fit(parts.train, parts.valid)
    model = gen.score(parts.valid)
    floor = floor_score(gen, parts.train, parts.valid)
    assert model.bits_per_char < 0.75 * floor.bits_per_char


def test_word_prompt_is_tokenized_as_words(prose_text: str) -> None:
    gen = WordLSTMGenerator.from_options({**TINY, "epochs": 1, "min_freq": 1})
    gen.fit(prose_text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTokenWarning)  # "Alice" and "was" are known words
        sample = gen.generate("Alice was", max_tokens=5, sampling=GREEDY)[0]
    assert sample.full_text.startswith("Alice was")
    assert len(sample.tokens) == 5


def test_tie_weights_needs_equal_sizes() -> None:
    from lab.errors import LabError

    with pytest.raises(LabError, match="tie_weights"):
        WordLSTMGenerator.from_options({"embedding_dim": 16, "hidden_dim": 32})
    with pytest.raises(LabError, match="state_size"):
        WordLSTMGenerator.from_options({"state_size": 2})


def test_default_threads_share_the_usable_cores_among_local_processes(monkeypatch) -> None:
    from lab.cpu_share import default_threads

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert default_threads() == 4
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")  # torchrun --nproc-per-node 2
    assert default_threads() == 2
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")  # never fewer than one thread
    assert default_threads() == 1
