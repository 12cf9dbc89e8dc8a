"""A seeded Markov source whose entropy rate is known exactly.

Perplexity code is easy to get subtly wrong (a mean of per-batch perplexities,
a missed ``<eos>``, an off-by-one) and real text has no known answer. This
source has one: its token stream is an order-``k`` Markov chain, so the entropy
rate H (nats per token) follows exactly from the stationary distribution, and
``exp(H)`` is the perplexity a perfect model reaches.

**The token stream.** A text is one sentence per line of space-separated
synthetic words (``"bako tilu ve"``); each sentence end is the token ``<eos>``.
That is exactly what ``WordTokenizer(eos="line").tokenize(text)`` returns, and
H is the entropy per token *of that stream, ``<eos>`` included* (the sentence
end is a real random event: every context ends the sentence with a small
probability). The context after ``<eos>`` is reset to "sentence start", so the
first word does not depend on the previous sentence: an n-gram model that pads
sentences and one that reads the stream as one sequence are both exact models.

**Learnability.** Each word ``v`` has a small random successor set ``S(v)``
(drawn with Zipf-like weights, so frequent words are frequent); a context
``(u, v)`` puts a sparse Dirichlet distribution over ``S(v)``, different for
each ``u``. Reachable contexts are therefore about ``vocab_size * successors``
rather than ``vocab_size ** order``, which a trigram model estimates well from
about 10^5 tokens.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lab.text.vocabulary import EOS

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class SourceConfig:
    """Shape of a :class:`MarkovSource`; everything random follows from ``seed``.

    Args:
        order: tokens of context (1-3); 2 means trigram statistics.
        vocab_size: number of synthetic words (``<eos>`` not counted).
        successors: size of each word's successor set ``S(v)``.
        alpha: Dirichlet concentration; small values make peaky distributions.
        zipf_exponent: successors are drawn with weight ``rank ** -zipf_exponent``.
        mean_sentence_length: sets the end-of-sentence probability (~1/length).
        starters: number of words that can begin a sentence.
    """

    seed: int = 0
    order: int = 2
    vocab_size: int = 200
    successors: int = 4
    alpha: float = 0.5
    zipf_exponent: float = 1.0
    mean_sentence_length: float = 12.0
    starters: int = 20

    def __post_init__(self) -> None:
        if self.order not in (1, 2, 3):
            raise ValueError(f"order must be 1, 2 or 3, not {self.order}")
        if not 1 <= self.vocab_size <= 5000:
            raise ValueError(f"vocab_size must be in [1, 5000], not {self.vocab_size}")
        if not 1 <= self.successors <= self.vocab_size:
            raise ValueError("successors must be in [1, vocab_size]")
        if not 1 <= self.starters <= self.vocab_size:
            raise ValueError("starters must be in [1, vocab_size]")
        if not self.alpha >= 0.05:  # smaller alphas underflow to exact zeros
            raise ValueError(f"alpha must be >= 0.05, not {self.alpha}")
        if not self.zipf_exponent >= 0:
            raise ValueError("zipf_exponent must be >= 0")
        if not self.mean_sentence_length >= 2:
            raise ValueError("mean_sentence_length must be >= 2")


@dataclass(frozen=True, eq=False)
class MarkovSource:
    """The transition table over reachable contexts. Build with :meth:`build`.

    Token id 0 is ``<eos>``, ids ``1..V`` are :attr:`words`. A context is the
    tuple of the last ``order`` token ids, where 0 also stands for "before the
    sentence start"; :attr:`contexts` lists only contexts reachable from the
    start context ``(0,) * order`` (index 0). Row ``c`` of :attr:`succ`,
    :attr:`prob` and :attr:`nxt` holds the possible next tokens, their
    probabilities and the context each one leads to (zero-probability padding
    at the end of a row).
    """

    config: SourceConfig
    words: tuple[str, ...]
    contexts: list[tuple[int, ...]]
    succ: np.ndarray
    prob: np.ndarray
    nxt: np.ndarray

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        """``<eos>`` then the words: index = token id."""
        return (EOS, *self.words)

    @classmethod
    def build(cls, config: SourceConfig) -> MarkovSource:
        """Draw words, successor sets and every reachable context's distribution."""
        rng = np.random.default_rng(config.seed)
        words = _make_words(rng, config.vocab_size)
        v, k = config.vocab_size, config.successors
        weights = np.arange(1, v + 1, dtype=float) ** -config.zipf_exponent
        weights /= weights.sum()
        succ_sets = [1 + rng.choice(v, size=k, replace=False, p=weights) for _ in range(v)]
        starters = 1 + rng.choice(v, size=config.starters, replace=False, p=weights)
        width = max(k + 1, config.starters)

        start = (0,) * config.order
        index = {start: 0}
        contexts, rows = [start], []
        queue = deque([start])
        while queue:  # breadth-first, so draws happen in a seed-determined order
            ctx = queue.popleft()
            if ctx == start:
                ids, p = starters, rng.dirichlet(np.full(config.starters, config.alpha))
            else:
                p_eos = rng.uniform(0.5, 1.5) / config.mean_sentence_length
                body = (1 - p_eos) * rng.dirichlet(np.full(k, config.alpha))
                ids, p = np.append(succ_sets[ctx[-1] - 1], 0), np.append(body, p_eos)
            row = []
            for tok, pt in zip(ids.tolist(), p.tolist(), strict=True):
                nctx = start if tok == 0 else (*ctx[1:], tok)
                if pt > 0 and nctx not in index:
                    index[nctx] = len(contexts)
                    contexts.append(nctx)
                    queue.append(nctx)
                row.append((tok, pt, index.get(nctx, 0)))
            rows.append(row)

        pad = [(0, 0.0, 0)] * width
        succ, prob, nxt = np.array([(row + pad)[:width] for row in rows]).transpose(2, 0, 1)
        prob /= prob.sum(axis=1, keepdims=True)
        return cls(config, words, contexts, succ.astype(np.int64), prob, nxt.astype(np.int64))

    def next_distribution(self, history: Sequence[str]) -> dict[str, float]:
        """P(next token | the stream so far); history starts at a sentence start."""
        nll, c = self._walk(history)
        if not math.isfinite(nll):
            raise ValueError("the history is impossible under this source")
        return {self.tokens[t]: p for t, (p, _) in self._table[c].items()}

    def _walk(self, tokens: Sequence[str]) -> tuple[float, int]:
        """Total -ln P of ``tokens`` from the start context, and the context
        reached; ``(inf, -1)`` at the first impossible transition."""
        table, c, total = self._table, 0, 0.0
        for tok in tokens:
            step = table[c].get(self._token_id(tok))
            if step is None:
                return math.inf, -1
            total -= math.log(step[0])
            c = step[1]
        return total, c

    def _token_id(self, token: str) -> int:
        if (i := self._ids.get(token)) is None:
            raise ValueError(f"{token!r} is not a token of this source")
        return i

    @cached_property
    def _ids(self) -> dict[str, int]:
        return {tok: i for i, tok in enumerate(self.tokens)}

    @cached_property
    def _table(self) -> list[dict[int, tuple[float, int]]]:
        """Per context: token id -> (probability, next context), for scoring."""
        return [
            {int(t): (float(p), int(n)) for t, p, n in zip(s, pr, nx, strict=True) if p > 0}
            for s, pr, nx in zip(self.succ, self.prob, self.nxt, strict=True)
        ]


def stationary_distribution(source: MarkovSource, *, tol: float = 1e-15) -> np.ndarray:
    """Stationary probability of each context, exact to ``tol``.

    Every sentence passes through the start context once, so pi is the
    expected number of visits per sentence, normalised. Visits solve
    ``v = e_start + v Q`` where Q is the transition matrix without the
    ``<eos>`` edges; Q leaks ``<eos>`` mass from every non-start context, so
    the Neumann series converges geometrically whatever the chain's period.
    Irreducibility holds by construction: every context was reached from the
    start, and every context can end the sentence and return to it.
    """
    n = len(source.contexts)
    weights = np.where(source.succ == 0, 0.0, source.prob)  # drop the <eos> edges
    term = np.zeros(n)
    term[0] = 1.0
    visits = term.copy()
    for _ in range(100_000):
        flow = (term[:, None] * weights).ravel()
        term = np.bincount(source.nxt.ravel(), flow, minlength=n).astype(float)
        visits += term
        if term.sum() <= tol * visits.sum():
            break
    else:  # pragma: no cover - impossible while every context leaks <eos>
        raise RuntimeError("stationary distribution did not converge")
    return visits / visits.sum()


def entropy_rate(source: MarkovSource) -> float:
    """H = -sum_s pi(s) sum_w P(w|s) ln P(w|s), in nats per token of the
    ``<eos>``-terminated word stream. ``exp(H)`` is the true perplexity."""
    pi = stationary_distribution(source)
    p = source.prob
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    return float(-(pi * (p * logp).sum(axis=1)).sum())


def sample_tokens(source: MarkovSource, num_tokens: int, seed: int) -> list[str]:
    """At least ``num_tokens`` tokens of whole sentences, each ending in ``<eos>``.

    Sampling stops at the first sentence end at or after ``num_tokens`` tokens,
    so the stream always round-trips through a one-sentence-per-line text.
    """
    if num_tokens < 1:
        raise ValueError("num_tokens must be >= 1")
    rng = np.random.default_rng(seed)
    cum = np.cumsum(source.prob, axis=1)
    cum /= cum[:, -1:]
    cum_rows = [row.tolist() for row in cum]
    succ_rows = source.succ.tolist()
    nxt_rows = source.nxt.tolist()
    ids: list[int] = []
    c = 0
    while len(ids) < num_tokens or ids[-1] != 0:
        for u in rng.random(max(1024, num_tokens - len(ids))).tolist():
            j = bisect_right(cum_rows[c], u)
            ids.append(succ_rows[c][j])
            c = nxt_rows[c][j]
            if len(ids) >= num_tokens and ids[-1] == 0:
                break
    return [source.tokens[i] for i in ids]


def render_text(tokens: Sequence[str]) -> str:
    """One line per sentence, words separated by spaces, ``<eos>`` as the newline."""
    if tokens and tokens[-1] != EOS:
        raise ValueError("a token stream must end with <eos>")
    sentences = " ".join(tokens).split(EOS)[:-1]  # the last piece follows the final <eos>
    return "".join(sentence.strip() + "\n" for sentence in sentences)


def sample_text(source: MarkovSource, num_tokens: int, seed: int) -> str:
    """``render_text(sample_tokens(source, num_tokens, seed))``."""
    return render_text(sample_tokens(source, num_tokens, seed))


def true_cross_entropy(source: MarkovSource, tokens: Sequence[str]) -> float:
    """Mean -ln P(token | context) under the source, in nats per token.

    ``tokens`` must begin at a sentence start (as :func:`sample_tokens` does);
    ``inf`` if a transition is impossible, ``ValueError`` for a foreign token.
    Over a long sample this converges to :func:`entropy_rate`.
    """
    if not tokens:
        raise ValueError("no tokens to score")
    return source._walk(tokens)[0] / len(tokens)


def make_synthetic_corpus(
    seed: int = 0, num_tokens: int = 100_000, order: int = 2, vocab_size: int = 200
) -> tuple[str, float]:
    """A one-sentence-per-line corpus and its true per-token perplexity exp(H).

    The source uses ``seed`` and the text is sampled with ``seed + 1``.
    """
    source = MarkovSource.build(SourceConfig(seed=seed, order=order, vocab_size=vocab_size))
    return sample_text(source, num_tokens, seed + 1), math.exp(entropy_rate(source))


def _make_words(rng: np.random.Generator, count: int) -> tuple[str, ...]:
    """Distinct pronounceable lowercase words of consonant-vowel syllables,
    shortest first (so frequent ranks get short words, as in real language).
    CV-only spelling keeps NLTK's Treebank rules ("cannot", "gonna") away."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        syllables = int(rng.integers(1, 4))
        letters = [
            _CONSONANTS[int(rng.integers(len(_CONSONANTS)))] + _VOWELS[int(rng.integers(5))]
            for _ in range(syllables)
        ]
        seen.setdefault("".join(letters), None)
    return tuple(sorted(seen, key=len))
