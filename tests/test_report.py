"""The comparison pipeline and its report, on small data with tiny models."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import pytest
from test_protocol import TINY_TRANSFORMER

from lab.cli import main
from lab.evaluation.comparison import CompareConfig, run_comparison
from lab.evaluation.diagnosis import warnings
from lab.evaluation.report import findings, md_escape, write_report
from lab.evaluation.sweep import SweepConfig, SweepRow, words_of
from lab.models import registry
from lab.models.scoring import bits_per_char, perplexity
from lab.text.corpora import Corpus


@pytest.fixture(scope="module")
def comparison(prose_text: str, tmp_path_factory: pytest.TempPathFactory, tiny_lstm: dict):
    out = tmp_path_factory.mktemp("report")
    config = CompareConfig(
        models=("word-lstm", "char-lstm", "transformer", "markov", "ngram"),
        sweep=SweepConfig(
            temperatures=(0.5, 1.0, 1.5), prompts=("Alice was",), num_samples=3, max_words=20
        ),
        options={"word-lstm": tiny_lstm, "char-lstm": tiny_lstm, "transformer": TINY_TRANSFORMER},
    )
    result = run_comparison(
        Corpus("prose", prose_text, "test"), config, out / "runs", log=lambda _: None
    )
    paths = write_report(result, out / "report")
    return result, paths, out


def test_report_files_are_written(comparison) -> None:
    _, paths, out = comparison
    names = {p.name for p in paths}
    assert {
        "report.md",
        "metrics.json",
        "perplexity.csv",
        "repetition.csv",
        "repetition_vs_temperature.png",
        "perplexity.png",
        "training_curves.png",
        "quality_diversity.png",
        "report.html",
    } <= names
    for png in (out / "report").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_json_holds_every_number_and_the_config(comparison) -> None:
    _, _, out = comparison
    doc = json.loads((out / "report" / "metrics.json").read_text())
    assert [s["model"] for s in doc["scores"]] == [
        "word-lstm",
        "char-lstm",
        "transformer",
        "markov",
        "ngram",
        "unigram",
    ]
    assert len(doc["sweep"]) == 5 * 5  # greedy, greedy + no-repeat-3, 3 temperatures; 5 models
    assert doc["config"]["resolved_options"]["word-lstm"]["hidden_dim"] == 24
    for row in doc["scores"]:
        assert row["bits_per_char"] == pytest.approx(
            bits_per_char(row["nll_nats"], row["num_chars"])
        )
        assert row["ppl"] == pytest.approx(perplexity(row["nll_nats"], row["num_tokens"]))


def test_word_models_share_one_vocabulary_and_the_same_tokens(comparison) -> None:
    result, _, _ = comparison
    word_rows = [r for r in result.scores if r.tokenizer == "word"]
    assert len({r.vocab_size for r in word_rows}) == 1
    assert len({r.score.num_tokens for r in word_rows}) == 1
    assert len({r.score.num_chars for r in result.scores}) == 1  # same text for everyone


def test_report_markdown_has_tables_findings_and_samples(comparison) -> None:
    _, _, out = comparison
    text = (out / "report" / "report.md").read_text()
    for heading in (
        "## Perplexity on the test split",
        "## Repetition and diversity by temperature",
        "### Findings",
        "## Samples",
        "## How the numbers are counted",
    ):
        assert heading in text
    assert "| unigram |" in text and "| markov | greedy |" in text
    for section in ("## Warnings", "## How each model stopped"):
        assert section in text
    assert "bits/char, open vocab (comparable)" in text and "bits/char, closed vocab" in text
    assert "![training curves](training_curves.png)" in text
    assert "![quality against diversity](quality_diversity.png)" in text


def test_every_model_says_how_it_stopped(comparison) -> None:
    result, _, out = comparison
    text = (out / "report" / "report.md").read_text()
    page = (out / "report" / "report.html").read_text()
    assert set(result.fits) == {r.model for r in result.scores}
    for model, fit in result.fits.items():
        assert fit["stop_reason"] in ("converged", "epochs", "token budget", "time cap", "one pass")
        assert f"| {model} | {fit['stop_reason']} |" in text
        assert f"<td>{model}</td><td>{fit['stop_reason']}</td>" in page
    # Two tiny epochs that still improve: the report must say the LSTMs are under-trained.
    doc = json.loads((out / "report" / "metrics.json").read_text())
    assert doc["warnings"] == warnings(result)
    for model in ("word-lstm", "char-lstm", "transformer"):
        if result.fits[model]["still_improving"] and result.fits[model]["stop_reason"] == "epochs":
            assert any(w.startswith(f"{model} stopped at its epoch limit") for w in doc["warnings"])
    assert all(f"- **{w}**" in text for w in doc["warnings"])


def test_report_html_is_self_contained(comparison) -> None:
    result, _, out = comparison
    page = (out / "report" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for forbidden in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert forbidden not in page.lower()
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == page.count('src="') >= 3
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.partition(",")[2])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<th>bits/char, open vocab (comparable)</th>" in page
    for heading in ("Warnings", "How each model stopped", "Samples", "How the numbers are counted"):
        assert f">{heading}</h2>" in page
    for row in result.sweep:  # three samples per setting, each a blockquote
        section = page.split(f">{row.model}, {row.setting}</h4>", 1)[1].split("<h", 1)[0]
        assert section.count("<blockquote>") == len(row.samples) == 3


def test_contents_links_reach_every_heading(comparison) -> None:
    result, _, out = comparison
    page = (out / "report" / "report.html").read_text()
    links = re.findall(r'href="#([^"]+)"', page)
    ids = re.findall(r'<h[2-4] id="([^"]+)"', page)
    assert sorted(links) == sorted(ids) and len(set(ids)) == len(ids)
    assert len(ids) >= 2 + len(result.sweep)  # every sample block is listed
    text = (out / "report" / "report.md").read_text()
    contents = text.split("**Contents**\n\n", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"\]\(#([^)]+)\)", contents) == ids  # the same anchors, in order
    assert "- [Samples](#samples)" in contents
    (line,) = [x for x in contents.splitlines() if x.startswith("  - [word-lstm](#word-lstm): ")]
    # greedy, then its remedy (greedy + no-repeat-3), then the temperatures
    assert line.split(": ", 1)[1].startswith("[greedy](#word-lstm-greedy) · [greedy,no-repeat-3](")
    assert "· [T=0.5](" in line


def test_report_says_how_each_model_was_run(comparison) -> None:
    result, _, out = comparison
    doc = json.loads((out / "report" / "metrics.json").read_text())
    env = doc["environment"]
    assert set(env["versions"]) >= {"python", "torch", "nltk", "markovify", "textgen-lab"}
    assert env["versions"]["textgen-lab"] != "not installed" and env["command"]
    text = (out / "report" / "report.md").read_text()
    page = (out / "report" / "report.html").read_text()
    assert f"torch {env['versions']['torch']}" in text and "Command: `" in text
    assert "<p>Command: <code>" in page
    models = text.split("## Models and how they were run", 1)[1].split("\n## ", 1)[0]
    for row in result.scores:
        fit = doc["fits"][row.model]
        assert fit["config"]["vocab"]["unit"] == row.tokenizer and fit["device"]
        where = fit["device"]
        if registry.KINDS[row.kind].neural:  # a network records the CPU threads it used
            threads = fit["threads"]
            assert threads >= 1 and f"{where}, {threads} thread" in models
            where += f", {threads} thread{'' if threads == 1 else 's'}"
        assert f"| {row.model} | {row.kind} | {row.tokenizer} | {where} |" in models
    assert "hidden_dim=24" in models and "order=" in models


def test_side_by_side_shows_every_model_at_each_prompt_and_setting(comparison) -> None:
    result, _, out = comparison
    text = (out / "report" / "report.md").read_text()
    side = text.split("## Side by side", 1)[1].split("\n## ", 1)[0]
    models = list(dict.fromkeys(r.model for r in result.sweep))
    for prompt in result.config.sweep.prompts:
        table = side.split(f"### Prompt: {prompt}", 1)[1].split("\n### ", 1)[0]
        assert "| setting | " + " | ".join(models) + " |" in table
        for row in result.sweep:
            first = next(s for s in row.samples if s["prompt"] == prompt)
            words = first["text"][len(prompt) :].split()[:3]
            line = next(x for x in table.splitlines() if x.startswith(f"| {row.setting} |"))
            assert md_escape(" ".join(words)) in line


def test_runs_are_reused(comparison, prose_text: str) -> None:
    result, _, out = comparison
    config = CompareConfig(
        models=("markov", "word-lstm"),
        sweep=SweepConfig(prompts=("Alice",), num_samples=1, temperatures=(1.0,), max_words=5),
    )
    again = run_comparison(
        Corpus("prose", prose_text, "test"), config, out / "runs", log=lambda _: None
    )
    assert again.reused == ["markov", "word-lstm"] and again.train_seconds == {}
    old = {r.model: r.score.nll_nats for r in result.scores}
    assert {r.model: r.score.nll_nats for r in again.scores}["word-lstm"] == old["word-lstm"]


def _row(model: str, temperature: float | None, seq_rep: float, distinct2: float) -> SweepRow:
    return SweepRow(
        model,
        "greedy" if temperature is None else f"T={temperature}",
        temperature,
        {"seq_rep_4": seq_rep, "distinct_2": distinct2},
    )


def test_findings_follow_the_numbers() -> None:
    good = [_row("m", None, 0.8, 0.1), _row("m", 0.5, 0.4, 0.3), _row("m", 1.0, 0.1, 0.6)]
    bad = [_row("m", None, 0.1, 0.9), _row("m", 0.5, 0.4, 0.3), _row("m", 1.0, 0.5, 0.2)]
    assert findings(good) == [
        "m: greedy seq-rep-4 0.800 is above T=1.0's 0.100.",
        "m: distinct-2 rises with temperature (0.300 at T=0.5 to 0.600 at T=1; 1 of 1 steps up).",
    ]
    assert "NOT above" in findings(bad)[0] and "does NOT rise" in findings(bad)[1]


def test_words_of_drops_eos_and_splits_punctuation() -> None:
    assert words_of("Alice wasn't here. She left") == [
        "Alice",
        "was",
        "n't",
        "here",
        ".",
        "She",
        "left",
    ]


def test_words_of_drops_paragraph_breaks() -> None:
    assert words_of("Alice left.\n\nShe came back") == ["Alice", "left", ".", "She", "came", "back"]


def test_perplexity_helpers_validate() -> None:
    assert perplexity(0.0, 3) == 1.0
    assert math.isclose(bits_per_char(math.log(2) * 8, 4), 2.0)
    with pytest.raises(ValueError):
        perplexity(1.0, 0)


def test_evaluate_command_on_a_trained_run(tmp_path: Path, corpus_file: Path, capsys) -> None:
    run = tmp_path / "markov"
    assert (
        main(
            [
                "train",
                "--model",
                "markov",
                "--corpus",
                str(corpus_file),
                "--out",
                str(run),
                "--eos",
                "line",
                "--min-freq",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                str(run),
                "--temperatures",
                "1.0",
                "--num-samples",
                "2",
                "--max-words",
                "10",
                "--prompt",
                "",
                "--json",
                str(tmp_path / "eval.json"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "perplexity" in out and "| greedy |" in out
    doc = json.loads((tmp_path / "eval.json").read_text())
    assert doc["score"]["ppl"] < doc["unigram"]["ppl"]
