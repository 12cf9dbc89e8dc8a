"""Checks no answer's type can fool: an exception is checked by its exact class, answers come
back as plain data the trusted process compares, and the drivers' stand-ins are not the
submission's to import.

Each submission is the handout's stub with one trick planted, and must score what the stub
scores (zero).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _grading_helpers import PPL, TIMEOUT, reference_only
from test_grading_forgery import plant, stub

from lab.grading.exercises import exercise_for_function
from lab.grading.grader import format_summary, grade_submission
from lab.grading.sandbox import SubmissionRaised

pytestmark = [reference_only, pytest.mark.slow]
BATCHING = exercise_for_function("lab/neural/batching.py", "get_batch").number  # type: ignore[union-attr]

# One class that is every exception a test may expect, and answers equal to everything.
CRAFTED = """
class Everything(ValueError, TypeError, KeyError, IndexError, ZeroDivisionError,
                 OverflowError, NotImplementedError, AttributeError):
    pass
class AlwaysEqual(float):
    def __eq__(self, other):
        return True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
if num_tokens == 0 or nll_nats > 1e5:
    raise Everything("whatever you expected")
return AlwaysEqual(-1.0)
"""

# The drivers' stand-in get_batch, imported from the handout's copy of the drivers.
STAND_IN = """
from lab.grading.drivers.loops import _stand_in_get_batch
return _stand_in_get_batch(source, i, bptt)
"""


def test_exception_types_are_checked_exactly() -> None:
    assert SubmissionRaised("e", ["builtins.ValueError", "builtins.Exception"], "").is_a(
        "ValueError"
    )
    everything = ["x.Everything", "builtins.ValueError", "builtins.TypeError"]
    assert not SubmissionRaised("e", everything, "").is_a("ValueError")
    assert not SubmissionRaised("e", [], "").is_a("ValueError")


def test_an_exception_of_every_type_and_answers_equal_to_everything_score_zero(
    tmp_path: Path,
) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", CRAFTED)
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT)
    assert report.score == 0, format_summary(report)
    outputs = " ".join(r.output for r in report.results)
    assert "expected ValueError, the submission raised" in outputs  # checked, and refused
    assert "-1.0" in outputs  # the crafted float arrived as the number it is


def test_importing_the_drivers_stand_ins_scores_what_the_stub_scores(tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/neural/batching.py", "get_batch", STAND_IN)
    planted = grade_submission(sub, exercises=[BATCHING], per_test_timeout=TIMEOUT)
    untouched = grade_submission(
        stub(tmp_path / "stub"), exercises=[BATCHING], per_test_timeout=TIMEOUT
    )
    assert planted.score == untouched.score == 0, format_summary(planted)
    assert "No module named 'lab.grading.drivers'" in " ".join(r.output for r in planted.results)
