"""``textgen-lab generate``: sample continuations of a prompt from a saved run."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from lab.cli.options import finite_float, seed_int
from lab.errors import OptionError, UnknownTokenWarning
from lab.limits import (
    MAX_TOKENS,
    NUM_SAMPLES,
    TOTAL_TOKENS,
    generation_settings,
    raised,
    stated,
)
from lab.models.base import Generator
from lab.models.checkpoint import load_run, read_manifest, say_if_checkpoint
from lab.models.protocol import Sample


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "generate",
        help="sample text from a trained run",
        description="Sample continuations of a prompt from a trained run.",
        epilog=f"Limits: {stated(MAX_TOKENS, NUM_SAMPLES, TOTAL_TOKENS)}.",
    )
    p.add_argument("run", type=Path, help="run directory written by 'textgen-lab train'")
    p.add_argument("--prompt", default="", help="text to prime the model with")
    p.add_argument("--max-tokens", type=int, default=60, help="tokens to generate per sample")
    p.add_argument(
        "--temperature",
        type=finite_float,
        default=1.0,
        help="below 1 sharpens, above 1 flattens (default: %(default)s)",
    )
    p.add_argument("--top-k", type=int, default=None, help="sample among the k likeliest tokens")
    p.add_argument(
        "--top-p", type=finite_float, default=None, help="sample from the smallest set of mass >= p"
    )
    p.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument(
        "--num-samples", type=int, default=1, help="samples, drawn as one batch (default: 1)"
    )
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default: 0)")
    p.add_argument("--stop-at-eos", action="store_true", help="end each sample at its first <eos>")
    p.add_argument(
        "--max-total-tokens",
        type=int,
        default=None,
        metavar="N",
        help=f"raise the cap on --num-samples x --max-tokens for this call "
        f"(default: {TOTAL_TOKENS.default:,}, or ${TOTAL_TOKENS.env})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.max_total_tokens is not None and args.max_total_tokens < 1:
        raise OptionError(f"--max-total-tokens must be >= 1, not {args.max_total_tokens}")
    with raised(TOTAL_TOKENS, args.max_total_tokens):
        # Checked before the model is loaded, by the playground's validator too.
        settings = generation_settings(vars(args))
        gen = load_run(args.run)
        say_if_checkpoint(args.run, read_manifest(args.run))
        samples = generate_reporting_unknowns(
            gen,
            args.prompt,
            max_tokens=settings.max_tokens,
            sampling=settings.sampling(),
            num_samples=settings.num_samples,
            seed=settings.seed,
            stop_at_eos=args.stop_at_eos,
        )
    for i, sample in enumerate(samples, 1):
        prefix = f"[{i}] " if len(samples) > 1 else ""
        print(prefix + (sample.full_text or sample.text))
    return 0


def generate_reporting_unknowns(gen: Generator, prompt: str, **kwargs: Any) -> list[Sample]:
    """``gen.generate`` with unknown-prompt-word warnings printed as one CLI line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownTokenWarning)
        samples = gen.generate(prompt, **kwargs)
    for w in caught:
        if issubclass(w.category, UnknownTokenWarning):
            print(f"textgen-lab: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return samples
