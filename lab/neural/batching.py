"""Turning one long token stream into truncated-BPTT mini-batches.

``batchify`` cuts the stream into ``B`` equal columns, one per independent
stream; ``get_batch`` then walks down the columns ``bptt`` rows at a time.
For the alphabet stream with ``B = 4``::

    a b c d e f g h i j k l m n o p q r s t u v w x   ->   a g m s
                                                           b h n t
                                                           c i o u
                                                           d j p v
                                                           e k q w
                                                           f l r x

With ``bptt = 2`` the first batch is rows ``[a..b]`` with targets ``[b..c]``;
each column's hidden state carries over to its next window.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def batchify(ids: Sequence[int] | Tensor, batch_size: int) -> Tensor:
    """A ``(T, batch_size)`` ``torch.long`` tensor of ``batch_size`` contiguous streams.

    The tail that does not fill a whole row is dropped (at most
    ``batch_size - 1`` tokens).

    >>> batchify(list(range(10)), 3).T.tolist()
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]

    Exercise 2: cut the stream (a list of ids or a 1-D tensor) into
    ``batch_size`` contiguous columns of ``torch.long`` ids, dropping the
    ragged tail; raise ``ValueError`` below two rows (a window needs an
    input and a target).
    """
    # BEGIN SOLUTION
    data = torch.as_tensor(ids, dtype=torch.long)
    rows = data.numel() // batch_size
    if rows < 2:
        raise ValueError(
            f"{data.numel()} tokens are too few for batch size {batch_size}: "
            "need at least two tokens per stream"
        )
    return data[: rows * batch_size].view(batch_size, rows).t().contiguous()
    # END SOLUTION


def get_batch(source: Tensor, i: int, bptt: int) -> tuple[Tensor, Tensor]:
    """Inputs rows ``i..i+L`` and targets shifted by one, ``L <= bptt``.

    >>> src = batchify(list(range(12)), 2)   # columns 0..5 and 6..11
    >>> x, y = get_batch(src, 0, 2)
    >>> x.T.tolist(), y.T.tolist()
    ([[0, 1], [6, 7]], [[1, 2], [7, 8]])

    Exercise 2: the input rows from ``i`` and the targets one row later,
    at most ``bptt`` rows, shorter at the end of ``source``.
    """
    # BEGIN SOLUTION
    length = min(bptt, source.size(0) - 1 - i)
    return source[i : i + length], source[i + 1 : i + 1 + length]
    # END SOLUTION


def num_batches(source: Tensor, bptt: int) -> int:
    """How many ``get_batch`` windows one pass over ``source`` takes."""
    return len(range(0, source.size(0) - 1, bptt))
