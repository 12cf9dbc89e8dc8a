"""Exercise 3: the generator's forward pass (``RNNLanguageModel.forward``)."""

from __future__ import annotations

import pytest
import torch

from lab.neural.config import ModelConfig
from lab.neural.network import RNNLanguageModel

VOCAB = 11


def _model(dropout: float = 0.0, seed: int = 0) -> RNNLanguageModel:
    torch.manual_seed(seed)
    config = ModelConfig(embedding_dim=8, hidden_dim=8, num_layers=1, dropout=dropout)
    return RNNLanguageModel(VOCAB, config)


def _tokens(steps: int = 6, batch: int = 3) -> torch.Tensor:
    return torch.randint(0, VOCAB, (steps, batch), generator=torch.Generator().manual_seed(1))


@pytest.mark.points(1)
def test_forward_returns_logits_and_state() -> None:
    """forward maps (T, B) token ids to (T, B, V) logits and an LSTM (h, c) state"""
    model = _model().eval()
    logits, (h, c) = model(_tokens(5, 3))
    assert tuple(logits.shape) == (5, 3, VOCAB)
    assert tuple(h.shape) == tuple(c.shape) == (1, 3, 8)


@pytest.mark.points(1)
def test_forward_is_embedding_rnn_decoder() -> None:
    """without dropout, the logits are decoder(rnn(embedding(tokens)))"""
    model = _model().eval()
    x = _tokens()
    logits, hidden = model(x)
    with torch.no_grad():
        output, expected_hidden = model.rnn(model.embedding(x))
        expected = model.decoder(output)
    torch.testing.assert_close(logits.detach(), expected)
    torch.testing.assert_close(hidden[0].detach(), expected_hidden[0])


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_forward_continues_from_the_given_state() -> None:
    """running a sequence in two halves, carrying the state, equals running it at once"""
    model = _model().eval()
    x = _tokens(8, 2)
    with torch.no_grad():
        whole, _ = model(x)
        first, state = model(x[:4])
        second, _ = model(x[4:], state)
        fresh, _ = model(x[4:])
    torch.testing.assert_close(torch.cat([first, second]), whole)
    assert not torch.allclose(second, fresh)


@pytest.mark.points(1)
def test_forward_drops_out_embeddings_and_outputs() -> None:
    """in training mode, dropout applies to the embeddings and to the RNN outputs"""
    model = _model(dropout=0.5).train()
    x = _tokens()
    torch.manual_seed(123)
    logits, _ = model(x)
    torch.manual_seed(123)
    with torch.no_grad():
        output, _ = model.rnn(model.drop(model.embedding(x)))
        expected = model.decoder(model.drop(output))
    torch.testing.assert_close(logits.detach(), expected)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x)[0], model(x)[0])


# END HIDDEN TESTS
