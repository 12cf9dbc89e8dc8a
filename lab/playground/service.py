"""What the playground page asks of the models, as plain functions of JSON-like data.

Kept apart from the web framework so the logic is tested without a server
and the core package never needs Starlette: :mod:`lab.playground.app` only
routes requests here. Every bad setting or request is an
:class:`~lab.errors.OptionError` with a sentence the page shows as it is.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lab.errors import LabError, OptionError, UnknownTokenWarning
from lab.models.protocol import Generator, SamplingConfig, check_generation_args
from lab.models.registry import load_generator
from lab.playground import units

#: Longest text the surprisal view scores and longest walk it keeps: one page, not a book.
MAX_TEXT_CHARS = 20_000
MAX_STEP_TOKENS = 2_000

T = TypeVar("T")


def _number(payload: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = payload.get(key, default)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{key.replace('_', '-')} must be a number, not {value!r}")
    return float(value)


def _whole(payload: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = _number(payload, key, default)
    if value is None:
        return None
    if value != int(value):
        raise OptionError(f"{key.replace('_', '-')} must be a whole number, not {value:g}")
    return int(value)


def sampling_from(payload: Mapping[str, Any]) -> SamplingConfig:
    """The page's settings as a :class:`SamplingConfig` (its own checks apply)."""
    temperature = _number(payload, "temperature", 1.0)
    return SamplingConfig(
        greedy=bool(payload.get("greedy", False)),
        temperature=1.0 if temperature is None else temperature,
        top_k=_whole(payload, "top_k", None),
        top_p=_number(payload, "top_p", None),
    )


def run_names(paths: Sequence[Path]) -> list[str]:
    """A short, unique label per run: its folder name, with the parent's if two clash."""
    names = [Path(p).name or str(p) for p in paths]
    return [
        f"{Path(p).parent.name}/{n}" if names.count(n) > 1 else n
        for p, n in zip(paths, names, strict=True)
    ]


class Playground:
    """The models side by side, under one lock: a model is not made for two
    requests at once, and two cores gain nothing from trying."""

    def __init__(self, models: Mapping[str, Generator], paths: Mapping[str, Path] | None = None):
        if not models:
            raise OptionError("the playground needs at least one run")
        self.models = dict(models)
        self.paths = dict(paths or {})
        self._lock = threading.Lock()

    @classmethod
    def load(cls, runs: Sequence[Path]) -> Playground:
        """Load each run directory (a missing or broken one is a one-line :class:`LabError`)."""
        names = run_names(runs)
        return cls(
            {n: load_generator(Path(r)) for n, r in zip(names, runs, strict=True)},
            dict(zip(names, map(Path, runs), strict=True)),
        )

    # -- the API, one method per endpoint ---------------------------------------------
    def describe(self) -> dict[str, Any]:
        """The loaded runs, in command-line order: what the page builds its panels from."""
        return {
            "models": [
                {
                    "name": name,
                    "kind": gen.kind,
                    "unit": gen.tokenizer.kind,
                    "vocab_size": len(gen.vocab),
                    "path": str(self.paths.get(name, "")),
                }
                for name, gen in self.models.items()
            ]
        }

    def generate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Every model continues the same prompt with the same settings and seed."""
        sampling = sampling_from(payload)
        max_tokens = _whole(payload, "max_tokens", 40) or 0
        # Lengths in words, the one unit every model shares (lab.playground.units).
        max_words = _whole(payload, "max_words", None)
        seed = _whole(payload, "seed", 0) or 0
        check_generation_args(max_tokens, 1)
        prompt = self._text(payload, "prompt")
        results = []
        for name, gen in self.models.items():

            def run(gen: Generator = gen) -> dict[str, Any]:
                if max_words is not None:
                    sample = units.generate_words(gen, prompt, max_words, sampling, seed)
                else:
                    (sample,) = gen.generate(
                        prompt, max_tokens=max_tokens, sampling=sampling, seed=seed
                    )
                return {"text": sample.text, "full_text": sample.full_text}

            results.append({"model": name, **self._guarded(run)})
        return {"sampling": sampling.label, "results": results}

    def next_tokens(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The top next tokens of one model after its walk so far (or the prompt)."""
        name, gen = self._model(payload)
        sampling = sampling_from(payload)
        top_n = _whole(payload, "top_n", 10) or 10
        context = self._context(payload, gen)

        def run() -> dict[str, Any]:
            dist = gen.next_token_distribution(context, sampling=sampling, top_n=top_n)
            shown = [units.shown(gen, c.token) for c in dist.top]  # tokens as text
            return {
                **dist.to_dict(),
                "text": gen.tokenizer.detokenize(list(dist.context)),
                "shown": shown,
            }

        return {"model": name, **self._guarded(run, raise_errors=True)}

    def step(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Extend one model's walk by the token the user picked, or by one drawn."""
        name, gen = self._model(payload)
        context = self._context(payload, gen)
        if len(context) >= MAX_STEP_TOKENS:
            raise OptionError(f"the walk is {MAX_STEP_TOKENS:,} tokens long; start again")
        pick = payload.get("pick")
        if pick is not None:
            if not isinstance(pick, str) or pick not in gen.vocab:
                raise OptionError(f"{pick!r} is not a token of {name}")
            if pick in {gen.vocab.itos[i] for i in gen.vocab.never_emit_ids}:
                raise OptionError(f"{pick} is never generated, so it cannot be picked")
            token = pick
        else:
            sampling = sampling_from(payload)
            seed = _whole(payload, "seed", 0) or 0
            token = self._guarded(
                lambda: gen.sample_next_token(context, sampling=sampling, seed=seed),
                raise_errors=True,
            )["value"]
        tokens = [*context, token]
        return {"model": name, "token": token, "tokens": tokens}

    def surprisal(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Each token's log-probability under every model, with the totals they add up to."""
        text = self._text(payload, "text")
        if len(text) > MAX_TEXT_CHARS:
            raise OptionError(
                f"the text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
            )
        results = []
        for name, gen in self.models.items():

            def run(gen: Generator = gen) -> dict[str, Any]:
                return units.surprisal(gen, text)  # bits per character, unknowns spelled

            results.append({"model": name, **self._guarded(run)})
        return {"results": results}

    # -- helpers ---------------------------------------------------------------------
    def _model(self, payload: Mapping[str, Any]) -> tuple[str, Generator]:
        name = payload.get("model")
        if not isinstance(name, str) or name not in self.models:
            raise OptionError(f"unknown model {name!r}; choose from {', '.join(self.models)}")
        return name, self.models[name]

    @staticmethod
    def _text(payload: Mapping[str, Any], key: str) -> str:
        value = payload.get(key, "")
        if not isinstance(value, str):
            raise OptionError(f"{key} must be text")
        return value

    def _context(self, payload: Mapping[str, Any], gen: Generator) -> list[str]:
        """The walk's tokens if the page sent them, else the prompt's."""
        tokens = payload.get("tokens")
        if tokens is None:
            return gen.tokenizer.tokenize_prompt(self._text(payload, "prompt"))
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise OptionError("tokens must be a list of strings")
        return list(tokens)

    def _guarded(self, work: Callable[[], T], *, raise_errors: bool = False) -> dict[str, Any]:
        """Run ``work`` under the lock; unknown prompt words become ``warnings`` and,
        unless ``raise_errors``, a user error becomes this model's ``error``."""
        with self._lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnknownTokenWarning)
            try:
                value = work()
            except LabError as exc:
                if raise_errors:
                    raise
                return {"error": str(exc)}
        found = [str(w.message) for w in caught if issubclass(w.category, UnknownTokenWarning)]
        out: dict[str, Any] = dict(value) if isinstance(value, dict) else {"value": value}
        return {**out, "warnings": found}
