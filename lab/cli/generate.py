"""``textgen-lab generate``: sample continuations of a prompt from a saved run.

The decoding flags are HuggingFace ``generate``'s (``--repetition-penalty``,
``--no-repeat-ngram-size``, ``--num-return-sequences``; temperature 0 is greedy,
top-k 0 is off) and mean what they mean there (:mod:`lab.models.sampling`). One
sample is streamed to a terminal token by token; ``--json`` gives the tokens,
the text and each token's log-probability; ``--output`` writes a file atomically.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from lab.cli.options import finite_float, seed_int
from lab.errors import OptionError, UnknownTokenWarning
from lab.limits import MAX_TOKENS, NUM_SAMPLES, TOTAL_TOKENS, raised, stated
from lab.models.base import Generator
from lab.models.checkpoint import load_run, read_manifest
from lab.models.protocol import Sample
from lab.models.reuse import say_if_checkpoint
from lab.settings import GenerationSettings, generation_settings
from lab.storage.files import write_text_atomic

#: What ``--json``'s ``logprobs`` are, said in the file itself.
LOGPROBS_MEANING = (
    "natural log of P(token | prompt and the tokens before it) under the model's own "
    "distribution: temperature 1, before the repetition penalty, the n-gram ban and the "
    "top-k/top-p cuts, <unk> included in the normalisation (a Markov walk: the follower "
    "counts of the state it drew the token from)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "generate",
        help="sample text from a trained run",
        description="Sample continuations of a prompt from a trained run. The decoding "
        "flags mean what they mean in HuggingFace generate().",
        epilog=f"Limits: {stated(MAX_TOKENS, NUM_SAMPLES, TOTAL_TOKENS)}.",
    )
    p.add_argument("run", type=Path, help="run directory written by 'textgen-lab train'")
    p.add_argument("--prompt", default="", help="text to prime the model with")
    p.add_argument("--max-tokens", type=int, default=60, help="tokens to generate per sample")
    p.add_argument(
        "--temperature",
        type=finite_float,
        default=None,
        help="below 1 sharpens, above 1 flattens; 0 is greedy (default: 1)",
    )
    p.add_argument(
        "--top-k", type=int, default=None, help="sample among the k likeliest tokens (0: off)"
    )
    p.add_argument(
        "--top-p", type=finite_float, default=None, help="sample from the smallest set of mass >= p"
    )
    p.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument(
        "--repetition-penalty",
        type=finite_float,
        default=None,
        metavar="R",
        help="HF's rule: a token already in the text has its logit divided by R if positive, "
        "multiplied by R if not (default: 1, off; 1.2-1.3 is usual)",
    )
    p.add_argument(
        "--no-repeat-ngram-size",
        type=int,
        default=None,
        metavar="N",
        help="never repeat an N-gram of the text so far, prompt included (default: 0, off)",
    )
    p.add_argument(
        "--num-samples", type=int, default=None, help="samples, drawn as one batch (default: 1)"
    )
    p.add_argument(
        "--num-return-sequences", type=int, default=None, metavar="N", help="HF's --num-samples"
    )
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default: 0)")
    p.add_argument("--stop-at-eos", action="store_true", help="end each sample at its first <eos>")
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON: per sample its tokens, text and each token's log-probability",
    )
    p.add_argument(
        "--output", type=Path, default=None, metavar="FILE", help="write to FILE (atomically)"
    )
    p.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print tokens as they are generated (default: on for one sample to a terminal)",
    )
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
        stream = _stream_wanted(args, settings)
        _check_output(args.output)
        gen = load_run(args.run)
        say_if_checkpoint(args.run, read_manifest(args.run))
        streamer = _Streamer(gen, args.prompt) if stream else None
        samples = generate_reporting_unknowns(
            gen,
            args.prompt,
            max_tokens=settings.max_tokens,
            sampling=settings.sampling,
            num_samples=settings.num_samples,
            seed=settings.seed,
            stop_at_eos=args.stop_at_eos,
            logprobs=args.json,
            on_token=None if streamer is None else streamer.on_token,
        )
    if args.json:
        text = json.dumps(_document(args, gen, settings, samples), ensure_ascii=False, indent=2)
    else:
        text = "\n".join(
            (f"[{i}] " if len(samples) > 1 else "") + (s.full_text or s.text)
            for i, s in enumerate(samples, 1)
        )
    if streamer is not None:
        streamer.finish(samples[0].full_text or samples[0].text)
    if args.output is not None:
        write_text_atomic(args.output, text + "\n")
    elif streamer is None:
        print(text)
    return 0


def _stream_wanted(args: argparse.Namespace, settings: GenerationSettings) -> bool:
    """``--stream`` as given, else on for one sample of text to a terminal."""
    if args.stream is None:
        return (
            settings.num_samples == 1
            and not args.json
            and args.output is None
            and sys.stdout.isatty()
        )
    if args.stream and settings.num_samples > 1:
        raise OptionError(
            f"--stream shows one sample as it is written, not {settings.num_samples}: "
            "drop --stream or ask for one sample"
        )
    if args.stream and args.json and args.output is None:
        raise OptionError("--stream would mix tokens into the JSON on stdout: add --output FILE")
    return bool(args.stream)


def _check_output(path: Path | None) -> None:
    """Refuse, before any work, an ``--output`` that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise OptionError(f"--output {path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OptionError(f"--output {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OptionError(f"--output {path}: the folder {folder} is not writable")


def _document(
    args: argparse.Namespace, gen: Generator, settings: GenerationSettings, samples: list[Sample]
) -> dict[str, Any]:
    """The ``--json`` output: what was asked, of which model, and every sample."""
    return {
        "run": str(args.run),
        "kind": gen.kind,
        "unit": gen.tokenizer.kind,
        "prompt": args.prompt,
        "settings": {
            "label": settings.sampling.label,
            **dataclasses.asdict(settings.sampling),
            "max_tokens": settings.max_tokens,
            "num_samples": settings.num_samples,
            "seed": settings.seed,
            "stop_at_eos": args.stop_at_eos,
        },
        "logprobs": LOGPROBS_MEANING,
        "samples": [
            {
                "tokens": list(s.tokens),
                "text": s.text,
                "full_text": s.full_text,
                "logprobs": list(s.logprobs or ()),
                "total_logprob": sum(s.logprobs or ()),
            }
            for s in samples
        ],
    }


class _Streamer:
    """Prints one sample's text to stdout as its tokens arrive.

    Each step re-detokenizes the prompt and the tokens so far and prints what was
    added, so the terminal shows what the final text will say ("n't" joins its
    word, a comma its clause); text a later token rewrites is held back until it
    settles."""

    def __init__(self, gen: Generator, prompt: str) -> None:
        self.detokenize = gen.tokenizer.detokenize
        self.prompt_tokens = gen.tokenizer.tokenize_prompt(prompt)
        self.tokens: list[str] = []
        self.shown = ""

    def on_token(self, row: int, token: str) -> None:
        if row:
            return
        self.tokens.append(token)
        self._show(self.detokenize([*self.prompt_tokens, *self.tokens]))

    def _show(self, text: str) -> None:
        if text.startswith(self.shown) and len(text) > len(self.shown):
            sys.stdout.write(text[len(self.shown) :])
            sys.stdout.flush()
            self.shown = text

    def finish(self, final: str) -> None:
        """The rest of the final text (all of it, on a new line, if it rewrote the start)."""
        if final.startswith(self.shown):
            sys.stdout.write(final[len(self.shown) :] + "\n")
        else:
            sys.stdout.write("\n" + final + "\n")
        sys.stdout.flush()


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
