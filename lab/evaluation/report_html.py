"""``report.html``: the comparison as one self-contained page.

Everything is inside the file (CSS in a ``<style>`` element, plots as base64
``data:`` PNGs, no scripts, no external URLs), so it can be mailed, archived or
opened offline and shows exactly what ``report.md`` shows. Every piece of text
from the run (samples above all: a model may write ``<b>``) goes through
:func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lab.evaluation import report_text as words
from lab.evaluation.budget import budget_notes
from lab.evaluation.comparison import CompareResult
from lab.evaluation.diagnosis import findings, warnings
from lab.evaluation.provenance import environment, environment_line
from lab.evaluation.tables import (
    Table,
    models_table,
    perplexity_table,
    repetition_table,
    sample_paragraphs,
    side_by_side,
    stopping_table,
)

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
h1, h2, h3 { line-height: 1.2; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tbody tr:nth-child(even) { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2rem; border-radius: 3px; }
.warnings { background: #fff3cd; border: 1px solid #e0b000; padding: .5rem 1rem; }
.warnings li { margin: .3rem 0; } .ok { background: #e8f5e9; border: 1px solid #7cb342; padding: .5rem 1rem; }
.note { color: #555; } img { max-width: 100%; border: 1px solid #eee; margin: .5rem 0; }
.samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: .8rem; }
blockquote { margin: 0; padding: .4rem .8rem; border-left: 4px solid #9ab; background: #f7f9fb; }
blockquote p { margin: .3rem 0; } .prompt { font-weight: bold; color: #345; }
table.side { table-layout: fixed; width: 100%; } table.side td, table.side th { text-align: left; vertical-align: top; }
table.side td:first-child, table.side th:first-child { width: 5rem; }
.contents { columns: 2 24rem; } .contents li { margin: .1rem 0; }
.contents li.toc3 { margin-left: 1.5rem; list-style: circle; }
table.models td { text-align: left; } table.models td:last-child { font-size: 13px; }
"""


def render_html(
    result: CompareResult, images: Mapping[str, bytes], env: Mapping[str, Any] | None = None
) -> str:
    """The page; ``images`` maps each PNG's file name to its bytes (embedded, not linked)."""
    env = environment() if env is None else env
    title = f"textgen-lab comparison: {result.corpus.name}"
    outline = words.Outline()

    def h(level: int, text: str, short: str | None = None) -> str:
        anchor = outline.add(level, text, short)
        return f'<h{level} id="{_esc(anchor)}">{_esc(text)}</h{level}>'

    body = [
        h(2, "Warnings"),
        _warnings(warnings(result)),
        h(2, "Models and how they were run"),
        html_table(models_table(result.scores, result.fits, result.train_seconds), "models"),
        f'<p class="note">{prose(words.MODELS_NOTE)}</p>',
        h(2, "Perplexity on the test split"),
        html_table(perplexity_table(result.scores)),
        f'<p class="note">{prose(words.PPL_NOTE)}</p>',
        _img(images, "perplexity.png", "bits per character and word perplexity"),
        h(2, "How each model stopped"),
        html_table(stopping_table(result.scores, result.fits)),
        f'<p class="note">{prose(words.STOP_NOTE)}</p>',
        _list([f"Budget: {line}" for line in budget_notes(result.scores, result.fits)]),
        _img(images, "training_curves.png", "validation perplexity per epoch"),
        h(2, "Repetition and diversity by temperature"),
        html_table(repetition_table(result.sweep)),
        _img(images, "repetition_vs_temperature.png", "repetition and diversity by temperature"),
        f'<p class="note">{prose(words.QD_NOTE)}</p>',
        _img(images, "quality_diversity.png", "judge bits/char against distinct-2 and novelty"),
        h(3, "Findings (computed from the table)"),
        _list(findings(result.sweep)),
        h(2, "Side by side: every model at each prompt and setting"),
        f'<p class="note">{prose(words.SIDE_NOTE)}</p>',
        *(
            h(3, f"Prompt: {prompt or '(sentence start)'}") + html_table(table, "side")
            for prompt, table in side_by_side(result.sweep, result.config.sweep.prompts)
        ),
        h(2, "Samples"),
        f'<p class="note">{prose(words.SAMPLES_NOTE)} {_esc(result.prompt_note)}</p>',
        _samples(result, h),
        h(2, "How the numbers are counted"),
        *(f"<p>{prose(p)}</p>" for p in words.CONVENTIONS.split("\n\n") if p.strip()),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f"<p>{prose(words.summary_line(result))}</p>",
        f"<p>Command: <code>{_esc(env.get('command', ''))}</code></p>",
        f'<p class="note">{_esc(environment_line(env))}</p>',
        *(f'<p class="note">Note: {_esc(note)}</p>' for note in result.notes),
        _contents(outline),
        *body,
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _contents(outline: words.Outline) -> str:
    """The contents list: a nested list of links to every heading's anchor."""
    items = []
    for level, links in outline.contents():
        (text, anchor), *subs = links
        item = f'<a href="#{_esc(anchor)}">{_esc(text)}</a>'
        if subs:
            item += ": " + " · ".join(f'<a href="#{_esc(a)}">{_esc(t)}</a>' for t, a in subs)
        items.append(f'<li class="toc{level}">{item}</li>')
    return f'<nav><h2>Contents</h2><ul class="contents">{"".join(items)}</ul></nav>'


def html_table(table: Table, css_class: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def sample_html(sample: Mapping[str, str]) -> str:
    """One sample as a blockquote of paragraphs (``\\n\\n`` in the text), lines kept,
    the prompt marked."""
    paras = []
    for prompt, rest in sample_paragraphs(sample):
        lead = f'<span class="prompt">{_esc(prompt)}</span>' if prompt else ""
        paras.append(f"<p>{lead}{_esc(rest).replace(chr(10), '<br>')}</p>")
    return f"<blockquote>{''.join(paras) or '<p>(empty)</p>'}</blockquote>"


def prose(text: str) -> str:
    """Report prose as HTML: escaped, `backticks` as ``<code>``, line breaks as spaces."""
    escaped = _esc(" ".join(text.split()))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _samples(result: CompareResult, h: Callable[..., str]) -> str:
    out = []
    for model in dict.fromkeys(r.model for r in result.sweep):
        out.append(h(3, model))
        for row in (r for r in result.sweep if r.model == model):
            out.append(h(4, f"{model}, {row.setting}", row.setting))
            shown = row.samples or [{"prompt": "", "text": "(no sample)"}]
            out.append('<div class="samples">' + "".join(map(sample_html, shown)) + "</div>")
    return "\n".join(out)


def _warnings(lines: Sequence[str]) -> str:
    if not lines:
        return f'<p class="ok">{_esc(words.NO_WARNINGS)}</p>'
    return f'<div class="warnings">{_list(lines)}</div>'


def _list(lines: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{_esc(line)}</li>" for line in lines) + "</ul>" if lines else ""


def _img(images: Mapping[str, bytes], name: str, alt: str) -> str:
    """``name`` embedded as a base64 PNG (the page links to nothing outside itself)."""
    if name not in images:
        return ""
    data = base64.b64encode(images[name]).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)
