"""Every model meets the one Generator protocol: the same tests, parametrized over all of them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lab.errors import UnknownTokenWarning
from lab.models.base import Generator, GeneratorBase
from lab.models.checkpoint import load_generator
from lab.models.protocol import GREEDY, Sample, SamplingConfig
from lab.models.registry import KINDS, generator_class
from lab.text.splitting import split_corpus
from lab.text.vocabulary import PAD, UNK

NEURAL = ("word-lstm", "char-lstm")  # these also get the tiny_lstm fixture's settings
#: The smallest transformer that still learns the test corpora in a few seconds.
TINY_TRANSFORMER = {
    "embedding_dim": 24,
    "num_heads": 2,
    "num_layers": 1,
    "block_size": 16,
    "bptt": 16,
    "batch_size": 8,
    "epochs": 2,
    "lr": 3e-3,
    "device": "cpu",
    "num_threads": 1,
}
#: The gpt2 kind on the tiny local GPT-2 of the ``tiny_gpt2`` fixture (``pretrained`` added there).
TINY_GPT2 = {"block_size": 32, "bptt": 32, "batch_size": 4, "lr": 3e-3, "epochs": 2}
TINY_GPT2 |= {"device": "cpu", "num_threads": 1}
CASES = {  # case -> (kind, options); character-level count models come free with --unit char
    "word-lstm": ("word-lstm", {"min_freq": 2}),
    "char-lstm": ("char-lstm", {}),
    "transformer": ("transformer", {**TINY_TRANSFORMER, "min_freq": 2}),
    "transformer-char": ("transformer", {**TINY_TRANSFORMER, "unit": "char"}),
    "gpt2": ("gpt2", TINY_GPT2),  # skipped without the gpt2 extra
    "markov": ("markov", {"state_size": 2}),
    "ngram": ("ngram", {"order": 3}),
    "unigram": ("unigram", {}),
    "markov-char": ("markov", {"state_size": 3, "unit": "char"}),
    "ngram-char": ("ngram", {"order": 5, "unit": "char", "modified": True}),
    "unigram-char": ("unigram", {"unit": "char"}),
}


def pretrained_model(request: pytest.FixtureRequest) -> dict[str, str]:
    """``pretrained`` of the gpt2 case: the tiny local model (the case skips without it)."""
    if CASES[request.param][0] != "gpt2":
        return {}
    return {"pretrained": str(request.getfixturevalue("tiny_gpt2"))}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(
    request: pytest.FixtureRequest, prose_text: str, tiny_lstm: dict[str, object]
) -> tuple[Generator, str]:
    kinds = {kind for kind, _ in CASES.values()}
    assert kinds == set(KINDS)  # a new model kind must join this test
    parts = split_corpus(prose_text)
    kind, extra = CASES[request.param]
    options = {**(tiny_lstm if kind in NEURAL else {}), **extra, **pretrained_model(request)}
    gen = generator_class(kind).from_options(options)
    result = gen.fit(parts.train, parts.valid)
    assert result.seconds >= 0
    return gen, parts.test


def test_meets_the_protocol(fitted) -> None:
    gen, _ = fitted
    assert isinstance(gen, GeneratorBase)
    assert gen.describe()["kind"] == gen.kind


def test_scores_are_finite_natural_log_likelihoods(fitted) -> None:
    gen, test = fitted
    result = gen.score(test)
    assert result.num_tokens == len(gen.tokenizer.tokenize(test))
    assert result.num_chars == len(test)
    assert 0 < result.nll_nats < math.inf
    assert 1 < result.ppl < len(gen.vocab) - 1  # better than uniform over the vocabulary
    unseen = gen.score("Zebras quizzically juxtapose xylophones.")
    # Characters and byte-level BPE spell every text: nothing is out of their vocabulary.
    open_vocabulary = gen.tokenizer.kind in ("char", "bpe")
    assert math.isfinite(unseen.nll_nats) and (unseen.num_oov > 0 or open_vocabulary)


def test_generate_returns_batches_of_samples_without_specials(fitted) -> None:
    gen, _ = fitted
    samples = gen.generate(
        "Alice", max_tokens=15, sampling=SamplingConfig(temperature=1.2), num_samples=3, seed=1
    )
    assert len(samples) == 3 and all(isinstance(s, Sample) for s in samples)
    for s in samples:
        assert len(s.tokens) == 15
        assert UNK not in s.tokens and PAD not in s.tokens
        assert s.full_text.startswith("Alice")


def test_seed_reproduces_and_greedy_is_deterministic(fitted) -> None:
    gen, _ = fitted
    sampling = SamplingConfig(temperature=1.0)
    assert gen.generate(
        "", max_tokens=12, sampling=sampling, num_samples=2, seed=4
    ) == gen.generate("", max_tokens=12, sampling=sampling, num_samples=2, seed=4)
    assert gen.generate("", max_tokens=12, sampling=GREEDY, seed=1) == gen.generate(
        "", max_tokens=12, sampling=GREEDY, seed=2
    )


def test_unknown_prompt_words_warn(fitted) -> None:
    gen, _ = fitted
    if gen.tokenizer.kind == "bpe":
        pytest.skip("byte-level BPE spells any prompt: no token is unknown")
    # a character absent from the training text, or an unseen word
    prompt = "\u2603" if gen.tokenizer.kind == "char" else "Xylophone"
    with pytest.warns(UnknownTokenWarning):
        gen.generate(prompt, max_tokens=3)


def test_save_and_load_round_trip(fitted, tmp_path: Path) -> None:
    gen, test = fitted
    gen.save(tmp_path / "run")
    loaded = load_generator(tmp_path / "run")
    assert type(loaded) is type(gen)
    assert loaded.vocab == gen.vocab
    assert loaded.score(test).nll_nats == pytest.approx(gen.score(test).nll_nats, rel=1e-12)
    kwargs = dict(max_tokens=10, sampling=SamplingConfig(temperature=0.9), num_samples=2, seed=7)
    assert loaded.generate("Alice", **kwargs) == gen.generate("Alice", **kwargs)
    for path in (tmp_path / "run").iterdir():
        assert path.suffix in (".json", ".safetensors")  # nothing pickled
