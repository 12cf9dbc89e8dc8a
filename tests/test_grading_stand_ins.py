"""The drivers' stand-ins answer nothing for the exercise they stand in for.

Some exercise tests replace another exercise's function by a stand-in the
harness writes (Exercise 5's loop gets a ``get_batch`` for Exercise 2,
Exercise 6's ``next_token`` gets top-k/top-p filters for Exercise 7,
Exercise 12's chain a vocabulary for Exercise 1). A child serving an
exercise's tests holds only the driver modules those tests call, none of
which stands in for that exercise, so a submission that hunts for a
stand-in to delegate to (by importing every harness module, scanning
``sys.modules``, searching ``gc.get_objects()``, or running the driver that
builds one with its own function swapped for a spy) finds none.

The unit tests check the harness's selection without grading; the slow one
grades a hunting submission and the untouched handout, which must score the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _grading_helpers import ROOT, TIMEOUT, reference_only, scores
from test_grading_forgery import plant, stub

from lab.grading.exercises import EXERCISES, exercise_for_function
from lab.grading.grader import format_summary, grade_submission
from lab.grading.harness import build_harness, driver_modules, modules_for, stand_ins

VOCABULARY = exercise_for_function("lab/text/vocabulary.py", "Vocabulary.encode").number  # type: ignore[union-attr]
BATCHING = exercise_for_function("lab/neural/batching.py", "get_batch").number  # type: ignore[union-attr]
FILTERING = exercise_for_function("lab/neural/decoding.py", "top_k_filter").number  # type: ignore[union-attr]
LOOP = exercise_for_function("lab/neural/epoch.py", "train_epoch").number  # type: ignore[union-attr]
TESTS = ROOT / "tests" / "exercises"

# Every way in: import every module of the harness's drivers, then keep every module
# that looks like the grader's (sys.modules); ``_tried`` stops the recursion when a
# stand-in turns out to be the submission's own function.
HUNT = """
import contextlib, gc, importlib, pkgutil, sys
_mods = []
with contextlib.suppress(Exception):
    _pkg = importlib.import_module("_textgen_drivers")
    for _info in pkgutil.iter_modules(_pkg.__path__):
        with contextlib.suppress(Exception):
            importlib.import_module("_textgen_drivers." + _info.name)
for _name, _mod in list(sys.modules.items()):
    if _mod is not None and ("driver" in _name or _name.startswith("_textgen")):
        _mods.append(_mod)
_tables = {}
for _mod in _mods:
    _table = getattr(_mod, "DRIVERS", None)
    if isinstance(_table, dict):
        _tables.update(_table)
_candidates = [o for o in gc.get_objects() if callable(o) and ("stand_in" in
               getattr(o, "__name__", "") or "StandIn" in getattr(o, "__name__", ""))]
"""

GET_BATCH = (
    HUNT
    + """
for _mod in _mods:  # Exercise 5's context that puts a windowing stand-in in place
    _windows = getattr(_mod, "_windows_of", None)
    if _windows is not None:
        with contextlib.suppress(Exception), _windows(source, bptt) as _epoch:
            return _epoch.get_batch(source, i, bptt)
for _fn in _candidates:  # any stand-in left alive
    with contextlib.suppress(Exception):
        return _fn(source, i, bptt)
"""
)

FILTER = (
    HUNT
    + """
_self = sys.modules[__name__]
_run = _tables.get("decoding.next_token")
if _run is not None:  # Exercise 6's driver, with next_token swapped for a spy
    _got = []
    _own = _self.next_token
    def _spy(rows, sampling, generator=None, banned_ids=()):
        _filter = getattr(_self, "{function}")
        if getattr(_filter, "__name__", "") != "{function}":
            _got.append(_filter(logits, {arg}))
        return rows.argmax(-1)
    _self.next_token = _spy
    try:
        with contextlib.suppress(Exception):
            _run(logits=[[0.0, 1.0]], temperature=1.0, {option}=0.5 if "{arg}" == "p" else 1)
    finally:
        _self.next_token = _own
    if _got:
        return _got[0]
for _fn in _candidates:
    with contextlib.suppress(Exception):
        return _fn(logits, {arg})
"""
)

VOCAB = (
    HUNT
    + """
_run = _tables.get("markov.chains")
if _run is not None:  # Exercise 12's driver, with the chain swapped for a spy
    _markov = importlib.import_module("baselines.markov")
    _classes = []
    class _Spy:
        def __init__(self, *args, **kwargs):
            pass
        def fit(self, text, vocab=None):
            _classes.append(type(vocab))
            raise RuntimeError("spied")
    _own = _markov.MarkovGenerator
    _markov.MarkovGenerator = _Spy
    try:
        with contextlib.suppress(Exception):
            _run()
    finally:
        _markov.MarkovGenerator = _own
    if _classes and _classes[0] is not type(self):
        return _classes[0].{method}(self, {arg})
for _fn in _candidates:
    with contextlib.suppress(Exception):
        return getattr(_fn, "{method}")(self, {arg})
"""
)


def _fill(code: str, **words: str) -> str:
    for key, word in words.items():
        code = code.replace("{" + key + "}", word)
    return code


PLANTS = {
    ("lab/neural/batching.py", "get_batch"): GET_BATCH,
    ("lab/neural/decoding.py", "top_k_filter"): _fill(
        FILTER, function="top_k_filter", arg="k", option="top_k"
    ),
    ("lab/neural/decoding.py", "top_p_filter"): _fill(
        FILTER, function="top_p_filter", arg="p", option="top_p"
    ),
    ("lab/text/vocabulary.py", "encode"): _fill(VOCAB, method="encode", arg="tokens"),
    ("lab/text/vocabulary.py", "decode"): _fill(VOCAB, method="decode", arg="ids"),
}


def test_no_child_holds_a_stand_in_for_its_own_exercise() -> None:
    """Every exercise's harness: the modules its tests call, none standing in for it."""
    for ex in EXERCISES:
        modules = modules_for(TESTS / ex.test_module)
        assert modules, ex.label
        for module in modules:
            standing = {exercise_for_function(*f).number for f in stand_ins(module)}  # type: ignore[union-attr]
            assert ex.number not in standing, (ex.label, module)


def test_the_known_stand_ins_are_declared() -> None:
    """The stand-ins this file hunts for are declared by the modules that hold them, and
    are kept out of the children that serve the exercise they answer."""
    declared = {f for m in driver_modules() for f in stand_ins(m)}
    assert {
        ("lab/neural/batching.py", "get_batch"),
        ("lab/neural/decoding.py", "top_k_filter"),
        ("lab/neural/decoding.py", "top_p_filter"),
        ("lab/text/vocabulary.py", "Vocabulary.encode"),
        ("lab/text/vocabulary.py", "Vocabulary.decode"),
    } <= declared
    by_exercise = {ex.number: modules_for(TESTS / ex.test_module) for ex in EXERCISES}
    assert "epoch" in by_exercise[LOOP] and "epoch" not in by_exercise[BATCHING]
    assert "sampling" not in by_exercise[FILTERING]
    assert "markov" not in by_exercise[VOCABULARY]


def test_a_harness_holds_only_its_modules(tmp_path: Path) -> None:
    """Exercise 2's child gets the batching drivers, not the training loop's stand-in."""
    tests = TESTS / next(ex.test_module for ex in EXERCISES if ex.number == BATCHING)
    harness = build_harness(tmp_path / "harness", tests)
    package = {p.stem for p in (harness / "_textgen_drivers").glob("*.py")}
    assert package == {"__init__", "wire", *modules_for(tests)}
    assert "epoch" not in package and "neural" in package
    init = (harness / "_textgen_drivers" / "__init__.py").read_text(encoding="utf-8")
    assert "epoch" not in init
    assert {oct(p.stat().st_mode & 0o777) for p in harness.rglob("*")} <= {"0o444", "0o555"}


@reference_only
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_submission_hunting_for_stand_ins_scores_what_the_stub_scores(
    tmp_path: Path,
) -> None:
    numbers = [VOCABULARY, BATCHING, FILTERING]
    hunting = stub(tmp_path / "hunting")
    for (file, function), code in PLANTS.items():
        plant(hunting, file, function, code)
    got = grade_submission(hunting, exercises=numbers, per_test_timeout=TIMEOUT)
    expected = grade_submission(
        stub(tmp_path / "stub"), exercises=numbers, per_test_timeout=TIMEOUT
    )
    assert scores(got) == scores(expected), format_summary(got)
    assert got.score == 0, format_summary(got)
