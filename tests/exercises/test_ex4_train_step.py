"""Exercise 4: one truncated-BPTT training step (``train_step``).

The submission trains a tiny stand-in model (``lab.grading.drivers.tiny_rnn``, and
``lab.grading.drivers.probes.tiny_lstm`` for a state that is an ``(h, c)`` pair,
not the lab's ``RNNLanguageModel``, so this exercise is graded apart from
Exercise 3) in the sandbox and returns the loss, the state and the updated
parameters. The visible tests compare them with the reference's step on the
same seeded model (the ``golden`` values); the grader's own tests rebuild the
model here and work out what one correct step gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from lab.grading.drivers import TINY_VOCAB, tiny_setup
from lab.grading.drivers.probes import tiny_lstm_setup
from lab.grading.sandbox import Sandbox

Golden = Callable[..., Any]  # the ``golden`` fixture: the reference's output of a call


def _assert_params(got: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, msg=name)


@pytest.mark.points(1)
def test_train_step_returns_loss_and_new_state(sandbox: Sandbox, golden: Golden) -> None:
    """train_step returns the mean cross-entropy before the update and the model's new state"""
    step = {"seed": 0, "lr": 0.1, "clip": 100.0}
    out, expected = (
        sandbox.call("training.train_step", **step),
        golden("training.train_step", **step),
    )
    assert out["loss_type"] == "float"
    assert out["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    torch.testing.assert_close(out["state"], expected["state"])


@pytest.mark.points(1)
def test_train_step_takes_one_gradient_step(sandbox: Sandbox, golden: Golden) -> None:
    """with SGD and no clipping, every parameter moves by -lr * gradient of the mean loss"""
    step = {"seed": 2, "lr": 0.5, "clip": 1e6}
    out = sandbox.call("training.train_step", **step)
    _assert_params(out["params"], golden("training.train_step", **step)["params"])


# BEGIN HIDDEN TESTS
def _expected(
    seed: int,
    lr: float,
    clip: float = float("inf"),
    decoder_scale: float = 1.0,
    carried: bool = False,
) -> tuple[float, torch.Tensor, dict[str, torch.Tensor]]:
    """Loss, new state and parameters after one SGD step on the mean cross-entropy, with the
    carried state detached and the gradient norm clipped to ``clip``."""
    model, x, y, hidden, previous_x = tiny_setup(seed, decoder_scale)
    if carried:
        with torch.no_grad():
            _, hidden = model(previous_x, hidden)
    logits, state = model(x, hidden.detach())
    loss = nn.functional.cross_entropy(logits.reshape(-1, TINY_VOCAB), y.reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    with torch.no_grad():
        after = {n: p - lr * p.grad for n, p in model.named_parameters()}  # type: ignore[operator]
    return loss.item(), state.detach(), after


def _expected_lstm(seed: int, lr: float) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """New ``(h, c)`` and parameters after one SGD step of the LSTM stand-in from the state
    the window before left, both of its tensors detached."""
    model, x, y, hidden, previous_x = tiny_lstm_setup(seed)
    with torch.no_grad():
        _, hidden = model(previous_x, hidden)
    logits, state = model(x, hidden)
    nn.functional.cross_entropy(logits.reshape(-1, TINY_VOCAB), y.reshape(-1)).backward()
    with torch.no_grad():
        after = {n: p - lr * p.grad for n, p in model.named_parameters()}  # type: ignore[operator]
    return [part.detach() for part in state], after


@pytest.mark.points(1)
def test_train_step_detaches_the_carried_state(sandbox: Sandbox) -> None:
    """the gradient stops at the window boundary: nothing flows into the previous window"""
    out = sandbox.call("training.train_step", seed=3, lr=0.5, clip=1e6, carried=True)
    _assert_params(out["params"], _expected(3, 0.5, carried=True)[2])


@pytest.mark.points(1)
def test_train_step_clips_the_gradient_norm(sandbox: Sandbox) -> None:
    """the update uses gradients clipped to a total norm of at most clip"""
    out = sandbox.call("training.train_step", seed=4, lr=1.0, clip=0.01, decoder_scale=50.0)
    _assert_params(out["params"], _expected(4, 1.0, clip=0.01, decoder_scale=50.0)[2])
    before = dict(tiny_setup(4, 50.0)[0].named_parameters())
    moved = torch.sqrt(sum(((out["params"][n] - p.detach()) ** 2).sum() for n, p in before.items()))
    assert 0 < moved.item() <= 0.01 + 1e-6


@pytest.mark.points(1)
def test_train_step_clears_old_gradients(sandbox: Sandbox) -> None:
    """gradients left over from earlier steps do not leak into this update"""
    out = sandbox.call("training.train_step", seed=5, lr=0.5, clip=1e6, stale_grad=3.0)
    _assert_params(out["params"], _expected(5, 0.5)[2])


@pytest.mark.points(1)
def test_train_step_detaches_both_tensors_of_an_lstm_state(sandbox: Sandbox) -> None:
    """an LSTM's carried state is the pair (h, c): the step detaches both, so no gradient
    reaches the previous window through the cell state either"""
    out = sandbox.call("training.train_step_lstm", seed=6, lr=0.5, clip=1e6)
    state, after = _expected_lstm(6, 0.5)
    _assert_params(out["params"], after)
    assert len(out["state"]) == 2
    for got, expected in zip(out["state"], state, strict=True):
        torch.testing.assert_close(got, expected)


# END HIDDEN TESTS
