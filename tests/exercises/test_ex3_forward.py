"""Exercise 3: the generator's forward pass (``RNNLanguageModel.forward``).

The submission runs ``forward`` on a seeded model in the sandbox; this
process builds the same seeded model (its constructor is not an exercise)
and computes the expected outputs from its layers, never from ``forward``.
"""

from __future__ import annotations

import pytest
import torch

from lab.grading.drivers import rnn_model, to_data
from lab.grading.sandbox import Sandbox

VOCAB, DIM = 11, 8


def _tokens(steps: int = 6, batch: int = 3) -> torch.Tensor:
    return torch.randint(0, VOCAB, (steps, batch), generator=torch.Generator().manual_seed(1))


def _forward(sandbox: Sandbox, x: torch.Tensor, **options: object) -> dict[str, torch.Tensor]:
    return sandbox.call("network.forward", vocab=VOCAB, dim=DIM, tokens=to_data(x), **options)  # type: ignore[no-any-return]


@pytest.mark.points(1)
def test_forward_returns_logits_and_state(sandbox: Sandbox) -> None:
    """forward maps (T, B) token ids to (T, B, V) logits and an LSTM (h, c) state"""
    out = _forward(sandbox, _tokens(5, 3))
    h, c = out["hidden"]
    assert tuple(out["logits"].shape) == (5, 3, VOCAB)
    assert tuple(h.shape) == tuple(c.shape) == (1, 3, DIM)


@pytest.mark.points(1)
def test_forward_is_embedding_rnn_decoder(sandbox: Sandbox) -> None:
    """without dropout, the logits are decoder(rnn(embedding(tokens)))"""
    x = _tokens()
    out = _forward(sandbox, x)
    model = rnn_model(VOCAB, DIM, 0.0, seed=0).eval()
    with torch.no_grad():
        output, expected_hidden = model.rnn(model.embedding(x))
        expected = model.decoder(output)
    torch.testing.assert_close(out["logits"], expected)
    torch.testing.assert_close(out["hidden"][0], expected_hidden[0])


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_forward_continues_from_the_given_state(sandbox: Sandbox) -> None:
    """running a sequence in two halves, carrying the state, equals running it at once"""
    x = _tokens(8, 2)
    halves = _forward(sandbox, x, split=4)
    model = rnn_model(VOCAB, DIM, 0.0, seed=0).eval()
    with torch.no_grad():
        whole = model.decoder(model.rnn(model.embedding(x))[0])
        fresh = model.decoder(model.rnn(model.embedding(x[4:]))[0])
    torch.testing.assert_close(torch.cat([halves["first"], halves["second"]]), whole)
    torch.testing.assert_close(halves["fresh"], fresh)
    assert not torch.allclose(halves["second"], fresh)


@pytest.mark.points(1)
def test_forward_drops_out_embeddings_and_outputs(sandbox: Sandbox) -> None:
    """in training mode, dropout applies to the embeddings and to the RNN outputs"""
    x = _tokens()
    out = _forward(sandbox, x, dropout=0.5, train=True, manual_seed=123)
    model = rnn_model(VOCAB, DIM, 0.5, seed=0).train()
    torch.manual_seed(123)
    with torch.no_grad():
        output, _ = model.rnn(model.drop(model.embedding(x)))
        expected = model.decoder(model.drop(output))
    torch.testing.assert_close(out["logits"], expected)
    first = _forward(sandbox, x, dropout=0.5, manual_seed=1)["logits"]
    torch.testing.assert_close(first, _forward(sandbox, x, dropout=0.5, manual_seed=2)["logits"])


# END HIDDEN TESTS
