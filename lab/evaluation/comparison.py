"""The comparison run behind ``textgen-lab compare``: train or reuse every model,
score them on one held-out split, sweep temperatures, and hand the numbers to
:mod:`lab.evaluation.report`.

All word models share one vocabulary (built once from the training split),
so their per-token perplexities are directly comparable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.evaluation.estimate import book_sizes, estimate_line, neural_seconds
from lab.evaluation.evaluate import EvalRow, evaluate_all
from lab.evaluation.judge import held_out_judge
from lab.evaluation.prompts import book_prompts
from lab.evaluation.sweep import SweepConfig, SweepRow, sweep_generator
from lab.models import registry
from lab.models.base import Generator
from lab.models.checkpoint import has_run, load_generator, read_manifest, run_is_complete
from lab.models.config import config_to_dict
from lab.models.reuse import check_data
from lab.storage.claim import recover_interrupted_save
from lab.text.corpora import Corpus
from lab.text.tokenizers import AnyTokenizer, make_tokenizer
from lab.text.unknown_words import book_min_freq, unknown_words_note
from lab.text.vocabulary import EOS, Vocabulary

DEFAULT_MODELS: tuple[str, ...] = registry.compared_kinds()
WORD_VOCAB_MIN_FREQ = 2


@dataclass(frozen=True)
class CompareConfig:
    """What to compare and how; saved in ``metrics.json`` beside every number."""

    models: tuple[str, ...] = DEFAULT_MODELS
    quick: bool = False
    sweep: SweepConfig = field(default_factory=SweepConfig)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Tokenizer settings for every model (e.g. ``{"eos": "line", "pretokenized": True}``
    #: for Penn Treebank) and optionally ``min_freq``; the shared word vocabulary is
    #: built with the same settings.
    text_options: dict[str, Any] = field(default_factory=dict)
    #: Per unit ("word", "char"): (training tokens, vocabulary size) of the book, which a
    #: preset's book-scaled budget (:class:`~lab.models.budgets.BookBudget`) follows;
    #: set by :func:`run_comparison` once the training split is read.
    book: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: The shared word vocabulary's ``min_freq`` (the book's own when not given), which a
    #: separate ``train`` run must use for ``compare`` to reuse it.
    word_min_freq: int | None = None

    def __post_init__(self) -> None:
        allowed = registry.comparable_kinds()
        unknown = [m for m in self.models if m not in allowed]
        if unknown:
            raise LabError(f"cannot compare {', '.join(unknown)}; choose from {', '.join(allowed)}")

    def model_options(self, kind: str) -> dict[str, Any]:
        """The registry preset (``quick`` or ``full``) for ``kind``, then its ``options``."""
        entry = registry.kind(kind)
        preset = entry.preset("quick" if self.quick else "full", self.book.get(entry.unit))
        return {**preset, **self.text_options, **self.options.get(kind, {})}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["resolved_options"] = {m: self.model_options(m) for m in self.models}
        return data


@dataclass
class CompareResult:
    """Everything the report shows."""

    corpus: Corpus
    split_chars: dict[str, int]
    config: CompareConfig
    scores: list[EvalRow]
    sweep: list[SweepRow]
    train_seconds: dict[str, float]
    reused: list[str]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: Per model: how training went (``stop_reason``: "converged", "epochs", "token budget",
    #: "time cap" or "one pass"; ``still_improving``; ``epochs``; ``best_epoch``;
    #: ``train_tokens``; ``train_seconds``; ``history``: the EpochRecord rows).
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Where the sweep's prompts came from and how its seeds were drawn, for the report.
    prompt_note: str = ""


def run_comparison(
    corpus: Corpus,
    config: CompareConfig,
    runs_dir: Path,
    *,
    progress: bool = False,
    log: Callable[[str], None] = print,
) -> CompareResult:
    """Train (or reuse from ``runs_dir``) each model, then evaluate and sweep."""
    started = time.perf_counter()
    parts = corpus.split()
    data = parts.fingerprint()
    text = dict(config.text_options)
    min_freq = text.pop("min_freq", None)
    shared_tokenizer = make_tokenizer("word", **text)
    word_tokens = shared_tokenizer.tokenize(parts.train)
    notes: list[str] = [f"Edition matter: {cut}." for cut in corpus.cuts]
    if min_freq is None:  # the book's own default: see lab.text.unknown_words
        min_freq, _ = book_min_freq(word_tokens)
        if min_freq != WORD_VOCAB_MIN_FREQ:
            notes.append(unknown_words_note(min_freq, WORD_VOCAB_MIN_FREQ))
    shared_vocab = Vocabulary.build(word_tokens, min_freq=min_freq)
    book = book_sizes(word_tokens, shared_vocab, parts.train)
    config = replace(config, book=book, word_min_freq=min_freq)
    for kind in config.models:  # a run of another book: one line, before anything is said
        if has_run(Path(runs_dir) / kind):
            check_data(Path(runs_dir) / kind, data, required=False)
    log(estimate_line(config, len(parts.valid) + len(parts.test)))
    generators: dict[str, Generator] = {}
    train_seconds: dict[str, float] = {}
    reused: list[str] = []
    for number, kind in enumerate(config.models, 1):
        run = Path(runs_dir) / kind
        fresh = registry.generator_class(kind).from_options(config.model_options(kind))
        found, resume = _reuse(run, kind, data, shared_tokenizer, shared_vocab, notes, fresh)
        if found is not None:
            log(f"{kind}: reusing {run} (a finished model)")
            reused.append(kind)
            generators[kind] = found
            continue
        step = f"[{number}/{len(config.models)}] {kind}"
        if resume:
            log(f"{step}: resuming the interrupted training in {run}; {_plan(fresh, config, kind)}")
        else:
            options = config.model_options(kind) or "defaults"
            log(f"{step}: training ({options}); {_plan(fresh, config, kind)}")
        fresh.run_record = {"data": data, "corpus": corpus.record()}
        t0 = time.perf_counter()
        # Models on the shared word tokenizer share one vocabulary.
        vocab = shared_vocab if fresh.tokenizer == shared_tokenizer else None
        try:
            fresh.fit(
                parts.train,
                parts.valid,
                vocab=vocab,
                progress=progress,
                checkpoint_dir=run,
                resume=resume,
            )
        except KeyboardInterrupt:
            if has_run(run):
                log(
                    f"{kind}: interrupted; {run} keeps a checkpoint marked incomplete: "
                    "the same compare resumes it"
                )
            raise
        train_seconds[kind] = time.perf_counter() - t0
        log(f"{kind}: trained in {train_seconds[kind]:.1f}s ({fresh.metrics.get('stop_reason')})")
        generators[kind] = fresh
    floor_kind = registry.floor_kind()
    floor = floor_kind.generator_class().from_options({})
    floor.fit(parts.train, parts.valid, vocab=shared_vocab)
    generators[floor_kind.name] = floor

    log("scoring the test split")
    scores = evaluate_all(generators, parts.test, parts.train)
    sweep_cfg, prompt_note = _resolve_prompts(config.sweep, shared_vocab, parts.valid)
    judge = held_out_judge(parts, config.text_options)  # never the text the models learnt
    training_words = [t for t in word_tokens if t != EOS]
    rows: list[SweepRow] = []
    for name, gen in generators.items():
        if name == floor_kind.name:
            continue
        log(
            f"{name}: sampling {len(sweep_cfg.settings())} settings x {len(sweep_cfg.prompts)} prompts"
        )
        rows.extend(sweep_generator(name, gen, sweep_cfg, training_words, judge=judge))
    return CompareResult(
        corpus=corpus,
        split_chars={"train": len(parts.train), "valid": len(parts.valid), "test": len(parts.test)},
        config=replace(config, sweep=sweep_cfg),
        scores=scores,
        sweep=rows,
        train_seconds=train_seconds,
        reused=reused,
        seconds=time.perf_counter() - started,
        notes=notes,
        fits={name: _fit_record(gen) for name, gen in generators.items()},
        prompt_note=prompt_note,
    )


def _fit_record(gen: Generator) -> dict[str, Any]:
    """How ``gen`` was trained, from the metrics its ``fit`` recorded (saved with the run)."""
    metrics = getattr(gen, "metrics", {}) or {}
    keys = ("stop_reason", "still_improving", "epochs", "best_epoch", "train_tokens", "threads")
    record = {k: metrics.get(k) for k in keys}
    record["train_seconds"] = metrics.get("train_seconds")
    record["complete"] = bool(getattr(gen, "complete", True))
    record["history"] = list(metrics.get("history") or [])
    # Every setting the model ran with and where, for the report's model table.
    config = getattr(gen, "config", None)
    record["config"] = config_to_dict(config, gen.vocab_config) if config is not None else {}
    record["device"] = str(getattr(gen, "device", "cpu"))
    return record


def _reuse(
    run: Path,
    kind: str,
    data: dict[str, str],
    shared_tokenizer: AnyTokenizer,
    shared_vocab: Vocabulary,
    notes: list[str],
    fresh: Generator,
) -> tuple[Generator | None, bool]:
    """``(a finished run of kind in run to reuse, or None; whether to resume it instead)``.

    A run trained on other data is refused with one line (never silently
    scored on this book); one that does not say what it was trained on is
    trained again. An interrupted run (a checkpoint: ``complete`` false, see
    :func:`~lab.models.checkpoint.run_is_complete`) is never scored as if
    finished: it is resumed when it can be (a resumable kind with its trainer
    state, this comparison's settings), else trained again."""
    recover_interrupted_save(run)  # a save killed between its two renames
    if not has_run(run):
        return None, False
    gen = load_generator(run)
    if gen.kind != kind:
        raise LabError(f"{run} holds a {gen.kind} model, expected {kind}")
    manifest = read_manifest(run)
    if "data" not in manifest:
        notes.append(f"{kind} in {run} does not record its training data; retrained")
        return None, False
    check_data(run, data, manifest=manifest)
    if gen.tokenizer == shared_tokenizer and gen.vocab != shared_vocab:
        notes.append(f"{kind} in {run} has another vocabulary; retrained on the shared one")
        return None, False
    if run_is_complete(manifest):
        return gen, False
    same = _as_json(manifest.get("config")) == _as_json(fresh.describe()["config"])
    carried = all((run / name).exists() for name in fresh.carried_files)  # its trainer state
    if registry.kind(kind).resumable and carried and same:
        notes.append(f"{kind} in {run} was an interrupted training; resumed from its checkpoint")
        return None, True
    notes.append(f"{kind} in {run} was an interrupted training; trained again")
    return None, False


def _as_json(value: Any) -> Any:
    """``value`` as ``config.json`` holds it (tuples become lists)."""
    return json.loads(json.dumps(value))


def _plan(gen: Generator, config: CompareConfig | None = None, kind: str = "") -> str:
    """The training budget of ``gen`` in words, said before it starts: with the book's
    size known, also how many passes over its training split the budget is and the
    time it should take on an idle 2-core machine."""
    train = getattr(getattr(gen, "config", None), "train", None)
    if train is None:
        return "one pass over the training text"
    parts = [f"at most {train.epochs} epochs"]
    if train.max_tokens is not None:
        budget = f"budget {train.max_tokens:,} tokens"
        size = config.book.get(registry.kind(kind).unit) if config and kind else None
        if size:
            seconds = neural_seconds(kind, train.max_tokens, size[1])
            budget += f" ({train.max_tokens / size[0]:.1f} passes, ~{seconds:.0f}s idle)"
        parts.insert(0, budget)
    if train.max_minutes is not None:
        parts.append(f"{train.max_minutes:g} min")
    return ", ".join(parts) + f", early stop after {train.patience} epochs without improvement"


def _resolve_prompts(
    sweep: SweepConfig, vocab: Vocabulary, held_out: str
) -> tuple[SweepConfig, str]:
    """The sweep with its prompts: the user's, or openings of held-out sentences."""
    seeding = (
        "one seed per prompt shared by every setting (common random numbers)"
        if sweep.common_random_numbers
        else "an independent seed for every setting and prompt"
    )
    if sweep.prompts:
        return sweep, f"Prompts given by the user; {seeding}."
    prompts = book_prompts(held_out, vocab, count=sweep.num_prompts, seed=sweep.seed)
    note = (
        f"Prompts: {len(prompts)} sentence openings drawn (seed {sweep.seed}) from the "
        f"validation split, every word in the vocabulary; {seeding}."
    )
    return replace(sweep, prompts=prompts), note
