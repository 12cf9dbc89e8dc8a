"""How much the word LSTM learns per training token: one capped run, its curve per epoch.

A probe for choosing the quick preset (issue 23): train compare's word LSTM on
a book's training split (the same split, tokenizer and shared vocabulary as
``compare``) for at most ``--max-tokens`` tokens with 1 torch thread, and
record after every epoch the tokens seen, the CPU seconds of this process
(``time.process_time``: far less sensitive to other jobs' load than wall time),
the validation loss and the learning rate. The Kneser-Ney n-gram (the quick
preset's order) and the Markov chain are scored on the same validation tokens
with the same vocabulary, so the epoch at which the LSTM's curve crosses them
is read off directly. Their ``<unk>`` spelling cost is the same for every
word model of one vocabulary, so the order on closed nats/token is the order
on open bits/char.

    python -m benchmarks.learn_per_token --book ../shared/corpora/gutenberg/austen-emma.txt \
        --variant base --max-tokens 1200000 --out benchmarks/results/learn_per_token.jsonl
    python -m benchmarks.learn_per_token --book ... --variant b10 --set batch_size=10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def prepare(book: str, min_freq: int | None = None) -> dict[str, Any]:
    """The book's split, shared vocabulary and ids, as ``compare`` builds them (its
    ``min_freq`` the book's own unless given)."""
    from lab.cli.options import with_corpus_defaults
    from lab.text.corpora import load_corpus
    from lab.text.tokenizers import make_tokenizer
    from lab.text.unknown_words import book_min_freq
    from lab.text.vocabulary import Vocabulary

    corpus = load_corpus(book, allow_download=False)
    parts = corpus.split()
    text = with_corpus_defaults({}, corpus, quiet=True)
    tokenizer = make_tokenizer("word", **text)
    train_tokens = tokenizer.tokenize(parts.train)
    if min_freq is None:
        min_freq, _ = book_min_freq(train_tokens)
    vocab = Vocabulary.build(train_tokens, min_freq=min_freq)
    valid_tokens = tokenizer.tokenize(parts.valid)
    return {
        "parts": parts,
        "text": text,
        "vocab": vocab,
        "min_freq": min_freq,
        "train": [vocab.eos_id, *vocab.encode(train_tokens)],
        "valid": [vocab.eos_id, *vocab.encode(valid_tokens)],
    }


def baselines(prep: dict[str, Any], order: int) -> dict[str, float]:
    """Validation nats/token of the n-gram and the Markov chain on the shared vocabulary."""
    from lab.models import registry

    out = {}
    for kind, options in (("ngram", {"order": order}), ("markov", {"state_size": 2})):
        gen = registry.generator_class(kind).from_options({**options, **prep["text"]})
        gen.fit(prep["parts"].train, prep["parts"].valid, vocab=prep["vocab"])
        score = gen.score(prep["parts"].valid)
        out[kind] = score.nll_nats / score.num_tokens
        out[f"{kind}_tokens"] = score.num_tokens
    return out


def run(prep: dict[str, Any], options: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """Train the word LSTM (registry defaults, then ``options``) for ``max_tokens``."""
    import torch

    from lab.models import registry
    from lab.neural.config import ModelConfig, TrainConfig
    from lab.neural.epoch import evaluate_nll
    from lab.neural.network import build_model
    from lab.neural.training import TrainerState, train_model

    entry = registry.kind("word-lstm")
    merged = {**entry.defaults, **options}
    model_keys = {f for f in ModelConfig.__dataclass_fields__}
    train_keys = {f for f in TrainConfig.__dataclass_fields__}
    mcfg = ModelConfig(**{k: v for k, v in merged.items() if k in model_keys})
    train_opts = {k: v for k, v in merged.items() if k in train_keys}
    train_opts.setdefault("epochs", 100)
    cfg = TrainConfig(**{**train_opts, "max_tokens": max_tokens, "device": "cpu"})
    cpu = torch.device("cpu")
    torch.manual_seed(cfg.seed)
    model = build_model(len(prep["vocab"]), mcfg, cpu)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    curve: list[dict[str, Any]] = []

    def on_epoch(state: TrainerState, improved: bool) -> None:
        rec = state.history[-1]
        curve.append(
            {
                "epoch": state.epoch,
                "tokens": state.tokens,
                "cpu_s": round(time.process_time() - cpu0, 2),
                "wall_s": round(time.perf_counter() - wall0, 2),
                "train_nll": round(rec["train_nll"], 4),
                "valid_nll": round(rec["valid_nll"], 4),
                "lr": rec["lr"],
            }
        )
        print(json.dumps(curve[-1]), file=sys.stderr, flush=True)

    with torch.random.fork_rng():
        torch.manual_seed(cfg.seed)
        outcome = train_model(
            model,
            prep["train"],
            prep["valid"],
            cfg,
            device=cpu,
            state=TrainerState(),
            progress=False,
            on_epoch_end=on_epoch,
        )
    train_cpu = time.process_time() - cpu0
    total, count = evaluate_nll(model, prep["valid"], device=cpu)
    return {
        "curve": curve,
        "stop": outcome.state.stop_reason,
        "train_cpu_s": round(train_cpu, 1),
        "valid_exact_nll": total / count,
        "valid_tokens": count,
        "adaptive": type(model).__name__,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--book", required=True)
    p.add_argument("--variant", default="base")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    p.add_argument("--max-tokens", type=int, default=1_000_000)
    p.add_argument("--ngram-order", type=int, default=4)
    p.add_argument("--min-freq", type=int, default=None, help="default: the book's own")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/learn_per_token.jsonl"))
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    options = {k: _value(v) for k, v in (s.split("=", 1) for s in args.set)}
    prep = prepare(args.book, args.min_freq)
    base = baselines(prep, args.ngram_order)
    result = run(prep, options, args.max_tokens)
    first = next((c for c in result["curve"] if c["valid_nll"] < base["ngram"]), None)
    row = {
        "book": Path(args.book).stem,
        "variant": args.variant,
        "options": options,
        "max_tokens": args.max_tokens,
        "train_tokens": len(prep["train"]) - 1,
        "vocab": len(prep["vocab"]),
        "min_freq": prep["min_freq"],
        "ngram_valid_nll": round(base["ngram"], 4),
        "markov_valid_nll": round(base["markov"], 4),
        "crosses_ngram_at_tokens": first["tokens"] if first else None,
        "crosses_ngram_at_cpu_s": first["cpu_s"] if first else None,
        "load_avg": os.getloadavg(),
        **result,
    }
    row["valid_exact_ppl"] = round(math.exp(row["valid_exact_nll"]), 2)
    row["ngram_valid_ppl"] = round(math.exp(base["ngram"]), 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps({k: v for k, v in row.items() if k != "curve"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
