"""Drivers of the end-to-end exercise: the student's own pieces together, as the notebook and
the CLI use them (no stand-ins here, on purpose: this is where a vocabulary with duplicate
tokens or a Markov chain that crashes on an ``<unk>``-only state shows up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .wire import submission

TINY_LSTM = {
    "embedding_dim": 24,
    "hidden_dim": 24,
    "num_layers": 1,
    "dropout": 0.0,
    "tie_weights": False,
    "epochs": 1,
    "batch_size": 4,
    "bptt": 8,
    "lr": 0.02,
    "eos": "line",
    "min_freq": 1,
    "device": "cpu",
    "num_threads": 1,
}


def _word_lstm(train: str, held_out: str, prompts: list[str], seed: int) -> Any:
    """Build the vocabulary from ``train`` (lines end in ``<eos>``), train one epoch, score
    ``held_out``, and give each prompt's next-token distribution and greedy continuation."""
    generators = submission("lab.neural.generators")
    protocol = submission("lab.models.protocol")
    model = generators.WordLSTMGenerator.from_options({**TINY_LSTM, "seed": seed})
    fit = model.fit(train)
    score = model.score(held_out)
    out: dict[str, Any] = {
        "itos": list(model.vocab.itos),
        "train_nll": [row["train_nll"] for row in fit.history],
        "nll": score.nll_nats,
        "tokens": score.num_tokens,
        "next": {},
        "greedy": {},
    }
    for prompt in prompts:
        dist = model.next_token_distribution(prompt, top_n=len(model.vocab))
        out["next"][prompt] = {c.token: c.prob for c in dist.top}
        sample = model.generate(prompt, max_tokens=5, sampling=protocol.GREEDY)[0]
        out["greedy"][prompt] = list(sample.tokens)
    return out


def _markov(train: str, prompt: str, seeds: list[int], state_size: int) -> Any:
    """A Markov chain on ``train`` with the student's vocabulary and counts; samples from
    ``prompt`` at temperature 1 and greedily."""
    markov = submission("baselines.markov")
    config = submission("lab.models.config")
    protocol = submission("lab.models.protocol")
    model = markov.MarkovGenerator(
        markov.MarkovConfig(state_size=state_size), config.VocabConfig(min_freq=2, eos="line")
    )
    model.fit(train)
    sampled = [
        list(s.tokens)
        for seed in seeds
        for s in model.generate(
            prompt, max_tokens=12, seed=seed, sampling=protocol.SamplingConfig()
        )
    ]
    greedy = list(model.generate(prompt, max_tokens=12, sampling=protocol.GREEDY)[0].tokens)
    return {"itos": list(model.vocab.itos), "sampled": sampled, "greedy": greedy}


DRIVERS: dict[str, Callable[..., Any]] = {
    "e2e.word_lstm": _word_lstm,
    "e2e.markov": _markov,
}
