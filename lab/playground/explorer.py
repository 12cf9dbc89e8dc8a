"""The next-token explorer for notebooks: the playground's step mode as ipywidgets.

A prompt box and the sampling controls (greedy, temperature, top-k, top-p) drive,
for each model side by side, a table of the ten likeliest next tokens with their
probability before the settings (the model's own distribution) and after them
(what a draw is taken from), as text bars. "Sample next" draws one token per
model with its own seed and appends it to that model's walk, so the choice the
lesson is about (after "play", a space and "e" nearly tied) can be watched.

The tables come from :meth:`~lab.models.base.GeneratorBase.next_token_distribution`
and the draws from :meth:`~lab.models.base.GeneratorBase.sample_next_token`, so
they are exactly what ``generate`` would do. Without ipywidgets (the ``notebook``
extra) :func:`explorer` raises one clear :class:`~lab.errors.LabError`;
:func:`render` alone needs nothing but the standard library.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from lab.errors import LabError, OptionError
from lab.models.base import Generator
from lab.models.sampling import SamplingConfig
from lab.playground.units import shown
from lab.text.tokenizers import PARAGRAPH
from lab.text.vocabulary import EOS

BAR_WIDTH = 24  # characters for probability 1


def settings(greedy: bool, temperature: float, top_k: int, top_p: float) -> SamplingConfig:
    """The controls as a :class:`SamplingConfig` (top-k 0 and top-p 1 mean "off")."""
    if greedy:
        return SamplingConfig(greedy=True)
    return SamplingConfig(
        temperature=temperature, top_k=top_k or None, top_p=None if top_p >= 1 else top_p
    )


def render(
    models: Mapping[str, Generator], walks: Mapping[str, list[str]], sampling: SamplingConfig
) -> str:
    """One HTML table per model: its walk so far and its top-10 next tokens, before
    and after ``sampling``, as bars of block characters."""
    parts = ['<div style="display:flex;gap:2em;flex-wrap:wrap;overflow-wrap:anywhere">']
    for name, model in models.items():
        dist = model.next_token_distribution(walks[name], sampling=sampling, top_n=10)
        text = model.tokenizer.detokenize(walks[name])
        rows = "".join(
            f"<tr><td>{token_html(model, c.token)}</td>"
            f"<td>{_bar(c.prob)} {c.prob:.3f}</td><td>{_bar(c.sampled_prob)} {c.sampled_prob:.3f}</td></tr>"
            for c in dist.top
        )
        parts.append(
            f"<div><b>{html.escape(name)}</b><br><i>{html.escape(text[-120:])}</i>"
            f"<table><tr><th>next</th><th>model</th><th>after settings</th></tr>{rows}</table>"
            f"{dist.kept:,} tokens can be drawn</div>"
        )
    return "".join(parts) + "</div>"


#: Tokens with no text of their own, named as the playground page names them.
TOKEN_NAMES = {EOS: "end of sentence", "\n": "line break", " ": "space", "\t": "tab"}


def token_html(model: Generator, token: str) -> str:
    """A token as the text it stands for (an opening-quote marker as its quote), or,
    for one with no text (``<eos>``, a paragraph break, a space), its name in italics."""
    text = shown(model, token)
    if text.strip():
        return f"<code>{html.escape(text)}</code>"
    if token == PARAGRAPH and model.tokenizer.kind == "word":
        return "<i>new paragraph</i>"
    return f"<i>{html.escape(TOKEN_NAMES.get(token, token))}</i>"


def _bar(p: float) -> str:
    return "█" * round(p * BAR_WIDTH) or "·"


def explorer(models: Mapping[str, Generator], prompt: str = "") -> Any:
    """The interactive explorer (an ``ipywidgets.VBox``) over ``models``, started at ``prompt``."""
    try:
        import ipywidgets as w
    except ImportError:
        raise LabError('the explorer needs ipywidgets: pip install -e ".[notebook]"') from None
    prompt_box = w.Text(value=prompt, description="prompt")
    greedy = w.Checkbox(value=False, description="greedy")
    temperature = w.FloatSlider(value=1.0, min=0.1, max=2.5, step=0.05, description="temperature")
    top_k = w.IntSlider(value=0, min=0, max=50, description="top-k (0 off)")
    top_p = w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p")
    step, reset = w.Button(description="Sample next"), w.Button(description="Reset")
    view = w.HTML()
    walks: dict[str, list[str]] = {}
    draws = [0]

    def restart(*_: Any) -> None:
        for name, model in models.items():
            walks[name] = list(model.tokenizer.tokenize_prompt(prompt_box.value))
        draws[0] = 0
        redraw()

    def redraw(*_: Any) -> None:
        try:
            sampling = settings(greedy.value, temperature.value, top_k.value, top_p.value)
            view.value = render(models, walks, sampling)
        except OptionError as exc:
            view.value = f"<b>error:</b> {html.escape(str(exc))}"

    def sample(*_: Any) -> None:
        sampling = settings(greedy.value, temperature.value, top_k.value, top_p.value)
        draws[0] += 1
        for name, model in models.items():
            walks[name].append(
                model.sample_next_token(walks[name], sampling=sampling, seed=draws[0])
            )
        redraw()

    for control in (greedy, temperature, top_k, top_p):
        control.observe(redraw, names="value")
    prompt_box.observe(restart, names="value")
    step.on_click(sample)
    reset.on_click(restart)
    restart()
    return w.VBox(
        [
            prompt_box,
            w.HBox([greedy, temperature]),
            w.HBox([top_k, top_p]),
            w.HBox([step, reset]),
            view,
        ]
    )
