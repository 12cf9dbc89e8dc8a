"""``textgen-lab compare``: the comparison report for every model, from one command."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lab.errors import LabError
from lab.evaluation.comparison import DEFAULT_MODELS, CompareConfig, run_comparison
from lab.evaluation.report import write_report
from lab.evaluation.sweep import DEFAULT_PROMPTS, DEFAULT_TEMPERATURES, SweepConfig
from lab.text.corpora import load_corpus


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="train/reuse every model and write a comparison report",
        description="Perplexity, repetition and samples across temperatures for every model: "
        "writes report.md, metrics.json, CSV tables and PNG plots to --out.",
    )
    p.add_argument("--corpus", default="alice", help="catalog name, NLTK Gutenberg file id or path")
    p.add_argument("--out", type=Path, default=Path("reports/alice"), help="report directory")
    p.add_argument(
        "--runs",
        type=Path,
        default=None,
        help="reuse trained models from RUNS/<model> (trained and saved there if missing); "
        "default: OUT/runs",
    )
    p.add_argument(
        "--quick", action="store_true", help="small preset: under 10 minutes on 2 CPU cores"
    )
    p.add_argument(
        "--models",
        nargs="+",
        default=list(DEFAULT_MODELS),
        metavar="MODEL",
        help=f"models to compare (default: {' '.join(DEFAULT_MODELS)})",
    )
    p.add_argument("--temperatures", nargs="+", type=float, default=list(DEFAULT_TEMPERATURES))
    p.add_argument(
        "--no-greedy", action="store_true", help="leave greedy decoding out of the sweep"
    )
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--top-p", type=float, default=None)
    p.add_argument(
        "--prompt",
        action="append",
        default=None,
        dest="prompts",
        help=f"a sweep prompt (repeatable; default: {', '.join(map(repr, DEFAULT_PROMPTS))})",
    )
    p.add_argument("--num-samples", type=int, default=5, help="samples per prompt and setting")
    p.add_argument("--max-words", type=int, default=80, help="length of each sample in words")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--progress", action="store_true", help="show training progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        sweep = SweepConfig(
            temperatures=tuple(args.temperatures),
            greedy=not args.no_greedy,
            top_k=args.top_k,
            top_p=args.top_p,
            prompts=tuple(args.prompts or DEFAULT_PROMPTS),
            num_samples=args.num_samples,
            max_words=args.max_words,
            seed=args.seed,
        )
        config = CompareConfig(models=tuple(args.models), quick=args.quick, sweep=sweep)
    except ValueError as exc:
        raise LabError(str(exc)) from None
    started = time.perf_counter()
    corpus = load_corpus(args.corpus, cache_dir=args.cache_dir, allow_download=not args.no_download)
    result = run_comparison(corpus, config, args.runs or args.out / "runs", progress=args.progress)
    paths = write_report(result, args.out)
    print(f"wrote {len(paths)} files to {args.out} in {time.perf_counter() - started:.0f}s:")
    for path in paths:
        print(f"  {path}")
    return 0
