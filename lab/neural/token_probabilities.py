"""Per-token probabilities of a recurrent network: the next-token distribution and each
token's negative log-likelihood, computed the way scoring and generation compute them.

:func:`token_nlls` walks the text in the same windows as
:func:`lab.neural.training.evaluate_nll`, carrying the state, with the same
kernels, so the per-token values add up to the model's ``score`` (up to the
rounding of a float32 sum). :func:`next_token_probs` primes the state with the
context in one pass, as ``generate`` does before its first draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lab.neural.batching import get_batch
from lab.neural.device import step_decoding
from lab.neural.network import RNNLanguageModel


def token_nlls(
    model: RNNLanguageModel, ids: Sequence[int], *, device: torch.device, window: int = 256
) -> list[float]:
    """``-ln P(ids[t] | ids[:t])`` for every ``t >= 1`` (``ids[0]`` is the start context)."""
    if len(ids) < 2:
        return []
    was_training = model.training
    model.eval()
    data = torch.as_tensor(ids, dtype=torch.long, device=device).view(-1, 1)
    out: list[float] = []
    hidden = None
    with torch.inference_mode(), step_decoding():
        for i in range(0, data.size(0) - 1, window):
            x, y = get_batch(data, i, window)
            logits, hidden = model(x, hidden)
            nll = nn.functional.cross_entropy(
                logits.view(-1, logits.size(-1)), y.reshape(-1), reduction="none"
            )
            out.extend(nll.tolist())
    model.train(was_training)
    return out


def next_token_probs(
    model: RNNLanguageModel, ids: Sequence[int], *, device: torch.device
) -> list[float]:
    """Softmax over the vocabulary after reading all of ``ids`` (at least the start token)."""
    model.eval()
    context = torch.as_tensor(ids, dtype=torch.long, device=device).view(-1, 1)
    with torch.inference_mode(), step_decoding():
        logits, _ = model(context)
        probs = torch.softmax(logits[-1, 0].double(), dim=-1)
    return [float(p) for p in probs.tolist()]
