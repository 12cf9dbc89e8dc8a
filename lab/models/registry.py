"""The table of model kinds: the only place that knows which kinds exist and what each needs.

Each :class:`ModelKind` names its generator class and its (torch-free) config
class by import path, so listing the kinds, building the CLI or loading a
Markov run never imports torch. Everything else asks this table (its unit,
defaults, presets, whether it resumes, its roles) instead of asking "which
kind is this?": a generator class learns its ``kind`` from its entry here
(:meth:`lab.models.base.GeneratorBase.__init_subclass__`), and the roles are
:data:`Role` values of the entries, read with :func:`with_role`. No other module
names a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.models.budgets import CHAR_QUICK, WORD_DROPOUT, WORD_QUICK
from lab.models.config import Unit
from lab.models.kinds import ModelKind, Preset, Role, frozen

__all__ = ["KINDS", "ModelKind", "Preset", "Role", "generator_class", "kind"]

if TYPE_CHECKING:
    from lab.models.base import GeneratorBase


def _neural_kind(
    name: str,
    generator: str,
    summary: str,
    *,
    unit: Unit,
    defaults: Mapping[str, Any],
    presets: Mapping[str, Mapping[str, Any]],
    roles: frozenset[Role] = frozenset(),
) -> ModelKind:
    """A recurrent generator of :mod:`lab.neural.generators`: one unit, trained in
    epochs with checkpoints (so ``--resume`` works)."""
    return ModelKind(
        name=name,
        generator=f"lab.neural.generators:{generator}",
        config="lab.neural.config:NeuralConfig",
        summary=summary,
        units=(unit,),
        defaults=frozen({"unit": unit, **defaults}),
        presets=frozen(presets),
        resumable=True,
        neural=True,
        roles=roles,
    )


def _count_kind(
    module: str,
    generator: str,
    config: str,
    summary: str,
    *,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
    roles: frozenset[Role] = frozenset(),
) -> ModelKind:
    """A count model of :mod:`baselines`: word or character units, words seen at
    least twice (as the word LSTM's), trained in one pass (nothing to resume)."""
    return ModelKind(
        name=module,
        generator=f"baselines.{module}:{generator}",
        config=f"baselines.{module}:{config}",
        summary=summary,
        units=("word", "char"),
        defaults=frozen({"min_freq": 2}),
        presets=frozen(presets or {}),
        roles=roles,
    )


_KINDS: tuple[ModelKind, ...] = (
    _neural_kind(
        "word-lstm",
        "WordLSTMGenerator",
        "word-level LSTM (NLTK word tokens, <eos> after each sentence, tied 2x200)",
        unit="word",
        defaults={"dropout": 0.4, "min_freq": 2},
        # quick: 16 passes of the training split, at most 5 idle minutes, at batch 10 (twice
        # the updates per token for 1.2x the CPU): on Thursday it crossed the n-gram after 4
        # passes instead of 6 (benchmarks/results/learn_per_token.jsonl). A fixed 600k
        # tokens gave a 110k-word book 6 epochs (issue 23).
        presets={
            "quick": {
                "epochs": 40,
                "batch_size": 10,
                "dropout": WORD_DROPOUT,
                "max_tokens": WORD_QUICK,
            },
            "full": {"epochs": 40},
        },
        roles=frozenset({"default"}),
    ),
    _neural_kind(
        "char-lstm",
        "CharLSTMGenerator",
        "character-level LSTM (every character a token, 2x256)",
        unit="char",
        defaults={"embedding_dim": 64, "hidden_dim": 256, "dropout": 0.1, "tie_weights": False}
        | {"batch_size": 32, "bptt": 100},
        # quick: shorter windows (three times the updates per token) at a higher rate. On
        # Alice, 2 cores: 650k tokens in 47-51 s reach test 4.60 per char; the former preset
        # (BPTT 100, lr 3e-3, 2.5M tokens) took 194 s for test 4.55.
        presets={
            "quick": {"epochs": 30, "max_tokens": CHAR_QUICK, "bptt": 35, "lr": 5e-3},
            "full": {"epochs": 30},
        },
    ),
    ModelKind(
        name="transformer",
        generator="lab.transformer.generator:TransformerGenerator",
        config="lab.transformer.config:TransformerConfig",
        summary="decoder-only transformer (4 blocks of 4 heads, 128 wide, 64-token window)",
        units=("word", "char"),
        # nanoGPT's small CPU shape and optimiser (AdamW 1e-3, weight decay 0.1, clip 1);
        # quick: 600k tokens. On Alice after 300k tokens, 1 core: dropout 0.2 test ppl 43.8
        # (82 s); 0.3: 45.5; 2 layers, 0.3: 46.3; 2 layers, 0.4: 46.8.
        defaults=frozen(
            {"unit": "word", "min_freq": 2, "dropout": 0.2, "batch_size": 16, "bptt": 64}
            | {"lr": 1e-3, "optimizer": "adamw", "weight_decay": 0.1, "clip": 1.0}
        ),
        presets=frozen({"quick": {"epochs": 40, "max_tokens": 600_000}, "full": {"epochs": 40}}),
        resumable=True,
        neural=True,
        roles=frozenset({"extra"}),
    ),
    ModelKind(
        name="gpt2",
        generator="lab.gpt2.generator:PretrainedGenerator",
        config="lab.gpt2.config:FineTuneConfig",
        summary='pretrained GPT-2 fine-tuned on the book (extra: pip install -e ".[gpt2]")',
        # A small rate keeps what pretraining learnt; CPU cost in the README (GPT-2 small
        # at batch 4 x 128 tokens).
        defaults=frozen(
            {"block_size": 128, "bptt": 128, "batch_size": 4, "epochs": 3, "patience": 1}
            | {"lr": 5e-5, "optimizer": "adamw", "weight_decay": 0.0, "clip": 1.0}
        ),
        presets=frozen({"quick": {"max_tokens": 30_000}, "full": {"max_tokens": 300_000}}),
        resumable=True,
        neural=True,
        roles=frozenset({"extra"}),
    ),
    _count_kind(
        "markov",
        "MarkovGenerator",
        "MarkovConfig",
        "markovify chain walked with a seeded RNG, Kneser-Ney scores",
        presets={"quick": {"state_size": 2}, "full": {"state_size": 2}},
    ),
    _count_kind(
        "ngram",
        "NGramGenerator",
        "NGramConfig",
        "interpolated Kneser-Ney n-gram, order 1-5",
        presets={"quick": {"order": 4}, "full": {"order": 5}},
        roles=frozenset({"baseline", "judge"}),
    ),
    _count_kind(
        "unigram",
        "UnigramGenerator",
        "UnigramConfig",
        "add-one unigram: the floor every model must beat",
        roles=frozenset({"floor"}),
    ),
)

KINDS: Mapping[str, ModelKind] = MappingProxyType({k.name: k for k in _KINDS})


def kind(name: str) -> ModelKind:
    """The entry for ``name``, or a one-line :class:`LabError` listing the kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise LabError(f"unknown model {name!r}; choose from {', '.join(KINDS)}") from None


def generator_class(name: str) -> type[GeneratorBase[Any]]:
    """The class registered for kind ``name`` (e.g. ``"word-lstm"``)."""
    return kind(name).generator_class()


def with_role(role: Role) -> ModelKind:
    """The one kind that plays ``role`` (see :data:`Role`)."""
    (entry,) = (k for k in _KINDS if role in k.roles)
    return entry


def floor_kind() -> ModelKind:
    """The kind every comparison scores as its floor (the unigram)."""
    return with_role("floor")


def compared_kinds() -> tuple[str, ...]:
    """The kinds ``compare`` trains unless told: all but the floor and the extras."""
    return tuple(k.name for k in _KINDS if not {"floor", "extra"} & k.roles)


def comparable_kinds() -> tuple[str, ...]:
    """Every kind ``compare --models`` accepts: all but the floor (scored anyway)."""
    return tuple(k.name for k in _KINDS if "floor" not in k.roles)


def kind_of(generator: type) -> str | None:
    """The name of the kind whose generator is the class ``generator`` (``None`` for a
    class no entry names, such as a shared base class)."""
    path = f"{generator.__module__}:{generator.__qualname__}"
    return next((k.name for k in _KINDS if k.generator == path), None)
