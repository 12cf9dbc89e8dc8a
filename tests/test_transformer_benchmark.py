"""The transformer benchmark's two trainings (benchmarks/transformer.py) run end to end on
stand-in data for a few iterations and count the same tokens: a smoke test of the row, not a
measurement (speed is measured in benchmarks/, never asserted here)."""

from __future__ import annotations

import pytest
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


def test_a_recipe_variant_is_named_by_the_knobs_it_changes() -> None:
    from benchmarks import transformer_quality as tq

    assert tq.variant_name(tq.settings_of(None, None, None, None, None)) == tq.BASE
    s = tq.settings_of(2e-3, None, None, None, None)
    assert (s.learning_rate, s.min_lr, s.max_iters, s.batch_size) == (2e-3, 2e-4, 2000, 12)
    assert tq.variant_name(s) == "lr 0.002, min_lr 0.0002"
    assert tq.variant_name(tq.settings_of(None, None, 200, 0.95, None)) == "warmup 200, beta2 0.95"


def test_a_bad_recipe_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.transformer import main

    with pytest.raises(SystemExit) as stop:
        main(["quality", "--lr", "1e-3", "--min-lr", "2e-3"])
    assert stop.value.code == 2
    assert "--min-lr must be in [0, lr]" in capsys.readouterr().err


def test_the_table_gives_seed_means_and_every_run() -> None:
    from benchmarks import transformer_quality as tq

    def run(name: str, variant: str, seed: int, whole: float) -> dict[str, object]:
        return {
            "name": name,
            "variant": variant,
            "seed": seed,
            "val_estimate": whole + 0.01,
            "val_whole_windows": whole,
            "cpu_minutes": 2.0,
            "date": "d",
        }

    data = {
        "published": {"val_loss": 1.88},
        "date": "d",
        "runs": [
            run("ours", tq.BASE, 1, 1.90),
            run("ours", tq.BASE, 2, 1.88),
            run("nanoGPT", tq.BASE, 1, 1.91),
            run("ours", "lr 0.002, min_lr 0.0002", 1, 1.85),
        ],
    }
    rows = {(r["variant"], r["name"]): r for r in tq.summary(data)}
    base = rows[(tq.BASE, "ours")]
    assert base["seeds"] == [1, 2] and abs(base["whole_mean"] - 1.89) < 1e-9
    assert abs(base["whole_sd"] - 0.0141421) < 1e-6 and base["exact_mean"] is None
    assert rows[(tq.BASE, "nanoGPT")]["whole_sd"] == 0.0
    text = tq.table(data)
    assert "| nanoGPT recipe | ours | 1, 2 | 1.890 | 0.014 | 1.880–1.900 |" in text
    assert text.count("\n| ") == 1 + 3 + 1 + 4  # a header, 3 groups; a header, 4 runs
