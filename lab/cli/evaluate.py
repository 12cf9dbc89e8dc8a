"""``textgen-lab evaluate``: the report's metrics for one trained run."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from lab.cli.options import add_corpus_options, add_sweep_options, sweep_config
from lab.errors import LabError
from lab.evaluation.evaluate import evaluate_generator, floor_score, spelling_model_for
from lab.evaluation.prompts import book_prompts
from lab.evaluation.report import finite_json, markdown_table
from lab.evaluation.sweep import (
    sweep_generator,
    words_of,
)
from lab.evaluation.tables import REPETITION_COLUMNS, Table, format_metric
from lab.models.checkpoint import load_run, read_manifest, recorded_corpus
from lab.models.registry import floor_kind
from lab.models.reuse import check_data, say_if_checkpoint
from lab.storage.files import write_text_atomic
from lab.text.corpora import load_corpus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "evaluate", help="perplexity and repetition metrics of one trained run"
    )
    p.add_argument("run", type=Path, help="run directory written by 'textgen-lab train'")
    p.add_argument(
        "--corpus", default=None, help="corpus to evaluate on (default: the one it was trained on)"
    )
    p.add_argument(
        "--split",
        choices=("test", "valid"),
        default="test",
        help="held-out part to score (default: %(default)s)",
    )
    add_sweep_options(p, filters=False)
    p.add_argument(
        "--json", type=Path, default=None, help="also write the numbers to this JSON file"
    )
    p.add_argument(
        "--other-corpus",
        action="store_true",
        help="allow --corpus to be a corpus the run was not trained on (else refused)",
    )
    add_corpus_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    manifest = read_manifest(args.run)
    spec = args.corpus or recorded_corpus(manifest)
    if not spec:
        raise LabError(f"{args.run} does not record its corpus; pass --corpus")
    try:
        sweep = sweep_config(args)
    except ValueError as exc:
        raise LabError(str(exc)) from None
    gen = load_run(args.run)
    say_if_checkpoint(args.run, manifest)
    parts = load_corpus(
        spec,
        cache_dir=args.cache_dir,
        allow_download=not args.no_download,
        start_after=args.start_after,
        end_before=args.end_before,
    ).split()
    if "data" not in manifest:
        print(
            f"textgen-lab: warning: {args.run} does not record its training data; "
            "cannot check it was trained on this corpus",
            file=sys.stderr,
        )
    elif not args.other_corpus:
        check_data(args.run, parts.fingerprint(), manifest=manifest)
    text = parts.test if args.split == "test" else parts.valid
    row = evaluate_generator(gen.kind, gen, text, spelling=spelling_model_for(gen, parts.train))
    floor = floor_score(gen, parts.train, text)
    print(
        f"{gen.kind} on the {args.split} split of {spec}: {row.score.num_tokens:,} tokens, "
        f"OOV {100 * row.score.oov_rate:.2f}%"
    )
    print(
        f"  perplexity {row.score.ppl:.2f} (unigram floor {floor.ppl:.2f}, closed vocabulary), "
        f"bits/char {row.score.open_bits_per_char:.3f} with unknown words spelled out "
        f"({row.score.bits_per_char:.3f} closed vocabulary; floor {floor.bits_per_char:.3f})"
    )
    if not sweep.prompts:
        sweep = replace(
            sweep,
            prompts=book_prompts(parts.valid, gen.vocab, count=sweep.num_prompts, seed=sweep.seed),
        )
    print(f"  prompts (from the validation split): {', '.join(map(repr, sweep.prompts))}")
    rows = sweep_generator(gen.kind, gen, sweep, words_of(parts.train))
    print()
    print(
        markdown_table(
            Table(
                ("setting", *(label for _, label in REPETITION_COLUMNS)),
                [
                    [r.setting, *(format_metric(r.metrics.get(k)) for k, _ in REPETITION_COLUMNS)]
                    for r in rows
                ],
            )
        )
    )
    if args.json:
        doc = {
            "run": str(args.run),
            "corpus": spec,
            "split": args.split,
            "score": row.to_dict(),
            floor_kind().name: floor.to_dict(),
            "sweep": [{**r.to_dict(), "samples": r.samples} for r in rows],
        }
        write_text_atomic(args.json, json.dumps(finite_json(doc), indent=2, allow_nan=False))
    return 0
