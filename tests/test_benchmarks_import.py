"""Every benchmark module imports: benchmarks are not run by CI (they take minutes), so a
module the package's restructuring left behind would otherwise only fail when someone
measures (``benchmarks/busy.py`` imported a module issue 18 had folded away)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_every_benchmark_module_imports(name: str) -> None:
    if name == "gpt2_cost":
        pytest.importorskip("transformers", reason="the gpt2 extra is not installed")
    importlib.import_module(f"benchmarks.{name}")
