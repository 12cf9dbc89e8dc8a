"""The report's warnings, tables and pages on hand-built comparison results (no training)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from lab.evaluation.comparison import CompareConfig, CompareResult
from lab.evaluation.diagnosis import warnings
from lab.evaluation.evaluate import EvalRow
from lab.evaluation.report import render_markdown, write_report
from lab.evaluation.report_html import render_html, sample_html
from lab.evaluation.sweep import SweepRow
from lab.evaluation.tables import curve_models, perplexity_table
from lab.models.scoring import ScoreResult
from lab.text.corpora import Corpus

TOKENS, CHARS = 100, 500


def _row(
    model: str, nll: float, *, unit: str = "word", oov: int = 0, spell: float = 0.0
) -> EvalRow:
    """A scored model: ``nll`` nats over the same 100 word tokens (500 characters) as the
    others, or over 500 characters for a char model; ``spell`` nats spell its ``<unk>``s."""
    tokens = TOKENS if unit == "word" else CHARS
    score = ScoreResult(nll, tokens, CHARS, num_oov=oov, unk_spelling_nats=spell)
    return EvalRow(model, model, unit, 50 if unit == "word" else 30, score)


def _fit(reason: str, improving: bool, epochs: int = 7, history: int = 0) -> dict[str, Any]:
    nll = [3.0 - e / 10 for e in range(1, history + 1)]
    rows = [
        {"epoch": e, "train_nll": v + 0.1, "valid_nll": v, "valid_ppl": math.exp(v)}
        for e, v in enumerate(nll, start=1)
    ]
    for r in rows:
        r.update(lr=1e-3, seconds=float(r["epoch"]))
    return {
        "stop_reason": reason,
        "still_improving": improving,
        "epochs": epochs,
        "best_epoch": epochs if improving else max(epochs - 3, 1),
        "train_tokens": 12_345,
        "train_seconds": 4.5,
        "history": rows,
    }


ONE_PASS = _fit("one pass", False, epochs=1)


def _result(scores: list[EvalRow], fits: dict[str, dict[str, Any]], sweep=()) -> CompareResult:
    return CompareResult(
        corpus=Corpus("tiny", "text", "hand-built"),
        split_chars={"train": 10, "valid": 2, "test": 2},
        config=CompareConfig(),
        scores=scores,
        sweep=list(sweep),
        train_seconds={},
        reused=[],
        fits=fits,
        prompt_note="Prompts given by the user; an independent seed for every setting and prompt.",
    )


def _healthy() -> CompareResult:
    """The lesson holds: both LSTMs beat the n-gram and the unigram, and stopped in time."""
    scores = [
        _row("word-lstm", 300.0, oov=5, spell=40.0),
        _row("char-lstm", 330.0, unit="char"),
        _row("ngram", 350.0, oov=5, spell=40.0),
        _row("unigram", 500.0, oov=5, spell=40.0),
    ]
    fits = {
        "word-lstm": _fit("converged", False),
        "char-lstm": _fit("token budget", False),  # a limit, but no longer improving
        "ngram": ONE_PASS,
        "unigram": ONE_PASS,
    }
    return _result(scores, fits)


def test_no_warnings_when_the_lesson_holds() -> None:
    assert warnings(_healthy()) == []
    assert "None: no model was cut off" in render_markdown(_healthy())


def test_a_model_cut_off_while_improving_is_under_trained() -> None:
    result = _healthy()
    result.fits["word-lstm"] = _fit("token budget", True, epochs=7)
    result.fits["char-lstm"] = _fit("time cap", True, epochs=1)
    result.fits["ngram"] = {**ONE_PASS, "still_improving": True}  # count models never warn
    again = " (textgen-lab train --out RUNS/{}, then compare --runs RUNS)."
    assert warnings(result) == [
        "word-lstm stopped at its token budget after 7 epochs while validation was still "
        "improving: under-trained; raise --max-tokens (and --epochs if that binds next)"
        + again.format("word-lstm"),
        "char-lstm stopped at its time cap after 1 epoch while validation was still improving: "
        "under-trained; raise --max-minutes or use a faster machine" + again.format("char-lstm"),
    ]
    result.fits["word-lstm"] = _fit("converged", True)  # converged: not cut off
    assert len(warnings(result)) == 1


def test_losing_to_a_baseline_is_said_in_words() -> None:
    result = _healthy()
    result.scores[0] = _row("word-lstm", 360.0, oov=5, spell=40.0)  # above the n-gram's 350
    (line,) = warnings(result)
    assert line.startswith("word-lstm loses to a baseline (closed-vocabulary perplexity")
    assert "ngram's" in line and "unigram's" not in line and "contradicts the lesson" in line
    assert "under-training" in line


def test_open_vocabulary_decides_between_word_and_char_models() -> None:
    result = _healthy()
    # Closed bits/char below the n-gram's, but its <unk>s cost more to spell: it loses.
    result.scores[0] = _row("word-lstm", 300.0, oov=5, spell=100.0)
    (line,) = warnings(result)
    assert "open-vocabulary bits/char" in line and "closed-vocabulary" not in line
    # A char model is held to the unigram's open figure (1.558), not its closed one (1.443).
    result = _healthy()
    result.scores[1] = _row("char-lstm", 530.0, unit="char")  # 1.529 bits/char
    (line,) = warnings(result)
    assert line.startswith("char-lstm loses") and "ngram's" in line and "unigram's" not in line
    result.scores[1] = _row("char-lstm", 560.0, unit="char")  # 1.616 bits/char
    (line,) = warnings(result)
    assert "ngram's 1.125 and unigram's 1.558" in line


def test_perplexity_table_labels_open_and_closed_vocabulary() -> None:
    table = perplexity_table(_healthy().scores)
    assert table.header[4:] == (
        "perplexity (closed vocab, per token)",
        "OOV %",
        "bits/char, open vocab (comparable)",
        "bits/char, closed vocab",
    )
    word, char = table.rows[0], table.rows[1]
    assert word[5] == "5.00" and float(word[6]) > float(word[7])  # spelling costs bits
    assert char[4].endswith("per char") and not word[4].endswith("per char")


def test_training_curves_need_two_epochs_of_a_neural_model() -> None:
    result = _healthy()
    result.fits["word-lstm"] = _fit("converged", False, history=4)
    result.fits["char-lstm"] = _fit("epochs", True, epochs=1, history=1)
    result.fits["ngram"] = {**ONE_PASS, "history": _fit("one pass", False, history=2)["history"]}
    assert curve_models(result.fits, result.scores) == ["word-lstm"]


def _sweep() -> list[SweepRow]:
    tricky = 'Alice was <b>bold</b> & said "hi".\n\nA new paragraph\nwith two lines.'
    rows = []
    for model in ("word-lstm", "ngram"):
        for setting, temperature in (("greedy", None), ("T=1", 1.0)):
            samples = [{"prompt": "Alice was", "text": tricky}] + [
                {"prompt": "Alice was", "text": f"Alice was sample {i}"} for i in (2, 3)
            ]
            metrics = {"distinct_2": 0.5, "seq_rep_4": 0.1, "judge_bpc": math.nan, "zipf": math.nan}
            rows.append(SweepRow(model, setting, temperature, metrics, samples))
    return rows


def test_samples_are_escaped_and_keep_their_paragraphs() -> None:
    page = sample_html({"prompt": "Alice was", "text": _sweep()[0].samples[0]["text"]})
    assert "<b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; said &quot;hi&quot;" in page
    assert page.count("<p>") == 2 and "A new paragraph<br>with two lines." in page
    assert page.startswith('<blockquote><p><span class="prompt">Alice was</span> &lt;b&gt;')
    result = _healthy()
    result.sweep = _sweep()
    html_page = render_html(result, {})
    assert html_page.count("<blockquote>") == 3 * len(result.sweep)
    assert "<b>" not in html_page and "sample 3" in html_page
    text = render_markdown(result)
    assert "> **Alice was** \\<b\\>bold\\</b\\> & said" in text
    assert '& said "hi".\n>\n> A new paragraph\n> with two lines.' in text
    assert text.count("> **Alice was**") == 3 * len(result.sweep)


def test_written_report_is_strict_json_and_self_contained_html(tmp_path: Path) -> None:
    result = _healthy()
    result.scores[0] = _row("word-lstm", 360.0, oov=5, spell=40.0)
    result.fits["word-lstm"] = _fit("epochs", True, history=3)
    result.sweep = _sweep()  # NaN judge bits/char and Zipf: null in JSON, left out of the plot
    paths = {p.name: p for p in write_report(result, tmp_path)}

    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} is not strict JSON")

    doc = json.loads(paths["metrics.json"].read_text(), parse_constant=no_constants)
    assert doc["warnings"] == warnings(result) and len(doc["warnings"]) == 2
    assert doc["sweep"][0]["judge_bpc"] is None and doc["fits"]["word-lstm"]["epochs"] == 7
    page = paths["report.html"].read_text()
    assert page.count('<img src="data:image/png;base64,') == page.count('src="') == 4
    assert "http" not in page and "<script" not in page
    assert '<div class="warnings">' in page and "loses to a baseline" in page
    for model, fit in result.fits.items():
        assert f"<td>{model}</td><td>{fit['stop_reason']}</td>" in page


@pytest.mark.parametrize("reason", ["epochs", "token budget", "time cap"])
def test_every_limit_has_a_remedy(reason: str) -> None:
    result = _healthy()
    result.fits["char-lstm"] = _fit(reason, True)
    (line,) = warnings(result)
    assert line.startswith("char-lstm stopped at its ") and "raise --" in line


def test_a_nearly_flat_curve_is_not_called_under_trained() -> None:
    """Cut off at the budget with its last epoch 0.2% better: said to be close to converged;
    with a steep last epoch, under-trained, and by how much it was still improving."""
    result = _healthy()
    fit = _fit("token budget", True, epochs=3, history=3)
    flat = [3.50, 3.43, 3.428]  # the last epoch lowers perplexity by 0.2%
    for row, nll in zip(fit["history"], flat, strict=True):
        row["valid_nll"] = nll
    result.fits["word-lstm"] = fit
    (line,) = warnings(result)
    assert "nearly flat (perplexity 0.2% lower in the last epoch)" in line
    assert "under-trained" not in line and "raise --max-tokens" in line
    fit["history"][-1]["valid_nll"] = 3.33  # 9.5% lower: steep
    (line,) = warnings(result)
    assert "still improving (perplexity 9.5% lower in the last epoch): under-trained" in line
