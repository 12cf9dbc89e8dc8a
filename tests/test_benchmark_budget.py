"""The LSTM quality benchmark's budgeted loop (benchmarks/lstm_budget.py) runs end to
end on a tiny synthetic stream with a 2-second CPU budget: a smoke test of the
bookkeeping (curve, budget, schedule, exact scores), not a measurement."""

from __future__ import annotations

import random

from benchmarks.lstm_budget import Data, Spec, train_within


def test_train_within_keeps_to_its_cpu_budget_and_records_a_curve() -> None:
    rng = random.Random(0)
    ids = [rng.randrange(3, 40) for _ in range(4000)]
    spec = Spec(
        corpus="synthetic",
        model={
            "embedding_dim": 8,
            "hidden_dim": 8,
            "num_layers": 1,
            "dropout": 0.0,
            "tie_weights": False,
            "adaptive_softmax": "on",
        },
        train={
            "epochs": 1000,
            "batch_size": 4,
            "bptt": 10,
            "optimizer": "sgd",
            "lr": 1.0,
            "lr_decay": 1.0,
            "patience": 1000,
            "valid_streams": 2,
        },
        budget_minutes=2 / 60,
        target=0.0,
        reference_name="none",
        init_range=0.1,
        decay_after=2,
    )
    run = train_within(spec, Data(ids[:3000], ids[3000:3500], ids[3500:], 40), 2.0)
    curve = run["curve"]
    assert curve[0]["tokens"] == 0 and len(curve) >= 2  # before training, then each epoch
    assert [p["epoch"] for p in curve] == list(range(len(curve)))
    # Zaremba's schedule: the rate halves every epoch after decay_after.
    assert [p["lr"] for p in curve[1:4]] == [1.0, 1.0, 0.5][: len(curve) - 1]
    assert run["stop"] == "CPU budget"
    # Far from its 1,000 epochs: the budget (plus one-off warm-up and a last
    # validation, which it can overrun by) stopped it.
    assert run["epochs"] < 1000 and run["train_cpu_minutes"] * 60 < 10
    assert set(run["scores"]) == {"valid", "test"}
    assert run["scores"]["valid"]["tokens"] == 499
