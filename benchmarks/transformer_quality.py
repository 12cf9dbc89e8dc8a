"""The transformer's quality row: nanoGPT's CPU recipe on tinyshakespeare, at several seeds
and recipe variants (``python -m benchmarks.transformer quality``; see ``transformer.py``).

Every run is one model (``ours``: the product's model trained through ``train_step`` and
``window_loss``; ``nanoGPT``: the re-implemented ``GPT``) trained with one recipe (a
variant of nanoGPT's CPU settings: only the optimiser's knobs change, never the shape,
the 2,000 iterations or the batch of 12) from one seed. Runs are stored under
(variant, model, seed), so seeds and variants accumulate in
``results-full/transformer_quality.json``; the markdown table shows every run and, per
variant and model, the mean and spread over the seeds, so a variant is judged on its seed
mean beside nanoGPT's model trained the same way, never on a lucky seed.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import time
from typing import Any

import torch

from benchmarks import nanogpt
from benchmarks.transformer import OUT, SETTINGS, SHAKESPEARE, SHAPE, char_data, gpt_config
from lab.neural.epoch import evaluate_nll
from lab.neural.training import train_step
from lab.transformer.generator import window_loss
from lab.transformer.model import TransformerLanguageModel

BASE = "nanoGPT recipe"
#: The settings a variant may change (the command's options), with their short names.
KNOBS = {
    "learning_rate": "lr",
    "min_lr": "min_lr",
    "warmup_iters": "warmup",
    "beta2": "beta2",
    "weight_decay": "wd",
}


def variant_name(settings: nanogpt.TrainSettings) -> str:
    """``nanoGPT recipe`` for nanoGPT's own settings, else the knobs that differ."""
    changed = [
        f"{short} {getattr(settings, knob):g}"
        for knob, short in KNOBS.items()
        if getattr(settings, knob) != getattr(SETTINGS, knob)
    ]
    return ", ".join(changed) or BASE


def _ours_loss(model: TransformerLanguageModel) -> nanogpt.LossOf:
    def loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        value, _ = window_loss(model, x.t(), y.t(), model.init_hidden(x.size(0)))
        return value

    return loss


def _whole_windows(loss_of: nanogpt.LossOf, model: torch.nn.Module, data: torch.Tensor) -> float:
    """nanoGPT's measure over every whole window of ``data`` (deterministic): the mean
    loss of each character after 0..63 before it in its window."""
    block = SETTINGS.block_size
    count = (len(data) - 1) // block
    x = data[: count * block].view(count, block)
    y = data[1 : count * block + 1].view(count, block)
    model.eval()
    with torch.no_grad():
        total = sum(
            float(loss_of(x[i : i + 256], y[i : i + 256])) * len(x[i : i + 256])
            for i in range(0, count, 256)
        )
    return total / count


def quality_run(
    name: str, seed: int, reference: bool, s: nanogpt.TrainSettings = SETTINGS
) -> dict[str, Any]:
    """Train one model with the recipe ``s`` from ``seed``; its curve and validation figures."""
    vocab, train, valid = char_data()
    torch.manual_seed(seed)
    if reference:
        gpt = nanogpt.GPT(gpt_config(vocab))
        model: torch.nn.Module = gpt

        def gpt_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            _, loss = gpt(x, y)
            assert loss is not None
            return loss

        loss_of: nanogpt.LossOf = gpt_loss
    else:
        ours = TransformerLanguageModel(vocab, SHAPE)
        model, loss_of = ours, _ours_loss(ours)
    optimizer = nanogpt.configure_optimizers(
        model, s.weight_decay, s.learning_rate, (s.beta1, s.beta2)
    )
    batches = torch.Generator().manual_seed(seed)
    evals = torch.Generator().manual_seed(seed + 1)
    curve: list[dict[str, float]] = []
    label = f"{name} [{variant_name(s)}] seed {seed}"
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for it in range(s.max_iters + 1):
        if it % s.eval_interval == 0 or it == s.max_iters:
            point = {
                "iter": it,
                "train": nanogpt.estimate_loss(model, loss_of, train, s, evals),
                "val": nanogpt.estimate_loss(model, loss_of, valid, s, evals),
                "cpu_s": time.process_time() - cpu0,
                "wall_s": time.perf_counter() - wall0,
            }
            curve.append(point)
            print(
                f"{label} iter {it}: train {point['train']:.4f} val {point['val']:.4f} "
                f"({point['wall_s']:.0f} s)",
                flush=True,
            )
        if it == s.max_iters:
            break
        for group in optimizer.param_groups:
            group["lr"] = nanogpt.get_lr(it, s)
        x, y = nanogpt.get_batch(train, s, batches)
        if reference:
            nanogpt.nanogpt_step(gpt, optimizer, x, y, s.grad_clip)
        else:
            train_step(
                ours,
                x.t(),
                y.t(),
                ours.init_hidden(s.batch_size),
                optimizer,
                s.grad_clip,
                loss_fn=window_loss,
            )
    result: dict[str, Any] = {
        "name": name,
        "variant": variant_name(s),
        "seed": seed,
        "settings": {knob: getattr(s, knob) for knob in KNOBS},
        "curve": curve,
        "val_estimate": curve[-1]["val"],
        "val_whole_windows": _whole_windows(loss_of, model, valid),
        "cpu_minutes": (time.process_time() - cpu0) / 60,
        "wall_minutes": (time.perf_counter() - wall0) / 60,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    if not reference:
        total, count = evaluate_nll(ours, valid.tolist(), device=torch.device("cpu"))
        result["val_exact_sliding"] = total / count
    return result


def _key(run: dict[str, Any]) -> tuple[str, str, int]:
    return run["variant"], run["name"], run["seed"]


def load() -> dict[str, Any]:
    """The stored runs; runs stored before variants and seeds existed were nanoGPT's recipe
    at the file's one seed."""
    path = OUT / "transformer_quality.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for run in data.get("runs", []):
        run.setdefault("variant", BASE)
        run.setdefault("seed", data.get("recipe", {}).get("seed", 1337))
        run.setdefault("date", data.get("date", "?"))
    return data


def store(data: dict[str, Any]) -> None:
    """Publish the JSON (one rename) and rewrite the markdown table from it."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "transformer_quality.json"
    tmp = OUT / ".transformer_quality.json.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    md = OUT / ".transformer_quality.md.tmp"
    md.write_text(table(data), encoding="utf-8")
    md.replace(OUT / "transformer_quality.md")


def quality(names: list[str], seeds: list[int], s: nanogpt.TrainSettings) -> dict[str, Any]:
    """Train ``names`` (``ours``, ``nanoGPT``) at every seed with the recipe ``s``, one run
    at a time (the models alternate within a seed), each stored as soon as it ends beside
    the runs already in the results file (a run of the same variant, model and seed is
    replaced)."""
    if not SHAKESPEARE.is_file():
        raise SystemExit(f"tinyshakespeare is not at {SHAKESPEARE}; nothing to measure")
    torch.set_num_threads(1)
    data = load()
    for seed in seeds:
        for name in names:
            run = quality_run(name, seed, reference=name == "nanoGPT", s=s)
            runs = {_key(r): r for r in data.get("runs", [])}
            runs[_key(run)] = run
            data = {
                "recipe": {
                    **SETTINGS.__dict__,
                    "shape": SHAPE.__dict__,
                    "threads": 1,
                },
                "published": {
                    "val_loss": 1.88,
                    "source": "nanoGPT README, CPU shakespeare_char run",
                },
                "runs": sorted(runs.values(), key=_order),
                "date": time.strftime("%Y-%m-%d %H:%M"),
            }
            store(data)
    return data


def _order(run: dict[str, Any]) -> tuple[bool, str, bool, int]:
    return run["variant"] != BASE, run["variant"], run["name"] != "ours", run["seed"]


def summary(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per (variant, model): the seeds and the mean, sd and range of each measure."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in sorted(data["runs"], key=_order):
        groups.setdefault((run["variant"], run["name"]), []).append(run)
    rows = []
    for (variant, name), runs in groups.items():
        whole = [r["val_whole_windows"] for r in runs]
        exact = [r["val_exact_sliding"] for r in runs if "val_exact_sliding" in r]
        rows.append(
            {
                "variant": variant,
                "name": name,
                "seeds": [r["seed"] for r in runs],
                "whole_mean": statistics.fmean(whole),
                "whole_sd": statistics.stdev(whole) if len(whole) > 1 else 0.0,
                "whole_min": min(whole),
                "whole_max": max(whole),
                "estimate_mean": statistics.fmean(r["val_estimate"] for r in runs),
                "exact_mean": statistics.fmean(exact) if exact else None,
            }
        )
    return rows


def table(data: dict[str, Any]) -> str:
    """The quality runs as markdown (``transformer_quality.md``): seed means, then every run."""
    published = data["published"]["val_loss"]
    lines = [
        f"tinyshakespeare, characters, nanoGPT's CPU recipe (4 layers, 4 heads, 128 wide, "
        f"block 64, 2,000 iterations of batch 12) and variants of its optimiser settings, "
        f"1 thread (last run {data['date']}). Validation nats/char; published: about "
        f"{published}. The target is judged on the seed mean of *every whole window*.",
        "",
        "| variant | model | seeds | every whole window: mean | sd | range | "
        "estimate_loss mean | exact, sliding mean | mean vs published |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary(data):
        exact = row["exact_mean"]
        lines.append(
            f"| {row['variant']} | {row['name']} | {', '.join(map(str, row['seeds']))} | "
            f"{row['whole_mean']:.3f} | {row['whole_sd']:.3f} | "
            f"{row['whole_min']:.3f}–{row['whole_max']:.3f} | {row['estimate_mean']:.3f} | "
            f"{'-' if exact is None else f'{exact:.3f}'} | "
            f"{row['whole_mean'] / published:.3f}× |"
        )
    lines += [
        "",
        "| variant | model | seed | estimate_loss (20 random windows) | every whole window "
        "| exact, sliding | CPU-minutes | date |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for run in sorted(data["runs"], key=_order):
        exact = run.get("val_exact_sliding")
        lines.append(
            f"| {run['variant']} | {run['name']} | {run['seed']} | {run['val_estimate']:.3f} | "
            f"{run['val_whole_windows']:.3f} | {'-' if exact is None else f'{exact:.3f}'} | "
            f"{run['cpu_minutes']:.1f} | {run['date']} |"
        )
    return "\n".join(lines) + "\n"


def settings_of(
    lr: float | None,
    min_lr: float | None,
    warmup: int | None,
    beta2: float | None,
    weight_decay: float | None,
) -> nanogpt.TrainSettings:
    """nanoGPT's CPU settings with the given knobs changed; ``min_lr`` follows nanoGPT's
    rule of a tenth of the peak when only ``lr`` is given. ValueError (one line) for
    values no optimiser takes."""
    changes: dict[str, Any] = {}
    if lr is not None:
        changes["learning_rate"] = lr
        changes["min_lr"] = lr / 10
    for knob, value in (
        ("min_lr", min_lr),
        ("warmup_iters", warmup),
        ("beta2", beta2),
        ("weight_decay", weight_decay),
    ):
        if value is not None:
            changes[knob] = value
    s = dataclasses.replace(SETTINGS, **changes)
    problems = [
        f"--lr must be positive, not {s.learning_rate}" if not s.learning_rate > 0 else "",
        f"--min-lr must be in [0, lr], not {s.min_lr}"
        if not 0 <= s.min_lr <= s.learning_rate
        else "",
        f"--warmup must be in [0, {s.max_iters}), not {s.warmup_iters}"
        if not 0 <= s.warmup_iters < s.max_iters
        else "",
        f"--beta2 must be in [0, 1), not {s.beta2}" if not 0 <= s.beta2 < 1 else "",
        f"--weight-decay must be >= 0, not {s.weight_decay}" if not s.weight_decay >= 0 else "",
    ]
    for problem in problems:
        if problem:
            raise ValueError(problem)
    return s
