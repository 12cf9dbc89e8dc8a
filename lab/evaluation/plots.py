"""The report's PNG plots, each written atomically beside ``report.md``.

matplotlib is imported only when a plot is drawn, with the Agg backend, so the
CLI starts without it and plots work on machines with no display.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lab.evaluation.evaluate import EvalRow
from lab.evaluation.sweep import SweepRow
from lab.storage.files import write_with_atomic


def plot_repetition(rows: Sequence[SweepRow], path: Path) -> None:
    """seq-rep-4 and distinct-2 against temperature, one line per model; greedy at T=0."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key, ax, title in (
        ("seq_rep_4", axes[0], "repetition (seq-rep-4)"),
        ("distinct_2", axes[1], "distinct-2"),
    ):
        for model in dict.fromkeys(r.model for r in rows):
            mine = [r for r in rows if r.model == model]
            # The remedies (greedy + no-repeat) are not a temperature: a cross at T=0 each.
            plain = [r for r in mine if "no-repeat" not in r.setting and "rep=" not in r.setting]
            pts = sorted((r.temperature or 0.0, r.metrics[key]) for r in plain)
            (line,) = ax.plot([t for t, _ in pts], [v for _, v in pts], marker="o", label=model)
            remedies = [r.metrics[key] for r in mine if r not in plain]
            if remedies:
                ax.scatter([0.0] * len(remedies), remedies, marker="x", color=line.get_color())
        ax.set_xlabel("temperature (0 = greedy; x = greedy + no-repeat)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend()
    _save(plt, fig, path)


def plot_scores(rows: Sequence[EvalRow], path: Path) -> None:
    """Open-vocabulary bits per character for every model (the comparable figure: each
    ``<unk>`` is spelled out, so a word model cannot win by calling words unknown),
    and closed-vocabulary perplexity of the word models, which share one vocabulary."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].bar(
        [r.model for r in rows], [r.score.open_bits_per_char for r in rows], color="tab:blue"
    )
    axes[0].set_title("bits per character, open vocabulary (test; lower is better)")
    words = [r for r in rows if r.tokenizer == "word"]
    axes[1].bar([r.model for r in words], [r.score.ppl for r in words], color="tab:orange")
    axes[1].set_title("word perplexity, closed vocabulary (test, shared vocabulary)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=20)
        ax.grid(axis="y", alpha=0.3)
    _save(plt, fig, path)


def plot_training_curves(
    fits: Mapping[str, Mapping[str, Any]],
    models: Sequence[str],
    units: Mapping[str, str],
    path: Path,
) -> None:
    """Validation perplexity per epoch of ``models`` (log scale: word and character
    perplexities differ by orders of magnitude), the best epoch circled. One-pass
    count models of the same unit are drawn as dashed levels to beat."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, model in enumerate(models):
        history = fits[model]["history"]
        epochs = [h["epoch"] for h in history]
        ppl = [h["valid_ppl"] for h in history]
        unit = units.get(model, "token")
        ax.plot(epochs, ppl, marker="o", color=f"C{i}", label=f"{model} (per {unit})")
        best = fits[model].get("best_epoch")
        if best in epochs:
            ax.plot([best], [ppl[epochs.index(best)]], "o", ms=12, mfc="none", color=f"C{i}")
    drawn_units = {units.get(m) for m in models}
    levels = [
        (model, fit["history"][0]["valid_ppl"])
        for model, fit in fits.items()
        if model not in models
        and len(fit.get("history") or []) == 1
        and units.get(model) in drawn_units
    ]
    for j, (model, level) in enumerate(levels, start=len(models)):
        label = f"{model} (one pass, per {units.get(model, 'token')})"
        ax.axhline(level, ls="--", lw=1, color=f"C{j % 10}", label=label)
    if models:
        _plain_log(ax)
        ax.legend(fontsize=8)
        ax.xaxis.set_major_locator(_ticker().MaxNLocator(integer=True))
    else:
        ax.text(
            0.5, 0.5, "no model trained for two epochs or more", ha="center", transform=ax.transAxes
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation perplexity (log scale)")
    ax.set_title("training curves (circle: best epoch, whose weights are kept)")
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


#: The quality axis, said in full on the plot: what is measured, by what, and which way is better.
QUALITY_LABEL = (
    "judge bits/char of samples, open vocab\n(held-out judge; axis inverted: up = better)"
)
#: The two x axes of the quality plot: diversity and novelty (copying).
QUALITY_PANELS: tuple[tuple[str, str], ...] = (
    ("distinct_2", "diversity: distinct-2 (unique bigrams / words; more diverse →)"),
    ("novel_4gram", "novelty: share of 4-grams not in the training text (less copying →)"),
)


def plot_quality_diversity(rows: Sequence[SweepRow], path: Path) -> None:
    """Quality against diversity and against novelty, one line per model through its
    settings. Quality is the held-out judge's open-vocabulary bits per character of the
    samples (:mod:`lab.evaluation.judge`), on an inverted axis so that better is up:
    a setting drawn *below* another reads *less* like the book. Settings with no judge
    score are left out."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    drawn = 0
    for i, model in enumerate(dict.fromkeys(r.model for r in rows)):
        mine = [r for r in rows if r.model == model]
        for (key, _), ax in zip(QUALITY_PANELS, axes, strict=True):
            pts = [
                (r.metrics.get(key, math.nan), r.metrics.get("judge_bpc", math.nan), r.setting)
                for r in mine
            ]
            pts = [(x, y, s) for x, y, s in pts if math.isfinite(x) and math.isfinite(y)]
            if not pts:
                continue
            drawn += key == QUALITY_PANELS[0][0]
            ax.plot(
                [x for x, _, _ in pts],
                [y for _, y, _ in pts],
                marker="o",
                color=f"C{i}",
                label=model,
            )
            for x, y, setting in pts:
                ax.annotate(setting, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    for (_, label), ax in zip(QUALITY_PANELS, axes, strict=True):
        ax.set_xlabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    if drawn:
        axes[0].invert_yaxis()  # shared: both panels have better (fewer bits) up
        axes[0].legend(fontsize=8)
    else:
        axes[0].text(0.5, 0.5, "no judge score recorded", ha="center", transform=axes[0].transAxes)
    axes[0].set_ylabel(QUALITY_LABEL)
    fig.suptitle("sample quality against diversity and against novelty, by sampling setting")
    _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: Path) -> None:
    fig.tight_layout()
    write_with_atomic(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


def _plain_log(ax: Any) -> None:
    """A log y axis labelled 3, 10, 30 rather than 3x10^0, 10^1."""
    ticker = _ticker()
    ax.set_yscale("log")
    plain = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _ticker() -> Any:
    _pyplot()
    import matplotlib.ticker

    return matplotlib.ticker


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; works with no display
    import matplotlib.pyplot as plt

    return plt
