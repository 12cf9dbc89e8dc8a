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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab.evaluation import plots
from lab.evaluation.comparison import CompareResult
from lab.evaluation.diagnosis import findings, warnings
from lab.evaluation.report_html import render_html
from lab.evaluation.report_text import (
    CONVENTIONS,
    NO_WARNINGS,
    PPL_NOTE,
    QD_NOTE,
    SAMPLES_NOTE,
    STOP_NOTE,
    summary_line,
)
from lab.evaluation.tables import (
    Table,
    curve_models,
    perplexity_table,
    repetition_table,
    sample_paragraphs,
    stopping_table,
)
from lab.fileio import write_text_atomic

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
        json.dumps(finite_json(metrics_document(result)), indent=2, allow_nan=False),
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
    write_text_atomic(paths["report"], render_markdown(result))
    images = {name: paths[key].read_bytes() for key, name in PLOTS.items()}
    write_text_atomic(paths["html"], render_html(result, images))
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
        "warnings": warnings(result),
        "scores": [r.to_dict() for r in result.scores],
        "fits": result.fits,
        "prompt_note": result.prompt_note,
        "sweep": [{**r.to_dict(), "samples": r.samples} for r in result.sweep],
        "findings": findings(result.sweep),
    }


def render_markdown(result: CompareResult) -> str:
    """The human-readable report."""
    out = io.StringIO()
    w = out.write
    w(f"# textgen-lab comparison: {result.corpus.name}\n\n{summary_line(result)}\n\n")
    for note in result.notes:
        w(f"> Note: {note}\n\n")
    said = warnings(result)
    w("## Warnings\n\n" + ("".join(f"- **{line}**\n" for line in said) or f"{NO_WARNINGS}\n"))
    w("\n## Perplexity on the test split\n\n")
    w(markdown_table(perplexity_table(result.scores)))
    w(f"\n{PPL_NOTE}\n\n![perplexity](perplexity.png)\n\n")
    w("## How each model stopped\n\n")
    w(markdown_table(stopping_table(result.scores, result.fits)))
    w(f"\n{STOP_NOTE}\n\n![training curves](training_curves.png)\n\n")
    w("## Repetition and diversity by temperature\n\n")
    w(markdown_table(repetition_table(result.sweep)))
    w("\n![repetition](repetition_vs_temperature.png)\n\n")
    w(f"{QD_NOTE}\n\n![quality against diversity](quality_diversity.png)\n\n")
    w("### Findings (computed from the table)\n\n")
    for line in findings(result.sweep):
        w(f"- {line}\n")
    w(f"\n## Samples\n\n{SAMPLES_NOTE} {result.prompt_note}\n\n")
    for model in dict.fromkeys(r.model for r in result.sweep):
        w(f"### {model}\n\n")
        for r in (r for r in result.sweep if r.model == model):
            w(f"#### {model}, {r.setting}\n\n")
            for sample in r.samples or [{"prompt": "", "text": "(no sample)"}]:
                w(_md_quote(sample) + "\n")
    w("## How the numbers are counted\n\n" + CONVENTIONS)
    return out.getvalue()


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
