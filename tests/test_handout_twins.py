"""The handout gives no answer away: no stubbed solution's logic is readable elsewhere in
it, and the grader's stand-ins, shipped with it, answer nothing for a submission.

Every exercise function is the one implementation of its logic, so stubbing its
solution region removes the answer from the release. A *twin* (a second copy of
that logic, say the adaptive model's own training step, or a batched sampler
beside the exercise's filters) would ship intact. The finder compares each
stubbed region with every function of the released ``lab/`` and ``baselines/``
(the grading drivers included) and ``tests/`` (the visible exercise tests and
their helpers: what the handout keeps of them, hidden tests stripped) as
abstract syntax trees, each statement and expression of at least
:data:`MIN_NODES` nodes a fingerprint, with the names a
function binds (arguments, locals) renamed by order of appearance and keyword
arguments sorted, so renaming variables or reordering keywords hides nothing. A
function is a twin of a region when it holds at least :data:`TWIN_SHARE` of the
region's fingerprints (weighted by size) and at least :data:`MIN_SHARED_NODES`
nodes of them. On the code before issue 18 this flags the adaptive model's
``adaptive_train_step`` (0.51), ``init_hidden`` (0.88) and ``features`` (0.33),
the batched ``row_distribution`` (0.77 of top-p), held-out scoring's own
window loop (0.32 of Exercise 5) and the drivers' stand-ins (1.00 of
``get_batch`` and of ``decode``, 0.39 of ``train_step``), and in the visible
exercise tests the expectations that re-implemented an answer: Exercise 4's
``_expected`` (0.45 of ``train_step``, 0.32 of ``next_token_loss``, as its LSTM
twin) and Exercise 5's window test (0.35 of ``get_batch``). Logic rewritten in
another shape is beyond it: the old batch decoder's loop (0.13 of Exercise 8),
Exercise 8's visible ``_expected`` loop (0.12), the sampler-parity test's
``torch_distribution`` (0.19 of ``next_token``) and the numpy filters were
taken out by construction instead: ``tests/test_batch_decoding.py`` checks that
batches decode through the exercises; visible exercise tests compare with the
reference's stored outputs (``tests/test_exercise_golden.py``), expectations
that recompute an answer live in hidden tests only, and the handout leaves the
sampler-parity test out (``lab.grading.handout.EXCLUDED_PATHS``).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from _grading_helpers import ROOT, copy_reference, reference_only, scores

from lab.grading.exercises import EXERCISES, exercise_for_function
from lab.grading.grader import grade_submission
from lab.grading.handout import region_exercises, write_handout

MIN_NODES = 4  # smaller subtrees (``x.item()``) say nothing about whose logic it is
TWIN_SHARE = 0.3
MIN_SHARED_NODES = 20  # a one-line region (``return logits / temperature``) has no twin to find
SCANNED = ("lab", "baselines", "tests")  # as released: hidden tests stripped

Fingerprints = dict[str, int]


def _bound_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            names |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    return names


class _Normalise(ast.NodeTransformer):
    """Bound names become ``v0, v1, ...`` in order of appearance; keywords sorted; contexts
    dropped. Module-level names (``torch``, ``detach_hidden``) and attributes stay."""

    def __init__(self, bound: set[str]) -> None:
        self.bound, self.seen = bound, dict[str, str]()

    def _rename(self, name: str) -> str:
        return self.seen.setdefault(name, f"v{len(self.seen)}") if name in self.bound else name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(self._rename(node.id), ast.Load())

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.arg(self._rename(node.arg))

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
        if isinstance(node, ast.Call):
            node.keywords.sort(key=lambda k: k.arg or "")
        return node


def fingerprints(nodes: list[ast.stmt], bound: set[str]) -> Fingerprints:
    """Normalised subtree -> its size, for every statement and expression under ``nodes``."""
    out: Fingerprints = {}
    for top in nodes:
        for node in ast.walk(top):
            if not isinstance(node, ast.stmt | ast.expr):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            size = sum(1 for _ in ast.walk(node))
            if size >= MIN_NODES:
                normal = _Normalise(bound).visit(copy.deepcopy(node))
                out[ast.dump(normal, include_attributes=False)] = size
    return out


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def stubbed_regions(root: Path) -> Iterator[tuple[str, Fingerprints]]:
    """``("Exercise N file:function", fingerprints)`` of each solution region of ``root``."""
    for file in sorted({ex.file for ex in EXERCISES if ex.file}):
        if not (root / file).is_file():
            continue
        text = (root / file).read_text(encoding="utf-8")
        tree = ast.parse(text)
        for region, ex in region_exercises(text, file):
            fn = max(
                (f for f in _functions(tree) if f.lineno < region.begin <= (f.end_lineno or 0)),
                key=lambda f: f.lineno,
            )
            body = [s for s in fn.body if region.begin < s.lineno < region.end]
            yield f"Exercise {ex.number} {file}:{fn.name}", fingerprints(body, _bound_names(fn))


def released_functions(handout: Path) -> Iterator[tuple[str, Fingerprints]]:
    for top in SCANNED:
        for path in sorted((handout / top).rglob("*.py")):
            for fn in _functions(ast.parse(path.read_text(encoding="utf-8"))):
                where = f"{path.relative_to(handout).as_posix()}:{fn.name}"
                yield where, fingerprints(fn.body, _bound_names(fn))


def find_twins(reference: Path, handout: Path) -> list[tuple[str, str, float]]:
    """``(region, released function, share)`` of every twin."""
    released = list(released_functions(handout))
    twins = []
    for region, prints in stubbed_regions(reference):
        total = sum(prints.values())
        for where, theirs in released:
            shared = sum(size for key, size in prints.items() if key in theirs)
            if shared >= MIN_SHARED_NODES and shared / total >= TWIN_SHARE:
                twins.append((region, where, round(shared / total, 2)))
    return twins


@reference_only
def test_no_stubbed_solution_is_readable_elsewhere_in_the_handout(tmp_path: Path) -> None:
    handout = tmp_path / "handout"
    write_handout(ROOT, handout)
    assert find_twins(ROOT, handout) == []


def test_the_finder_sees_a_renamed_copy_and_nothing_in_unrelated_code(tmp_path: Path) -> None:
    """The finder itself: a copy of train_step with its names changed and its keywords
    reordered is a twin, in the package or in a visible test's helper; the product's other
    training code is not."""
    reference = tmp_path / "reference"
    handout = tmp_path / "handout"
    for root in (reference, handout):
        (root / "lab" / "neural").mkdir(parents=True)
    (handout / "tests" / "exercises").mkdir(parents=True)
    source = (ROOT / "lab/neural/training.py").read_text(encoding="utf-8")
    (reference / "lab/neural/training.py").write_text(source, encoding="utf-8")
    start = source.index("    # BEGIN SOLUTION\n    hidden = detach_hidden(hidden)")
    body = source[start : source.index("    # END SOLUTION", start)].splitlines()[1:]
    renamed = "\n".join(body).replace("hidden", "state").replace("optimizer", "opt")
    (handout / "lab/neural/copy.py").write_text(
        f"def step(model, x, y, state, opt, clip, loss_fn):\n{renamed}\n", encoding="utf-8"
    )
    (handout / "tests/exercises/test_ex4_copy.py").write_text(
        f"def _expected(model, x, y, state, opt, clip, loss_fn):\n{renamed}\n", encoding="utf-8"
    )
    (handout / "lab/neural/other.py").write_text(
        "def other(model, data):\n    model.eval()\n    return sum(p.numel() for p in data)\n",
        encoding="utf-8",
    )
    twins = {(region.split(":")[-1], where) for region, where, _ in find_twins(reference, handout)}
    assert twins == {
        ("train_step", "lab/neural/copy.py:step"),
        ("train_step", "tests/exercises/test_ex4_copy.py:_expected"),
    }


# -- the drivers' stand-ins ----------------------------------------------------------------

#: Exercise bodies that answer by borrowing whatever the grading drivers define, through the
#: submission's own copy (``lab.grading.drivers``) or the sandbox's (``_textgen_drivers``).
BORROW = """import importlib
for _name in ("_textgen_drivers", "lab.grading.drivers"):
    for _part in ("loops", "neural", "counting", "inputs", "epoch", "sampling", "markov"):
        try:
            _module = importlib.import_module(_name + "." + _part)
        except ImportError:
            continue
        for _attr in sorted(dir(_module)):
            _found = getattr(_module, _attr)
            if "stand_in" in _attr and callable(_found) and _attr != "stand_in_lm":
                try:
                    return _found({args})
                except Exception:
                    pass
raise NotImplementedError("no stand-in to borrow")"""

BORROWED = {  # function -> the call that would answer it with a stand-in
    ("lab/neural/batching.py", "get_batch"): "source, i, bptt",
    ("lab/neural/decoding.py", "top_k_filter"): (
        "logits, importlib.import_module('lab.models.sampling').SamplingConfig(top_k=k)"
    ),
    ("lab/neural/decoding.py", "top_p_filter"): (
        "logits, importlib.import_module('lab.models.sampling').SamplingConfig(top_p=p)"
    ),
}


def _rewrite_regions(root: Path, bodies: dict[tuple[str, str], str]) -> None:
    """Every solution region of the copy at ``root`` stubbed, except those of ``bodies``'
    ``(file, function)``, which get that body instead."""
    for file in {ex.file for ex in EXERCISES if ex.file}:
        path = root / file
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = text.splitlines(keepends=True)
        for region, ex in reversed(region_exercises(text, file)):
            fn = max(
                (f for f in _functions(tree) if f.lineno < region.begin <= (f.end_lineno or 0)),
                key=lambda f: f.lineno,
            )
            body = bodies.get((file, fn.name), f'raise NotImplementedError("Exercise {ex.number}")')
            lines[region.begin - 1 : region.end] = [
                f"{region.indent}{line}\n" for line in body.splitlines()
            ]
        path.write_text("".join(lines), encoding="utf-8")


@reference_only
@pytest.mark.timeout(900)
def test_a_submission_that_borrows_the_drivers_stand_ins_scores_what_the_stub_scores(
    tmp_path: Path,
) -> None:
    numbers = {exercise_for_function(f, fn).number for f, fn in BORROWED}  # type: ignore[union-attr]
    stub = copy_reference(tmp_path / "stub")
    _rewrite_regions(stub, {})
    borrowing = copy_reference(tmp_path / "borrowing")
    _rewrite_regions(borrowing, {key: BORROW.replace("{args}", a) for key, a in BORROWED.items()})
    got = scores(grade_submission(borrowing, exercises=numbers, per_test_timeout=20.0))
    expected = scores(grade_submission(stub, exercises=numbers, per_test_timeout=20.0))
    assert {n: got[n] for n in numbers} == {n: expected[n] for n in numbers}
