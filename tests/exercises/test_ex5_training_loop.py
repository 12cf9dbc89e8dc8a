"""Exercise 5: the training loop (``train_epoch``).

The sandbox runs the submission's loop over a numbered stream with a
recording ``step`` (its loss is a function of the window, its state the
call's number) and a ``get_batch`` stand-in, so Exercises 2 and 4 are graded
apart; this process works out which windows a correct loop visits, what it
must carry and what it must return. The last test trains the stand-in model
for real and checks that the loop makes it learn.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from lab.grading.sandbox import Sandbox


def _windows(rows: int, bptt: int) -> list[tuple[int, int]]:
    """``(start, length)`` of every window a correct loop visits."""
    return [(i, min(bptt, rows - 1 - i)) for i in range(0, rows - 1, bptt)]


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
    expected = _windows(12, 4)
    assert len(out["calls"]) == len(expected) == 3
    for call, (i, length) in zip(out["calls"], expected, strict=True):
        assert torch.equal(call["x"], source[i : i + length])
        assert torch.equal(call["y"], source[i + 1 : i + 1 + length])


@pytest.mark.points(1)
def test_train_epoch_returns_the_token_weighted_total(sandbox: Sandbox) -> None:
    """it returns (sum of loss x targets per window, number of targets)"""
    out = _run(sandbox, rows=11, batch=2, bptt=3)
    source = _source(11, 2).float()
    expected_total, expected_tokens = 0.0, 0
    for i, length in _windows(11, 3):
        expected_total += float(source[i : i + length].mean()) / 10.0 * length * 2
        expected_tokens += length * 2
    assert out["tokens"] == expected_tokens == 20
    assert out["total"] == pytest.approx(expected_total, rel=1e-9)


# BEGIN HIDDEN TESTS
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
