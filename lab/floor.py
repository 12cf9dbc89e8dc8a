"""The unigram floor: the score any model must beat to have learnt context.

It counts tokens with the model's own tokenizer and vocabulary, so the
comparison is like for like (same tokens, same ``<unk>`` mapping, same
``<eos>`` counting) for word and character models alike.
"""

from __future__ import annotations

import math
from collections import Counter

from lab.protocol import ScoreResult
from lab.tokenization import AnyTokenizer, Vocabulary


def unigram_floor(
    tokenizer: AnyTokenizer, vocab: Vocabulary, train_text: str, eval_text: str
) -> ScoreResult:
    """Score ``eval_text`` with an add-one unigram model of ``train_text``.

    The support is the vocabulary minus ``<pad>``; every predicted token
    (``<eos>`` included) counts, as in :meth:`Generator.score`.
    """
    counts = Counter(vocab.encode(tokenizer.tokenize(train_text)))
    support = len(vocab) - 1
    total = sum(n for i, n in counts.items() if i != vocab.pad_id) + support
    ids = vocab.encode(tokenizer.tokenize(eval_text))
    nll = -sum(math.log((counts[i] + 1) / total) for i in ids)
    oov = sum(1 for i in ids if i == vocab.unk_id)
    return ScoreResult(nll_nats=nll, num_tokens=len(ids), num_chars=len(eval_text), num_oov=oov)
