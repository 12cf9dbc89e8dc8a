"""Prompt priming and the decoding loop of a recurrent generator.

The lesson's point about recurrent generation: the prompt is read *once*,
and everything it said lives on in the hidden state; after that each step
feeds only the token just chosen, with the state carried forward, so a step
costs the same at token 5 and at token 500 (re-reading the growing text, as
a loop over ``model(whole_sequence)`` does, makes it quadratic).
:meth:`lab.neural.generators.RNNGenerator.generate` calls this with
Exercise 6's ``next_token`` as ``choose``; sweeps decode many settings at
once with the same rule (:mod:`lab.neural.batch_decoding`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

ChooseFn = Callable[[Tensor], Tensor]
"""``choose(logits (B, V)) -> ids (B,)``: picks each row's next token (greedy or sampled)."""


def generate_ids(
    model: nn.Module,
    prompt_ids: Sequence[int],
    max_tokens: int,
    choose: ChooseFn,
    *,
    num_samples: int = 1,
    stop_id: int | None = None,
) -> Tensor:
    """Continue ``prompt_ids`` ``num_samples`` times; returns the new ids, ``(num_samples, n)``.

    ``model(tokens (T, B), hidden) -> (logits (T, B, V), hidden)``, hidden
    ``None`` meaning a zero state, as :class:`~lab.neural.network.RNNLanguageModel`.
    ``n`` is ``max_tokens``, or fewer when ``stop_id`` is given and every row
    has emitted it (rows that stopped earlier keep getting tokens, which the
    caller cuts at their first ``stop_id``). Call it in eval mode under
    ``torch.inference_mode()``.

    Exercise 8: (1) prime: run the model once over the whole prompt, as a
    ``(len(prompt_ids), num_samples)`` tensor of ids (the same prompt in every
    column) on the model's device, from a zero state; keep the returned state
    and the logits at the last position. (2) decode, ``max_tokens`` times:
    ``token = choose(last_logits)``, record it, stop if ``stop_id`` is given
    and every row has now emitted it, else run the model on ``token`` alone
    (shape ``(1, num_samples)``) from the carried state to get the next
    logits and state. Never re-run the prompt or the text so far. ``ValueError``
    for an empty prompt.
    """
    # BEGIN SOLUTION
    if len(prompt_ids) == 0:
        raise ValueError("the prompt must hold at least one token (e.g. <eos>)")
    device = next(model.parameters()).device
    context = torch.tensor(list(prompt_ids), dtype=torch.long, device=device)
    logits, hidden = model(context.view(-1, 1).expand(-1, num_samples), None)
    last = logits[-1]
    out = torch.empty((num_samples, max_tokens), dtype=torch.long)
    done = torch.zeros(num_samples, dtype=torch.bool)
    for step in range(max_tokens):
        token = choose(last).view(-1)
        out[:, step] = token.cpu()
        if stop_id is not None:
            done |= token.cpu() == stop_id
            if bool(done.all()):
                return out[:, : step + 1]
        if step + 1 < max_tokens:  # the last token needs no prediction after it
            logits, hidden = model(token.view(1, -1), hidden)
            last = logits[-1]
    return out
    # END SOLUTION
