"""The comparison run behind ``textgen-lab compare``: train or reuse every model,
score them on one held-out split, sweep temperatures, and hand the numbers to
:mod:`lab.evaluation.report`.

All word models share one vocabulary (built once from the training split),
so their per-token perplexities are directly comparable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.evaluation.evaluate import EvalRow, evaluate_all
from lab.evaluation.judge import held_out_judge
from lab.evaluation.prompts import book_prompts
from lab.evaluation.sweep import SweepConfig, SweepRow, sweep_generator
from lab.models import registry
from lab.models.checkpoint import check_data, read_manifest
from lab.models.config import config_to_dict
from lab.models.protocol import Generator
from lab.text.corpora import Corpus
from lab.text.tokenizers import AnyTokenizer, make_tokenizer
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

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in DEFAULT_MODELS]
        if unknown:
            raise LabError(
                f"cannot compare {', '.join(unknown)}; choose from {', '.join(DEFAULT_MODELS)}"
            )

    def model_options(self, kind: str) -> dict[str, Any]:
        """The registry preset (``quick`` or ``full``) for ``kind``, then its ``options``."""
        preset = registry.kind(kind).preset("quick" if self.quick else "full")
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
    min_freq = text.pop("min_freq", WORD_VOCAB_MIN_FREQ)
    shared_tokenizer = make_tokenizer("word", **text)
    word_tokens = shared_tokenizer.tokenize(parts.train)
    shared_vocab = Vocabulary.build(word_tokens, min_freq=min_freq)
    generators: dict[str, Generator] = {}
    train_seconds: dict[str, float] = {}
    reused: list[str] = []
    notes: list[str] = []
    for kind in config.models:
        run = Path(runs_dir) / kind
        gen = _reuse(run, kind, data, shared_tokenizer, shared_vocab, notes)
        if gen is not None:
            log(f"{kind}: reusing {run}")
            reused.append(kind)
        else:
            log(f"{kind}: training ({config.model_options(kind) or 'defaults'})")
            fresh = registry.generator_class(kind).from_options(config.model_options(kind))
            fresh.run_record = {"data": data, "corpus": corpus.record()}
            gen = fresh
            t0 = time.perf_counter()
            # Models on the shared word tokenizer share one vocabulary.
            vocab = shared_vocab if gen.tokenizer == shared_tokenizer else None
            gen.fit(parts.train, parts.valid, vocab=vocab, progress=progress, checkpoint_dir=run)
            train_seconds[kind] = time.perf_counter() - t0
            log(f"{kind}: trained in {train_seconds[kind]:.1f}s ({gen.metrics.get('stop_reason')})")
        generators[kind] = gen
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
        config=config if sweep_cfg == config.sweep else _replace_sweep(config, sweep_cfg),
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
    keys = ("stop_reason", "still_improving", "epochs", "best_epoch", "train_tokens")
    record = {k: metrics.get(k) for k in keys}
    record["train_seconds"] = metrics.get("train_seconds")
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
) -> Generator | None:
    """A saved run of ``kind`` in ``run``, if it exists and fits this comparison.

    A run trained on other data is refused with one line (never silently
    scored on this book); one that does not say what it was trained on (an
    interrupted comparison) is trained again."""
    if not (run / "config.json").exists():
        return None
    gen = registry.load_generator(run)
    if gen.kind != kind:
        raise LabError(f"{run} holds a {gen.kind} model, expected {kind}")
    manifest = read_manifest(run)
    if "data" not in manifest:
        notes.append(f"{kind} in {run} does not record its training data; retrained")
        return None
    check_data(run, data, manifest=manifest)
    if gen.tokenizer == shared_tokenizer and gen.vocab != shared_vocab:
        notes.append(f"{kind} in {run} has another vocabulary; retrained on the shared one")
        return None
    return gen


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


def _replace_sweep(config: CompareConfig, sweep: SweepConfig) -> CompareConfig:
    return CompareConfig(
        models=config.models, quick=config.quick, sweep=sweep, options=config.options
    )
