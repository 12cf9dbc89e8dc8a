"""CLI flags built from configuration dataclass fields.

Every field of the given dataclasses becomes ``--field-name`` with default
``None``, so only flags the user actually passed override a model's own
defaults (the word and char LSTMs have different ones). The help text is the
field's ``metadata["help"]``, followed by each model kind's default from the
registry, so ``--help`` says what a flag does and what you get without it.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from lab.evaluation.sweep import DEFAULT_TEMPERATURES, SweepConfig
from lab.models import registry

if TYPE_CHECKING:
    from lab.text.corpora import Corpus


def finite_float(text: str) -> float:
    """An argparse type: a float that is a number (``nan``, ``inf`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def seed_int(text: str) -> int:
    """An argparse type: a seed torch and numpy both accept (0 .. 2**63 - 1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, not {text}")
    return value


def option_classes_of_all_kinds() -> list[type]:
    """Every option dataclass of every registered kind, each once, in registry order."""
    classes: list[type] = []
    for entry in registry.KINDS.values():
        classes.extend(c for c in entry.option_classes() if c not in classes)
    return classes


def add_dataclass_options(parser: Any, classes: Iterable[type]) -> None:
    """Add one flag per field of ``classes`` (fields shared by several are added once)."""
    seen: set[str] = set()
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if field.name in seen:
                continue
            seen.add(field.name)
            flag = "--" + field.name.replace("_", "-")
            kind, choices = _scalar_type(hints[field.name])
            help_text = _help(field)
            if kind is bool:
                parser.add_argument(
                    flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
                )
            else:
                parser.add_argument(
                    flag,
                    type=seed_int if field.name == "seed" else _ARG_TYPES.get(kind, kind),
                    choices=choices,
                    default=None,
                    metavar=None if choices else field.name.upper(),
                    help=help_text,
                )


def collect_options(args: argparse.Namespace, classes: Iterable[type]) -> dict[str, Any]:
    """The dataclass fields the user set on the command line."""
    names = {f.name for cls in classes for f in dataclasses.fields(cls)}
    return {name: value for name in names if (value := getattr(args, name, None)) is not None}


def add_corpus_options(parser: Any) -> None:
    """``--cache-dir`` and ``--no-download``, as every command that reads a corpus has them."""
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="corpus download cache (default: $TEXTGEN_LAB_CACHE or ~/.cache/textgen-lab/corpora)",
    )
    parser.add_argument(
        "--no-download", action="store_true", help="never download a corpus; fail instead"
    )
    parser.add_argument(
        "--start-after",
        default=None,
        metavar="TEXT",
        help="cut the book up to the end of the first line holding TEXT (a title page)",
    )
    parser.add_argument(
        "--end-before",
        default=None,
        metavar="TEXT",
        help="cut the book from the start of the last line holding TEXT (notes, a colophon)",
    )


def add_language_option(parser: Any) -> None:
    """``--language``: the book's language for sentence splitting (default: detected)."""
    from lab.text.language import LANGUAGES

    parser.add_argument(
        "--language",
        choices=tuple(LANGUAGES),
        default=None,
        help="the book's language, for sentence splitting (default: detected from the text)",
    )


def add_sweep_options(parser: Any, *, filters: bool = True) -> None:
    """The temperature sweep's flags (``compare`` and ``evaluate``); see :func:`sweep_config`."""
    defaults = SweepConfig()
    parser.add_argument(
        "--temperatures",
        nargs="+",
        type=finite_float,
        default=list(DEFAULT_TEMPERATURES),
        metavar="T",
        help=f"temperatures to sample at (default: {' '.join(map(str, DEFAULT_TEMPERATURES))})",
    )
    parser.add_argument(
        "--prompt",
        action="append",
        default=None,
        dest="prompts",
        help="a sweep prompt (repeatable; default: --num-prompts sentence openings drawn, "
        "seeded, from the book's validation split)",
    )
    parser.add_argument(
        "--num-prompts",
        type=int,
        default=defaults.num_prompts,
        help="prompts drawn from the book when no --prompt is given (default: %(default)s)",
    )
    parser.add_argument(
        "--common-random-numbers",
        action="store_true",
        help="reuse each prompt's seed at every setting (default: independent seeds)",
    )
    parser.add_argument(
        "--num-samples",
        type=int,
        default=defaults.num_samples,
        help="samples per prompt and setting (default: %(default)s)",
    )
    parser.add_argument(
        "--max-words",
        type=int,
        default=defaults.max_words,
        help="length of each sample in words (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="sampling seed (default: %(default)s)"
    )
    if filters:
        parser.add_argument(
            "--no-greedy", action="store_true", help="leave greedy decoding out of the sweep"
        )
        parser.add_argument(
            "--greedy-no-repeat",
            type=int,
            default=defaults.greedy_no_repeat,
            metavar="N",
            help="also sweep greedy with no repeated N-gram, the remedy for greedy cycling "
            "(0: leave out; default: %(default)s)",
        )
        parser.add_argument(
            "--top-k", type=int, default=None, help="also cut every setting to the k likeliest"
        )
        parser.add_argument(
            "--top-p", type=finite_float, default=None, help="also cut every setting to mass >= p"
        )


def sweep_config(args: argparse.Namespace) -> SweepConfig:
    """The :class:`SweepConfig` of the flags :func:`add_sweep_options` added."""
    return SweepConfig(
        temperatures=tuple(args.temperatures),
        greedy=not getattr(args, "no_greedy", False),
        greedy_no_repeat=getattr(args, "greedy_no_repeat", SweepConfig.greedy_no_repeat),
        top_k=getattr(args, "top_k", None),
        top_p=getattr(args, "top_p", None),
        prompts=tuple(args.prompts or ()),
        num_prompts=args.num_prompts,
        common_random_numbers=args.common_random_numbers,
        num_samples=args.num_samples,
        max_words=args.max_words,
        seed=args.seed,
    )


#: argparse types for the scalar field types: floats must be finite numbers.
_ARG_TYPES: dict[type, Any] = {float: finite_float}


def _help(field: dataclasses.Field[Any]) -> str:
    """The field's help, then the default of each kind that has the option."""
    text = field.metadata.get("help", field.name.replace("_", " "))
    defaults: dict[str, list[str]] = {}
    for entry in registry.KINDS.values():
        try:
            value = entry.default_value(field.name)
        except KeyError:
            continue
        defaults.setdefault(_show(value), []).append(entry.name)
    if not defaults:
        return str(text)
    if len(defaults) == 1:
        return f"{text} (default: {next(iter(defaults))})"
    shown = "; ".join(f"{', '.join(kinds)}: {value}" for value, kinds in defaults.items())
    return f"{text} (default {shown})"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _scalar_type(hint: Any) -> tuple[type, list[Any] | None]:
    """Map ``int | None``, ``Literal[...]`` and friends to an argparse type."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _scalar_type(inner[0])
    if origin is Literal:
        choices = list(get_args(hint))
        return type(choices[0]), choices
    if hint in (int, float, str, bool):
        return hint, None
    return str, None


def with_corpus_defaults(
    options: dict[str, Any], corpus: Corpus, *, quiet: bool = False
) -> dict[str, Any]:
    """``options`` over the corpus's own tokenizer defaults (a pre-split folder's
    tokens are taken as given), saying so when any default was applied."""
    applied = {k: v for k, v in corpus.text_defaults().items() if k not in options}
    if applied and not quiet:
        flags = " ".join(_flag(k, v) for k, v in applied.items())
        print(f"note: {corpus.name} is a pre-split folder: read as given ({flags}); flags override")
    return {**applied, **options}


def _flag(name: str, value: Any) -> str:
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    return f"{flag} {value}"
