"""Writing a comparison: ``report.md``, ``metrics.json``, CSV tables and PNG plots.

Every figure in the Markdown comes from the same numbers written to
``metrics.json``; the "findings" lines are computed from them, not written
by hand, so a report can contradict the lesson if the models do.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab.evaluation.comparison import CompareResult
from lab.evaluation.evaluate import EvalRow
from lab.evaluation.sweep import SweepRow
from lab.fileio import write_text_atomic, write_with_atomic

REPETITION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("distinct_1", "distinct-1"),
    ("distinct_2", "distinct-2"),
    ("seq_rep_4", "seq-rep-4"),
    ("rep_16", "rep/16"),
    ("loop_rate", "loops"),
    ("novel_4gram", "novel 4-grams"),
    ("longest_copy", "longest copy"),
    ("zipf", "Zipf"),
)

CONVENTIONS = """\
How the numbers are counted: each model scores the test split with its own tokenizer after a
`<eos>` start context; every token is predicted once, `<eos>` (sentence end) included, the start
context not. Perplexity is exp(total NLL / predicted tokens) over the whole split. The word models
share one vocabulary (training words seen at least twice); other words are the single class
`<unk>`, which is predicted and counted like any token. That flatters word-level figures, so the
OOV column gives the share of `<unk>` tokens. Bits per character = total NLL / characters of the
test text / ln 2 and is the one figure comparable between word and character models. The unigram
model (add-one smoothing over the shared vocabulary) is the floor. markovify's chain has no
probabilities, so the Markov row scores with its own counts smoothed by interpolated Kneser-Ney of
order state size + 1; with state size 2 it equals a Kneser-Ney trigram.

Repetition metrics are computed on the word tokens of the generated continuations (a character
model's output is word-tokenized the same way), prompts excluded: distinct-n = unique n-grams /
generated tokens (Li et al. 2016); seq-rep-4 = 1 - unique 4-grams / 4-grams within a sample, averaged
(Welleck et al. 2019); rep/16 = share of tokens that repeat one of the previous 16 (Welleck et al.
2019); loops = share of samples that end in a repeating cycle (Holtzman et al. 2020); novel 4-grams =
share of generated 4-grams absent from the training text; longest copy = longest span (tokens)
copied verbatim from it; Zipf = -slope of log count against log rank.
"""


def write_report(result: CompareResult, out_dir: Path) -> list[Path]:
    """Write every artefact of ``result`` into ``out_dir``; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out_dir / "metrics.json",
        "scores": out_dir / "perplexity.csv",
        "sweep": out_dir / "repetition.csv",
        "rep_plot": out_dir / "repetition_vs_temperature.png",
        "ppl_plot": out_dir / "perplexity.png",
        "report": out_dir / "report.md",
    }
    write_text_atomic(
        paths["metrics"],
        json.dumps(finite_json(metrics_document(result)), indent=2, allow_nan=False),
    )
    write_text_atomic(paths["scores"], _csv([r.to_dict() for r in result.scores]))
    write_text_atomic(paths["sweep"], _csv([r.to_dict() for r in result.sweep]))
    plot_repetition(result.sweep, paths["rep_plot"])
    plot_scores(result.scores, paths["ppl_plot"])
    write_text_atomic(paths["report"], render_markdown(result))
    return list(paths.values())


def metrics_document(result: CompareResult) -> dict[str, Any]:
    """Every number of the report and the configuration that produced it."""
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "corpus": {
            "name": result.corpus.name,
            "source": result.corpus.source,
            "split_chars": result.split_chars,
        },
        "config": result.config.to_dict(),
        "seconds": result.seconds,
        "train_seconds": result.train_seconds,
        "reused": result.reused,
        "notes": result.notes,
        "scores": [r.to_dict() for r in result.scores],
        "sweep": [{**r.to_dict(), "samples": r.samples} for r in result.sweep],
        "findings": findings(result.sweep),
    }


def render_markdown(result: CompareResult) -> str:
    """The human-readable report."""
    out = io.StringIO()
    w = out.write
    w(f"# textgen-lab comparison: {result.corpus.name}\n\n")
    w(
        f"Corpus `{result.corpus.name}` from {result.corpus.source}; split (characters) "
        + ", ".join(f"{k} {v:,}" for k, v in result.split_chars.items())
        + f". Preset: {'quick' if result.config.quick else 'full'}. Total time {result.seconds:.0f} s"
    )
    if result.train_seconds:
        w(
            " (training: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in result.train_seconds.items())
            + ")"
        )
    if result.reused:
        w(f"; reused runs: {', '.join(result.reused)}")
    w(".\n\n")
    for note in result.notes:
        w(f"> Note: {note}\n\n")
    w("## Perplexity on the test split\n\n")
    w(
        markdown_table(
            ["model", "unit", "vocab", "tokens", "OOV %", "perplexity", "bits/char", "nats/token"],
            [
                [
                    r.model,
                    r.tokenizer,
                    f"{r.vocab_size:,}",
                    f"{r.score.num_tokens:,}",
                    f"{100 * r.score.oov_rate:.2f}",
                    f"{r.score.ppl:.2f}",
                    f"{r.score.bits_per_char:.3f}",
                    f"{r.score.nats_per_token:.3f}",
                ]
                for r in result.scores
            ],
        )
    )
    w(
        "\nThe character model's perplexity is per character and not comparable with the word rows; "
        "compare it by bits/char.\n\n![perplexity](perplexity.png)\n\n"
    )
    w("## Repetition and diversity by temperature\n\n")
    w(
        markdown_table(
            ["model", "setting", *(label for _, label in REPETITION_COLUMNS)],
            [
                [
                    r.model,
                    r.setting,
                    *(format_metric(r.metrics.get(key)) for key, _ in REPETITION_COLUMNS),
                ]
                for r in result.sweep
            ],
        )
    )
    w(
        "\n![repetition](repetition_vs_temperature.png)\n\n### Findings (computed from the table)\n\n"
    )
    for line in findings(result.sweep):
        w(f"- {line}\n")
    w("\n## Samples\n\nThe first sample of the first prompt at each setting (prompt included).\n\n")
    for model in dict.fromkeys(r.model for r in result.sweep):
        w(f"### {model}\n\n")
        for r in (r for r in result.sweep if r.model == model):
            text = r.samples[0]["text"] if r.samples else ""
            w(f"- **{r.setting}**: {_excerpt(text)}\n")
        w("\n")
    w("## How the numbers are counted\n\n" + CONVENTIONS)
    return out.getvalue()


def findings(rows: Sequence[SweepRow]) -> list[str]:
    """Plain statements checked against the numbers: does greedy repeat more
    than T=1.0, and does distinct-2 rise with temperature?"""
    lines = []
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        greedy = next((r for r in mine if r.temperature is None), None)
        t1 = next((r for r in mine if r.temperature == 1.0), None)
        if greedy and t1:
            g, s = greedy.metrics["seq_rep_4"], t1.metrics["seq_rep_4"]
            verdict = "above" if g > s else "NOT above"
            lines.append(f"{model}: greedy seq-rep-4 {g:.3f} is {verdict} T=1.0's {s:.3f}.")
        temps = sorted(
            (r.temperature, r.metrics["distinct_2"]) for r in mine if r.temperature is not None
        )
        if len(temps) >= 2:
            values = [d for _, d in temps]
            rises = sum(b > a for a, b in itertools.pairwise(values))
            trend = "rises" if values[-1] > values[0] else "does NOT rise"
            lines.append(
                f"{model}: distinct-2 {trend} with temperature ({values[0]:.3f} at T={temps[0][0]:g} to "
                f"{values[-1]:.3f} at T={temps[-1][0]:g}; {rises} of {len(values) - 1} steps up)."
            )
    return lines


def plot_repetition(rows: Sequence[SweepRow], path: Path) -> None:
    """seq-rep-4 and distinct-2 against temperature, one line per model; greedy at T=0."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for key, ax, title in (
        (("seq_rep_4"), axes[0], "repetition (seq-rep-4)"),
        ("distinct_2", axes[1], "distinct-2"),
    ):
        for model in dict.fromkeys(r.model for r in rows):
            pts = sorted((r.temperature or 0.0, r.metrics[key]) for r in rows if r.model == model)
            ax.plot([t for t, _ in pts], [v for _, v in pts], marker="o", label=model)
        ax.set_xlabel("temperature (0 = greedy)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    write_with_atomic(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


def plot_scores(rows: Sequence[EvalRow], path: Path) -> None:
    """Bits per character for every model, and perplexity of the word models."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].bar([r.model for r in rows], [r.score.bits_per_char for r in rows], color="tab:blue")
    axes[0].set_title("bits per character (test)")
    words = [r for r in rows if r.tokenizer == "word"]
    axes[1].bar([r.model for r in words], [r.score.ppl for r in words], color="tab:orange")
    axes[1].set_title("word perplexity (test, shared vocabulary)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=20)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    write_with_atomic(path, lambda p: fig.savefig(p, format="png", dpi=110))
    plt.close(fig)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; works with no display
    import matplotlib.pyplot as plt

    return plt


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def format_metric(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.3f}"


def _excerpt(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return (flat[:limit] + "…") if len(flat) > limit else flat


def finite_json(value: Any) -> Any:
    """NaN (a metric that does not apply) becomes JSON ``null``: strict JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value
