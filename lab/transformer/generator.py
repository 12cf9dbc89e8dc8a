"""The transformer behind the model contract: :class:`~lab.neural.generators.NetworkGenerator`
with :class:`~lab.transformer.model.TransformerLanguageModel` as its network.

Everything else is the LSTMs': the run directory and ``--resume``
(``weights.safetensors``, ``trainer_state.pt`` read with ``weights_only``),
token budgets, early stopping, curves and DistributedDataParallel through
:func:`lab.neural.training.train_model`, whose steps are Exercise 4's
``train_step`` with :func:`window_loss` as its loss hook; exact scores and
per-token probabilities through Exercise 5's loop; samples through Exercise
8's ``generate_ids`` and Exercise 6's ``next_token``.
"""

from __future__ import annotations

from itertools import groupby

import torch
from torch import Tensor, nn

from lab.models.protocol import GenerationRequest, Sample
from lab.neural.generation import decode_requests
from lab.neural.generators import NetworkGenerator
from lab.neural.network import Hidden, LanguageModel
from lab.neural.training import LossFn, next_token_loss
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary
from lab.transformer.config import TransformerConfig
from lab.transformer.model import build_transformer

__all__ = ["TransformerGenerator", "decode_by_prompt", "window_loss"]


def window_loss(model: nn.Module, x: Tensor, y: Tensor, hidden: Hidden) -> tuple[Tensor, Hidden]:
    """Exercise 4's loss with each training window read on its own, as GPT models train:
    no context is carried in from the window before (the LSTM carries its state;
    here that would read every window twice), so a step costs one pass over
    ``(bptt, batch)`` tokens. ``hidden`` is handed back unchanged."""
    loss, _ = next_token_loss(model, x, y, None)
    return loss, hidden


class TransformerGenerator(NetworkGenerator[TransformerConfig]):
    """A decoder-only transformer over word or character tokens (``--unit``), with a
    context window of ``--block-size`` tokens."""

    def _new_model(self, cutoffs: list[int] | None = None) -> LanguageModel:
        """A fresh network of this shape (a transformer has no adaptive output layer,
        so ``cutoffs`` is always ``None``)."""
        return build_transformer(len(self.vocab), self.config.model, self.device)

    def _training_loss(self) -> LossFn:
        return window_loss

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[list[Sample]]:
        """Each prompt's requests as one batch (:func:`decode_by_prompt`)."""
        return decode_by_prompt(self._model(), self.tokenizer, self.vocab, requests, self.device)


def decode_by_prompt(
    model: LanguageModel,
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    requests: list[GenerationRequest],
    device: torch.device,
) -> list[list[Sample]]:
    """Requests with the same prompt decode as one batch, each prompt's in turn.

    An LSTM's rows may start from different prompts (their states are joined
    into one batch); a transformer's state is its context of tokens, whose
    length differs between prompts, so each prompt is its own batch."""
    order = sorted(range(len(requests)), key=lambda i: requests[i].prompt)
    out: dict[int, list[Sample]] = {}
    for _, group in groupby(order, key=lambda i: requests[i].prompt):
        indices = list(group)
        decoded = decode_requests(model, tokenizer, vocab, [requests[i] for i in indices], device)
        out.update(zip(indices, decoded, strict=True))
    return [out[i] for i in range(len(requests))]
