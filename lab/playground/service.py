"""What the playground page asks of the models, as plain functions of JSON-like data.

Kept apart from the web framework so the logic is tested without a server
and the core package never needs Starlette: :mod:`lab.playground.app` only
routes requests here. Every bad setting or request is an
:class:`~lab.errors.OptionError` with a sentence the page shows as it is.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lab.errors import LabError, OptionError, UnknownTokenWarning
from lab.models.base import Generator
from lab.models.checkpoint import load_run
from lab.models.probabilities import MAX_TOP_N
from lab.models.protocol import SamplingConfig
from lab.playground import units
from lab.settings import generation_settings, length_in_words

#: Longest text the surprisal view scores and longest walk it keeps: one page, not a book.
MAX_TEXT_CHARS = 20_000
MAX_STEP_TOKENS = 2_000

T = TypeVar("T")


def sampling_from(payload: Mapping[str, Any]) -> SamplingConfig:
    """The page's settings as a :class:`SamplingConfig`, checked by the command line's
    validator (:func:`lab.settings.generation_settings`)."""
    sampling: SamplingConfig = generation_settings(payload).sampling
    return sampling


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (``localhost``, 127.0.0.0/8, ``::1``).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_names(paths: Sequence[Path]) -> list[str]:
    """A short, unique label per run: its folder name, with the parent's if two clash,
    numbered if they still do. The same run given twice is refused: every run given
    gets its own panel."""
    seen: dict[str, Path] = {}
    for p in paths:
        real = Path(os.path.realpath(p))
        if real in seen.values():
            raise OptionError(f"{p} is given twice; each run gets one panel")
        seen[str(p)] = real
    names = [Path(p).name or str(p) for p in paths]
    names = [
        f"{Path(p).parent.name}/{n}" if names.count(n) > 1 else n
        for p, n in zip(paths, names, strict=True)
    ]
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


class Playground:
    """The models side by side, each under its own lock: a model is not made for two
    requests at once, but a long request to one never holds up the others, and no
    request is long: every text and walk is capped (:data:`MAX_TEXT_CHARS`,
    :data:`MAX_STEP_TOKENS`)."""

    def __init__(self, models: Mapping[str, Generator], paths: Mapping[str, Path] | None = None):
        if not models:
            raise OptionError("the playground needs at least one run")
        self.models = dict(models)
        self.paths = dict(paths or {})
        self._locks = {name: threading.Lock() for name in self.models}

    @classmethod
    def load(cls, runs: Sequence[Path]) -> Playground:
        """Load each run directory (a missing or broken one is a one-line :class:`LabError`)."""
        names = run_names(runs)
        return cls(
            {n: load_run(Path(r)) for n, r in zip(names, runs, strict=True)},
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
        settings = generation_settings(payload, max_tokens=40)
        sampling, max_tokens, seed = settings.sampling, settings.max_tokens, settings.seed
        if settings.num_samples != 1:
            raise OptionError("the page shows one sample per model: num_samples must be 1")
        # Lengths in words, the one unit every model shares (lab.playground.units).
        max_words = length_in_words(payload.get("max_words"))
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

            results.append({"model": name, **self._guarded(name, run)})
        return {"sampling": sampling.label, "results": results}

    def next_tokens(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The top next tokens of one model after its walk so far (or the prompt)."""
        name, gen = self._model(payload)
        sampling = sampling_from(payload)
        top_n = payload.get("top_n", 10)
        if isinstance(top_n, bool) or not isinstance(top_n, int) or not 1 <= top_n <= MAX_TOP_N:
            raise OptionError(f"top_n must be a whole number 1..{MAX_TOP_N}, not {top_n!r:.40}")
        context = self._context(payload, gen)

        def run() -> dict[str, Any]:
            dist = gen.next_token_distribution(context, sampling=sampling, top_n=top_n)
            shown = [units.shown(gen, c.token) for c in dist.top]  # tokens as text
            return {
                **dist.to_dict(),
                "text": gen.tokenizer.detokenize(list(dist.context)),
                "shown": shown,
            }

        return {"model": name, **self._guarded(name, run, raise_errors=True)}

    def step(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Extend one model's walk by the token the user picked, or by one drawn."""
        name, gen = self._model(payload)
        context = self._context(payload, gen)
        if len(context) >= MAX_STEP_TOKENS:
            raise OptionError(f"the walk is {MAX_STEP_TOKENS:,} tokens long; start again")
        settings = generation_settings(payload)  # checked even when a token is picked
        pick = payload.get("pick")
        if pick is not None:
            if not isinstance(pick, str) or pick not in gen.vocab:
                raise OptionError(f"{pick!r} is not a token of {name}")
            if pick in {gen.vocab.itos[i] for i in gen.vocab.never_emit_ids}:
                raise OptionError(f"{pick} is never generated, so it cannot be picked")
            token = pick
        else:
            sampling, seed = settings.sampling, settings.seed
            token = self._guarded(
                name,
                lambda: gen.sample_next_token(context, sampling=sampling, seed=seed),
                raise_errors=True,
            )["value"]
        tokens = [*context, token]
        return {"model": name, "token": token, "tokens": tokens}

    def surprisal(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Each token's log-probability under every model, with the totals they add up to."""
        text = self._text(payload, "text")
        results = []
        for name, gen in self.models.items():

            def run(gen: Generator = gen) -> dict[str, Any]:
                return units.surprisal(gen, text)  # bits per character, unknowns spelled

            results.append({"model": name, **self._guarded(name, run)})
        return {"results": results}

    # -- helpers ---------------------------------------------------------------------
    def _model(self, payload: Mapping[str, Any]) -> tuple[str, Generator]:
        name = payload.get("model")
        if not isinstance(name, str) or name not in self.models:
            raise OptionError(f"unknown model {name!r}; choose from {', '.join(self.models)}")
        return name, self.models[name]

    @staticmethod
    def _text(payload: Mapping[str, Any], key: str) -> str:
        """A text of the request, at most :data:`MAX_TEXT_CHARS` long (every endpoint)."""
        value = payload.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise OptionError(f"{key} must be text")
        if len(value) > MAX_TEXT_CHARS:
            raise OptionError(
                f"the {key} is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}"
            )
        return value

    def _context(self, payload: Mapping[str, Any], gen: Generator) -> list[str]:
        """The walk's tokens if the page sent them, else the prompt's (both capped)."""
        tokens = payload.get("tokens")
        if tokens is None:
            return gen.tokenizer.tokenize_prompt(self._text(payload, "prompt"))
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise OptionError("tokens must be a list of strings")
        if len(tokens) > MAX_STEP_TOKENS or sum(map(len, tokens)) > MAX_TEXT_CHARS:
            raise OptionError(
                f"the walk is over {MAX_STEP_TOKENS:,} tokens or {MAX_TEXT_CHARS:,} characters"
            )
        return list(tokens)

    def _guarded(
        self, name: str, work: Callable[[], T], *, raise_errors: bool = False
    ) -> dict[str, Any]:
        """Run ``work`` under model ``name``'s lock; unknown prompt words become
        ``warnings`` and, unless ``raise_errors``, a user error becomes its ``error``."""
        with self._locks[name], warnings.catch_warnings(record=True) as caught:
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
