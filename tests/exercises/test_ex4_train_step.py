"""Exercise 4: one truncated-BPTT training step (``train_step``).

The tests train a tiny stand-in model (an ``nn.RNN``, not the lab's
``RNNLanguageModel``), so this exercise is graded apart from Exercise 3.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from lab.neural.training import train_step

VOCAB, DIM = 7, 5


class TinyRNN(nn.Module):
    """Embedding -> single-layer tanh RNN -> linear, with an (h) state."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, DIM)
        self.rnn = nn.RNN(DIM, DIM)
        self.decoder = nn.Linear(DIM, VOCAB)

    def forward(self, x: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output, hidden = self.rnn(self.embedding(x), hidden)
        return self.decoder(output), hidden


def _setup(seed: int = 0) -> tuple[TinyRNN, torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = TinyRNN()
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randint(0, VOCAB, (4, 3), generator=gen)
    y = torch.randint(0, VOCAB, (4, 3), generator=gen)
    hidden = torch.randn(1, 3, DIM, generator=gen)
    return model, x, y, hidden


def _expected_update(
    model: TinyRNN, x: torch.Tensor, y: torch.Tensor, hidden: torch.Tensor, lr: float
) -> tuple[float, dict[str, torch.Tensor]]:
    """Loss and parameters after one plain SGD step on the mean cross-entropy (no clipping)."""
    ref = copy.deepcopy(model)
    logits, _ = ref(x, hidden.detach())
    loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
    loss.backward()
    with torch.no_grad():
        after = {n: p - lr * p.grad for n, p in ref.named_parameters()}
    return loss.item(), after


@pytest.mark.points(1)
def test_train_step_returns_loss_and_new_state() -> None:
    """train_step returns the mean cross-entropy before the update and the model's new state"""
    model, x, y, hidden = _setup()
    with torch.no_grad():
        logits, expected_state = copy.deepcopy(model)(x, hidden)
    expected_loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1)).item()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, state = train_step(model, x, y, hidden, optimizer, clip=100.0)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    torch.testing.assert_close(state.detach(), expected_state)


@pytest.mark.points(1)
def test_train_step_takes_one_gradient_step() -> None:
    """with SGD and no clipping, every parameter moves by -lr * gradient of the mean loss"""
    model, x, y, hidden = _setup(seed=2)
    _, expected = _expected_update(model, x, y, hidden, lr=0.5)
    train_step(model, x, y, hidden, torch.optim.SGD(model.parameters(), lr=0.5), clip=1e6)
    for name, param in model.named_parameters():
        torch.testing.assert_close(param.detach(), expected[name], msg=name)


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_train_step_detaches_the_carried_state() -> None:
    """the gradient stops at the window boundary: nothing flows into the previous window"""
    model, x, y, hidden = _setup(seed=3)
    previous = hidden.clone().requires_grad_(True)
    carried = previous * 2.0  # as if computed by the previous window
    train_step(model, x, y, carried, torch.optim.SGD(model.parameters(), lr=0.1), clip=1.0)
    assert previous.grad is None


@pytest.mark.points(1)
def test_train_step_clips_the_gradient_norm() -> None:
    """the update uses gradients clipped to a total norm of at most clip"""
    model, x, y, hidden = _setup(seed=4)
    with torch.no_grad():
        model.decoder.weight.mul_(50.0)  # a large gradient
    before = [p.detach().clone() for p in model.parameters()]
    train_step(model, x, y, hidden, torch.optim.SGD(model.parameters(), lr=1.0), clip=0.01)
    moved = torch.sqrt(
        sum(((p.detach() - b) ** 2).sum() for p, b in zip(model.parameters(), before, strict=True))
    )
    assert 0 < moved.item() <= 0.01 + 1e-6


@pytest.mark.points(1)
def test_train_step_clears_old_gradients() -> None:
    """gradients left over from earlier steps do not leak into this update"""
    model, x, y, hidden = _setup(seed=5)
    _, expected = _expected_update(model, x, y, hidden, lr=0.5)
    for param in model.parameters():
        param.grad = torch.full_like(param, 3.0)
    train_step(model, x, y, hidden, torch.optim.SGD(model.parameters(), lr=0.5), clip=1e6)
    for name, param in model.named_parameters():
        torch.testing.assert_close(param.detach(), expected[name], msg=name)


# END HIDDEN TESTS
