"""Generation settings, checked once for whoever gives them: ``generate``'s flags and
the playground's JSON go through :func:`generation_settings`, so the same mistake gets the
same sentence on the command line and on the page (issue: ``greedy: "false"`` once turned
greedy decoding on). The caps these checks enforce live in :mod:`lab.limits`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from lab.errors import OptionError
from lab.limits import MAX_SEED, MAX_TOKENS, check_generation_args, limit
from lab.models.sampling import SamplingConfig


def check_seed(value: object, name: str = "seed") -> int:
    """A seed torch and numpy both accept (0 .. 2**63 - 1), or one line saying why not."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{name} must be a whole number, not {value!r}")
    if not 0 <= value <= MAX_SEED:
        raise OptionError(f"{name} must be between 0 and 2**63 - 1, not {value}")
    return value


_COUNT_NAMES = ("num_samples", "num_return_sequences")
#: The settings that are the sampling rule's (:class:`SamplingConfig`'s fields).
_RULE = frozenset(f.name for f in fields(SamplingConfig))
#: Largest ``top_k`` taken as given (any k above the vocabulary size keeps every token).
MAX_TOP_K = 2**31 - 1


@dataclass(frozen=True)
class GenerationSettings:
    """How to generate, checked: what ``generate``'s flags and the playground's JSON both become:
    the sampling rule (:class:`SamplingConfig`, which normalises HF's temperature 0 and top_k 0
    and checks its own ranges) and how much to generate from which seed."""

    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    max_tokens: int = 60
    num_samples: int = 1
    seed: int = 0


def generation_settings(values: Mapping[str, Any], **defaults: Any) -> GenerationSettings:
    """Check generation settings given as JSON-like values, whoever gave them.

    Booleans must be booleans (``"false"`` is not false), whole numbers whole,
    numbers finite, each in its range; a missing or ``None`` value takes
    ``defaults``, else :class:`GenerationSettings`' own. As in HF, temperature 0 is
    greedy, ``top_k`` 0 no cut, ``num_return_sequences`` ``num_samples``; a setting
    greedy would ignore is refused. Every problem is one :class:`OptionError` line:
    the command line passes its flags, the playground its request body.

    >>> generation_settings({"temperature": 0, "no_repeat_ngram_size": 3}).sampling.label
    'greedy,no-repeat-3'
    >>> generation_settings({"greedy": "false"})
    Traceback (most recent call last):
    lab.errors.OptionError: greedy must be true or false, not 'false'
    >>> generation_settings({"greedy": True, "top_k": 5})
    Traceback (most recent call last):
    lab.errors.OptionError: greedy decoding ignores top_k 5: give one or the other
    """
    base = GenerationSettings(**defaults)
    values = {**values, "num_samples": one_num_samples(*map(values.get, _COUNT_NAMES))}

    def get(name: str) -> Any:
        value = values.get(name)
        if value is not None:
            return value
        return getattr(base.sampling if name in _RULE else base, name)

    greedy = get("greedy")
    if not isinstance(greedy, bool):
        raise OptionError(f"greedy must be true or false, not {_short(greedy)}")
    temperature = _finite(get("temperature"), "temperature")
    top_k = _whole_or_none(get("top_k"), "top_k", 0, MAX_TOP_K)
    top_p = None if get("top_p") is None else _finite(get("top_p"), "top_p")
    if greedy or temperature == 0:
        _refuse_ignored(greedy, temperature, top_k, top_p)
    sampling = SamplingConfig(  # its own checks: temperature, top_p and penalty ranges
        greedy=greedy,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        repetition_penalty=_finite(get("repetition_penalty"), "repetition_penalty"),
        no_repeat_ngram_size=_whole(get("no_repeat_ngram_size"), "no_repeat_ngram_size", 0, None),
    )
    settings = GenerationSettings(
        sampling,
        max_tokens=_whole(get("max_tokens"), "max_tokens", 0, None),
        num_samples=_whole(get("num_samples"), "num_samples", 1, None),
        seed=check_seed(get("seed")),
    )
    check_generation_args(settings.max_tokens, settings.num_samples)
    return settings


def one_num_samples(num_samples: object, num_return_sequences: object) -> Any:
    """``num_samples``, or HF's ``num_return_sequences`` for it; both, if different, refused."""
    if num_return_sequences is None or num_samples == num_return_sequences:
        return num_samples
    if num_samples is not None:
        raise OptionError(
            f"num_samples {_short(num_samples)} and num_return_sequences "
            f"{_short(num_return_sequences)} are one setting: give one of them"
        )
    return num_return_sequences


def _refuse_ignored(
    greedy: bool, temperature: float, top_k: int | None, top_p: float | None
) -> None:
    """One line for a setting greedy decoding would ignore (HF warns; we refuse). Values
    that change nothing (temperature 1, top_k 0, top_p 1) pass: a form sends them all."""
    ignored = " and ".join(
        part
        for part, used in (
            (f"temperature {temperature:g}", greedy and temperature not in (0, 1)),
            (f"top_k {top_k}", bool(top_k)),
            (f"top_p {top_p:g}" if top_p is not None else "", top_p not in (None, 1)),
        )
        if used
    )
    if ignored:
        what = "greedy decoding" if greedy else "temperature 0 means greedy decoding, which"
        raise OptionError(f"{what} ignores {ignored}: give one or the other")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionError(f"{name} must be a number, not {_short(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise OptionError(f"{name} must be a finite number, not {_short(value)}")
    return number


def _whole(value: object, name: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        kind = "a whole number" if isinstance(value, float) else "a number"
        raise OptionError(f"{name} must be {kind}, not {_short(value)}")
    if value < low:
        raise OptionError(f"{name} must be >= {low}, not {_short(value)}")
    if high is not None and value > high:
        raise OptionError(f"{name} must be at most {high:,}, not {_short(value)}")
    return value


def _whole_or_none(value: object, name: str, low: int, high: int | None) -> int | None:
    return None if value is None else _whole(value, name, low, high)


def length_in_words(value: object) -> int | None:
    """A length given in words (the playground's unit for every model), checked like
    ``max_tokens``: a whole number from 1 to the tokens cap, or ``None``."""
    return _whole_or_none(value, "max_words", 1, limit(MAX_TOKENS))
