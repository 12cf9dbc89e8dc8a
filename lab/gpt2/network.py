"""A HuggingFace causal LM behind the package's contracts: its tokenizer as a lab tokenizer,
its vocabulary as a lab :class:`~lab.text.vocabulary.Vocabulary`, its network as a
:class:`~lab.transformer.model.SlidingWindowModel`.

The lab's vocabulary starts with ``<pad>``, ``<unk>``, ``<eos>``; GPT-2's has
50,257 byte-level BPE tokens, its end-of-text token among them. The lab's ids are
the specials, then the model's tokens in its own id order without its end-of-text
token, whose place ``<eos>`` takes (the start context of every text, as for the
other kinds). :class:`CausalLMNetwork` maps ids in and logits out through one
index table, so the training step, scoring and decoding loops (Exercises 4-8)
run it unchanged, and ``<pad>``/``<unk>`` get probability 0 (byte-level BPE
spells every text, so nothing is ever unknown: the scores are open-vocabulary).

Tokens are the BPE symbols themselves (``"Ġthe"``, and pieces of a UTF-8
character for Cyrillic or emoji), never their decoded text: a symbol may hold
half a character, and only the tokenizer joins symbols back into text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from lab.errors import LabError, NotFittedError
from lab.text.vocabulary import EOS, SPECIALS, Vocabulary
from lab.transformer.model import SlidingWindowModel


class SubwordTokenizer:
    """The pretrained model's byte-level BPE tokenizer as a lab tokenizer (``kind`` ``"bpe"``).

    Empty until the model is loaded (``fit`` or ``load``); it then never emits an
    unknown token. It is saved with the model's files, not in ``config.json``.
    """

    kind = "bpe"

    def __init__(self, hf_tokenizer: Any | None = None) -> None:
        self.hf = hf_tokenizer

    def _loaded(self) -> Any:
        if self.hf is None:
            raise NotFittedError("the pretrained model's tokenizer is not loaded yet (fit or load)")
        return self.hf

    def tokenize(self, text: str) -> list[str]:
        """The BPE symbols of ``text``: every character, whitespace included, is in them."""
        tokens: list[str] = (
            self._loaded().backend_tokenizer.encode(text, add_special_tokens=False).tokens
        )
        return tokens

    def tokenize_prompt(self, text: str) -> list[str]:
        return self.tokenize(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        """The text of ``tokens`` (a lone piece of a character becomes U+FFFD)."""
        text: str = self._loaded().convert_tokens_to_string(
            [t for t in tokens if t not in SPECIALS]
        )
        return text

    def tokens_for_words(self, words: int, *, chars_per_word: int = 6) -> int:
        """About 4 BPE tokens per 3 English words (GPT-2's tokenizer on prose)."""
        return math.ceil(words * 4 / 3)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}


def vocabulary_of(hf_tokenizer: Any) -> tuple[Vocabulary, list[int]]:
    """The lab vocabulary of a HF tokenizer and, for each lab id, the model's id."""
    eos = hf_tokenizer.eos_token_id
    by_id = sorted(hf_tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    clash = [tok for tok, _ in by_id if tok in SPECIALS]
    if clash:
        raise LabError(f"the pretrained tokenizer has a token {clash[0]!r} of the lab's own")
    kept = [(tok, i) for tok, i in by_id if i != eos]
    vocab = Vocabulary([*SPECIALS, *(tok for tok, _ in kept)])
    return vocab, [eos] * len(SPECIALS) + [i for _, i in kept]


class CausalLMNetwork(SlidingWindowModel):
    """``hf_model`` read in windows of ``block_size`` tokens, over the lab's ids.

    Inputs ``(T, B)`` lab ids become the model's ids; its logits ``(B, T, V_hf)``
    become ``(T, B, V)`` over the lab's vocabulary, ``<pad>`` and ``<unk>`` at
    ``-inf``. The state is the context of token ids, as the transformer's.
    """

    def __init__(self, hf_model: Any, to_hf: Sequence[int], block_size: int) -> None:
        super().__init__()
        positions = int(getattr(hf_model.config, "n_positions", 0) or 0) or int(
            getattr(hf_model.config, "max_position_embeddings", block_size)
        )
        if block_size > positions:
            raise LabError(
                f"--block-size {block_size} is longer than the model's context of {positions} tokens"
            )
        self.hf = hf_model
        self.block_size = block_size
        self.to_hf: Tensor
        self.blocked: Tensor
        self.register_buffer("to_hf", torch.tensor(list(to_hf), dtype=torch.long), False)
        blocked = torch.zeros(len(to_hf), dtype=torch.bool)
        blocked[: len(SPECIALS)] = True
        blocked[SPECIALS.index(EOS)] = False
        self.register_buffer("blocked", blocked, False)

    def window_logits(self, tokens: Tensor, keep: int | None = None) -> Tensor:
        """Logits ``(T, B, V)`` (the last ``keep`` positions) for one window ``(T, B)``."""
        ids = self.to_hf[tokens].t()  # (B, T), the model's ids, batch first as HF wants
        out = self.hf(input_ids=ids, use_cache=False, logits_to_keep=keep or 0).logits
        logits = out.index_select(-1, self.to_hf).masked_fill(self.blocked, float("-inf"))
        return logits.transpose(0, 1).contiguous()  # time first, as every loop reads it
