"""The adaptive-softmax output layer (lab.neural.network.AdaptiveRNNLanguageModel): exact probabilities, a
model that learns, the same scores after a reload, and the auto rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from lab.errors import CheckpointError, OptionError
from lab.neural import network
from lab.neural.config import ModelConfig
from lab.neural.generators import WordLSTMGenerator
from lab.neural.network import (
    AUTO_MIN_VOCAB,
    AdaptiveRNNLanguageModel,
    RNNLanguageModel,
    adaptive_cutoffs,
    build_model,
)
from lab.storage.files import file_digest

UNTIED = {"embedding_dim": 16, "hidden_dim": 16, "tie_weights": False}


def test_forward_gives_exact_log_probabilities_and_the_training_loss_agrees() -> None:
    torch.manual_seed(0)
    model = AdaptiveRNNLanguageModel(300, ModelConfig(**UNTIED, adaptive_softmax="on")).eval()
    x = torch.randint(0, 300, (7, 3))
    y = torch.randint(0, 300, (7, 3))
    logp, _ = model(x)
    assert torch.allclose(logp.exp().sum(-1), torch.ones(7, 3), atol=1e-5)
    loss, _ = model(x, None, y)  # the head-and-cluster path training uses
    nll = -logp.gather(-1, y.unsqueeze(-1)).mean()
    assert loss.item() == pytest.approx(nll.item(), rel=1e-5)


def test_auto_picks_adaptive_for_large_untied_vocabularies_only() -> None:
    untied = ModelConfig(**UNTIED)
    assert isinstance(build_model(AUTO_MIN_VOCAB, untied), AdaptiveRNNLanguageModel)
    assert not isinstance(build_model(AUTO_MIN_VOCAB - 1, untied), AdaptiveRNNLanguageModel)
    tied = ModelConfig(embedding_dim=16, hidden_dim=16)
    assert type(build_model(AUTO_MIN_VOCAB, tied)) is RNNLanguageModel
    off = ModelConfig(**UNTIED, adaptive_softmax="off")
    assert type(build_model(AUTO_MIN_VOCAB, off)) is RNNLanguageModel
    with pytest.raises(OptionError, match="cannot tie"):
        ModelConfig(embedding_dim=16, hidden_dim=16, adaptive_softmax="on")


def test_an_adaptive_word_model_learns_like_the_full_softmax_and_reloads_identically(
    prose_text: str, tmp_path: Path
) -> None:
    options = {
        **UNTIED,
        "adaptive_softmax": "on",
        "epochs": 6,
        "lr": 1e-2,
        "min_freq": 1,
        "device": "cpu",
    }
    gen = WordLSTMGenerator.from_options(options)
    fit = gen.fit(prose_text, prose_text[: len(prose_text) // 3])
    assert isinstance(gen.model, AdaptiveRNNLanguageModel)
    assert fit.history[-1]["valid_nll"] < fit.history[0]["valid_nll"]  # it learns
    full = WordLSTMGenerator.from_options({**options, "adaptive_softmax": "off"})
    full_fit = full.fit(prose_text, prose_text[: len(prose_text) // 3])
    assert fit.best_valid is not None and full_fit.best_valid is not None
    assert fit.best_valid.ppl < 1.15 * full_fit.best_valid.ppl  # as good as the full softmax
    score = gen.score(prose_text[:2000])
    assert math.isfinite(score.nll_nats)
    gen.save(tmp_path / "run")
    again = WordLSTMGenerator.load(tmp_path / "run")
    assert isinstance(again.model, AdaptiveRNNLanguageModel)
    assert again.score(prose_text[:2000]).nll_nats == pytest.approx(score.nll_nats, rel=1e-6)
    first = gen.generate("Alice", max_tokens=8, seed=3)[0].text
    assert again.generate("Alice", max_tokens=8, seed=3)[0].text == first


def test_the_cutoff_rule_keeps_small_heads_for_large_vocabularies() -> None:
    assert adaptive_cutoffs(10_000) == [500, 2000]
    for vocab in (40, 300, 2_000, 5_000, 10_000, 33_278, 267_735):
        cuts = adaptive_cutoffs(vocab)
        assert cuts == sorted(set(cuts)) and cuts[0] > 0 and cuts[-1] < vocab
        assert vocab // 20 <= cuts[0] <= max(vocab // 5, 1)
        model = AdaptiveRNNLanguageModel(vocab, ModelConfig(**UNTIED, adaptive_softmax="on"))
        assert model.adaptive.cutoffs == [*cuts, vocab]


def _fitted_adaptive(prose_text: str) -> WordLSTMGenerator:
    options = {**UNTIED, "adaptive_softmax": "on", "epochs": 1, "min_freq": 1, "device": "cpu"}
    gen = WordLSTMGenerator.from_options(options)
    gen.fit(prose_text, None)
    return gen


def test_a_run_loads_with_the_cutoffs_it_was_trained_with_whatever_the_rule_says(
    prose_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run trained under another rule (as runs saved before the rule changed were).
    monkeypatch.setattr(network, "adaptive_cutoffs", lambda vocab: [vocab // 2])
    gen = _fitted_adaptive(prose_text)
    vocab = len(gen.vocab)
    gen.save(tmp_path / "run")
    score = gen.score(prose_text[:1500]).nll_nats
    monkeypatch.undo()
    assert network.adaptive_cutoffs(vocab) != [vocab // 2]
    assert network.saved_cutoffs(tmp_path / "run" / "weights.safetensors", vocab) == [vocab // 2]
    again = WordLSTMGenerator.load(tmp_path / "run")
    assert isinstance(again.model, AdaptiveRNNLanguageModel)
    assert again.model.adaptive.cutoffs == [vocab // 2, vocab]
    assert again.score(prose_text[:1500]).nll_nats == pytest.approx(score, rel=1e-6)


def test_weights_whose_clusters_do_not_add_up_to_the_vocabulary_are_refused_in_one_line(
    prose_text: str, tmp_path: Path
) -> None:
    gen = _fitted_adaptive(prose_text)
    gen.save(tmp_path / "run")
    weights = tmp_path / "run" / "weights.safetensors"
    tensors = load_file(weights)
    tensors["adaptive.tail.0.1.weight"] = tensors["adaptive.tail.0.1.weight"][:-3].contiguous()
    save_file(tensors, weights)
    manifest = json.loads((tmp_path / "run" / "config.json").read_text())
    manifest["files"]["weights.safetensors"] = file_digest(weights)  # made to agree
    (tmp_path / "run" / "config.json").write_text(json.dumps(manifest))
    assert network.saved_cutoffs(weights, len(gen.vocab)) is None
    with pytest.raises(CheckpointError, match="cannot load") as info:
        WordLSTMGenerator.load(tmp_path / "run")
    assert "\n" not in str(info.value)
