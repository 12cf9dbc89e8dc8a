"""Exercise 2: batching a token stream for truncated BPTT (``batchify``, ``get_batch``).

The ``get_batch`` tests hand it a source built here, so they do not depend
on the submission's ``batchify``.
"""

from __future__ import annotations

import pytest
import torch

from lab.grading.drivers import to_data
from lab.grading.sandbox import Sandbox


@pytest.mark.points(1)
def test_batchify_makes_contiguous_columns(sandbox: Sandbox) -> None:
    """batchify cuts the stream into batch_size contiguous columns and drops the tail"""
    data = sandbox.call("batching.batchify", data=list(range(10)), batch_size=3)
    assert tuple(data.shape) == (3, 3)
    assert data.dtype == torch.long
    assert data.T.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.points(1)
def test_get_batch_shifts_targets_by_one(sandbox: Sandbox) -> None:
    """get_batch returns bptt input rows and the rows one step later as targets"""
    source = to_data(torch.tensor([[0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11]]))
    [(x, y)] = sandbox.call("batching.get_batch", source=source, starts=[0], bptt=2)
    assert x.T.tolist() == [[0, 1], [6, 7]]
    assert y.T.tolist() == [[1, 2], [7, 8]]


# BEGIN HIDDEN TESTS
def _columns(n: int, batch_size: int) -> torch.Tensor:
    """What batchify(range(n), batch_size) must be: contiguous columns, tail dropped."""
    rows = n // batch_size
    return torch.arange(rows * batch_size).view(batch_size, rows).t().contiguous()


@pytest.mark.points(1)
def test_get_batch_covers_every_target_once(sandbox: Sandbox) -> None:
    """windows are at most bptt long, the last one shorter, and together predict every token once"""
    source = _columns(40, 4)  # 10 rows
    starts = list(range(0, source.size(0) - 1, 4))
    windows = sandbox.call("batching.get_batch", source=to_data(source), starts=starts, bptt=4)
    for x, y in windows:
        assert x.shape == y.shape
        assert torch.equal(x[1:], y[:-1])
    assert [x.size(0) for x, _ in windows] == [4, 4, 1]
    assert torch.equal(torch.cat([y for _, y in windows]), source[1:])


@pytest.mark.points(1)
def test_batchify_accepts_a_tensor(sandbox: Sandbox) -> None:
    """batchify takes a 1-D tensor of ids as well as a list"""
    data = sandbox.call("batching.batchify", data=to_data(torch.arange(7)), batch_size=2)
    assert data.T.tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.points(1)
def test_batchify_rejects_short_streams(sandbox: Sandbox) -> None:
    """fewer than two tokens per column (no window with a target) is a ValueError"""
    sandbox.raises("ValueError", "batching.batchify", data=[1, 2, 3], batch_size=2)


# END HIDDEN TESTS
