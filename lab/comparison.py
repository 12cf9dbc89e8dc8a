"""The comparison run behind ``textgen-lab compare``: train or reuse every model,
score them on one held-out split, sweep temperatures, and hand the numbers to
:mod:`lab.report`.

All word models share one vocabulary (built once from the training split),
so their per-token perplexities are directly comparable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.corpora import Corpus, split_corpus
from lab.errors import LabError
from lab.evaluation import EvalRow, evaluate_all
from lab.protocol import Generator
from lab.registry import MODELS, generator_class, load_generator
from lab.sweep import DEFAULT_PROMPTS, SweepConfig, SweepRow, sweep_generator, words_of
from lab.tokenization import EOS, Vocabulary, WordTokenizer

DEFAULT_MODELS: tuple[str, ...] = ("word-lstm", "char-lstm", "markov", "ngram")

#: Options of the ``--quick`` preset: the whole compare run in under 10 minutes on 2 CPU cores.
QUICK_OPTIONS: dict[str, dict[str, Any]] = {
    "word-lstm": {"epochs": 30, "max_minutes": 3.0},
    "char-lstm": {"epochs": 20, "max_minutes": 4.0},
    "markov": {"state_size": 2},
    "ngram": {"order": 4},
}
FULL_OPTIONS: dict[str, dict[str, Any]] = {
    "word-lstm": {"epochs": 40},
    "char-lstm": {"epochs": 30},
    "markov": {"state_size": 2},
    "ngram": {"order": 5},
}
WORD_VOCAB_MIN_FREQ = 2


@dataclass(frozen=True)
class CompareConfig:
    """What to compare and how; saved in ``metrics.json`` beside every number."""

    models: tuple[str, ...] = DEFAULT_MODELS
    quick: bool = False
    sweep: SweepConfig = field(default_factory=SweepConfig)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in MODELS or m == "unigram"]
        if unknown:
            raise LabError(
                f"cannot compare {', '.join(unknown)}; choose from {', '.join(DEFAULT_MODELS)}"
            )

    def model_options(self, kind: str) -> dict[str, Any]:
        preset = (QUICK_OPTIONS if self.quick else FULL_OPTIONS).get(kind, {})
        return {**preset, **self.options.get(kind, {})}

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
    parts = split_corpus(corpus.text)
    word_tokens = WordTokenizer().tokenize(parts.train)
    shared_vocab = Vocabulary.build(word_tokens, min_freq=WORD_VOCAB_MIN_FREQ)
    generators: dict[str, Generator] = {}
    train_seconds: dict[str, float] = {}
    reused: list[str] = []
    notes: list[str] = []
    for kind in config.models:
        run = Path(runs_dir) / kind
        gen = _reuse(run, kind, shared_vocab, notes)
        if gen is not None:
            log(f"{kind}: reusing {run}")
            reused.append(kind)
        else:
            log(f"{kind}: training ({config.model_options(kind) or 'defaults'})")
            gen = generator_class(kind).from_options(config.model_options(kind))
            t0 = time.perf_counter()
            vocab = shared_vocab if gen.tokenizer.kind == "word" else None
            gen.fit(parts.train, parts.valid, vocab=vocab, progress=progress)
            train_seconds[kind] = time.perf_counter() - t0
            gen.save(run)
            log(f"{kind}: trained in {train_seconds[kind]:.1f}s")
        generators[kind] = gen
    floor = generator_class("unigram").from_options({})
    floor.fit(parts.train, parts.valid, vocab=shared_vocab)
    generators["unigram"] = floor

    log("scoring the test split")
    scores = evaluate_all(generators, parts.test)
    sweep_cfg = _with_usable_prompts(config.sweep, shared_vocab, parts.test)
    training_words = [t for t in word_tokens if t != EOS]
    rows: list[SweepRow] = []
    for name, gen in generators.items():
        if name == "unigram":
            continue
        log(
            f"{name}: sampling {len(sweep_cfg.settings())} settings x {len(sweep_cfg.prompts)} prompts"
        )
        rows.extend(sweep_generator(name, gen, sweep_cfg, training_words))
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
    )


def _reuse(run: Path, kind: str, shared_vocab: Vocabulary, notes: list[str]) -> Generator | None:
    """A saved run of ``kind`` in ``run``, if it exists and fits this comparison."""
    if not (run / "config.json").exists():
        return None
    gen: Generator = load_generator(run)
    if gen.kind != kind:
        raise LabError(f"{run} holds a {gen.kind} model, expected {kind}")
    if gen.tokenizer.kind == "word" and gen.vocab != shared_vocab:
        notes.append(f"{kind} in {run} has another vocabulary; retrained on the shared one")
        return None
    return gen


def _with_usable_prompts(sweep: SweepConfig, vocab: Vocabulary, test_text: str) -> SweepConfig:
    """Keep the configured prompts if the corpus knows their words; otherwise
    (a corpus other than Alice) open with the first words of test sentences."""
    if sweep.prompts != DEFAULT_PROMPTS or all(
        w in vocab for p in sweep.prompts for w in words_of(p)
    ):
        return sweep
    tokenizer = WordTokenizer()
    prompts = []
    for unit in tokenizer.split_units(test_text):
        words = tokenizer.tokenize_unit(unit)[:2]
        if len(words) == 2 and all(w in vocab for w in words):
            prompts.append(" ".join(words))
        if len(prompts) == len(DEFAULT_PROMPTS):
            break
    return SweepConfig(**{**asdict(sweep), "prompts": tuple(prompts) or ("",)})


def _replace_sweep(config: CompareConfig, sweep: SweepConfig) -> CompareConfig:
    return CompareConfig(
        models=config.models, quick=config.quick, sweep=sweep, options=config.options
    )
