"""``textgen-lab compare``: the comparison report for every model, from one command."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from lab.cli.options import (
    add_corpus_options,
    add_language_option,
    add_sweep_options,
    sweep_config,
    with_corpus_defaults,
)
from lab.errors import LabError
from lab.evaluation.comparison import DEFAULT_MODELS, CompareConfig, run_comparison
from lab.evaluation.report import write_report
from lab.models import registry
from lab.text.corpora import load_corpus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "compare",
        help="train/reuse every model and write a comparison report",
        description="Perplexity, repetition and samples across temperatures for every model: "
        "writes report.md, a self-contained report.html, metrics.json, CSV tables and PNG plots "
        "to --out.",
    )
    p.add_argument(
        "--corpus",
        default="alice",
        help="catalog name, NLTK Gutenberg file id or path (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("reports/alice"),
        help="report directory (default: %(default)s)",
    )
    p.add_argument(
        "--runs",
        type=Path,
        default=None,
        help="reuse trained models from RUNS/<model> (trained and saved there if missing); "
        "default: OUT/runs",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small preset in tokens, not minutes (the same model on any machine), scaled to "
        "the book: at most about 10 minutes on an idle 2-core machine for a book up to 1.3 MB "
        "(under 2.5 for Alice); the estimate is printed before training starts",
    )
    p.add_argument(
        "--models",
        nargs="+",
        default=list(DEFAULT_MODELS),
        metavar="MODEL",
        help=f"models to compare (default: {' '.join(DEFAULT_MODELS)}; also: "
        + " ".join(k for k in registry.comparable_kinds() if k not in DEFAULT_MODELS)
        + ")",
    )
    p.add_argument(
        "--eos",
        choices=("sentence", "line"),
        default=None,
        help="<eos> after each sentence (prose, the default) or each line (one sentence per line)",
    )
    p.add_argument(
        "--pretokenized",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the text is already tokenized (PTB, WikiText): split words on whitespace only "
        "(default: yes for a pre-split folder, no otherwise)",
    )
    add_language_option(p)
    add_sweep_options(p)
    add_corpus_options(p)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--quiet",
        action="store_true",
        help="no progress: no training bars, no per-model lines (shown by default, on stderr)",
    )
    shown.add_argument(
        "--progress", action="store_true", help=argparse.SUPPRESS
    )  # the default now; kept so old commands still run
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    corpus = load_corpus(
        args.corpus,
        cache_dir=args.cache_dir,
        allow_download=not args.no_download,
        start_after=args.start_after,
        end_before=args.end_before,
    )
    given: dict[str, Any] = {}
    if args.eos is not None:
        given["eos"] = args.eos
    if args.pretokenized is not None:
        given["pretokenized"] = args.pretokenized
    if args.language is not None:
        given["language"] = args.language
    try:
        config = CompareConfig(
            models=tuple(args.models),
            quick=args.quick,
            sweep=sweep_config(args),
            text_options=with_corpus_defaults(given, corpus),
        )
    except ValueError as exc:
        raise LabError(str(exc)) from None
    result = run_comparison(
        corpus,
        config,
        args.runs or args.out / "runs",
        progress=not args.quiet,
        log=_silent if args.quiet else _to_stderr,
    )
    paths = write_report(result, args.out)
    print(f"wrote {len(paths)} files to {args.out} in {time.perf_counter() - started:.0f}s:")
    for path in paths:
        print(f"  {path}")
    return 0


def _to_stderr(line: str) -> None:
    """Progress lines go to stderr, beside the bars, so stdout keeps the result."""
    print(line, file=sys.stderr, flush=True)


def _silent(line: str) -> None:
    """``--quiet``: no progress lines."""
