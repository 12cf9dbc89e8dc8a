"""Drivers of the sampling exercise (6): temperature and ``next_token``.

``next_token`` runs with Exercise 7's filters replaced by stand-ins that
cut as the pure-Python reference sampler does, so a broken top-k/top-p
costs only Exercise 7. Those stand-ins answer Exercise 7: this module is
never in the harness of a child serving Exercise 7 (:data:`STANDS_IN_FOR`,
:mod:`lab.grading.harness`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .wire import submission, tensor

#: Exercise functions whose work a stand-in here does: kept from their exercise's children.
STANDS_IN_FOR = (
    ("lab/neural/decoding.py", "top_k_filter"),
    ("lab/neural/decoding.py", "top_p_filter"),
)


def _apply_temperature(logits: Any, temperature: float) -> Any:
    original = tensor(logits)
    given = original.clone()
    out = submission("lab.neural.decoding").apply_temperature(given, temperature)
    return {"out": out, "input_after": given}


def _next_token(
    logits: Any,
    temperature: float | None = None,
    seed: int | None = None,
    banned_ids: Iterable[int] = (),
    repeat: int = 1,
    top_k: int | None = None,
    top_p: float | None = None,
) -> Any:
    """Exercise 6: the submission's ``next_token``, with Exercise 7's filters replaced, for
    this call only, by stand-ins that cut as the pure-Python reference sampler
    (``sampling_distribution``) does, row by row, so a broken (or unwritten)
    top-k/top-p costs only Exercise 7. Called after this call they raise: they are no
    module-level names a submission could import to answer Exercise 7."""
    import torch

    from lab.models.protocol import GREEDY, SamplingConfig
    from lab.models.sampling import sampling_distribution

    live = [True]

    def stand_in_cut(x: Any, cut: Any) -> Any:
        if not live[0]:
            raise RuntimeError("the grader's stand-in filters answer only their own driver")
        probs = torch.softmax(x.double(), dim=-1).tolist()
        kept = torch.tensor([[w > 0 for w in sampling_distribution(row, cut)] for row in probs])
        return x.masked_fill(~kept.view(x.shape), float("-inf"))

    rows = tensor(logits).repeat(repeat, 1)
    if temperature is None:
        sampling = GREEDY
    else:
        sampling = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
    gen = None if seed is None else torch.Generator().manual_seed(seed)
    decoding = submission("lab.neural.decoding")
    own = decoding.top_k_filter, decoding.top_p_filter
    decoding.top_k_filter = lambda x, k: stand_in_cut(x, SamplingConfig(top_k=k))
    decoding.top_p_filter = lambda x, p: stand_in_cut(x, SamplingConfig(top_p=p))
    try:
        return decoding.next_token(rows, sampling, generator=gen, banned_ids=tuple(banned_ids))
    finally:
        live[0] = False
        decoding.top_k_filter, decoding.top_p_filter = own


DRIVERS: dict[str, Callable[..., Any]] = {
    "decoding.apply_temperature": _apply_temperature,
    "decoding.next_token": _next_token,
}
