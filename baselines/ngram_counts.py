"""The n-gram counts a Kneser-Ney model is built from, as numpy arrays of ids.

A dict of int tuples costs about 200 bytes per 5-gram (the tuple, its five int
pointers, the dict slot, the count); a million of them, as Penn Treebank gives,
took over a gigabyte. Here the n-grams of each length are the rows of one int32
array, sorted, beside an int64 array of their counts: 28 bytes per 5-gram.

Which n-grams are counted (SRILM style): for each token, the token with its
context in the sentence, up to ``order - 1`` ids long and starting with one
``<eos>`` (standing for the sentence start) while the sentence is shorter than
that. So a sentence's first words give the *short* n-grams ``(<s>, w1)``,
``(<s>, w1, w2)``, ... at their true length; they keep raw counts in the model
(nothing can precede ``<s>``). Older saved models padded every sentence with
``order - 1`` ``<eos>``; :meth:`NGramCounts.from_flat` reads those as the
sentence-start n-grams they stand for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Left padding of n-grams shorter than the order in :meth:`NGramCounts.padded` rows.
FILLER = -1
_ID_LIMIT = 2**31 - 1  # ids are stored as int32


class NGramCounts(Mapping[tuple[int, ...], int]):
    """Distinct n-grams and their counts, one sorted table per length 1..``order``.

    ``grams[L - 1]`` is an int32 array of shape ``(m, L)``, one distinct n-gram per
    row in lexicographic order, and ``counts[L - 1]`` their int64 counts (all >= 1).
    It reads as a ``Mapping`` from id tuples to counts, shortest n-grams first; a
    single look-up scans its table, which is fine for inspecting small models.

    >>> c = count_ngrams([5, 6, 2, 5, 2], order=2, eos_id=2)
    >>> c[(2, 5)], len(c), c.order
    (2, 4, 2)
    """

    def __init__(self, grams: Sequence[np.ndarray], counts: Sequence[np.ndarray]) -> None:
        if len(grams) != len(counts) or not grams:
            raise ValueError("need one count array per n-gram length, at least one")
        for length, (g, c) in enumerate(zip(grams, counts, strict=True), start=1):
            if g.ndim != 2 or g.shape[1] != length or c.shape != (len(g),):
                raise ValueError(f"bad table for length {length}: {g.shape}, {c.shape}")
        self.grams = tuple(np.ascontiguousarray(g, dtype=np.int32) for g in grams)
        self.counts = tuple(np.asarray(c, dtype=np.int64) for c in counts)

    @property
    def order(self) -> int:
        """The longest n-gram length the tables hold."""
        return len(self.grams)

    @classmethod
    def from_flat(
        cls,
        flat: np.ndarray,
        lengths: np.ndarray,
        counts: np.ndarray,
        *,
        order: int,
        eos_id: int,
    ) -> NGramCounts:
        """Counts of n-grams given end to end: gram ``i`` is the next ``lengths[i]`` ids
        of ``flat``. A run of ``<eos>`` opening an n-gram's context is cut to one (the
        old padded form, see the module docstring); repeated n-grams add up."""
        flat = np.asarray(flat, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        if len(lengths) != len(counts) or int(lengths.sum()) != len(flat):
            raise ValueError("the n-gram lengths do not match the ids given")
        if len(lengths) and (lengths.min() < 1 or lengths.max() > order):
            raise ValueError(f"n-grams must be 1..{order} ids long")
        if len(flat) and (flat.min() < 0 or flat.max() > _ID_LIMIT):
            raise ValueError("ids must be non-negative int32")
        start = np.cumsum(lengths) - lengths
        # Leading <eos> run of each n-gram: drop all but one, keeping at least two ids.
        run = np.zeros(len(lengths), dtype=np.int64)
        going = np.ones(len(lengths), dtype=bool)
        for k in range(order):
            going &= k < lengths
            going[going] = flat[start[going] + k] == eos_id
            run += going
        drop = np.clip(np.minimum(run - 1, lengths - 2), 0, None)
        start, lengths = start + drop, lengths - drop
        grams, totals = [], []
        for length in range(1, order + 1):
            chosen = np.flatnonzero(lengths == length)
            rows = flat[start[chosen, None] + np.arange(length)]
            g, c = unique_rows(rows.astype(np.int32), counts[chosen])
            grams.append(g)
            totals.append(c)
        return cls(grams, totals)

    @classmethod
    def from_mapping(
        cls, ngram_counts: Mapping[tuple[int, ...], int], *, order: int, eos_id: int
    ) -> NGramCounts:
        """The same counts as a ``{id tuple: count}`` mapping (see :meth:`from_flat`)."""
        grams = [tuple(gram) for gram in ngram_counts]
        for gram, count in zip(grams, ngram_counts.values(), strict=True):
            if not 1 <= len(gram) <= order or count < 1:
                raise ValueError(f"bad {order}-gram count {gram}: {count}")
        return cls.from_flat(
            np.fromiter((i for gram in grams for i in gram), dtype=np.int64),
            np.fromiter(map(len, grams), dtype=np.int64, count=len(grams)),
            np.fromiter(ngram_counts.values(), dtype=np.int64, count=len(grams)),
            order=order,
            eos_id=eos_id,
        )

    def padded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every n-gram as one row of an ``(m, order)`` int32 array, left-padded with
        :data:`FILLER`, with the lengths and counts: the form the model is built from."""
        rows = np.full((len(self), self.order), FILLER, dtype=np.int32)
        lengths = np.repeat(
            np.arange(1, self.order + 1, dtype=np.int8), [len(g) for g in self.grams]
        )
        at = 0
        for g in self.grams:
            rows[at : at + len(g), self.order - g.shape[1] :] = g
            at += len(g)
        return rows, lengths, np.concatenate(self.counts)

    def __len__(self) -> int:
        return sum(len(g) for g in self.grams)

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        for g in self.grams:
            yield from map(tuple, g.tolist())

    def items_by_length(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(grams, counts)`` array pairs, shortest first, without making tuples."""
        yield from zip(self.grams, self.counts, strict=True)

    def __getitem__(self, gram: tuple[int, ...]) -> int:
        if 1 <= len(gram) <= self.order:
            hit = np.flatnonzero((self.grams[len(gram) - 1] == gram).all(axis=1))
            if len(hit):
                return int(self.counts[len(gram) - 1][hit[0]])
        raise KeyError(gram)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NGramCounts):
            return self.order == other.order and all(
                np.array_equal(a, b)
                for a, b in zip(self.grams + self.counts, other.grams + other.counts, strict=True)
            )
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: not hashable


def unique_rows(
    rows: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D int array in lexicographic order, with how often each
    occurs (or the sum of its ``weights``): ``np.unique(axis=0)`` sorts structured
    values, several times slower than one ``lexsort`` over the columns.

    >>> g, c = unique_rows(np.array([[2, 1], [1, 3], [2, 1]]))
    >>> g.tolist(), c.tolist()
    ([[1, 3], [2, 1]], [1, 2])
    """
    if len(rows) == 0:
        return rows.copy(), np.zeros(0, dtype=np.int64)
    by_row = np.lexsort(rows.T[::-1])  # lexsort's last key is the primary one
    ordered = rows[by_row]
    del rows  # often the only reference: a copy the size of the table
    new = np.zeros(len(ordered), dtype=bool)
    new[0] = True
    for column in ordered.T:  # column by column: no (m, L) temporary of comparisons
        new[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(new)
    if weights is None:
        totals = np.diff(np.append(starts, len(ordered)))
    else:
        totals = np.add.reduceat(np.asarray(weights, dtype=np.int64)[by_row], starts)
    return ordered[starts], totals.astype(np.int64)


def sentence_positions(ids: np.ndarray, eos_id: int) -> np.ndarray:
    """How many tokens of its sentence precede each token (the context restarts after
    every ``<eos>``).

    >>> sentence_positions(np.array([5, 6, 2, 7, 2, 2]), eos_id=2).tolist()
    [0, 1, 2, 0, 1, 0]
    """
    index: np.ndarray = np.arange(len(ids), dtype=np.int32 if len(ids) < _ID_LIMIT else np.int64)
    last_eos = np.maximum.accumulate(np.where(ids == eos_id, index, -1))
    # Tokens since the last <eos> before (-1 at the start): in place, no more int64 arrays.
    np.subtract(index[1:], last_eos[:-1], out=index[1:])
    np.add(index[:1], 1, out=index[:1])
    return index - 1


def count_ngrams(ids: Iterable[int], order: int, eos_id: int) -> NGramCounts:
    """Counts of the n-grams of a token stream that :class:`baselines.kneser_ney.KneserNey`
    is built from: for each token, the token with its context in the sentence (see the
    module docstring). One n-gram per token, counted with one sort per length.

    >>> sorted(count_ngrams([5, 6, 2], order=3, eos_id=2).items())
    [((2, 5), 1), ((2, 5, 6), 1), ((5, 6, 2), 1)]
    """
    if order < 1:
        raise ValueError(f"order must be positive, not {order}")
    x = ids if isinstance(ids, np.ndarray) else np.fromiter(ids, dtype=np.int64)
    if not len(x):
        empty = [np.zeros((0, length), dtype=np.int32) for length in range(1, order + 1)]
        return NGramCounts(empty, [np.zeros(0, dtype=np.int64)] * order)
    if x.min() < 0 or x.max() > _ID_LIMIT:
        raise ValueError("token ids must be non-negative int32")
    width = order - 1
    # Sentence-start n-grams are shorter: pos + 2 ids (the <eos> before the sentence too).
    lengths = np.ones(len(x), dtype=np.int8)
    if width:
        np.minimum(sentence_positions(x, eos_id) + 2, order, out=lengths, casting="unsafe")
    # Row t is the order ids ending at token t; the <eos> padding stands for the start.
    padded = np.concatenate((np.full(width, eos_id, dtype=np.int32), x.astype(np.int32)))
    del x
    windows = sliding_window_view(padded, order)
    grams, counts = [], []
    for length in range(1, order + 1):
        g, c = unique_rows(windows[lengths == length, order - length :])
        grams.append(g)
        counts.append(c)
    return NGramCounts(grams, counts)
