"""The README's table of defaults and presets says what the code does.

The "Defaults and the `--quick` preset" table is prose a reader trusts; these tests
rebuild each cell that states a number from the registry (lab/models/registry.py)
and the config dataclasses, so changing a preset without the README fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lab.models import registry
from lab.models.budgets import BookBudget, BySize

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### Defaults and the `--quick` preset"


def _table() -> dict[str, list[str]]:
    """The table's rows by model: ``[network, train defaults, compare --quick]``."""
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"README has no {HEADING!r} section"
    section = text.split(HEADING, 1)[1].strip().split("\n\n", 1)[0]
    rows = {}
    for line in section.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def _rate(value: float) -> str:
    """3e-3 as the README writes it (not 0.003 or 3e-03)."""
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def quick_cell(preset: dict[str, Any]) -> str:
    """The README's words for a ``compare --quick`` preset; an option it has no words
    for fails, so a new preset option needs this and the README updated together."""
    preset = dict(preset)
    parts = []
    if "epochs" in preset or "max_tokens" in preset:
        limits = []
        if "epochs" in preset:
            limits.append(f"≤ {preset.pop('epochs')} epochs")
        if "max_tokens" in preset:
            budget = preset.pop("max_tokens")
            if isinstance(budget, BookBudget):  # follows the book (lab.models.budgets)
                limits.append(
                    f"≤ {budget.passes:g} passes of the training split, at most "
                    f"{budget.seconds:g} s idle"
                )
            else:
                limits.append(f"≤ {budget:,} training tokens")
        parts.append(" and ".join(limits))
    words = {
        "batch_size": "batch {}",
        "bptt": "BPTT {}",
        "hidden_dim": "hidden {}",
        "state_size": "state size {}",
        "order": "order {}",
    }
    for key in list(preset):
        if key == "lr":
            parts.append(f"Adam {_rate(preset.pop(key))}")
        elif isinstance(preset[key], BySize):
            by = preset.pop(key)
            parts.append(f"{key} {by.small} ({by.large} from {by.tokens:,} training tokens)")
        elif key in words:
            parts.append(words[key].format(preset.pop(key)))
    assert not preset, f"no README wording for preset options {sorted(preset)}"
    return ", ".join(parts)


@pytest.mark.parametrize("kind", registry.compared_kinds())
def test_quick_preset_column_matches_the_registry(kind: str) -> None:
    row = _table()[kind]
    assert row[2] == quick_cell(dict(registry.kind(kind).presets.get("quick", {})))


@pytest.mark.parametrize("kind", [k for k in registry.compared_kinds() if registry.kind(k).neural])
def test_train_defaults_and_network_match_the_config(kind: str) -> None:
    network, defaults, _ = _table()[kind]
    entry = registry.kind(kind)
    value = entry.default_value
    expected = (
        f"Adam {_rate(value('lr'))}, batch {value('batch_size')} × BPTT {value('bptt')}, "
        f"≤ {value('epochs')} epochs, early stop"
    )
    assert defaults == expected
    assert network.startswith(f"{value('num_layers')}×{value('hidden_dim')} LSTM")
    assert f"dropout {value('dropout'):g}" in network
    if not value("tie_weights"):
        assert f"{value('embedding_dim')}-d embeddings" in network
    assert re.search(r"words seen ≥ (\d+) times", network) is None or (
        f"words seen ≥ {value('min_freq')} times" in network
    )
