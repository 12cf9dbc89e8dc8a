"""The transformer kind (lab/transformer): causal attention, the sliding context window, its
options, and that it trains through the LSTM's exercise functions. The contract itself (fit,
score, generate, save/load, per-token probabilities, resume, DDP) is tested with every other
kind in test_protocol.py, test_token_probabilities.py, test_neural.py and test_distributed.py."""

from __future__ import annotations

import pytest
import torch
from test_protocol import TINY_TRANSFORMER

from lab.errors import OptionError
from lab.models.protocol import GREEDY
from lab.models.registry import generator_class
from lab.neural import training
from lab.neural.generation import generate_ids
from lab.text.splitting import split_corpus
from lab.transformer.config import TransformerShape
from lab.transformer.generator import window_loss
from lab.transformer.model import TransformerLanguageModel

SHAPE = TransformerShape(embedding_dim=16, num_heads=2, num_layers=2, block_size=8, dropout=0.0)


@pytest.fixture()
def model() -> TransformerLanguageModel:
    torch.manual_seed(0)
    return TransformerLanguageModel(30, SHAPE).eval()


def test_a_position_never_sees_the_future(model: TransformerLanguageModel) -> None:
    x = torch.randint(0, 30, (8, 2))
    changed = x.clone()
    changed[5:] = (changed[5:] + 1) % 30
    with torch.no_grad():
        a, _ = model(x)
        b, _ = model(changed)
    assert torch.allclose(a[:5], b[:5], atol=1e-6)
    assert not torch.allclose(a[5:], b[5:])


def test_a_long_text_is_read_in_half_overlapping_windows(model: TransformerLanguageModel) -> None:
    x = torch.randint(0, 30, (20, 3))
    with torch.no_grad():
        logits, context = model(x)
        assert torch.allclose(logits[:8], model.window_logits(x[:8]), atol=1e-5)
        # tokens 8..11 are scored in window [4, 12), 12..15 in [8, 16), 16..19 in [12, 20)
        for first in (4, 8, 12):
            window = model.window_logits(x[first : first + 8])
            assert torch.allclose(logits[first + 4 : first + 8], window[4:], atol=1e-5)
    assert torch.equal(context, x[-7:])  # the state: the last block_size - 1 tokens


def test_reading_in_pieces_with_the_carried_context_slides_the_window(
    model: TransformerLanguageModel,
) -> None:
    x = torch.randint(0, 30, (20, 1))
    with torch.no_grad():
        _, context = model(x[:12])
        step, context = model(x[12:13], context)  # one token after a full context
        assert torch.allclose(step[0], model.window_logits(x[5:13])[-1], atol=1e-5)
        assert context.size(0) == 7


def test_generation_runs_past_the_window(model: TransformerLanguageModel) -> None:
    with torch.inference_mode():
        out = generate_ids(model, [1, 2, 3], 25, lambda logits: logits.argmax(-1), num_samples=2)
    assert out.shape == (2, 25)
    assert torch.equal(out[0], out[1])


def test_each_training_window_is_read_on_its_own(model: TransformerLanguageModel) -> None:
    model.train()
    x, y = torch.randint(0, 30, (8, 2)), torch.randint(0, 30, (8, 2))
    context = torch.randint(0, 30, (7, 2))
    alone, _ = window_loss(model, x, y, model.init_hidden(2))
    carried, back = window_loss(model, x, y, context)
    assert alone.item() == pytest.approx(carried.item())
    assert back is context
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss, _ = training.train_step(model, x, y, context, optimizer, 1.0, loss_fn=window_loss)
    assert loss == pytest.approx(alone.item(), rel=1e-5)  # Exercise 4's step, this loss


def test_the_output_layer_is_the_embedding(model: TransformerLanguageModel) -> None:
    x = torch.randint(4, 30, (5, 2))  # token 3 is not read, only predicted
    with torch.no_grad():
        logits, _ = model(x)
        model.token_embedding.weight[3] += torch.randn(16)
        after, _ = model(x)
    changed = (after - logits).abs().amax(dim=(0, 1)) > 1e-4
    assert changed.tolist() == [i == 3 for i in range(30)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bptt": 32, "block_size": 16}, "longer than the context window"),
        ({"embedding_dim": 30, "num_heads": 4}, "multiple of num_heads"),
        ({"block_size": 1, "bptt": 1}, "block_size must be >= 2"),
        ({"hidden_dim": 16}, "does not take hidden_dim"),
    ],
)
def test_bad_shapes_are_one_line(options: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        generator_class("transformer").from_options(options)


def test_a_word_transformer_learns_a_synthetic_source(synthetic_text: str) -> None:
    parts = split_corpus(synthetic_text)
    gen = generator_class("transformer").from_options(
        {**TINY_TRANSFORMER, "eos": "line", "min_freq": 1, "epochs": 3}
    )
    result = gen.fit(parts.train, parts.valid)
    history = result.history
    assert history[-1]["valid_nll"] < history[0]["valid_nll"]
    assert result.best_valid.ppl < 0.5 * len(gen.vocab)  # far below uniform
    long = gen.generate("", max_tokens=60, sampling=GREEDY)[0]  # past the 16-token window
    assert len(long.tokens) == 60


def test_a_network_too_big_for_memory_is_one_line(synthetic_text: str) -> None:
    gen = generator_class("transformer").from_options(
        {**TINY_TRANSFORMER, "embedding_dim": 2**40, "num_heads": 1, "eos": "line"}
    )
    with pytest.raises(OptionError, match="does not fit in the memory"):
        gen.fit(synthetic_text)
