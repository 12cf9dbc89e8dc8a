"""What the sandbox child may be asked to run: one driver per kind of call, data in and out.

A graded test never imports the submission. It asks the sandbox child
(:mod:`lab.grading.sandbox_child`) to run a driver here by name with JSON
arguments; the driver imports the submission's module, calls the
student's function in a prescribed way and returns plain data (lists,
numbers, strings; tensors as ``{"__tensor__": dtype, "shape", "data"}``).
The test, in the trusted process, computes what the answer must be and
compares. The trusted process uses only the helpers (``tiny_setup``,
``rnn_model``, the Markov text), so expectations are built from the same
inputs. The inputs of every test arrive in its request: nothing here knows
what a hidden test checks.

In a child this package is ``_textgen_drivers`` and holds only the modules
its exercise's tests call (:mod:`lab.grading.harness`). Some drivers replace
another exercise's function by a stand-in; a module holding one says so in
``STANDS_IN_FOR`` and is never copied into a child serving that exercise, so
no submission can delegate its own exercise to the grader's stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import counting, end_to_end, epoch, loops, markov, neural, probes, sampling
from .inputs import (
    MARKOV_TEXT,
    MARKOV_WORDS,
    TINY_DIM,
    TINY_VOCAB,
    rnn_model,
    seed_weights,
    stand_in_lm,
    tiny_rnn,
    tiny_setup,
)
from .wire import run as run_driver
from .wire import tensor, to_data

__all__ = [
    "DRIVERS",
    "MARKOV_TEXT",
    "MARKOV_WORDS",
    "TINY_DIM",
    "TINY_VOCAB",
    "rnn_model",
    "run",
    "seed_weights",
    "stand_in_lm",
    "tensor",
    "tiny_rnn",
    "tiny_setup",
    "to_data",
]

DRIVERS: dict[str, Callable[..., Any]] = {
    **counting.DRIVERS,
    **neural.DRIVERS,
    **sampling.DRIVERS,
    **loops.DRIVERS,
    **epoch.DRIVERS,
    **markov.DRIVERS,
    **end_to_end.DRIVERS,
    **probes.DRIVERS,
}


def run(name: str, kwargs: dict[str, Any]) -> Any:
    """Run driver ``name`` (every driver: the trusted side's table; a child has its own)."""
    return run_driver(DRIVERS, name, kwargs)
