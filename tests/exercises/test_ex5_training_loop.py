"""Exercise 5: the training loop (``train_epoch``).

The sandbox runs the submission's loop over a numbered stream with a
recording ``step`` (its loss is a function of the window, its state the
call's number) and a ``get_batch`` stand-in, so Exercises 2 and 4 are graded
apart; the tests know which windows a correct loop visits (written out in
the visible ones), what it must carry and what it must return. The last
test trains the stand-in model for real and checks that the loop makes it
learn.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from lab.grading.sandbox import Sandbox


def _run(sandbox: Sandbox, rows: int, batch: int, bptt: int, **options: object) -> dict:  # type: ignore[type-arg]
    return sandbox.call(  # type: ignore[no-any-return]
        "epoch.train_epoch", rows=rows, batch=batch, bptt=bptt, **options
    )


def _source(rows: int, batch: int) -> torch.Tensor:
    return torch.arange(rows * batch).view(rows, batch)


@pytest.mark.points(1)
def test_train_epoch_visits_every_window_in_order(sandbox: Sandbox) -> None:
    """one step per bptt window, inputs and next-token targets, the short last window too"""
    out = _run(sandbox, rows=12, batch=3, bptt=4)
    source = _source(12, 3)
    # 11 rows have a next row to predict: windows of 4, 4 and 3 rows, targets one row later
    windows = [
        ([0, 1, 2, 3], [1, 2, 3, 4]),
        ([4, 5, 6, 7], [5, 6, 7, 8]),
        ([8, 9, 10], [9, 10, 11]),
    ]
    assert len(out["calls"]) == len(windows)
    for call, (inputs, targets) in zip(out["calls"], windows, strict=True):
        assert torch.equal(call["x"], source[inputs])
        assert torch.equal(call["y"], source[targets])


@pytest.mark.points(1)
def test_train_epoch_returns_the_token_weighted_total(sandbox: Sandbox) -> None:
    """it returns (sum of loss x targets per window, number of targets)"""
    out = _run(sandbox, rows=11, batch=2, bptt=3)
    # windows of rows 0-2, 3-5, 6-8 and 9 over ids 0..21, two columns: the recording step's
    # loss is the window's mean input id / 10, each window weighs its 6, 6, 6 and 2 targets
    assert out["tokens"] == 20
    assert out["total"] == pytest.approx((2.5 * 6 + 8.5 * 6 + 14.5 * 6 + 18.5 * 2) / 10, rel=1e-9)


# BEGIN HIDDEN TESTS
def _windows(rows: int, bptt: int) -> list[tuple[int, int]]:
    """``(start, length)`` of every window a correct loop visits."""
    return [(i, min(bptt, rows - 1 - i)) for i in range(0, rows - 1, bptt)]


@pytest.mark.points(1)
def test_train_epoch_carries_the_state_across_windows(sandbox: Sandbox) -> None:
    """each window starts from the state the previous step returned, the first from the given one"""
    out = _run(sandbox, rows=17, batch=2, bptt=4)
    received = [call["hidden"] for call in out["calls"]]
    assert len(received) == 4
    torch.testing.assert_close(received[0], torch.full((1, 2, 2), -1.0))
    for k in range(1, 4):  # the recording step returns a state filled with its call number
        torch.testing.assert_close(received[k], torch.full((1, 2, 2), float(k)))


@pytest.mark.points(1)
def test_train_epoch_reports_every_batch_and_stops_when_told(sandbox: Sandbox) -> None:
    """on_batch sees (loss, targets) after each window; a true answer ends the epoch there"""
    whole = _run(sandbox, rows=21, batch=2, bptt=4)
    assert [b[1] for b in whole["batches"]] == [8, 8, 8, 8, 8]
    assert [b[0] for b in whole["batches"]] == pytest.approx(
        [float(_source(21, 2)[i : i + n].float().mean()) / 10 for i, n in _windows(21, 4)]
    )
    stopped = _run(sandbox, rows=21, batch=2, bptt=4, stop_after=2)
    assert len(stopped["calls"]) == len(stopped["batches"]) == 2
    assert stopped["tokens"] == 16


@pytest.mark.points(1)
def test_train_epoch_makes_a_model_learn(sandbox: Sandbox) -> None:
    """five epochs over a repeating stream take the mean training loss from ~ln 7 to a fraction"""
    means = sandbox.call("epoch.learns", epochs=5, lr=0.1, seed=0)
    assert len(means) == 5
    assert means[0] > 1.0 and means[4] < 0.25 * means[0]
    assert all(b < a for a, b in itertools.pairwise(means))


# END HIDDEN TESTS
