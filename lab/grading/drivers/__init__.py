"""What the sandbox child may be asked to run: one driver per kind of call, data in and out.

A graded test never imports the submission. It asks the sandbox child
(:mod:`lab.grading.sandbox_child`) to run a driver here by name with JSON
arguments; the driver imports the submission's module, calls the
student's function in a prescribed way and returns plain data (lists,
numbers, strings; tensors as ``{"__tensor__": dtype, "shape", "data"}``).
The test, in the trusted process, computes what the answer must be and
compares. In the child this package is ``_textgen_drivers`` and imports the
submission inside each driver; the trusted process uses only its helpers
(``tiny_setup``, ``rnn_model``, the Markov text), so expectations are built
from the same inputs. The inputs of every test arrive in its request:
nothing here knows what a hidden test checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import counting, end_to_end, loops, neural, probes
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
    **loops.DRIVERS,
    **end_to_end.DRIVERS,
    **probes.DRIVERS,
}


def run(name: str, kwargs: dict[str, Any]) -> Any:
    """Run driver ``name`` (the child's only entry point) and return its result as data."""
    if name not in DRIVERS:
        raise KeyError(f"no driver {name!r}")
    return to_data(DRIVERS[name](**kwargs))
