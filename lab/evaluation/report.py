"""Writing a comparison: ``report.md``, ``report.html``, ``metrics.json``, CSV tables
and PNG plots.

Every figure in the reports comes from the same numbers written to
``metrics.json``; the warnings and "findings" lines are computed from them, not
written by hand, so a report says so when it contradicts the lesson.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab.evaluation import plots
from lab.evaluation.budget import budget_notes
from lab.evaluation.comparison import CompareResult
from lab.evaluation.diagnosis import findings, warnings
from lab.evaluation.provenance import environment, environment_line
from lab.evaluation.report_html import render_html
from lab.evaluation.report_text import (
    CONVENTIONS,
    MODELS_NOTE,
    NO_WARNINGS,
    PPL_NOTE,
    QD_NOTE,
    SAMPLES_NOTE,
    SIDE_NOTE,
    STOP_NOTE,
    Outline,
    summary_line,
)
from lab.evaluation.tables import (
    Table,
    curve_models,
    models_table,
    perplexity_table,
    repetition_table,
    sample_paragraphs,
    side_by_side,
    stopping_table,
)
from lab.storage.files import write_text_atomic

PLOTS: dict[str, str] = {
    "ppl_plot": "perplexity.png",
    "curves_plot": "training_curves.png",
    "rep_plot": "repetition_vs_temperature.png",
    "qd_plot": "quality_diversity.png",
}


def write_report(result: CompareResult, out_dir: Path) -> list[Path]:
    """Write every artefact of ``result`` into ``out_dir``; returns the paths.

    The plots come first because ``report.html`` embeds the very PNG files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = environment()
    paths = {
        "metrics": out_dir / "metrics.json",
        "scores": out_dir / "perplexity.csv",
        "sweep": out_dir / "repetition.csv",
        **{key: out_dir / name for key, name in PLOTS.items()},
        "report": out_dir / "report.md",
        "html": out_dir / "report.html",
    }
    write_text_atomic(
        paths["metrics"],
        json.dumps(finite_json(metrics_document(result, env)), indent=2, allow_nan=False),
    )
    write_text_atomic(paths["scores"], _csv([r.to_dict() for r in result.scores]))
    write_text_atomic(paths["sweep"], _csv([r.to_dict() for r in result.sweep]))
    plots.plot_scores(result.scores, paths["ppl_plot"])
    plots.plot_training_curves(
        result.fits,
        curve_models(result.fits, result.scores),
        {r.model: r.tokenizer for r in result.scores},
        paths["curves_plot"],
    )
    plots.plot_repetition(result.sweep, paths["rep_plot"])
    plots.plot_quality_diversity(result.sweep, paths["qd_plot"])
    write_text_atomic(paths["report"], render_markdown(result, env))
    images = {name: paths[key].read_bytes() for key, name in PLOTS.items()}
    write_text_atomic(paths["html"], render_html(result, images, env))
    return list(paths.values())


def metrics_document(result: CompareResult, env: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every number of the report, the configuration that produced it and the
    command, versions and machine (``environment``)."""
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": environment() if env is None else dict(env),
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
        "warnings": warnings(result),
        "scores": [r.to_dict() for r in result.scores],
        "fits": result.fits,
        "prompt_note": result.prompt_note,
        "sweep": [{**r.to_dict(), "samples": r.samples} for r in result.sweep],
        "findings": findings(result.sweep),
    }


def render_markdown(result: CompareResult, env: Mapping[str, Any] | None = None) -> str:
    """The human-readable report: header, contents list, then the sections."""
    env = environment() if env is None else env
    outline = Outline()
    body = io.StringIO()
    w = body.write

    def h(level: int, title: str, short: str | None = None) -> None:
        outline.add(level, title, short)
        w(f"{'#' * level} {md_escape(title)}\n\n")

    h(2, "Warnings")
    said = warnings(result)
    w("".join(f"- **{line}**\n" for line in said) or f"{NO_WARNINGS}\n")
    w("\n")
    h(2, "Models and how they were run")
    w(markdown_table(models_table(result.scores, result.fits, result.train_seconds)))
    w(f"\n{MODELS_NOTE}\n\n")
    h(2, "Perplexity on the test split")
    w(markdown_table(perplexity_table(result.scores)))
    w(f"\n{PPL_NOTE}\n\n![perplexity](perplexity.png)\n\n")
    h(2, "How each model stopped")
    w(markdown_table(stopping_table(result.scores, result.fits)))
    w(f"\n{STOP_NOTE}\n\n")
    for line in budget_notes(result.scores, result.fits):
        w(f"- Budget: {line}\n")
    w("\n![training curves](training_curves.png)\n\n")
    h(2, "Repetition and diversity by temperature")
    w(markdown_table(repetition_table(result.sweep)))
    w("\n![repetition](repetition_vs_temperature.png)\n\n")
    w(f"{QD_NOTE}\n\n![quality against diversity](quality_diversity.png)\n\n")
    h(3, "Findings (computed from the table)")
    for line in findings(result.sweep):
        w(f"- {line}\n")
    w("\n")
    h(2, "Side by side: every model at each prompt and setting")
    w(f"{SIDE_NOTE}\n\n")
    for prompt, table in side_by_side(result.sweep, result.config.sweep.prompts):
        h(3, f"Prompt: {prompt or '(sentence start)'}")
        cells = [[md_escape(cell) for cell in row] for row in table.rows]  # generated text
        w(markdown_table(Table(table.header, cells)) + "\n")
    h(2, "Samples")
    w(f"{SAMPLES_NOTE} {result.prompt_note}\n\n")
    for model in dict.fromkeys(r.model for r in result.sweep):
        h(3, model)
        for r in (r for r in result.sweep if r.model == model):
            h(4, f"{model}, {r.setting}", r.setting)
            for sample in r.samples or [{"prompt": "", "text": "(no sample)"}]:
                w(_md_quote(sample) + "\n")
    h(2, "How the numbers are counted")
    w(CONVENTIONS)

    head = io.StringIO()
    head.write(f"# textgen-lab comparison: {result.corpus.name}\n\n{summary_line(result)}\n\n")
    head.write(f"Command: `{env.get('command', '')}`\n\n{environment_line(env)}\n\n")
    for note in result.notes:
        head.write(f"> Note: {note}\n\n")
    head.write("**Contents**\n\n")
    for level, links in outline.contents():
        (title, anchor), *subs = links
        line = f"[{md_escape(title)}](#{anchor})"
        if subs:
            line += ": " + " · ".join(f"[{md_escape(t)}](#{a})" for t, a in subs)
        head.write(f"{'  ' * (level - 2)}- {line}\n")
    return head.getvalue() + "\n" + body.getvalue()


def _md_quote(sample: dict[str, str]) -> str:
    """A sample as a Markdown blockquote, one quoted paragraph per paragraph of text."""
    paras = []
    for prompt, rest in sample_paragraphs(sample):
        # The prompt in bold, spaced exactly as in the text ("Alice was" + "n't" stays joined).
        lead = f"**{md_escape(prompt.strip())}**" + prompt[len(prompt.rstrip()) :] if prompt else ""
        lines = (lead + md_escape(rest)).split("\n")
        paras.append("\n".join("> " + line.strip() for line in lines))
    return "\n>\n".join(paras or ["> (empty)"]) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown (and inline HTML) punctuation, so generated text is
    shown as written: a ``<b>`` or ``_word_`` in a sample stays literal."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_table(table: Table) -> str:
    header, rows = table.header, table.rows
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


def finite_json(value: Any) -> Any:
    """NaN (a metric that does not apply) becomes JSON ``null``: strict JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value
