"""``textgen-lab train``: fit one model on a corpus and save it as a run directory."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lab import distributed
from lab.checkpoint import update_manifest
from lab.commands.generate import generate_reporting_unknowns
from lab.commands.options import add_dataclass_options, collect_options
from lab.corpora import load_corpus, split_corpus
from lab.errors import LabError
from lab.floor import unigram_floor
from lab.protocol import GREEDY, ScoreResult
from lab.registry import MODELS, generator_class

TRAINABLE = ("word-lstm", "char-lstm", "markov", "ngram", "unigram")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model on a corpus",
        description="Train a model and save it to --out (config.json, vocab.json, weights).",
    )
    p.add_argument("--model", choices=[m for m in TRAINABLE if m in MODELS], default="word-lstm")
    p.add_argument(
        "--corpus",
        default="alice",
        help="catalog name, NLTK Gutenberg file id or path (default: alice)",
    )
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--cache-dir", type=Path, default=None, help="corpus download cache")
    p.add_argument("--no-download", action="store_true", help="never download a corpus")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    p.add_argument(
        "--prompt", default="Alice was", help="prompt of the greedy sample printed at the end"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    group = p.add_argument_group("model and training options (defaults depend on --model)")
    add_dataclass_options(group, _all_option_classes())
    p.set_defaults(func=run)


def _all_option_classes() -> list[type]:
    classes: list[type] = []
    for kind in TRAINABLE:
        if kind in MODELS:
            classes.extend(_option_classes(kind))
    return classes


def _option_classes(kind: str) -> tuple[type, ...]:
    # Neural option dataclasses live in lab.config (no torch import at parse time).
    if kind in ("word-lstm", "char-lstm"):
        from lab.config import ModelConfig, TrainConfig, VocabConfig

        return (ModelConfig, TrainConfig, VocabConfig)
    return tuple(generator_class(kind).option_classes())


def run(args: argparse.Namespace) -> int:
    options = collect_options(args, _option_classes(args.model))
    stray = set(collect_options(args, _all_option_classes())) - set(options)
    if stray:
        flags = ", ".join("--" + s.replace("_", "-") for s in sorted(stray))
        raise LabError(f"{flags} not applicable to --model {args.model}")
    if args.resume and not args.model.endswith("lstm"):
        raise LabError(f"--resume applies to the LSTMs; {args.model} trains in one pass")
    ctx = distributed.init_from_env()  # a no-op unless launched by torchrun
    try:
        return _train(args, options, ctx.is_main)
    finally:
        distributed.shutdown()


def _train(args: argparse.Namespace, options: dict[str, object], is_main: bool) -> int:
    corpus = load_corpus(args.corpus, cache_dir=args.cache_dir, allow_download=not args.no_download)
    parts = split_corpus(corpus.text)
    gen = generator_class(args.model).from_options(options)
    if is_main:
        print(
            f"corpus {corpus.name} ({corpus.source}): {len(parts.train):,} / {len(parts.valid):,} / "
            f"{len(parts.test):,} chars train/valid/test"
        )
    started = time.perf_counter()
    fit_kwargs = (
        {"checkpoint_dir": args.out, "resume": args.resume} if args.model.endswith("lstm") else {}
    )
    gen.fit(parts.train, parts.valid, progress=not args.quiet, **fit_kwargs)
    seconds = time.perf_counter() - started
    if not is_main:  # under torchrun, rank 0 alone writes and reports
        return 0
    if not fit_kwargs:  # the LSTMs saved their best epoch into --out while training
        gen.save(args.out)
    valid = gen.score(parts.valid)
    floor = unigram_floor(gen.tokenizer, gen.vocab, parts.train, parts.valid)
    update_manifest(
        args.out,
        corpus={"spec": args.corpus, "name": corpus.name, "source": corpus.source},
        final={
            "valid": valid.to_dict(),
            "unigram_valid": floor.to_dict(),
            "train_seconds": seconds,
        },
    )
    print(
        f"trained {args.model} in {seconds:.1f}s, vocabulary {len(gen.vocab):,}; saved to {args.out}"
    )
    print(_score_line("valid   " + args.model, valid))
    print(_score_line("valid   unigram", floor))
    length = 200 if gen.tokenizer.kind == "char" else 40
    sample = generate_reporting_unknowns(
        gen, args.prompt, max_tokens=length, sampling=GREEDY, seed=0
    )[0]
    print(f"greedy sample: {sample.full_text}")
    return 0


def _score_line(label: str, r: ScoreResult) -> str:
    return (
        f"{label:<22} ppl {r.ppl:9.2f}  bits/char {r.bits_per_char:6.3f}  "
        f"OOV {100 * r.oov_rate:5.2f}%  ({r.num_tokens:,} tokens)"
    )
