"""The transformer kind against nanoGPT (re-implemented in ``benchmarks/nanogpt.py``).

* **Speed** (a row of ``python -m benchmarks``): training tokens/s of the
  product's whole training path (:func:`lab.neural.training.train_model` on
  :class:`lab.transformer.model.TransformerLanguageModel`, each step Exercise 4's
  ``train_step`` with :func:`lab.transformer.generator.window_loss`) against
  nanoGPT's ``train.py`` iteration on its ``GPT``, at identical shapes (nanoGPT's
  small CPU configuration: 4 layers, 4 heads, 128 wide, block 64, batch 12, V = 65,
  no dropout, no biases, AdamW, clip 1), interleaved, one torch thread each.
* **Quality** (``python -m benchmarks.transformer quality``, its own command:
  minutes of CPU): tinyshakespeare at the character level, nanoGPT's split (first
  90% train, last 10% validation) and its CPU recipe (2,000 iterations of 12 random
  windows of 64 characters, AdamW lr 1e-3 with betas (0.9, 0.99), weight decay 0.1
  on 2-D weights, 100 warmup iterations, cosine decay to 1e-4, clip 1, dropout 0),
  whose published validation loss is about 1.88 nats/char. Our model trains
  through the product's ``train_step`` and ``window_loss``; the loop around it is
  nanoGPT's (random windows, its schedule), since that is the recipe being
  reproduced. Validation is measured three ways: nanoGPT's ``estimate_loss`` (20
  random windows), the same measure over every whole window of the split, and the
  product's exact score (:func:`lab.neural.epoch.evaluate_nll`: every character
  after the first 64 sees at least 32 before it). ``--runs nanoGPT`` trains
  nanoGPT's ``GPT`` with the same recipe and seed; ``--seeds`` repeats every run
  from several seeds, and ``--lr``, ``--min-lr``, ``--warmup``, ``--beta2`` and
  ``--weight-decay`` train a variant of the recipe (the shape, the 2,000 iterations
  and the batch of 12 never change). The runs live in ``transformer_quality.py``;
  the curves go to ``benchmarks/results-full/transformer_quality.json``, the table
  (seed means per variant and model, then every run) to ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from benchmarks import nanogpt
from benchmarks.common import REPO, SHARED, Result, Work
from lab.neural.config import TrainConfig
from lab.neural.training import train_model
from lab.transformer.config import TransformerShape
from lab.transformer.generator import window_loss
from lab.transformer.model import TransformerLanguageModel

#: The course machines' shared folder (``TEXTGEN_LAB_SHARED`` overrides it, e.g. from a worktree).
SHAKESPEARE = Path(os.environ.get("TEXTGEN_LAB_SHARED", SHARED)) / "corpora" / "tinyshakespeare.txt"
OUT = REPO / "benchmarks" / "results-full"
SETTINGS = nanogpt.TrainSettings()
SHAPE = TransformerShape(embedding_dim=128, num_layers=4, num_heads=4, block_size=64, dropout=0.0)


def char_data() -> tuple[int, torch.Tensor, torch.Tensor]:
    """Vocabulary size and train/validation ids of tinyshakespeare (nanoGPT's ``prepare.py``:
    sorted characters, first 90% train); seeded stand-in ids of 65 symbols without it."""
    if SHAKESPEARE.is_file():
        text = SHAKESPEARE.read_text(encoding="utf-8")
        chars = sorted(set(text))
        index = {c: i for i, c in enumerate(chars)}
        ids = torch.tensor([index[c] for c in text], dtype=torch.long)
        cut = int(0.9 * len(ids))
        return len(chars), ids[:cut], ids[cut:]
    generator = torch.Generator().manual_seed(0)
    weights = 1.0 / torch.arange(1, 66, dtype=torch.float)
    ids = torch.multinomial(weights, 1_100_000, replacement=True, generator=generator)
    return 65, ids[:1_000_000], ids[1_000_000:]


def gpt_config(vocab: int) -> nanogpt.GPTConfig:
    return nanogpt.GPTConfig(
        block_size=SHAPE.block_size,
        vocab_size=vocab,
        n_layer=SHAPE.num_layers,
        n_head=SHAPE.num_heads,
        n_embd=SHAPE.embedding_dim,
        dropout=SHAPE.dropout,
        bias=False,
    )


def ours_train(vocab: int, train: torch.Tensor, iters: int) -> int:
    """The product's training path for ``iters`` batches of 12 x 64; tokens trained."""
    torch.manual_seed(0)
    model = TransformerLanguageModel(vocab, SHAPE)
    config = TrainConfig(
        epochs=1,
        batch_size=SETTINGS.batch_size,
        bptt=SETTINGS.block_size,
        optimizer="adamw",
        lr=SETTINGS.learning_rate,
        weight_decay=SETTINGS.weight_decay,
        clip=SETTINGS.grad_clip,
        lr_decay=1,
        max_tokens=iters * SETTINGS.batch_size * SETTINGS.block_size,
        device="cpu",
    )
    ids = train[: (iters + 2) * SETTINGS.batch_size * SETTINGS.block_size].tolist()
    outcome = train_model(
        model, ids, None, config, device=torch.device("cpu"), progress=False, loss_fn=window_loss
    )
    return outcome.state.tokens


def nanogpt_train(vocab: int, train: torch.Tensor, iters: int) -> int:
    """``train.py``'s loop on nanoGPT's ``GPT`` for ``iters`` iterations; tokens trained."""
    torch.manual_seed(0)
    model = nanogpt.GPT(gpt_config(vocab))
    s = SETTINGS
    optimizer = nanogpt.configure_optimizers(
        model, s.weight_decay, s.learning_rate, (s.beta1, s.beta2)
    )
    generator = torch.Generator().manual_seed(0)
    for it in range(iters):
        for group in optimizer.param_groups:
            group["lr"] = nanogpt.get_lr(it, s)
        x, y = nanogpt.get_batch(train, s, generator)
        nanogpt.nanogpt_step(model, optimizer, x, y, s.grad_clip)
    return iters * s.batch_size * s.block_size


def cpu_rate(work: Work) -> float:
    """Units per CPU-second of this thread for one run of ``work``. With one torch thread
    all the work runs on the calling thread, so this is the cost of the code itself:
    on a shared machine, wall time also counts the other jobs' turns on the core."""
    start = time.thread_time()
    units = work()
    return units / (time.thread_time() - start)


def training_speed(quick: bool, repeats: int) -> list[Result]:
    """The speed row (see the module's docstring)."""
    vocab, train, _ = char_data()
    iters = 15 if quick else 60
    works = [lambda: ours_train(vocab, train, iters), lambda: nanogpt_train(vocab, train, iters)]
    runs: list[list[float]] = [[], []]
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the machines are shared: one thread each, never oversubscribed
    try:
        for r in range(repeats):  # interleaved, the order flipping every repeat
            for k in range(2):
                i = (k + r) % 2
                runs[i].append(cpu_rate(works[i]))
    finally:
        torch.set_num_threads(before)
    return [
        Result.timed(
            name="Transformer training vs nanoGPT",
            unit="tokens/CPU-s",
            reference_name="nanoGPT model.py GPT + train.py iteration (re-implemented)",
            target=0.9,
            ours_runs=runs[0],
            reference_runs=runs[1],
            notes=(
                f"4 layers, 4 heads, 128 wide, block 64, batch 12, V={vocab}, dropout 0, "
                f"AdamW 1e-3, clip 1, {iters} iterations per run, 1 thread, rates per CPU-second "
                "of the thread; ours: train_model (model built, trained, best weights kept)"
            ),
        )
    ]


def main(argv: list[str] | None = None) -> None:
    from benchmarks import transformer_quality as tq  # it imports this module's data helpers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["speed", "quality", "table"])
    parser.add_argument(
        "--runs", nargs="+", choices=["ours", "nanoGPT"], default=["ours"], help="quality runs"
    )
    parser.add_argument(
        "--seeds",
        "--seed",
        nargs="+",
        type=int,
        default=[1337],
        help="quality: train each run from each of these seeds, one run at a time",
    )
    recipe = parser.add_argument_group(
        "quality recipe variant (nanoGPT's CPU settings unless given; the shape, the "
        "2,000 iterations and the batch of 12 never change)"
    )
    recipe.add_argument(
        "--lr", type=float, help="peak learning rate (1e-3; min-lr follows at 1/10)"
    )
    recipe.add_argument("--min-lr", type=float, help="final learning rate of the cosine (1e-4)")
    recipe.add_argument("--warmup", type=int, help="linear warm-up iterations (100)")
    recipe.add_argument("--beta2", type=float, help="AdamW's beta2 (0.99)")
    recipe.add_argument("--weight-decay", type=float, help="AdamW decay of 2-D weights (0.1)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="speed: longer runs")
    args = parser.parse_args(argv)
    try:
        settings = tq.settings_of(args.lr, args.min_lr, args.warmup, args.beta2, args.weight_decay)
    except ValueError as error:
        parser.error(str(error))
    if args.what == "speed":
        for row in training_speed(not args.full, args.repeats):
            print(json.dumps(row.to_dict(), indent=1))
            print(f"{row.name}: {row.ratio:.3f}x (paired {row.paired_ratio:.3f}x), {row.verdict}")
        return
    if args.what == "table":  # rewrite the markdown from the stored runs
        data = tq.load()
        tq.store(data)
        print(tq.table(data))
        return
    data = tq.quality(args.runs, args.seeds, settings)
    print(tq.table(data))


if __name__ == "__main__":
    main()
