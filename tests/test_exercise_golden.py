"""The exercises' golden values: the reference's outputs that visible tests compare with.

A visible exercise test ships to students, so it must not recompute its expectation with a
copy of the answer's logic (``tests/test_handout_twins.py`` looks for such copies). Where it
needs the reference's exact numbers it reads them from ``tests/exercises/golden.json``
(the ``golden`` fixture of ``tests/exercises/conftest.py``): for each ``(driver, kwargs)`` of
:data:`CASES`, what the driver returns when it runs the reference solution. This module
makes that file from the reference and fails when the stored values are stale (or a case is
missing or extra). It is the grader's, not the students': the handout leaves it out
(``lab.grading.handout.EXCLUDED_PATHS``).

Regenerate after changing a case, a driver or the reference::

    python tests/test_exercise_golden.py --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from lab.grading.drivers import to_data

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "exercises" / "golden.json"
ABOUT = (
    "The reference solution's outputs of the sandbox calls the visible exercise tests make; "
    "written by tests/test_exercise_golden.py --write, never by hand."
)
VOCAB_EX3, DIM_EX3, VOCAB_EX8 = 11, 8, 9  # the test modules' VOCAB and DIM


def _ex3_tokens() -> Any:
    """test_ex3_model's ``to_data(_tokens())``: (6, 3) ids from seed 1, as sent."""
    gen = torch.Generator().manual_seed(1)
    return to_data(torch.randint(0, VOCAB_EX3, (6, 3), generator=gen))


#: ``(driver, kwargs)`` of every stored output, as the visible tests call them.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("network.forward", {"vocab": VOCAB_EX3, "dim": DIM_EX3, "tokens": _ex3_tokens()}),
    ("training.train_step", {"seed": 0, "lr": 0.1, "clip": 100.0}),
    ("training.train_step", {"seed": 2, "lr": 0.5, "clip": 1e6}),
    ("generation.generate_ids",
     {"vocab": VOCAB_EX8, "prompt": [4, 1, 7], "max_tokens": 8, "num_samples": 2, "seed": 3}),
    ("generation.generate_ids",
     {"vocab": VOCAB_EX8, "prompt": [1, 2, 3], "max_tokens": 6, "seed": 16}),
]  # fmt: skip


def reference_output(driver: str, kwargs: dict[str, Any]) -> Any:
    """What the sandbox child returns for ``driver(**kwargs)`` on the reference, as wire data
    (run here, on this checkout's own solutions, without touching the global RNG)."""
    from lab.grading.drivers import run

    with torch.random.fork_rng():
        return json.loads(json.dumps(run(driver, json.loads(json.dumps(kwargs)))))


def make_golden() -> dict[str, Any]:
    cases = [
        {"driver": d, "kwargs": json.loads(json.dumps(k)), "out": reference_output(d, k)}
        for d, k in CASES
    ]
    return {"about": ABOUT, "cases": cases}


def write_golden(path: Path = GOLDEN) -> None:
    """Write the golden file whole (a temporary file renamed into place), a case a line."""
    golden = make_golden()
    cases = ",\n".join(f"  {json.dumps(case)}" for case in golden["cases"])
    text = f'{{\n "about": {json.dumps(golden["about"])},\n "cases": [\n{cases}\n ]\n}}\n'
    assert json.loads(text) == golden
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _assert_same(got: Any, stored: Any, where: str) -> None:
    """Equal wire data; floats (and float tensors) within float32 round-off."""
    from lab.grading.sandbox import decode

    got, stored = decode(got), decode(stored)
    if isinstance(stored, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(stored), where
        for key in stored:
            _assert_same(got[key], stored[key], f"{where}.{key}")
    elif isinstance(stored, list):
        assert isinstance(got, list) and len(got) == len(stored), where
        for i, (a, b) in enumerate(zip(got, stored, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(stored, torch.Tensor):
        assert isinstance(got, torch.Tensor), where
        torch.testing.assert_close(got, stored, msg=where)
    elif isinstance(stored, float):
        assert got == pytest.approx(stored, rel=1e-5), where
    else:
        assert got == stored, where


def test_the_golden_values_are_the_references_current_outputs() -> None:
    """Regenerated from the reference, every case equals what golden.json stores, and it
    stores exactly :data:`CASES` (a stale or hand-edited value fails here)."""
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert [(c["driver"], c["kwargs"]) for c in stored["cases"]] == [
        (d, json.loads(json.dumps(k))) for d, k in CASES
    ], "golden.json's cases differ from CASES: run python tests/test_exercise_golden.py --write"
    for case in stored["cases"]:
        where = f"{case['driver']}({case['kwargs']})"
        _assert_same(reference_output(case["driver"], case["kwargs"]), case["out"], where)


def test_a_changed_value_is_seen_as_stale() -> None:
    """The comparison itself: one weight moved by 1e-3 in a stored output is a failure."""
    out = reference_output(*CASES[1])
    moved = json.loads(json.dumps(out))
    moved["params"]["decoder.bias"]["data"][0] += 1e-3
    _assert_same(out, json.loads(json.dumps(out)), "same")
    with pytest.raises(AssertionError):
        _assert_same(out, moved, "moved")


def test_the_priming_case_needs_the_whole_prompt() -> None:
    """test_ex8's priming case is worth its point: from the same seed, the reference continues
    [1, 2, 3] differently from [3] alone, so a loop that reads only the last token fails."""
    driver, kwargs = CASES[4]
    whole = reference_output(driver, kwargs)["ids"]["data"]
    last_only = reference_output(driver, {**kwargs, "prompt": kwargs["prompt"][-1:]})["ids"]
    assert whole != last_only["data"]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        print("usage: python tests/test_exercise_golden.py --write", file=sys.stderr)
        raise SystemExit(2)
    write_golden()
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(CASES)} cases)")
