"""The torch-free baselines (unigram, Kneser-Ney n-gram, Markov) against the
Generator protocol."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import markovify
import pytest
from _synthetic_text import PRIMED, PRIMER, rare_word_text, source_text

from baselines.count_model import CountGenerator
from baselines.markov import MarkovConfig, MarkovGenerator
from baselines.ngram import NGramConfig, NGramGenerator
from baselines.unigram import UnigramConfig, UnigramGenerator
from lab.errors import CheckpointError, CorpusError, LabError, NotFittedError
from lab.models.base import GeneratorBase
from lab.models.checkpoint import load_generator
from lab.models.config import VocabConfig
from lab.models.protocol import GREEDY, SamplingConfig
from lab.models.registry import generator_class
from lab.text.vocabulary import EOS, PAD, UNK, Vocabulary

REPO = Path(__file__).resolve().parents[1]
SAMPLED = SamplingConfig(temperature=1.0)
MODELS: dict[str, tuple[type[CountGenerator], Any]] = {
    "unigram": (UnigramGenerator, UnigramConfig()),
    "ngram": (NGramGenerator, NGramConfig(order=3)),
    "markov": (MarkovGenerator, MarkovConfig(state_size=2)),
}


@pytest.fixture(scope="module")
def train_text() -> str:
    return source_text(500, seed=11)


@pytest.fixture(scope="module")
def valid_text() -> str:
    return source_text(100, seed=12)


@pytest.fixture(scope="module")
def fitted(train_text: str) -> dict[str, CountGenerator]:
    models = {}
    for kind, (cls, config) in MODELS.items():
        models[kind] = cls(config)
        models[kind].fit(train_text)
    return models


# --- the Generator protocol, for every baseline -----------------------------------------


@pytest.mark.parametrize("kind", MODELS)
def test_meets_the_protocol_and_registry(kind: str, fitted: dict[str, CountGenerator]) -> None:
    cls = MODELS[kind][0]
    assert generator_class(kind) is cls and cls.kind == kind
    assert isinstance(fitted[kind], GeneratorBase)
    info = fitted[kind].describe()
    assert info["kind"] == kind and info["vocab_size"] == len(fitted[kind].vocab)
    json.dumps(info)


@pytest.mark.parametrize("kind", MODELS)
def test_unfitted_model_says_so(kind: str) -> None:
    model = MODELS[kind][0]()
    # An AttributeError too, so isinstance(model, GeneratorBase) cannot blow up on it.
    assert issubclass(NotFittedError, AttributeError)
    with pytest.raises(NotFittedError):
        model.score("alpha bravo.")
    with pytest.raises(LabError):
        model.generate("alpha")
    assert model.describe()["fitted"] is False


@pytest.mark.parametrize("kind", MODELS)
def test_empty_training_text_is_a_corpus_error(kind: str) -> None:
    with pytest.raises(CorpusError):
        MODELS[kind][0]().fit("  \n\n ")


@pytest.mark.parametrize("kind", MODELS)
def test_fit_scores_validation_text(kind: str, train_text: str, valid_text: str) -> None:
    cls, config = MODELS[kind]
    result = cls(config).fit(train_text, valid_text)
    assert result.best_valid is not None and math.isfinite(result.best_valid.nll_nats)
    assert result.seconds >= 0 and result.history[0]["valid_ppl"] == result.best_valid.ppl


@pytest.mark.parametrize("kind", MODELS)
def test_score_is_finite_for_unseen_words(kind: str, fitted: dict[str, CountGenerator]) -> None:
    model = fitted[kind]
    text = "Xylophone alpha quux. Bravo zzyzx!"
    result = model.score(text)
    tokens = model.tokenizer.tokenize(text)
    assert result.num_tokens == len(tokens) and result.num_chars == len(text)
    assert result.num_oov == sum(t not in model.vocab for t in tokens) >= 3
    assert math.isfinite(result.nll_nats) and result.nll_nats > 0


@pytest.mark.parametrize("kind", ["ngram", "markov"])
def test_context_models_beat_the_unigram_floor(
    kind: str, fitted: dict[str, CountGenerator], valid_text: str
) -> None:
    assert fitted[kind].score(valid_text).ppl < 0.6 * fitted["unigram"].score(valid_text).ppl


def test_unigram_is_add_one_smoothed(fitted: dict[str, CountGenerator], train_text: str) -> None:
    model = fitted["unigram"]
    tokens = model.vocab.map_unknown(model.tokenizer.tokenize(train_text))
    counts = Counter(tokens)
    denominator = len(tokens) + len(model.vocab) - 1  # every id but <pad>
    text = "alpha zzyzx bravo."
    scored = model.vocab.map_unknown(model.tokenizer.tokenize(text))
    assert scored == ["alpha", UNK, "bravo", ".", EOS]
    expected = -sum(math.log((counts[t] + 1) / denominator) for t in scored)
    assert model.score(text).nll_nats == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", MODELS)
def test_fit_adopts_a_shared_vocabulary(kind: str, train_text: str) -> None:
    shared = Vocabulary.build(["alpha", "bravo", "alpha", "bravo", "."], min_freq=1)
    cls, config = MODELS[kind]
    model = cls(config)
    model.fit(train_text, vocab=shared)
    assert model.vocab == shared
    assert model.score("alpha charlie.").num_oov == 1
    for sample in model.generate("alpha", max_tokens=30, sampling=SAMPLED, num_samples=3):
        assert set(sample.tokens) <= {"alpha", "bravo", ".", EOS}


@pytest.mark.parametrize("kind", MODELS)
def test_generate_shapes_and_seeds(kind: str, fitted: dict[str, CountGenerator]) -> None:
    model = fitted[kind]
    samples = model.generate("alpha", max_tokens=25, sampling=SAMPLED, num_samples=4, seed=5)
    assert len(samples) == 4 and all(len(s.tokens) == 25 for s in samples)
    assert all(s.text == model.tokenizer.detokenize(s.tokens) for s in samples)
    again = model.generate("alpha", max_tokens=25, sampling=SAMPLED, num_samples=4, seed=5)
    assert again == samples
    other = model.generate("alpha", max_tokens=25, sampling=SAMPLED, num_samples=4, seed=6)
    assert other != samples
    assert len({s.tokens for s in samples}) > 1  # samples in turn from one rng differ


@pytest.mark.parametrize("kind", MODELS)
def test_generation_leaves_the_global_rng_alone(
    kind: str, fitted: dict[str, CountGenerator]
) -> None:
    state = random.getstate()
    random.seed(123)
    first = fitted[kind].generate("alpha", max_tokens=20, sampling=SAMPLED, seed=9)
    random.seed(456)
    second = fitted[kind].generate("alpha", max_tokens=20, sampling=SAMPLED, seed=9)
    random.setstate(state)
    assert first == second


@pytest.mark.parametrize("kind", MODELS)
def test_stop_at_eos_ends_with_one_sentence(kind: str, fitted: dict[str, CountGenerator]) -> None:
    for sample in fitted[kind].generate(
        "", max_tokens=200, sampling=SAMPLED, num_samples=5, stop_at_eos=True
    ):
        assert sample.tokens.count(EOS) == 1 and sample.tokens[-1] == EOS


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize(
    "sampling", [GREEDY, SamplingConfig(temperature=3.0), SamplingConfig(top_k=2)]
)
def test_never_emits_unk_or_pad(kind: str, sampling: SamplingConfig) -> None:
    cls, config = MODELS[kind]
    model = cls(config)
    model.fit(rare_word_text(300, seed=1))  # most words occur once, so map to <unk>
    assert model.score(rare_word_text(1, seed=0)).num_oov > 0  # <unk> is common in training
    for prompt in ["", "bravo", "bravo neverseen"]:
        for sample in model.generate(prompt, max_tokens=60, sampling=sampling, num_samples=5):
            assert UNK not in sample.tokens and PAD not in sample.tokens


@pytest.mark.parametrize("kind", ["ngram", "markov"])
@pytest.mark.parametrize("prompt", [PRIMER, f"alpha reed {PRIMER}", f"Unheardof {PRIMER}"])
def test_greedy_continuation_follows_the_prompt(
    kind: str, prompt: str, fitted: dict[str, CountGenerator]
) -> None:
    sample = fitted[kind].generate(prompt, max_tokens=3, sampling=GREEDY)[0]
    assert sample.tokens[0] == PRIMED


def test_prompt_restarts_after_a_finished_sentence(fitted: dict[str, CountGenerator]) -> None:
    model = fitted["markov"]
    greedy_start = model.generate("", max_tokens=4)[0].tokens
    assert model.generate(f"{PRIMER} {PRIMED}. ", max_tokens=5)[0].tokens[0] == EOS
    assert model.generate(f"{PRIMER} {PRIMED}. Hello", max_tokens=4)[0].tokens != greedy_start


@pytest.mark.parametrize("state_size", [1, 2, 3])
def test_markov_state_sizes(state_size: int, train_text: str, valid_text: str) -> None:
    model = MarkovGenerator(MarkovConfig(state_size=state_size))
    model.fit(train_text)
    assert sorted(model.chains) == list(range(1, state_size + 1))
    assert all(isinstance(c, markovify.Chain) for c in model.chains.values())
    assert model.kneser_ney.order == state_size + 1
    begin = (markovify.chain.BEGIN,) * state_size
    num_sentences = model.tokenizer.tokenize(train_text).count(EOS)
    assert sum(model.chains[state_size].model[begin].values()) == num_sentences
    assert math.isfinite(model.score(valid_text).nll_nats)
    assert len(model.generate("alpha", max_tokens=40, sampling=SAMPLED)[0].tokens) == 40


@pytest.mark.parametrize("kind", MODELS)
def test_save_load_round_trip(
    kind: str, fitted: dict[str, CountGenerator], tmp_path: Path, valid_text: str
) -> None:
    model = fitted[kind]
    model.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["config.json", "model.json", "vocab.json"]
    json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))  # plain JSON
    for loaded in (type(model).load(tmp_path), load_generator(tmp_path)):
        assert type(loaded) is type(model) and loaded.vocab == model.vocab
        assert loaded.config == model.config
        assert loaded.score(valid_text) == model.score(valid_text)
        for sampling in (GREEDY, SamplingConfig(temperature=0.8, top_p=0.9)):
            kwargs: dict[str, Any] = {"max_tokens": 30, "sampling": sampling, "num_samples": 3}
            assert loaded.generate("alpha", **kwargs) == model.generate("alpha", **kwargs)
        assert loaded.describe() == model.describe()


def test_load_checks_the_kind_and_files(fitted: dict[str, CountGenerator], tmp_path: Path) -> None:
    fitted["ngram"].save(tmp_path)
    with pytest.raises(CheckpointError):
        MarkovGenerator.load(tmp_path)
    (tmp_path / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CheckpointError):
        NGramGenerator.load(tmp_path)
    (tmp_path / "model.json").unlink()
    with pytest.raises(CheckpointError):
        NGramGenerator.load(tmp_path)


@pytest.mark.parametrize(
    ("config_class", "kwargs"),
    [
        (MarkovConfig, {"state_size": 0}),
        (MarkovConfig, {"state_size": 4}),
        (NGramConfig, {"order": 6}),
        (NGramConfig, {"discount": 0.0}),
        (VocabConfig, {"min_freq": 0}),
        (VocabConfig, {"max_size": 3}),
        (VocabConfig, {"eos": "paragraph"}),
    ],
)
def test_configs_validate(config_class: type, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        config_class(**kwargs)


def test_baselines_never_import_torch() -> None:
    code = (
        "import sys, baselines.markov, baselines.ngram, baselines.unigram, lab.models.registry; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "sampling",
    [SamplingConfig(), SamplingConfig(greedy=True), SamplingConfig(temperature=0.6, top_k=3)],
    ids=["plain", "greedy", "filtered"],
)
def test_markov_walk_is_next_word_step_by_step(prose_text: str, sampling: SamplingConfig) -> None:
    """generate() draws from compiled followers for speed; it must pick exactly what
    next_word (the readable reference, Exercise 12) picks with the same rng."""
    from baselines.markov import BEGIN, END

    gen = MarkovGenerator(MarkovConfig(state_size=2), VocabConfig(min_freq=2))
    gen.fit(prose_text)
    samples = gen.generate("The Queen", max_tokens=60, sampling=sampling, num_samples=3, seed=5)
    rng = random.Random(5)
    for sample in samples:
        state, words = ("The", "Queen"), []
        while len(words) < 60:
            word = gen.next_word(state, sampling, rng)
            words.append("<eos>" if word == END else word)
            state = (BEGIN, BEGIN) if word == END else (*state[1:], word)
        assert list(sample.tokens) == words
