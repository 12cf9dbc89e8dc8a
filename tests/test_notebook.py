"""The student notebook runs top to bottom, headless, in its quick configuration.

It uses Alice when the NLTK data is installed and a synthetic corpus
otherwise, so it needs no network either way.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from lab.grading.answers import ANSWER_HEADING, questions_in

nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (extra: notebook)")
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (extra: notebook)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (extra: notebook)")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "lab.ipynb"
KERNEL = "textgen-lab-test"
# Run after the notebook's own cells: facts the assertions need, as one JSON line.
CHECK_CELL = """
import json as _json
_words = prompt.split()
_windows = {tuple(valid_tokens[i : i + len(_words)]) for i in range(len(valid_tokens))}
print("CHECK " + _json.dumps({
    "prompt": prompt,
    "prompt_in_valid": tuple(_words) in _windows,
    "seeds": [train_config.seed, gru_config.train.seed],
    "max_minutes": [train_config.max_minutes, gru_config.train.max_minutes],
    "max_tokens": [train_config.max_tokens, gru_config.train.max_tokens],
}))
"""
SAMPLE_LINE = re.compile(r"^\[(lstm|gru)\s+(\S+)\] .*? \| (.*)$", re.MULTILINE)


@pytest.mark.slow
def test_notebook_runs_clean_in_quick_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernel spec of our own pins the kernel to this interpreter, whatever
    # "python3" kernels the machine has installed.
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": KERNEL, "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("TEXTGEN_LAB_QUICK", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK_CELL))
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name=KERNEL, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "quick configuration" in text
    for expected in (
        "LSTM test perplexity",
        "Markov test perplexity",
        "[lstm greedy]",
        "T=1.5",
        "[next after",
        "GRU test perplexity",
        "Transformer test perplexity",
        "[transformer greedy]",
        "ends in a loop:",
    ):
        assert expected in text
    assert any(o.output_type == "display_data" for o in outputs)  # the diversity plot
    assert "explorer unavailable" not in text  # the widget explorer was built

    check = json.loads(text.split("CHECK ", 1)[1].splitlines()[0])
    assert check["prompt"] and check["prompt_in_valid"]  # drawn from the chosen book
    assert check["seeds"][0] != check["seeds"][1]  # each model its own seed
    assert check["max_minutes"] == [None, None] and all(check["max_tokens"])  # budgets in tokens
    samples: dict[str, dict[str, str]] = {}
    for model, setting, sample in SAMPLE_LINE.findall(text):
        samples.setdefault(model, {})[setting] = sample
    sampled = [s for s in samples["lstm"] if s != "greedy"]
    assert len(sampled) == 4 and set(samples["gru"]) == set(samples["lstm"])
    same = [s for s in sampled if samples["lstm"][s] == samples["gru"][s]]
    assert not same, f"the LSTM and the GRU wrote the same samples at {same}"


def test_notebook_answer_cells_are_tagged_for_collection() -> None:
    """The written answers live in markdown cells tagged ``answer`` with a unique
    ``answer_id`` each, which the grader collects for manual grading."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    answers = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    ids = [c.metadata.get("answer_id") for c in answers]
    assert len(answers) >= 3 and all(c.cell_type == "markdown" for c in answers)
    assert all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids)
    assert "temperature-diversity" in ids
    for cell in answers:  # visibly marked: a heading the student cannot miss
        assert cell.source.startswith(f"#### {ANSWER_HEADING}\n"), cell.source
    questions = questions_in(NOTEBOOK)  # what the grader collects from the reference
    assert [q.id for q in questions] == ids
    assert all(ANSWER_HEADING not in q.placeholder and q.placeholder for q in questions)
    assert all(re.match(r"\*\*\d\.\*\* ", q.question) for q in questions)


def test_notebook_budgets_training_in_tokens_and_draws_its_prompt() -> None:
    """As the CLI: no wall-clock cap (machine-dependent), no prompt written for one book."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "max_minutes" not in code and "max_tokens" in code
    assert "alice was" not in code.lower()


def test_notebook_is_stored_without_outputs() -> None:
    """Students get a clean notebook: no stale outputs or execution counts."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
