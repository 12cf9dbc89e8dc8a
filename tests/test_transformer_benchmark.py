"""The transformer benchmark's two trainings (benchmarks/transformer.py) run end to end on
stand-in data for a few iterations and count the same tokens: a smoke test of the row, not a
measurement (speed is measured in benchmarks/, never asserted here)."""

from __future__ import annotations

import torch

from benchmarks import nanogpt
from benchmarks.transformer import SHAPE, gpt_config, nanogpt_train, ours_train


def test_both_trainings_run_the_same_number_of_tokens() -> None:
    before = torch.get_num_threads()
    train = torch.randint(0, 65, (20_000,))
    torch.set_num_threads(1)  # as the benchmark runs them
    try:
        assert ours_train(65, train, 2) == nanogpt_train(65, train, 2) == 2 * 12 * 64
    finally:
        torch.set_num_threads(before)


def test_the_reference_has_the_same_shape_and_parameter_count() -> None:
    from lab.transformer.model import TransformerLanguageModel

    ours = TransformerLanguageModel(65, SHAPE)
    theirs = nanogpt.GPT(gpt_config(65))
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())


def test_the_schedule_warms_up_then_decays_to_min_lr() -> None:
    s = nanogpt.TrainSettings()
    rates = [nanogpt.get_lr(i, s) for i in range(s.max_iters + 1)]
    assert rates[0] < rates[99] < s.learning_rate
    assert max(rates) <= s.learning_rate
    assert abs(rates[-1] - s.min_lr) < 1e-9
