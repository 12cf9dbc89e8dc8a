"""Exercise 3: the LSTM language model (``RNNLanguageModel.__init__``, ``forward``,
``init_hidden``).

The constructor is described by the sandbox as data (layer types, options,
parameter shapes) and compared with what the docstring asks for. ``forward``
runs on the submission's model with weights set by name from a seed
(:func:`lab.grading.drivers.seed_weights`), so any construction order gives
the same weights. The visible test compares its outputs with the reference's
(the ``golden`` values); the grader's own tests build the reference model
here with the same weights and compute the expected outputs from its
layers, never from ``forward``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from lab.grading.drivers import rnn_model, to_data
from lab.grading.sandbox import Sandbox

VOCAB, DIM = 11, 8
Golden = Callable[..., Any]  # the ``golden`` fixture: the reference's output of a call


def _tokens(steps: int = 6, batch: int = 3) -> torch.Tensor:
    return torch.randint(0, VOCAB, (steps, batch), generator=torch.Generator().manual_seed(1))


def _forward(sandbox: Sandbox, x: torch.Tensor, **options: object) -> dict[str, torch.Tensor]:
    return sandbox.call("network.forward", vocab=VOCAB, dim=DIM, tokens=to_data(x), **options)  # type: ignore[no-any-return]


def _build(sandbox: Sandbox, **config: object) -> dict[str, object]:
    options = {"embedding_dim": 6, "hidden_dim": 6, "num_layers": 2, "dropout": 0.25}
    return sandbox.call("network.build", vocab=VOCAB, config={**options, **config})  # type: ignore[no-any-return]


@pytest.mark.points(1)
def test_model_has_the_named_layers(sandbox: Sandbox) -> None:
    """the constructor builds embedding, a 2-layer time-first LSTM and a decoder, as named"""
    out = _build(sandbox, embedding_dim=4, hidden_dim=6, tie_weights=False)
    assert out["rnn"] == "LSTM"
    assert out["rnn_options"] == [4, 6, 2, 0.25]
    assert out["time_first"] is True
    state = out["state"]
    assert isinstance(state, dict)
    assert state["embedding.weight"] == [VOCAB, 4]
    assert state["decoder.weight"] == [VOCAB, 6] and state["decoder.bias"] == [VOCAB]
    assert state["rnn.weight_ih_l1"] == [24, 6]
    assert out["kept"] == [VOCAB, True]
    assert 0.25 in out["dropout"]  # type: ignore[operator]


@pytest.mark.points(1)
def test_init_hidden_is_a_zero_state(sandbox: Sandbox) -> None:
    """init_hidden gives zeros (layers, batch, hidden): (h, c) for an LSTM, h for a GRU"""
    config = {"embedding_dim": 6, "hidden_dim": 5, "num_layers": 3, "tie_weights": False}
    lstm = sandbox.call("network.init_hidden", vocab=VOCAB, config=config, batch=4)
    assert lstm["kind"] == "tuple" and len(lstm["state"]) == 2
    for part in lstm["state"]:
        torch.testing.assert_close(part, torch.zeros(3, 4, 5))
    gru = sandbox.call(
        "network.init_hidden", vocab=VOCAB, config={**config, "cell": "gru"}, batch=2
    )
    torch.testing.assert_close(gru["state"], torch.zeros(3, 2, 5))


@pytest.mark.points(1)
def test_forward_returns_logits_and_state(sandbox: Sandbox) -> None:
    """forward maps (T, B) token ids to (T, B, V) logits and an LSTM (h, c) state"""
    out = _forward(sandbox, _tokens(5, 3))
    h, c = out["hidden"]
    assert tuple(out["logits"].shape) == (5, 3, VOCAB)
    assert tuple(h.shape) == tuple(c.shape) == (1, 3, DIM)


@pytest.mark.points(1)
def test_forward_is_embedding_rnn_decoder(sandbox: Sandbox, golden: Golden) -> None:
    """without dropout, the logits are decoder(rnn(embedding(tokens)))"""
    case = {"vocab": VOCAB, "dim": DIM, "tokens": to_data(_tokens())}
    out, expected = sandbox.call("network.forward", **case), golden("network.forward", **case)
    torch.testing.assert_close(out["logits"], expected["logits"])
    for got, want in zip(out["hidden"], expected["hidden"], strict=True):
        torch.testing.assert_close(got, want)


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


@pytest.mark.points(1)
def test_model_builds_the_configured_cell(sandbox: Sandbox) -> None:
    """config.cell chooses nn.GRU or nn.RNN; one layer has no inter-layer dropout"""
    gru = _build(sandbox, cell="gru", tie_weights=False)
    assert gru["rnn"] == "GRU" and gru["rnn_options"] == [6, 6, 2, 0.25]
    assert gru["state"]["rnn.weight_ih_l0"] == [18, 6]  # type: ignore[index]
    rnn = _build(sandbox, cell="rnn", num_layers=1, tie_weights=False)
    assert rnn["rnn"] == "RNN" and rnn["rnn_options"] == [6, 6, 1, 0.0]


@pytest.mark.points(1)
def test_model_ties_the_decoder_to_the_embedding(sandbox: Sandbox) -> None:
    """tie_weights makes the decoder weight the embedding's own parameter, counted once"""
    tied, untied = _build(sandbox, tie_weights=True), _build(sandbox, tie_weights=False)
    assert tied["tied"] is True and untied["tied"] is False
    assert untied["parameters"] - tied["parameters"] == VOCAB * 6  # type: ignore[operator]


@pytest.mark.points(1)
def test_init_hidden_gives_two_separate_tensors(sandbox: Sandbox) -> None:
    """an LSTM's zero state is two tensors, not one shared twice: writing into h leaves c zero"""
    config = {"embedding_dim": 6, "hidden_dim": 5, "num_layers": 3, "tie_weights": False}
    sums = sandbox.call("network.init_hidden_write_first", vocab=VOCAB, config=config, batch=4)
    assert sums == [3 * 4 * 5, 0.0]


@pytest.mark.points(1)
def test_init_hidden_follows_the_model_device_and_dtype(sandbox: Sandbox) -> None:
    """the zero state is on the model's device and in its dtype, wherever model.to moved it
    (the meta device stands for an accelerator on this CPU-only grader)"""
    config = {"embedding_dim": 6, "hidden_dim": 5, "num_layers": 3, "tie_weights": False}
    for cell, dtype, device in [("lstm", "float64", "cpu"), ("lstm", "float32", "meta"),
                                ("gru", "float64", "meta")]:  # fmt: skip
        got = sandbox.call(
            "network.init_hidden_placement",
            vocab=VOCAB, config={**config, "cell": cell}, batch=2, dtype=dtype, device=device,
        )  # fmt: skip
        assert got == [[dtype, device, [3, 2, 5]]] * (2 if cell == "lstm" else 1), (cell, dtype)


# END HIDDEN TESTS
