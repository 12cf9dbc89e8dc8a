"""Exercise 2: batching a token stream for truncated BPTT (``batchify``, ``get_batch``)."""

from __future__ import annotations

import pytest
import torch

from lab.neural.batching import batchify, get_batch


@pytest.mark.points(1)
def test_batchify_makes_contiguous_columns() -> None:
    """batchify cuts the stream into batch_size contiguous columns and drops the tail"""
    data = batchify(list(range(10)), 3)
    assert tuple(data.shape) == (3, 3)
    assert data.dtype == torch.long
    assert data.T.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.points(1)
def test_get_batch_shifts_targets_by_one() -> None:
    """get_batch returns bptt input rows and the rows one step later as targets"""
    source = batchify(list(range(12)), 2)  # columns 0..5 and 6..11
    x, y = get_batch(source, 0, 2)
    assert x.T.tolist() == [[0, 1], [6, 7]]
    assert y.T.tolist() == [[1, 2], [7, 8]]


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_get_batch_covers_every_target_once() -> None:
    """windows are at most bptt long, the last one shorter, and together predict every token once"""
    source = batchify(torch.arange(40), 4)  # 10 rows
    lengths, targets = [], []
    for i in range(0, source.size(0) - 1, 4):
        x, y = get_batch(source, i, 4)
        assert x.shape == y.shape
        assert torch.equal(x[1:], y[:-1])
        lengths.append(x.size(0))
        targets.append(y)
    assert lengths == [4, 4, 1]
    assert torch.equal(torch.cat(targets), source[1:])


@pytest.mark.points(1)
def test_batchify_accepts_tensors_and_rejects_short_streams() -> None:
    """batchify takes a tensor too, and refuses fewer than two tokens per column"""
    assert batchify(torch.arange(7), 2).T.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError):
        batchify([1, 2, 3], 2)


# END HIDDEN TESTS
