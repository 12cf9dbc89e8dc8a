"""``textgen-lab train``: fit one model on a corpus and save it as a run directory."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from lab.cli.generate import generate_reporting_unknowns
from lab.cli.options import (
    add_corpus_options,
    add_dataclass_options,
    collect_options,
    option_classes_of_all_kinds,
    with_corpus_defaults,
)
from lab.cli.resume import resumed_settings
from lab.errors import LabError
from lab.evaluation.evaluate import floor_score
from lab.evaluation.prompts import book_prompts
from lab.limits import CORPUS_BYTES, PARAMETERS, check_network_size, stated
from lab.models import registry
from lab.models.base import GeneratorBase
from lab.models.checkpoint import claim_run_directory, update_manifest
from lab.models.protocol import GREEDY, FitResult
from lab.models.reuse import check_data
from lab.models.scoring import ScoreResult
from lab.text.corpora import Corpus, load_corpus
from lab.text.splitting import CorpusSplit
from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import Vocabulary

#: Words in the greedy sample printed after training.
SAMPLE_WORDS = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model on a corpus",
        description="Train a model and save it to --out (config.json, vocab.json, weights).",
        epilog=f"Limits: {stated(PARAMETERS, CORPUS_BYTES)}. --force replaces only a run "
        "textgen-lab wrote, and only once the new run is saved; a folder holding anything "
        "else is refused.",
    )
    p.add_argument(
        "--model",
        choices=list(registry.KINDS),
        default=None,
        help="; ".join(f"{k.name}: {k.summary}" for k in registry.KINDS.values())
        + f" (default: {registry.with_role('default').name}, or the kind of the run --resume "
        "continues)",
    )
    p.add_argument(
        "--corpus",
        default=None,
        help="catalog name, NLTK Gutenberg file id, file or folder "
        "(default: alice, or the corpus of the run --resume continues)",
    )
    p.add_argument(
        "--out",
        type=run_directory,
        required=True,
        help="run directory to write (new, empty, or a run to --force/--resume)",
    )
    add_corpus_options(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --out with its own settings (only budgets, the "
        "learning rate, patience and the device may change)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace a run already in --out once the new one is saved (never other files)",
    )
    p.add_argument(
        "--prompt",
        default=None,
        help="prompt of the greedy sample printed at the end "
        "(default: a sentence opening of the book's validation split)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    group = p.add_argument_group("model and training options (defaults depend on --model)")
    add_dataclass_options(group, option_classes_of_all_kinds())
    p.set_defaults(func=run)


def run_directory(text: str) -> Path:
    """An argparse type: a run directory path (an empty string is not "here")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return Path(text)


def run(args: argparse.Namespace) -> int:
    if args.resume and args.force:
        raise LabError("--resume continues the run in --out and --force replaces it: pass one")
    given = collect_options(args, option_classes_of_all_kinds())
    resumed: dict[str, Any] = {}
    if args.resume:  # the run's own kind, corpus and settings, with the changes given
        args.model, args.corpus, resumed = resumed_settings(
            args.out, args.model, args.corpus, given
        )
    args.model = args.model or registry.with_role("default").name
    args.corpus = args.corpus or "alice"
    entry = registry.kind(args.model)
    options = collect_options(args, entry.option_classes())
    stray = set(given) - set(options)
    if stray:
        flags = ", ".join("--" + s.replace("_", "-") for s in sorted(stray))
        raise LabError(f"{flags} not applicable to --model {args.model}")
    if args.resume and not entry.resumable:
        raise LabError(
            f"--resume applies to models trained in epochs; {args.model} trains in one pass"
        )
    if args.pretokenized is not None and options.get("unit", entry.unit) == "char":
        raise LabError(f"--pretokenized applies to word models; {args.model} reads characters")
    _check_size(options, entry)  # a network too big is refused before the corpus is read
    # Imported here, not at start-up; it loads torch only under torchrun, so --help,
    # the other commands and the count models never pay for it (210 MB and ~3 s here).
    from lab.neural.config import join_process_group, leave_process_group

    ctx = join_process_group()  # a no-op unless launched by torchrun
    try:
        # rank 0 owns (and locks) the run directory, before the corpus is read: a second
        # writer learns at once that it lost; nothing in the folder is touched until a save.
        claim = (
            claim_run_directory(
                args.out, force=args.force, resume=args.resume, corpus=_local_path(args.corpus)
            )
            if ctx.is_main
            else contextlib.nullcontext(args.out)
        )
        with claim:
            corpus = load_corpus(
                args.corpus,
                cache_dir=args.cache_dir,
                allow_download=not args.no_download,
                start_after=args.start_after,
                end_before=args.end_before,
            )
            if args.resume:
                options = resumed
            else:
                options = with_corpus_defaults(options, corpus, quiet=not ctx.is_main)
                if (
                    options.get("unit", entry.unit) == "char"
                ):  # a pre-split folder's word-level defaults do not apply
                    options.pop("pretokenized", None)
            gen = registry.generator_class(args.model).from_options(options)
            parts = corpus.split()
            # In every checkpoint, so a run killed mid-training resumes on (only) its own data.
            gen.run_record = {"corpus": corpus.record(), "data": parts.fingerprint()}
            if args.resume:  # continue on the same data only
                check_data(args.out, parts.fingerprint(), required=False)
            return _train(args, gen, corpus, parts, is_main=ctx.is_main)
    finally:
        leave_process_group()


def _local_path(spec: str) -> Path | None:
    """The file or folder a corpus spec names, if it names one here (else a catalog name)."""
    path = Path(spec).expanduser()
    return path if path.exists() else None


def _check_size(options: dict[str, Any], entry: registry.ModelKind) -> None:
    """Refuse a network over the parameter cap from its settings alone (the vocabulary is
    not known yet: ``--max-size`` when given, else none; the build checks again with it)."""
    shape = ("embedding_dim", "hidden_dim", "num_layers", "tie_weights")
    if not entry.neural or not any(k in options for k in shape):
        return

    def value(name: str, fallback: str = "") -> Any:
        if name in options:
            return options[name]
        try:
            return entry.default_value(name)
        except KeyError:  # a kind without this option (the transformer has no hidden_dim)
            return value(fallback) if fallback else True

    check_network_size(
        int(options.get("max_size") or 0),
        int(value("embedding_dim")),
        int(value("hidden_dim", fallback="embedding_dim")),
        int(value("num_layers")),
        tied=bool(value("tie_weights")),
    )


def _train(
    args: argparse.Namespace,
    gen: GeneratorBase[Any],
    corpus: Corpus,
    parts: CorpusSplit,
    *,
    is_main: bool,
) -> int:
    if is_main:
        print(
            f"corpus {corpus.name} ({corpus.source}): {len(parts.train):,} / {len(parts.valid):,} / "
            f"{len(parts.test):,} chars train/valid/test"
        )
    started = time.perf_counter()
    fit = gen.fit(
        parts.train,
        parts.valid,
        progress=not args.quiet,
        checkpoint_dir=args.out,
        resume=args.resume,
    )
    seconds = time.perf_counter() - started
    if not is_main:  # under torchrun, rank 0 alone writes and reports
        return 0
    valid = gen.score(parts.valid)
    floor = floor_score(gen, parts.train, parts.valid)
    update_manifest(
        args.out,
        final={
            "valid": valid.to_dict(),
            "unigram_valid": floor.to_dict(),
            "train_seconds": seconds,
        },
    )
    print(
        f"trained {args.model} in {seconds:.1f}s, vocabulary {len(gen.vocab):,}; saved to {args.out}"
    )
    print(f"stopped: {_stop_line(fit)}")
    print(_score_line("valid   " + args.model, valid))
    print(_score_line("valid   unigram", floor))
    length = gen.tokenizer.tokens_for_words(SAMPLE_WORDS, chars_per_word=5)
    prompt = args.prompt
    if prompt is None:
        prompt = book_prompts(parts.valid, _prompt_vocab(gen, parts.train), count=1)[0]
    sample = generate_reporting_unknowns(gen, prompt, max_tokens=length, sampling=GREEDY, seed=0)[0]
    print(f"greedy sample: {sample.full_text}")
    return 0


def _stop_line(fit: FitResult) -> str:
    """Why training ended, and a warning when it ended while still learning."""
    line = f"{fit.stop_reason} after {fit.epochs} epoch(s), {fit.train_tokens:,} tokens"
    if fit.still_improving and fit.stop_reason in ("epochs", "token budget", "time cap"):
        line += "; validation was still improving: probably under-trained (raise --epochs or --max-tokens)"
    return line


def _prompt_vocab(gen: GeneratorBase[Any], train_text: str) -> Vocabulary:
    """The words a prompt may use: a word model's own vocabulary, else the words seen twice
    in training (tokenizing a whole book again took 30 s on Penn Treebank, for one prompt)."""
    if isinstance(gen.tokenizer, WordTokenizer):
        return gen.vocab
    return Vocabulary.build(WordTokenizer().tokenize(train_text), min_freq=2)


def _score_line(label: str, r: ScoreResult) -> str:
    return (
        f"{label:<22} ppl {r.ppl:9.2f}  bits/char {r.bits_per_char:6.3f}  "
        f"OOV {100 * r.oov_rate:5.2f}%  ({r.num_tokens:,} tokens)"
    )
