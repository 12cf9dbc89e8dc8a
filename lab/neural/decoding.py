"""Choosing the next token from logits: the torch side of :mod:`lab.models.sampling`.

The rule (greedy, temperature, exactly-``k`` top-k with ties broken by lower
id, top-p with a 1e-12 tolerance) is defined once, in pure Python, by
:mod:`lab.models.sampling`; these functions apply it to a whole batch of
logits at once, and ``tests/test_sampling.py`` checks over random logits that
both keep the same tokens with the same probabilities.

All functions take logits of shape ``(B, V)`` (one row per sample being
generated) and never modify their input.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lab.models.repetition import banned_next, penalize_repeats
from lab.models.sampling import TOP_P_TOLERANCE, SamplingConfig


def ban_tokens(logits: Tensor, banned_ids: Sequence[int]) -> Tensor:
    """Logits with ``banned_ids`` (``<pad>``, ``<unk>``) at ``-inf``: never emitted."""
    if not banned_ids:
        return logits
    out = logits.clone()
    out[..., list(banned_ids)] = float("-inf")
    return out


def repetition_controls(
    logits: Tensor,
    sampling: SamplingConfig,
    seen: Tensor | None,
    histories: Sequence[Sequence[int]],
) -> Tensor:
    """Steps 1-2 of the sampling rule on raw logits ``(B, V)``, as HF applies them
    before temperature and the cuts: the repetition penalty on each row's ``seen``
    tokens (a ``(B, V)`` mask of the sequence so far, prompt included), then the
    ban of each row's tokens that would repeat an n-gram of its ``histories``
    (unless it would leave nothing). The rules themselves are
    :mod:`lab.models.repetition`'s, shared with the count models' sampler.
    """
    penalty, n = sampling.controls
    if penalty != 1.0 and seen is not None:
        logits = torch.where(seen, penalize_repeats(logits, penalty), logits)
    if n:
        drop = torch.zeros_like(logits, dtype=torch.bool)
        for row, history in enumerate(histories):
            drop[row, list(banned_next(history, n))] = True
        left = torch.isfinite(logits.masked_fill(drop, float("-inf"))).any(dim=-1, keepdim=True)
        logits = logits.masked_fill(drop & left, float("-inf"))
    return logits


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """Divide by ``temperature``: < 1 sharpens towards greedy, > 1 flattens to uniform.

    Exercise 6: return new logits divided by ``temperature``; ``ValueError`` unless positive.
    """
    # BEGIN SOLUTION
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    return logits / temperature
    # END SOLUTION


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep exactly the ``k`` largest logits of each row (ties: lower id first), rest ``-inf``.

    Exactly ``k`` survive even when logits tie at the cut (the lower ids win), so
    a seed gives the same support on every machine and the torch sampler keeps
    the same tokens as :func:`lab.models.sampling.choose`; ``k >= V`` keeps all.

    Exercise 7: return logits in which every entry outside the ``k`` largest
    of its row (equal logits ranked by lower id first) is ``-inf`` and the
    kept ones are unchanged; ``k >= V`` keeps every token. Never modify
    ``logits`` in place (the caller may still need them).
    """
    # BEGIN SOLUTION
    if k >= logits.size(-1):
        return logits
    # A stable descending sort keeps equal logits in id order, so the cut is deterministic.
    order = torch.sort(logits, dim=-1, descending=True, stable=True).indices
    drop = torch.ones_like(logits, dtype=torch.bool).scatter(-1, order[..., :k], False)
    return logits.masked_fill(drop, float("-inf"))
    # END SOLUTION


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filtering (Holtzman et al. 2020): keep the smallest set of
    tokens whose probabilities add up to at least ``p``; the most likely
    token always survives.

    Float sums of softmax probabilities land a hair off (0.5 + 0.3 may sum to
    0.7999999), so without a tolerance a nucleus of exactly ``p`` would take a
    token too many: the same ``TOP_P_TOLERANCE`` as the pure-Python sampler.

    Exercise 7: per row, rank the tokens by descending probability
    (``softmax(logits)``; equal ones by lower id first) and keep the shortest
    prefix whose probabilities sum to at least ``p - TOP_P_TOLERANCE``
    (:data:`lab.models.sampling.TOP_P_TOLERANCE`, 1e-12); the most likely
    token is always kept, even for a tiny ``p``. Return logits with the
    others at ``-inf`` and the kept ones unchanged; never modify ``logits``
    in place.
    """
    # BEGIN SOLUTION
    sorted_logits, order = torch.sort(logits, descending=True, dim=-1, stable=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    # Mass strictly before each token; a token is dropped once that already reaches p.
    mass_before = torch.cumsum(probs, dim=-1) - probs
    drop_sorted = mass_before >= p - TOP_P_TOLERANCE
    drop_sorted[..., 0] = False
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))
    # END SOLUTION


def filter_logits(logits: Tensor, sampling: SamplingConfig) -> Tensor:
    """Temperature, then top-k, then top-p, as ``sampling`` asks."""
    out = apply_temperature(logits, sampling.temperature)
    if sampling.top_k is not None:
        out = top_k_filter(out, sampling.top_k)
    if sampling.top_p is not None and sampling.top_p < 1.0:
        out = top_p_filter(out, sampling.top_p)
    return out


def next_token(
    logits: Tensor,
    sampling: SamplingConfig,
    *,
    generator: torch.Generator | None = None,
    banned_ids: Sequence[int] = (),
) -> Tensor:
    """The next token id of each row, shape ``(B,)``.

    Greedy decoding takes the arg-max; otherwise one draw from the filtered
    softmax using ``generator`` (so a seed reproduces the output).

    >>> next_token(torch.tensor([[0.0, 3.0, 1.0]]), SamplingConfig(greedy=True)).tolist()
    [1]

    Exercise 6: ban ``banned_ids``, then take the arg-max (greedy) or draw
    once from the softmax of the filtered logits with ``generator``.
    """
    # BEGIN SOLUTION
    logits = ban_tokens(logits.float(), banned_ids)
    if sampling.greedy:
        return logits.argmax(dim=-1)
    probs = torch.softmax(filter_logits(logits, sampling), dim=-1)
    # One uniform per row through the cumulative distribution (the inverse CDF): the same
    # draw as torch.multinomial(probs, 1), which is ~15x slower on a CPU for one sample.
    cdf = probs.double().cumsum(dim=-1)
    u = torch.rand((cdf.size(0), 1), generator=generator, dtype=cdf.dtype, device=cdf.device)
    drawn = torch.searchsorted(cdf, u * cdf[:, -1:], side="right").squeeze(-1)
    return drawn.clamp_(max=cdf.size(-1) - 1)
    # END SOLUTION
