"""What the sandbox child may be asked to run: one driver per kind of call, data in and out.

A graded test never imports the submission. It asks the sandbox child
(:mod:`lab.grading.sandbox_child`) to run a driver here by name with JSON
arguments; the driver imports the submission's module, calls the
student's function in a prescribed way and returns plain data (lists,
numbers, strings; tensors as ``{"__tensor__": dtype, "shape", "data"}``).
The test, in the trusted process, computes what the answer must be and
compares. In the child this is ``_textgen_drivers`` and imports the
submission inside each driver; the trusted process uses only its helpers
(``tiny_setup``, ``rnn_model``, the Markov text), so expectations are built
from the same inputs. The inputs of every test arrive in its request:
nothing here knows what a hidden test checks.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Iterable
from typing import Any

_DTYPES = ("float32", "float64", "int64", "int32", "bool")

# -- data on the wire ---------------------------------------------------------------------------


def tensor(data: Any) -> Any:
    """A tensor from its wire form (or from a plain nested list of numbers)."""
    import torch

    if isinstance(data, dict) and "__tensor__" in data:
        dtype = str(data["__tensor__"])
        if dtype not in _DTYPES:
            raise ValueError(f"unknown tensor dtype {dtype}")
        return torch.tensor(data["data"], dtype=getattr(torch, dtype)).reshape(data["shape"])
    return torch.tensor(data)


def to_data(value: Any) -> Any:
    """``value`` as JSON-able data; tensors become their wire form."""
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        dtype = str(value.dtype).removeprefix("torch.")
        if dtype not in _DTYPES:
            value, dtype = value.double(), "float64"
        return {"__tensor__": dtype, "shape": list(value.shape), "data": value.tolist()}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"the submission returned a {type(value).__name__}, not data")


def _submission(module: str) -> Any:
    return importlib.import_module(module)


# -- shared inputs: the trusted process builds its expectations from the same ones ----------------

TINY_VOCAB, TINY_DIM = 7, 5
MARKOV_TEXT = """the cat sat
the cat ran
the dog sat
a dog ran
a dog ran
the zebra sat
the yak sat
the gnu sat
the emu sat
"""
MARKOV_WORDS = ("the", "sat", "dog", "ran", "a", "cat")  # zebra, yak, gnu, emu become <unk>


def tiny_rnn() -> Any:
    """A stand-in model for Exercise 4 (embedding -> tanh RNN -> linear), independent of
    Exercise 3's ``RNNLanguageModel``."""
    from torch import nn

    class TinyRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(TINY_VOCAB, TINY_DIM)
            self.rnn = nn.RNN(TINY_DIM, TINY_DIM)
            self.decoder = nn.Linear(TINY_DIM, TINY_VOCAB)

        def forward(self, x: Any, hidden: Any) -> tuple[Any, Any]:
            output, hidden = self.rnn(self.embedding(x), hidden)
            return self.decoder(output), hidden

    return TinyRNN()


def tiny_setup(seed: int, decoder_scale: float = 1.0) -> tuple[Any, Any, Any, Any, Any]:
    """``(model, x, y, hidden, previous_x)``, the same in every process for one seed."""
    import torch

    torch.manual_seed(seed)
    model = tiny_rnn()
    if decoder_scale != 1.0:
        with torch.no_grad():
            model.decoder.weight.mul_(decoder_scale)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    y = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    hidden = torch.randn(1, 3, TINY_DIM, generator=gen)
    previous_x = torch.randint(0, TINY_VOCAB, (3, 3), generator=gen)
    return model, x, y, hidden, previous_x


def rnn_model(vocab: int, dim: int, dropout: float, seed: int) -> Any:
    """Exercise 3's model with seeded weights (its constructor is not an exercise)."""
    import torch

    from lab.neural.config import ModelConfig
    from lab.neural.network import RNNLanguageModel

    torch.manual_seed(seed)
    config = ModelConfig(embedding_dim=dim, hidden_dim=dim, num_layers=1, dropout=dropout)
    return RNNLanguageModel(vocab, config)


# -- the drivers ----------------------------------------------------------------------------------


def _vocab_call(itos: list[str], method: str, items: list[Any], as_iter: bool = False) -> Any:
    vocab = _submission("lab.text.vocabulary").Vocabulary(itos)
    return getattr(vocab, method)(iter(items) if as_iter else items)


def _vocab_build(tokens: list[str], **options: Any) -> Any:
    vocab = _submission("lab.text.vocabulary").Vocabulary.build(tokens, **options)
    return {"itos": list(vocab.itos), "stoi": dict(vocab.stoi)}


def _batchify(data: Any, batch_size: int) -> Any:
    stream = tensor(data) if isinstance(data, dict) else data
    return _submission("lab.neural.batching").batchify(stream, batch_size)


def _get_batch(source: Any, starts: list[int], bptt: int) -> Any:
    get_batch = _submission("lab.neural.batching").get_batch
    src = tensor(source)
    return [list(get_batch(src, i, bptt)) for i in starts]


def _forward(
    vocab: int,
    dim: int,
    tokens: Any,
    seed: int = 0,
    dropout: float = 0.0,
    train: bool = False,
    manual_seed: int | None = None,
    split: int | None = None,
) -> Any:
    """Exercise 3: the submission's ``forward`` on a seeded model, whole or in two halves."""
    import torch

    model = rnn_model(vocab, dim, dropout, seed)
    model.train(train)
    x = tensor(tokens)
    if manual_seed is not None:
        torch.manual_seed(manual_seed)
    with torch.set_grad_enabled(train):
        if split is None:
            logits, hidden = model(x)
            return {"logits": logits, "hidden": list(hidden)}
        first, state = model(x[:split])
        second, _ = model(x[split:], state)
        fresh, _ = model(x[split:])
        return {"first": first, "second": second, "fresh": fresh}


def _train_step(
    seed: int,
    lr: float,
    clip: float,
    decoder_scale: float = 1.0,
    stale_grad: float | None = None,
    carried: bool = False,
) -> Any:
    """Exercise 4: one ``train_step`` on the stand-in model; returns everything observable."""
    import torch

    train_step = _submission("lab.neural.training").train_step
    model, x, y, hidden, previous_x = tiny_setup(seed, decoder_scale)
    if carried:  # the state a previous window computed, still attached to its graph
        _, hidden = model(previous_x, hidden)
    if stale_grad is not None:
        for param in model.parameters():
            param.grad = torch.full_like(param, stale_grad)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss, state = train_step(model, x, y, hidden, optimizer, clip=clip)
    return {
        "loss": loss,
        "loss_type": type(loss).__name__,
        "state": state,
        "params": dict(model.named_parameters()),
    }


def _apply_temperature(logits: Any, temperature: float) -> Any:
    original = tensor(logits)
    given = original.clone()
    out = _submission("lab.neural.decoding").apply_temperature(given, temperature)
    return {"out": out, "input_after": given}


def _next_token(
    logits: Any,
    temperature: float | None = None,
    seed: int | None = None,
    banned_ids: Iterable[int] = (),
    repeat: int = 1,
) -> Any:
    import torch

    from lab.models.protocol import GREEDY, SamplingConfig

    rows = tensor(logits).repeat(repeat, 1)
    sampling = GREEDY if temperature is None else SamplingConfig(temperature=temperature)
    gen = None if seed is None else torch.Generator().manual_seed(seed)
    next_token = _submission("lab.neural.decoding").next_token
    return next_token(rows, sampling, generator=gen, banned_ids=tuple(banned_ids))


def _perplexity(nll: float, tokens: int) -> Any:
    return _submission("lab.models.scoring").perplexity(nll, tokens)


def _distinct_n(samples: list[list[str]], n: int, **options: Any) -> Any:
    return _submission("lab.evaluation.metrics").distinct_n(samples, n, **options)


def _markov(state_size: int = 2) -> Any:
    markov = _submission("baselines.markov")
    vocabulary = _submission("lab.text.vocabulary")
    config = _submission("lab.models.config")

    class StandInVocabulary(vocabulary.Vocabulary):  # type: ignore[name-defined]
        """encode/decode written out here, independent of Exercise 1."""

        def encode(self, tokens: Iterable[str]) -> list[int]:
            return [self.stoi[t] if t in self.stoi else self.stoi[vocabulary.UNK] for t in tokens]

        def decode(self, ids: Iterable[int]) -> list[str]:
            return [self.itos[i] for i in ids]

    model = markov.MarkovGenerator(
        markov.MarkovConfig(state_size=state_size),
        config.VocabConfig(min_freq=1, eos="line"),
    )
    model.fit(MARKOV_TEXT, vocab=StandInVocabulary([*vocabulary.SPECIALS, *MARKOV_WORDS]))
    return model


def _markov_chains(state_size: int = 2) -> Any:
    chains = _markov(state_size).chains
    return {str(k): [[list(s), dict(f)] for s, f in c.model.items()] for k, c in chains.items()}


def _markov_next_word(state: list[str], seeds: list[int], temperature: float | None = None) -> Any:
    from lab.models.protocol import GREEDY, SamplingConfig

    model = _markov()
    sampling = GREEDY if temperature is None else SamplingConfig(temperature=temperature)
    return [model.next_word(tuple(state), sampling, random.Random(s)) for s in seeds]


def _markov_generate(prompt: str, max_tokens: int) -> Any:
    return list(_markov().generate(prompt, max_tokens=max_tokens)[0].tokens)


DRIVERS: dict[str, Callable[..., Any]] = {
    "vocab.call": _vocab_call,
    "vocab.build": _vocab_build,
    "batching.batchify": _batchify,
    "batching.get_batch": _get_batch,
    "network.forward": _forward,
    "training.train_step": _train_step,
    "decoding.apply_temperature": _apply_temperature,
    "decoding.next_token": _next_token,
    "scoring.perplexity": _perplexity,
    "metrics.distinct_n": _distinct_n,
    "markov.chains": _markov_chains,
    "markov.next_word": _markov_next_word,
    "markov.generate": _markov_generate,
}


def run(name: str, kwargs: dict[str, Any]) -> Any:
    """Run driver ``name`` (the child's only entry point) and return its result as data."""
    if name not in DRIVERS:
        raise KeyError(f"no driver {name!r}")
    return to_data(DRIVERS[name](**kwargs))
