"""The comparison run behind ``textgen-lab compare``: train or reuse every model,
score them on one held-out split, sweep temperatures, and hand the numbers to
:mod:`lab.evaluation.report`.

All word models share one vocabulary (built once from the training split),
so their per-token perplexities are directly comparable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.evaluation.evaluate import EvalRow, evaluate_all
from lab.evaluation.sweep import DEFAULT_PROMPTS, SweepConfig, SweepRow, sweep_generator, words_of
from lab.models import registry
from lab.models.protocol import Generator
from lab.text.corpora import Corpus
from lab.text.splitting import split_corpus
from lab.text.tokenizers import WordTokenizer
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

    def __post_init__(self) -> None:
        unknown = [m for m in self.models if m not in DEFAULT_MODELS]
        if unknown:
            raise LabError(
                f"cannot compare {', '.join(unknown)}; choose from {', '.join(DEFAULT_MODELS)}"
            )

    def model_options(self, kind: str) -> dict[str, Any]:
        """The registry preset (``quick`` or ``full``) for ``kind``, then its ``options``."""
        preset = registry.kind(kind).preset("quick" if self.quick else "full")
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
    shared_tokenizer = WordTokenizer()
    word_tokens = shared_tokenizer.tokenize(parts.train)
    shared_vocab = Vocabulary.build(word_tokens, min_freq=WORD_VOCAB_MIN_FREQ)
    generators: dict[str, Generator] = {}
    train_seconds: dict[str, float] = {}
    reused: list[str] = []
    notes: list[str] = []
    for kind in config.models:
        run = Path(runs_dir) / kind
        gen = _reuse(run, kind, shared_tokenizer, shared_vocab, notes)
        if gen is not None:
            log(f"{kind}: reusing {run}")
            reused.append(kind)
        else:
            log(f"{kind}: training ({config.model_options(kind) or 'defaults'})")
            gen = registry.generator_class(kind).from_options(config.model_options(kind))
            t0 = time.perf_counter()
            # Models on the shared word tokenizer share one vocabulary.
            vocab = shared_vocab if gen.tokenizer == shared_tokenizer else None
            gen.fit(parts.train, parts.valid, vocab=vocab, progress=progress, checkpoint_dir=run)
            train_seconds[kind] = time.perf_counter() - t0
            log(f"{kind}: trained in {train_seconds[kind]:.1f}s")
        generators[kind] = gen
    floor_kind = registry.floor_kind()
    floor = floor_kind.generator_class().from_options({})
    floor.fit(parts.train, parts.valid, vocab=shared_vocab)
    generators[floor_kind.name] = floor

    log("scoring the test split")
    scores = evaluate_all(generators, parts.test)
    sweep_cfg = _with_usable_prompts(config.sweep, shared_vocab, parts.test)
    training_words = [t for t in word_tokens if t != EOS]
    rows: list[SweepRow] = []
    for name, gen in generators.items():
        if name == floor_kind.name:
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


def _reuse(
    run: Path,
    kind: str,
    shared_tokenizer: WordTokenizer,
    shared_vocab: Vocabulary,
    notes: list[str],
) -> Generator | None:
    """A saved run of ``kind`` in ``run``, if it exists and fits this comparison."""
    if not (run / "config.json").exists():
        return None
    gen = registry.load_generator(run)
    if gen.kind != kind:
        raise LabError(f"{run} holds a {gen.kind} model, expected {kind}")
    if gen.tokenizer == shared_tokenizer and gen.vocab != shared_vocab:
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
            prompts.append(tokenizer.detokenize(words))
        if len(prompts) == len(DEFAULT_PROMPTS):
            break
    return SweepConfig(**{**asdict(sweep), "prompts": tuple(prompts) or ("",)})


def _replace_sweep(config: CompareConfig, sweep: SweepConfig) -> CompareConfig:
    return CompareConfig(
        models=config.models, quick=config.quick, sweep=sweep, options=config.options
    )
