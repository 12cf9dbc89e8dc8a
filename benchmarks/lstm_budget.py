"""Training a network for a CPU-time budget with the product's ``train_model``.

``train_model`` budgets tokens and wall time; a shared machine needs CPU time
(another job's load must not shrink the run), and Zaremba's schedule is fixed
per epoch, not on a plateau. So :func:`train_within` calls it once per epoch,
its state carried (optimizer, scheduler, RNG), and sets the next epoch's token
budget and learning rate in between. It records a curve point per epoch.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Spec:
    """One quality run: the network, its training, the budget and the target.

    ``decay_after`` gives Zaremba's fixed schedule (the rate times
    ``decay_factor`` every epoch after that one) instead of ``train.lr_decay``'s
    decay on a validation plateau; ``init_range`` re-initialises every weight
    uniformly in ``±init_range``, as that paper does.
    """

    corpus: str  # "ptb" or "shakespeare"
    model: dict[str, Any]
    train: dict[str, Any]
    budget_minutes: float
    target: float  # test perplexity (ptb) or validation nats/char (shakespeare)
    reference_name: str
    init_range: float | None = None
    decay_after: int | None = None
    decay_factor: float = 0.5


@dataclass(frozen=True)
class Data:
    train: list[int]
    valid: list[int]
    test: list[int] | None
    vocab_size: int


def validation_nll(model: Any, ids: list[int], streams: int) -> float:
    """Per-epoch validation loss (nats per token) over ``streams`` parallel streams.

    An adaptive model is scored through its head and the targets' clusters only:
    the same NLL as its full log-probabilities (``tests/test_adaptive_softmax.py``)
    at a fraction of the cost; ``evaluate_nll``'s full ``V``-wide pass took 18
    CPU-seconds on PTB's validation text, a tenth of an epoch.
    """
    import torch

    from lab.neural.batching import batchify, get_batch
    from lab.neural.epoch import evaluate_nll
    from lab.neural.network import AdaptiveRNNLanguageModel

    if not isinstance(model, AdaptiveRNNLanguageModel):
        total, count = evaluate_nll(model, ids, device=torch.device("cpu"), streams=streams)
        return total / count
    data = batchify(ids, streams)
    total, count, hidden = 0.0, 0, None
    model.eval()
    with torch.inference_mode():
        for i in range(0, data.size(0) - 1, 256):
            x, y = get_batch(data, i, 256)
            loss, hidden = model(x, hidden, y)
            total += loss.item() * y.numel()
            count += y.numel()
    model.train()
    return total / count


def train_within(spec: Spec, data: Data, budget_seconds: float) -> dict[str, Any]:
    """Train ``spec``'s network on ``data`` for at most ``budget_seconds`` of CPU time.

    ``train_model`` runs one epoch per call (its state carried, so the optimizer,
    the plateau scheduler and the RNG resume); between calls the next epoch's
    token budget is set from the CPU cost per token measured on the last one, so
    the final epoch is cut to what is left (its wall-clock cap is a backstop: a
    one-thread process never uses more CPU than wall time). An adaptive model is
    validated here (:func:`validation_nll`), so ``train_model`` gets no
    validation text and its plateau rule, if any, follows the training loss.
    """
    import torch

    from lab.errors import LabError
    from lab.neural.config import EPOCHS, ModelConfig, TrainConfig
    from lab.neural.epoch import evaluate_nll
    from lab.neural.network import AdaptiveRNNLanguageModel, build_model
    from lab.neural.training import TrainerState, train_model

    cpu = torch.device("cpu")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    torch.manual_seed(0)
    cfg = TrainConfig(**spec.train, device="cpu")
    model = build_model(data.vocab_size, ModelConfig(**spec.model), cpu)
    if spec.init_range is not None:
        for p in model.parameters():
            torch.nn.init.uniform_(p, -spec.init_range, spec.init_range)
    own_valid = isinstance(model, AdaptiveRNNLanguageModel)

    def point(epoch: int, tokens: int, valid_nll: float, lr: float) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "tokens": tokens,
            "cpu_s": time.process_time() - cpu0,
            "wall_s": time.perf_counter() - wall0,
            "valid_nll": valid_nll,
            "lr": lr,
        }

    best_nll = validation_nll(model, data.valid, cfg.valid_streams)
    valid_cpu = time.process_time() - cpu0  # one validation: reserved before each epoch
    curve = [point(0, 0, best_nll, cfg.lr)]
    best = copy.deepcopy(model.state_dict())
    state, per_token, stop = TrainerState(), 0.0, "epochs"
    with torch.random.fork_rng():
        torch.manual_seed(1)
        while state.epoch < cfg.epochs:
            left = budget_seconds - (time.process_time() - cpu0)
            max_tokens = None
            if per_token:
                fit = int((left - 1.2 * valid_cpu) / per_token)
                if fit < cfg.batch_size * cfg.bptt:
                    stop = "CPU budget"
                    break
                max_tokens = state.tokens + fit
            lr = cfg.lr
            if spec.decay_after is not None:
                lr = cfg.lr * spec.decay_factor ** max(0, state.epoch + 1 - spec.decay_after)
                for group in (state.optimizer or {}).get("param_groups", []):
                    group["lr"] = lr
            wall_cap = (max(left - 1.2 * valid_cpu, 1e-3) + state.elapsed_seconds) / 60
            config = replace(
                cfg, epochs=state.epoch + 1, max_tokens=max_tokens, max_minutes=wall_cap
            )
            state.best_weights = None  # else a worse epoch is rolled back, not continued
            before_cpu, before_tokens = time.process_time(), state.tokens
            try:
                outcome = train_model(
                    model,
                    data.train,
                    None if own_valid else data.valid,
                    config,
                    device=cpu,
                    state=state,
                    progress=False,
                )
            except LabError:  # diverged before any epoch of this call finished
                stop = "diverged"
                break
            record = state.history[-1]
            valid_nll = (
                validation_nll(model, data.valid, cfg.valid_streams)
                if own_valid
                else record["valid_nll"]
            )
            spent = time.process_time() - before_cpu
            per_token = max(spent - valid_cpu, 1e-9) / max(state.tokens - before_tokens, 1)
            curve.append(point(state.epoch, state.tokens, valid_nll, record["lr"] or lr))
            curve[-1]["train_nll"] = record["train_nll"]
            print(spec.corpus, json.dumps(curve[-1]), file=sys.stderr, flush=True)
            if valid_nll < best_nll:
                best_nll, best = valid_nll, copy.deepcopy(model.state_dict())
            if outcome.state.stop_reason != EPOCHS:
                reason = outcome.state.stop_reason
                stop = "CPU budget" if reason in ("token budget", "time cap") else reason
                break
    train_cpu = time.process_time() - cpu0
    model.load_state_dict(best)
    scores = {}
    for part, ids in (("valid", data.valid), ("test", data.test)):
        if ids is not None:
            total, count = evaluate_nll(model, ids, device=cpu)  # exact: one stream
            scores[part] = {"nll": total / count, "ppl": math.exp(total / count), "tokens": count}
    return {
        "curve": curve,
        "scores": scores,
        "train_cpu_minutes": train_cpu / 60,
        "eval_cpu_minutes": (time.process_time() - cpu0 - train_cpu) / 60,
        "wall_minutes": (time.perf_counter() - wall0) / 60,
        "stop": stop,
        "tokens": state.tokens,
        "epochs": state.epoch,
        "vocab_size": data.vocab_size,
        "best_valid_nll_streams": best_nll,
    }


def plot(runs: dict[str, dict[str, Any]], targets: dict[str, float], path: Any) -> None:
    """Validation loss against CPU-minutes, one panel per run (skipped without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.5), squeeze=False)
    for ax, (name, m) in zip(axes[0], runs.items(), strict=True):
        ptb = name == "ptb"
        xs = [p["cpu_s"] / 60 for p in m["curve"][1:]]
        ys = [math.exp(p["valid_nll"]) if ptb else p["valid_nll"] for p in m["curve"][1:]]
        ax.plot(xs, ys, marker="o", label="valid (per epoch)")
        ax.axhline(targets[name], color="grey", linestyle="--", label=f"target {targets[name]:g}")
        ax.set(xlabel="CPU minutes", ylabel="valid ppl" if ptb else "valid nats/char", title=name)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
