"""One unit for every model on the playground page: lengths in words, surprisal per character.

Models count in their own tokens: 30 tokens are 30 words of a word model and 30
letters of a character model, and a per-token perplexity is per word for one and
per character for the other. The page asks for lengths in *words* (every model,
the character one included, writes that many; punctuation marks count, as they
do in the word models' tokens) and shows surprisal in *bits per character* of
the text, with every word a model calls ``<unk>`` charged for its spelling
(:mod:`lab.evaluation.spelling`), as the comparison report does: an invented
word is then as surprising as its letters, never as cheap as "some rare word".

The playground has the runs but not their book, so the spelling model learns from
each vocabulary's own words (the report's learns from the book's rare words).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

from lab.errors import OptionError
from lab.evaluation.spelling import SpellingModel
from lab.models.base import Generator
from lab.models.protocol import Sample, SamplingConfig
from lab.models.scoring import perplexity
from lab.text.tokenizers import PARAGRAPH, WordTokenizer
from lab.text.vocabulary import EOS, SPECIALS, Vocabulary

#: Longest sample the page may ask for, in words.
MAX_WORDS = 500
#: Characters a character model may spend per requested word before the sample is cut.
CHARS_PER_WORD = 10

_WORDS = WordTokenizer()


def count_words(text: str) -> int:
    """Word tokens of ``text`` as the word models count them (punctuation included,
    sentence ends and paragraph breaks not)."""
    return sum(t not in (EOS, PARAGRAPH) for t in _WORDS.tokenize(text))


def token_budget(generator: Generator, words: int) -> int:
    """Tokens to generate so that a continuation has at least ``words`` words: a
    word model also spends tokens on sentence ends, a character model on letters."""
    if generator.tokenizer.kind == "char":
        return generator.tokenizer.tokens_for_words(words, chars_per_word=CHARS_PER_WORD)
    return words + words // 2 + 5


def cut_to_words(sample: Sample, words: int) -> Sample:
    """``sample`` cut after its ``words``-th word (whole words: a character model's
    sample stops where its next word would begin); unchanged if it is shorter."""
    tokens = sample.tokens

    def enough(k: int) -> bool:  # the first k tokens already start word words + 1
        return count_words(sample.detokenize(tokens[:k])) > words

    if not enough(len(tokens)):
        return sample
    lo, hi = 0, len(tokens)  # enough(hi) holds; find the smallest such k
    while lo < hi:
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
    kept = tokens[: hi - 1]
    while kept and (kept[-1] in (EOS, PARAGRAPH) or not kept[-1].strip()):
        kept = kept[:-1]  # no dangling sentence end, line break or space
    return dataclasses.replace(sample, tokens=tuple(kept))


def generate_words(
    generator: Generator, prompt: str, words: int, sampling: SamplingConfig, seed: int
) -> Sample:
    """One continuation of ``prompt`` of ``words`` words (fewer only if the model
    stopped early), whatever the model's unit."""
    if not 1 <= words <= MAX_WORDS:
        raise OptionError(f"words must be 1..{MAX_WORDS}, not {words}")
    budget = token_budget(generator, words)
    (sample,) = generator.generate(prompt, max_tokens=budget, sampling=sampling, seed=seed)
    return cut_to_words(sample, words)


@functools.lru_cache(maxsize=16)
def spelling_for(vocab: Vocabulary) -> SpellingModel:
    """A spelling model of ``vocab``'s own words (cached: one per loaded vocabulary)."""
    return SpellingModel(w for w in vocab.itos if w not in SPECIALS and w != PARAGRAPH)


def shown(generator: Generator, token: str) -> str:
    """How the page writes a token: the text it stands for (an opening-quote marker
    like ``"``"`` as ``"``); an empty string for tokens with no text (``<eos>``,
    a paragraph break), which the page marks with a symbol and a legend."""
    if token in SPECIALS or (token == PARAGRAPH and generator.tokenizer.kind == "word"):
        return ""
    if generator.tokenizer.kind == "char":
        return token
    return generator.tokenizer.detokenize([token])


def surprisal(generator: Generator, text: str) -> dict[str, Any]:
    """Every token of ``text`` with its surprisal in bits, the bits of spelling it out
    if the model calls it ``<unk>``, and the characters it shows; the totals and the
    open-vocabulary bits per character of the whole text (the unit all models share)."""
    scored = generator.token_logprobs(text)
    spelling = spelling_for(generator.vocab) if any(t.oov for t in scored) else None
    tokens: list[dict[str, Any]] = []
    closed_bits = spelled_bits = 0.0
    for t in scored:
        extra = 0.0
        if t.oov and spelling is not None:
            extra = spelling.oov_cost([t.token], generator.vocab) / math.log(2)
        text_of = shown(generator, t.token)
        closed_bits += t.surprisal_bits
        spelled_bits += extra
        tokens.append(
            {
                "token": t.token,
                "logprob": t.logprob,
                "text": text_of,
                "chars": len(text_of),
                "bits": t.surprisal_bits,
                "spelling_bits": extra,
                "oov": t.oov,
            }
        )
    open_bits = closed_bits + spelled_bits
    chars = len(text)
    nll = closed_bits * math.log(2)
    return {
        "unit": generator.tokenizer.kind,
        "tokens": tokens,
        "chars": chars,
        "bits": open_bits,
        "bits_per_char": open_bits / chars if chars else 0.0,
        "closed_bits_per_char": closed_bits / chars if chars else 0.0,
        "nll_nats": nll,
        # Exercise 9's function, so the page can show what the student's code says.
        "ppl": perplexity(nll, len(tokens)) if tokens else 1.0,
    }
