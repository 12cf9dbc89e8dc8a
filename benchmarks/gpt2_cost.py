"""What fine-tuning GPT-2 small costs on this CPU, without downloading it.

A randomly initialised model of GPT-2 small's exact shape (``GPT2Config()``:
124M parameters) costs what the pretrained one does per token: the arithmetic
depends on the shape, not on the weights. Each step goes through the ``gpt2``
kind's own network (:class:`lab.gpt2.network.CausalLMNetwork`) and Exercise 4's
``train_step`` with the window loss, at the kind's defaults (batch 4 x 128
tokens, AdamW), with the lab's thread plan (``TEXTGEN_LAB_THREADS`` overrides
it). Generation: one token at batch 1 after a full 128-token window (the kind
re-reads its window at every step). Needs the ``gpt2`` extra.

    python -m benchmarks.gpt2_cost [--steps 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from lab.cpu_share import configure_cpu_threads
from lab.gpt2.network import CausalLMNetwork
from lab.neural.training import train_step
from lab.transformer.generator import window_loss

BATCH, WINDOW = 4, 128


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="timed training steps (after one)")
    args = parser.parse_args(argv)
    from transformers import GPT2Config, GPT2LMHeadModel

    plan = configure_cpu_threads(None)
    torch.manual_seed(0)
    hf = GPT2LMHeadModel(GPT2Config())
    vocab = hf.config.vocab_size
    # The kind's id table: the lab's three specials map to <|endoftext|>, then the model's ids.
    to_hf = [vocab - 1] * 3 + list(range(vocab - 1))
    net = CausalLMNetwork(hf, to_hf, WINDOW).train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=5e-5, weight_decay=0.0)
    times = []
    for _ in range(args.steps + 1):  # the first step warms the allocator up, not timed
        x = torch.randint(3, len(to_hf), (WINDOW, BATCH))
        y = torch.randint(3, len(to_hf), (WINDOW, BATCH))
        start = time.perf_counter()
        train_step(net, x, y, net.init_hidden(BATCH), optimizer, 1.0, loss_fn=window_loss)
        times.append(time.perf_counter() - start)
    step = statistics.median(times[1:])
    net.eval()
    per_token = []
    with torch.inference_mode():
        context = torch.randint(3, len(to_hf), (WINDOW - 1, 1))
        for _ in range(5):
            start = time.perf_counter()
            net(torch.randint(3, len(to_hf), (1, 1)), context)
            per_token.append(time.perf_counter() - start)
    params = sum(p.numel() for p in hf.parameters())
    print(f"GPT-2 small shape: {params:,} parameters; {plan.reason}; load {os.getloadavg()[0]:.1f}")
    print(
        f"training: median step {step:.2f} s over {args.steps} steps "
        f"({min(times[1:]):.2f}-{max(times[1:]):.2f}) = {BATCH * WINDOW / step:.0f} tokens/s; "
        f"30,000 tokens (compare --quick) ~{30_000 * step / (BATCH * WINDOW) / 60:.1f} min, "
        f"300,000 (full) ~{300_000 * step / (BATCH * WINDOW) / 60:.0f} min"
    )
    print(
        f"generation: {statistics.median(per_token) * 1000:.0f} ms per token (batch 1, full window)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
