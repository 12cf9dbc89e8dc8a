"""The report's tables as header and rows of strings, shared by ``report.md`` and
``report.html`` so the two can never show different numbers or labels."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lab.evaluation.diagnosis import is_neural
from lab.evaluation.evaluate import EvalRow
from lab.evaluation.provenance import compact_config
from lab.evaluation.sweep import SweepRow

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
#: The report's sweep also has a judge of sample quality (``lab evaluate`` does not):
#: open-vocabulary bits/char under a model of held-out text (lab.evaluation.judge).
JUDGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("judge_bpc", "judge bits/char (quality)"),
    ("judge_unknown", "words unknown to judge"),
)
#: The perplexity table's columns, which the tests and the conventions text refer to.
CLOSED_PPL = "perplexity (closed vocab, per token)"
OPEN_BPC = "bits/char, open vocab (comparable)"
CLOSED_BPC = "bits/char, closed vocab"


@dataclass(frozen=True)
class Table:
    """A header and rows of already formatted cells."""

    header: tuple[str, ...]
    rows: list[list[str]]


def perplexity_table(scores: Sequence[EvalRow]) -> Table:
    """Closed-vocabulary perplexity, OOV %, then open- and closed-vocabulary bits/char."""
    return Table(
        ("model", "unit", "vocab", "tokens", CLOSED_PPL, "OOV %", OPEN_BPC, CLOSED_BPC),
        [
            [
                r.model,
                r.tokenizer,
                f"{r.vocab_size:,}",
                f"{r.score.num_tokens:,}",
                f"{r.score.ppl:.2f}" + (" per char" if r.tokenizer == "char" else ""),
                f"{100 * r.score.oov_rate:.2f}",
                f"{r.score.open_bits_per_char:.3f}",
                f"{r.score.bits_per_char:.3f}",
            ]
            for r in scores
        ],
    )


def stopping_table(scores: Sequence[EvalRow], fits: Mapping[str, Mapping[str, Any]]) -> Table:
    """How each model's training ended, one row per scored model ("–" if not recorded)."""
    rows = []
    for r in scores:
        fit = fits.get(r.model, {})
        one_pass = fit.get("stop_reason") == "one pass"
        improving = fit.get("still_improving")
        rows.append(
            [
                r.model,
                str(fit.get("stop_reason") or "–"),
                _count(fit.get("epochs")),
                _count(fit.get("best_epoch")),
                _count(fit.get("train_tokens")),
                format_seconds(fit.get("train_seconds")),
                "–" if one_pass or improving is None else ("yes" if improving else "no"),
            ]
        )
    return Table(
        (
            "model",
            "stopped by",
            "epochs",
            "best epoch",
            "training tokens",
            "seconds",
            "still improving",
        ),
        rows,
    )


def models_table(
    scores: Sequence[EvalRow],
    fits: Mapping[str, Mapping[str, Any]],
    train_seconds: Mapping[str, float],
) -> Table:
    """Per model: kind, unit, device, training time and its full saved configuration."""
    rows = []
    for r in scores:
        fit = fits.get(r.model, {})
        rows.append(
            [
                r.model,
                r.kind,
                r.tokenizer,
                _where(fit),
                format_seconds(train_seconds.get(r.model, fit.get("train_seconds"))),
                compact_config(fit.get("config") or {}),
            ]
        )
    return Table(("model", "kind", "unit", "device", "training s", "configuration"), rows)


def side_by_side(rows: Sequence[SweepRow], prompts: Sequence[str]) -> list[tuple[str, Table]]:
    """One table per prompt: a row per setting, a column per model, each cell that
    model's first sample of the prompt at the setting (its continuation only; "¶"
    for a paragraph break; "–" if none was kept)."""
    models = list(dict.fromkeys(r.model for r in rows))
    settings = list(dict.fromkeys(r.setting for r in rows))
    found = {(r.model, r.setting): r for r in rows}
    out = []
    for prompt in prompts:
        body = []
        for setting in settings:
            cells = []
            for model in models:
                row = found.get((model, setting))
                sample = next(
                    (s for s in (row.samples if row else []) if s.get("prompt") == prompt), None
                )
                cells.append(_continuation(sample) if sample else "–")
            body.append([setting, *cells])
        out.append((prompt, Table(("setting", *models), body)))
    return out


def _continuation(sample: Mapping[str, str]) -> str:
    paras = [" ".join(rest.split()) for _, rest in sample_paragraphs(sample)]
    return " ¶ ".join(p for p in paras if p) or "(empty)"


def repetition_table(rows: Sequence[SweepRow]) -> Table:
    """Per model and setting: the judge's quality (when judged), then repetition,
    diversity and copying, so the three are read on one line."""
    judged = any(not math.isnan(r.metrics.get("judge_bpc", math.nan)) for r in rows)
    columns = (*(JUDGE_COLUMNS if judged else ()), *REPETITION_COLUMNS)
    return Table(
        ("model", "setting", *(label for _, label in columns)),
        [
            [r.model, r.setting, *(format_metric(r.metrics.get(key)) for key, _ in columns)]
            for r in rows
        ],
    )


def curve_models(fits: Mapping[str, Mapping[str, Any]], scores: Sequence[EvalRow]) -> list[str]:
    """The neural models with at least two epochs of history: those with a training curve."""
    kinds = {r.model: r.kind for r in scores}
    return [
        m
        for m, fit in fits.items()
        if is_neural(kinds.get(m, m)) and len(fit.get("history") or []) >= 2
    ]


def format_metric(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.3f}"


def format_seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def paragraphs(text: str) -> list[str]:
    """``text`` cut at blank lines (a generated "\\n\\n" is a paragraph break), each
    paragraph's lines kept; empty paragraphs dropped."""
    parts = (p.strip("\n") for p in re.split(r"\n[ \t]*\n", text))
    return [p for p in parts if p.strip()]


def sample_paragraphs(sample: Mapping[str, str]) -> list[tuple[str, str]]:
    """A shown sample as paragraphs of ``(prompt, generated)`` text: the prompt that
    opens the first paragraph is split off so a reader sees where the model took over
    (later paragraphs, and a text not starting with its prompt, have prompt ``""``)."""
    prompt = sample.get("prompt", "")
    out = []
    for i, para in enumerate(paragraphs(sample.get("text", ""))):
        if i == 0 and prompt.strip() and para.startswith(prompt):
            out.append((prompt, para[len(prompt) :]))
        else:
            out.append(("", para))
    return out


def _where(fit: Mapping[str, Any]) -> str:
    """The device a model trained on, with its CPU threads where they were recorded."""
    device, threads = str(fit.get("device") or "–"), fit.get("threads")
    return f"{device}, {threads} thread{'' if threads == 1 else 's'}" if threads else device
