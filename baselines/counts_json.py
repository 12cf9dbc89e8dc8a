"""``model.json`` of the n-gram model: the top-order counts as readable JSON.

The format is the one saved models have always had, ``{"order": 5, "counts":
{"2 17 4": 3, ...}}`` (each key the ids of one n-gram, space-separated), so old
runs load and new ones stay readable by anything that reads JSON. What changes
is the way there: ``json.dumps`` of a dict would first build a million key
strings and a dict of them; here each table is formatted in chunks straight
from its arrays by one ``%`` call, and read back with one ``np.fromstring``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from baselines.ngram_counts import NGramCounts

#: N-grams formatted per ``%`` call: bounds the tuple of Python ints it needs.
ROWS_PER_CHUNK = 50_000


def counts_to_json(order: int, counts: NGramCounts) -> str:
    """The JSON text of ``counts``, as ``json.dumps({"order": ..., "counts": {...}})``
    would write it.

    >>> from baselines.ngram_counts import count_ngrams
    >>> text = counts_to_json(2, count_ngrams([5, 6, 2], 2, eos_id=2))
    >>> text
    '{"order": 2, "counts": {"2 5": 1, "5 6": 1, "6 2": 1}}'
    >>> json.loads(text)["counts"]["5 6"]
    1
    """
    pieces = []
    for grams, c in counts.items_by_length():
        row = '"' + " ".join(["%d"] * grams.shape[1]) + '": %d, '
        for lo in range(0, len(grams), ROWS_PER_CHUNK):
            part = np.column_stack((grams[lo : lo + ROWS_PER_CHUNK], c[lo : lo + ROWS_PER_CHUNK]))
            pieces.append((row * len(part)) % tuple(part.ravel().tolist()))
    body = "".join(pieces)[:-2]  # no ", " after the last entry
    return f'{{"order": {json.dumps(order)}, "counts": {{{body}}}}}'


def counts_from_json(data: dict[str, Any], *, order: int, eos_id: int) -> NGramCounts:
    """The counts of a parsed ``model.json`` (of this or an older version: sentence
    starts padded with ``<eos>`` are read as the short n-grams they stand for).
    Raises ``ValueError`` for a key that is not ids separated by spaces."""
    table: dict[str, Any] = data["counts"]
    keys = list(table)
    lengths = np.fromiter((len(k.split()) for k in keys), dtype=np.int64, count=len(keys))
    counts = np.fromiter((int(c) for c in table.values()), dtype=np.int64, count=len(keys))
    joined = " ".join(keys)
    digits = joined.replace(" ", "")
    if digits and not (digits.isascii() and digits.isdigit()):
        raise ValueError("model.json: an n-gram key is not ids separated by spaces")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        flat = np.fromstring(joined, dtype=np.int64, sep=" ") if joined else np.zeros(0)
    if len(flat) != int(lengths.sum()):
        raise ValueError("model.json: the n-gram keys do not parse as ids")
    return NGramCounts.from_flat(flat, lengths, counts, order=order, eos_id=eos_id)
