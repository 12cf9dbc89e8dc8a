"""From n-gram counts to Kneser-Ney tables: adjusted counts, discounts, and per
context the discounted mass of each follower and the back-off weight gamma
(the formulas are in :mod:`baselines.kneser_ney`).

Everything is sorted int64 keys, so a whole level is two sorts and a few
``np.bincount`` calls instead of a dict per context. Contexts are numbered
level by level from the right, like a suffix trie: a context of length k is the
key ``(id of its last k - 1 ids, one level down) * V + its first id``. That key
fits in 64 bits for any order and any vocabulary below 2**32 ids (context ids
stay below 2**31), where packing raw ids would not: a 5-gram of a 10,000-word
vocabulary already needs 67 bits. Every context's suffix is itself a context
one level down, because every n-gram's suffix is an (n-1)-gram: the ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from baselines.ngram_counts import NGramCounts

Discounts = tuple[float, float, float]


@dataclass(frozen=True)
class Level:
    """The Kneser-Ney table of the n-grams of one length n (contexts of length n - 1).

    ``context_keys`` is sorted; a context's position in it is its id (level 1 has
    one context, the empty one, with key 0). ``keys`` is sorted too: ``context id *
    V + word`` for each n-gram seen, so a context's followers are one contiguous
    run of it, and ``mass`` their discounted shares; ``gamma`` is the back-off
    weight of each context.
    """

    context_keys: np.ndarray  # int64, one per context
    gamma: np.ndarray  # float64, one per context
    keys: np.ndarray  # int64, one per n-gram
    mass: np.ndarray  # float64, one per n-gram


def build_levels(
    counts: NGramCounts, *, vocab_size: int, discount: float, modified: bool
) -> tuple[list[Level], list[Discounts]]:
    """The tables of n-gram lengths 1..``counts.order`` and the discounts used at each.

    Adjusted counts (as in SRILM and KenLM): raw counts at the top order and for
    the sentence-start n-grams at every length (nothing can precede ``<s>``);
    below the top, every other n-gram counts the distinct words seen before it
    (its continuation count). The loop goes up from unigrams, numbering contexts
    and n-grams; an n-gram's continuation count is known once the next longer
    n-grams are numbered, so only two lengths are held at a time."""
    rows, lengths, weights = counts.padded()
    order, v = counts.order, vocab_size
    if len(rows) >= 2**31 or v >= 2**32:
        raise ValueError("too many n-grams or ids for int32 numbering")
    levels: list[Level] = []
    discounts: list[Discounts] = []
    active = np.arange(len(rows), dtype=np.int32)  # the rows with at least n ids
    context = np.zeros(len(rows), dtype=np.int32)  # their n-gram's context id
    below: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for n in range(1, order + 1):
        context_keys = np.zeros(min(len(rows), 1), dtype=np.int64)
        if n > 1:
            assert below is not None
            longer = lengths[active] >= n
            active, context, suffix = active[longer], context[longer], below[3][longer]
            context_keys, context = _numbered(context * np.int64(v) + rows[active, order - n])
        keys, gram = _numbered(context * np.int64(v) + rows[active, order - 1])
        start = lengths[active] == n
        adjusted = np.bincount(gram[start], weights[active][start], minlength=len(keys))
        adjusted = adjusted.astype(np.int64)  # exact: float64 holds counts below 2**53
        if below is not None:  # the level below gets its continuation counts now
            parent = np.empty(len(keys), dtype=np.int32)
            parent[gram] = suffix
            below_adjusted = below[2] + np.bincount(parent, minlength=len(below[1]))
            del parent, suffix
            table, d = _level(below[0], below[1], below_adjusted, v, discount, modified)
            levels.append(table)
            discounts.append(d)
        below = (context_keys, keys, adjusted, gram)
    assert below is not None
    table, d = _level(below[0], below[1], below[2], v, discount, modified)
    levels.append(table)
    discounts.append(d)
    return levels, discounts


def _numbered(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` sorted, and each key's index among them as int32 (ids stay
    below 2**31: there are fewer n-grams than that); ``np.unique`` would hand back
    int64 indices, twice the memory for the largest arrays of a build."""
    by_key = np.argsort(keys)
    ordered = keys[by_key]
    del keys
    new = np.empty(len(ordered), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    number = np.empty(len(ordered), dtype=np.int32)
    number[by_key] = np.cumsum(new, dtype=np.int32) - 1
    return ordered[new], number


def _level(
    context_keys: np.ndarray,
    keys: np.ndarray,
    adjusted: np.ndarray,
    vocab_size: int,
    discount: float,
    modified: bool,
) -> tuple[Level, Discounts]:
    """One length's table: ``mass = (a - D(a)) / total`` and ``gamma = sum of the
    discounts taken / total`` per context, ``a`` the adjusted counts."""
    d = estimate_discounts(adjusted, discount) if modified else (discount,) * 3
    context = keys // vocab_size
    size = len(context_keys)
    total = np.bincount(context, adjusted, minlength=size)
    # Discount of each n-gram: D1, D2 or D3+ by its adjusted count.
    taken = np.array(d)[np.minimum(adjusted, 3) - 1] if len(adjusted) else np.zeros(0)
    with np.errstate(invalid="ignore", divide="ignore"):  # no context lacks followers
        gamma = np.bincount(context, taken, minlength=size) / total
    mass = (adjusted - taken) / total[context]
    return Level(context_keys, gamma, keys, mass), d


def estimate_discounts(counts: np.ndarray, fallback: float) -> Discounts:
    """Chen & Goodman's (D1, D2, D3+) from the count-of-counts n1..n4, or
    ``fallback`` thrice when a count-of-count is zero or an estimate is out of range.

    >>> estimate_discounts(np.array([1, 1, 1, 1, 2, 2, 3, 4]), 0.75)
    (0.5, 1.25, 1.0)
    """
    n = np.bincount(np.minimum(counts, 5), minlength=6).tolist()
    if min(n[1], n[2], n[3], n[4]) == 0:
        return (fallback,) * 3
    y = n[1] / (n[1] + 2 * n[2])
    d = (1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3])
    if not all(0 < dk <= k for k, dk in enumerate(d, start=1)):
        return (fallback,) * 3
    return d
