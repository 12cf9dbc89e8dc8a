"""Exercise tests: one module per exercise, each test worth ``@pytest.mark.points(n)``.

Rules the grader relies on (see :mod:`lab.grading.inventory`): graded tests
are plain module-level functions, never parametrized; each exercise's tests
call only that exercise's functions (other exercises are replaced by small
stand-ins), so one broken exercise never costs another's points. Tests
between ``# BEGIN HIDDEN TESTS`` and ``# END HIDDEN TESTS`` run only in the
grader.

The tests never import the code under test: they call it through the
``sandbox`` fixture (:mod:`lab.grading.sandbox`), which runs it in a child
process and hands back plain data, and they compute what it must be
themselves. Under the grader the child runs the submission, confined; when
you run these tests yourself it runs your checkout, as you.

Where a visible test needs the reference's exact numbers (a training step's
new weights, a decoding loop's ids), it reads them from ``golden.json`` (the
``golden`` fixture): the reference's outputs for those calls, stored as data,
so no test you are given holds a second copy of an answer's logic. Hidden
tests work their expectations out here.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.grading import confinement
from lab.grading.cgroups import Plan
from lab.grading.markers import hidden_line_ranges
from lab.grading.sandbox import DEFAULT_MEMORY, Sandbox, decode

LOCAL_TIMEOUT = 120.0
GOLDEN = Path(__file__).with_name("golden.json")


@pytest.fixture(scope="session")
def _sandbox_pool() -> Iterator[Sandbox]:
    box = os.environ.pop("TEXTGEN_SANDBOX_DIR", "")
    timeout = float(os.environ.pop("TEXTGEN_SANDBOX_TIMEOUT", LOCAL_TIMEOUT))
    memory = int(os.environ.pop("TEXTGEN_SANDBOX_MEMORY", DEFAULT_MEMORY))
    identity = confinement.identity_from_env(os.environ.pop("TEXTGEN_SANDBOX_UID", ""))
    limits = Plan.from_env(os.environ.pop("TEXTGEN_SANDBOX_CGROUP", ""))
    local = (
        contextlib.nullcontext("")
        if box
        else tempfile.TemporaryDirectory(prefix="textgen-local-box-")
    )
    with local as tmp:
        if box:  # under the grader: the box it prepared, as the uid it chose
            confinement.harden_trusted_process()
        else:  # your own run: your checkout, as you
            box = tmp
            (Path(box) / "submission").symlink_to(Path(__file__).resolve().parents[2])
        pool = Sandbox(
            Path(box), identity=identity, per_test_timeout=timeout, memory_bytes=memory,
            limits=limits,
        )  # fmt: skip
        try:
            yield pool
        finally:
            pool.close()


def _group(item: pytest.Item) -> str:
    """``module:visible`` or ``module:hidden``: tests that may share a child process."""
    path = Path(str(item.fspath))
    line = item.function.__code__.co_firstlineno  # type: ignore[attr-defined]
    hidden = any(b < line < e for b, e in hidden_line_ranges(path.read_text(encoding="utf-8")))
    return f"{path.name}:{'hidden' if hidden else 'visible'}"


@pytest.fixture
def sandbox(_sandbox_pool: Sandbox, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The code under test, behind a process boundary (see :class:`Sandbox`)."""
    group = _group(request.node)
    # Only test functions of the exercise modules share children (the session also
    # holds doctests and other tests, which have no function to place).
    size = sum(
        1
        for item in request.session.items
        if isinstance(item, pytest.Function) and _group(item) == group
    )
    yield _sandbox_pool.begin(group, size, Path(str(request.node.fspath)))
    _sandbox_pool.end()


@pytest.fixture(scope="session")
def golden() -> Callable[..., Any]:
    """``golden(driver, **kwargs)``: what ``sandbox.call(driver, **kwargs)`` returns when the
    sandbox runs the reference solution, read from :data:`GOLDEN` (tensors rebuilt)."""
    cases = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]

    def lookup(driver: str, **kwargs: Any) -> Any:
        wanted = json.loads(json.dumps(kwargs))  # as stored: tuples are lists
        for case in cases:
            if case["driver"] == driver and case["kwargs"] == wanted:
                return decode(case["out"])
        raise LookupError(f"{GOLDEN.name} has no output of {driver}({wanted})")

    return lookup
