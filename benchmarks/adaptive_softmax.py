"""Adaptive softmax against the full softmax at V = 10k, at identical shapes.

Speed: training tokens/s of the same 2x200 untied word LSTM with either output
layer, interleaved repeats. Quality: both trained on the same token budget
from the same seed, then scored exactly (one stream) on held-out text; the
ratio adaptive / full must be at most 1 ("equal or better").

The data is Penn Treebank (V = 10,000; read in place from ``../shared/corpora/ptb``,
licence-restricted) when present, else a Zipf-distributed synthetic stream over
10,000 ids with short-range structure, so the row exists on any machine.
"""

from __future__ import annotations

import functools
import math
import random

import torch

from benchmarks.common import SHARED, Result, interleaved
from lab.neural.config import ModelConfig, TrainConfig
from lab.neural.epoch import evaluate_nll
from lab.neural.network import RNNLanguageModel, adaptive_cutoffs, build_model
from lab.neural.training import train_model

PTB = SHARED / "corpora" / "ptb"
VOCAB = 10_000


@functools.cache
def _data() -> tuple[str, int, list[int], list[int]]:
    """``(source, V, train ids, held-out ids)``."""
    if (PTB / "ptb.train.txt").is_file():
        from lab.text.tokenizers import WordTokenizer
        from lab.text.vocabulary import Vocabulary

        tok = WordTokenizer(eos="line", pretokenized=True)
        train = tok.tokenize((PTB / "ptb.train.txt").read_text(encoding="utf-8"))
        valid = tok.tokenize((PTB / "ptb.valid.txt").read_text(encoding="utf-8"))
        vocab = Vocabulary.build(train, min_freq=1)
        return "PTB", len(vocab), vocab.encode(train), vocab.encode(valid)
    rng = random.Random(0)
    weights = [1 / (rank + 1) for rank in range(VOCAB)]
    ids = rng.choices(range(VOCAB), weights=weights, k=400_000)
    for i in range(1, len(ids)):  # short-range structure: something to learn
        if rng.random() < 0.3:
            ids[i] = (ids[i - 1] * 7 + 1) % VOCAB
    return "synthetic Zipf", VOCAB, ids[:360_000], ids[360_000:]


def _model(vocab: int, adaptive: bool) -> RNNLanguageModel:
    torch.manual_seed(0)
    config = ModelConfig(
        embedding_dim=200,
        hidden_dim=200,
        num_layers=2,
        dropout=0.2,
        tie_weights=False,
        adaptive_softmax="on" if adaptive else "off",
    )
    return build_model(vocab, config)


def _train(vocab: int, ids: list[int], adaptive: bool, tokens: int) -> tuple[RNNLanguageModel, int]:
    model = _model(vocab, adaptive)
    config = TrainConfig(epochs=1, batch_size=20, bptt=35, max_tokens=tokens, device="cpu")
    with torch.random.fork_rng():
        torch.manual_seed(1)
        outcome = train_model(model, ids, None, config, device=torch.device("cpu"), progress=False)
    return model, outcome.state.tokens


def adaptive_softmax(quick: bool, repeats: int) -> list[Result]:
    source, vocab, train, valid = _data()
    batches = 12 if quick else 40
    speed_tokens = batches * 20 * 35
    # Just the stream the timed batches read: batchifying all of PTB would be timed too.
    head = train[: speed_tokens + 20 * 35 * 2]
    adaptive_runs, full_runs = interleaved(
        lambda: _train(vocab, head, True, speed_tokens)[1],
        lambda: _train(vocab, head, False, speed_tokens)[1],
        repeats,
    )
    budget = 100_000 if quick else 600_000
    held_out = valid[: 20_000 if quick else len(valid)]
    ppl = {}
    for adaptive in (True, False):
        model, _ = _train(vocab, train, adaptive, budget)
        total, count = evaluate_nll(model, held_out, device=torch.device("cpu"))
        ppl[adaptive] = math.exp(total / count)
    shapes = f"2x200 LSTM untied, dropout 0.2, V={vocab:,} ({source}), 20x35, Adam 3e-3"
    return [
        Result.timed(
            name="Adaptive softmax training speed",
            unit="tokens/s",
            reference_name="the same model with the full softmax",
            target=2,
            ours_runs=adaptive_runs,
            reference_runs=full_runs,
            notes=f"{shapes}; cutoffs {adaptive_cutoffs(vocab)}; {batches} batches per run",
        ),
        Result(
            name="Adaptive softmax held-out perplexity",
            unit="ppl",
            ours=ppl[True],
            reference=ppl[False],
            reference_name="the full softmax after the same tokens",
            target=1,
            at_least=False,
            notes=f"{shapes}; {budget:,} training tokens each, {len(held_out):,} held-out tokens "
            "scored exactly; lower is better",
        ),
    ]
