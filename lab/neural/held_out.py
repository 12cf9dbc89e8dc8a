"""Exact held-out scoring of a recurrent language model (and its cheaper per-epoch form).

Every reported score comes from here, token-weighted over the whole held-out
stream with the state carried across windows, as the definition of
perplexity asks; training (:mod:`lab.neural.training`) also uses it to rank
epochs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lab.neural.batching import batchify, get_batch
from lab.neural.device import step_decoding
from lab.neural.network import RNNLanguageModel

#: Shortest stream of a parallel validation pass (see :func:`evaluate_nll`).
MIN_STREAM_TOKENS = 64


def evaluate_nll(
    model: RNNLanguageModel,
    ids: Sequence[int],
    *,
    device: torch.device,
    window: int = 256,
    streams: int = 1,
) -> tuple[float, int]:
    """Total NLL (nats) of the tokens of ``ids`` after the first, and their count.

    With one stream (the default: every reported score), every token is
    conditioned on the whole text before it, as in the definition of perplexity;
    the state is carried across windows of ``window`` tokens. With ``streams``
    > 1 the text is cut into that many contiguous streams scored side by side,
    each with its state carried over its whole length: a fraction of the steps,
    for the per-epoch validation that only has to rank epochs. Each stream's
    first token and a ragged tail of fewer than ``streams`` tokens go unscored
    (the count says how many were), and every stream is at least
    :data:`MIN_STREAM_TOKENS` long.
    """
    if len(ids) < 2:
        return 0.0, 0
    streams = max(1, min(streams, len(ids) // MIN_STREAM_TOKENS))
    was_training = model.training
    model.eval()
    if streams == 1:
        data = torch.as_tensor(ids, dtype=torch.long, device=device).view(-1, 1)
    else:
        data = batchify(ids, streams).to(device)
    total, count, hidden = 0.0, 0, None
    # Same kernels (oneDNN off) whenever we score, so a reloaded checkpoint
    # reproduces the validation figure exactly.
    with torch.inference_mode(), step_decoding():
        for i in range(0, data.size(0) - 1, window):
            x, y = get_batch(data, i, window)
            logits, hidden = model(x, hidden)
            total += nn.functional.cross_entropy(
                logits.view(-1, logits.size(-1)), y.reshape(-1), reduction="sum"
            ).item()
            count += y.numel()
    model.train(was_training)
    return total, count
