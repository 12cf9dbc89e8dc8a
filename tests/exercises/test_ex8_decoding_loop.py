"""Exercise 8: prompt priming and the decoding loop (``generate_ids``).

The sandbox runs the submission's loop on a seeded stand-in LSTM
(:func:`lab.grading.drivers.stand_in_lm`, not Exercise 3's model) with
arg-max or a seeded draw as ``choose`` (not Exercise 6's ``next_token``).
The visible tests compare the ids with the reference loop's on the same model
(the ``golden`` values); the grader's own tests run the model through the
loop the docstring describes here, and check how the model was called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

from lab.grading.drivers import stand_in_lm
from lab.grading.sandbox import Sandbox

VOCAB = 9
# A seed whose greedy continuation of [1, 2, 3] differs from that of [3] alone, so a loop
# that skips the start of the prompt cannot pass (tests/test_exercise_golden.py checks it).
PRIMING_SEED = 16
Golden = Callable[..., Any]  # the ``golden`` fixture: the reference's output of a call


def _generate(sandbox: Sandbox, prompt: Sequence[int], max_tokens: int, **options: object) -> dict:  # type: ignore[type-arg]
    return sandbox.call(  # type: ignore[no-any-return]
        "generation.generate_ids",
        vocab=VOCAB,
        prompt=list(prompt),
        max_tokens=max_tokens,
        **options,
    )


@pytest.mark.points(1)
def test_greedy_continuation(sandbox: Sandbox, golden: Golden) -> None:
    """the loop returns (num_samples, max_tokens) ids, each chosen from the carried state"""
    case = {"vocab": VOCAB, "prompt": [4, 1, 7], "max_tokens": 8, "num_samples": 2, "seed": 3}
    out = sandbox.call("generation.generate_ids", **case)
    assert tuple(out["ids"].shape) == (2, 8)
    assert torch.equal(out["ids"], golden("generation.generate_ids", **case)["ids"])


@pytest.mark.points(1)
def test_the_whole_prompt_primes_the_state(sandbox: Sandbox, golden: Golden) -> None:
    """every prompt token shapes the continuation, not just the last one"""
    case = {"vocab": VOCAB, "prompt": [1, 2, 3], "max_tokens": 6, "seed": PRIMING_SEED}
    out = sandbox.call("generation.generate_ids", **case)
    assert torch.equal(out["ids"], golden("generation.generate_ids", **case)["ids"])


# BEGIN HIDDEN TESTS
def _expected(
    prompt: Sequence[int],
    max_tokens: int,
    *,
    num_samples: int = 1,
    seed: int = 0,
    sample_seed: int | None = None,
    stop_id: int | None = None,
) -> torch.Tensor:
    model = stand_in_lm(VOCAB, seed)
    gen = torch.Generator().manual_seed(sample_seed) if sample_seed is not None else None
    rows: list[torch.Tensor] = []
    with torch.no_grad():
        logits, hidden = model(torch.tensor(list(prompt)).view(-1, 1).expand(-1, num_samples))
        for _ in range(max_tokens):
            last = logits[-1]
            if gen is None:
                token = last.argmax(dim=-1)
            else:
                token = torch.multinomial(torch.softmax(last, -1), 1, generator=gen).view(-1)
            rows.append(token)
            if stop_id is not None and bool(torch.stack(rows).eq(stop_id).any(0).all()):
                break
            logits, hidden = model(token.view(1, -1), hidden)
    return torch.stack(rows, dim=1)


def _last_position_matters() -> tuple[list[int], int]:
    """A prompt and seed for which the arg-max after the prompt's first token differs from
    the one after its last, so a loop that picks the first position cannot pass."""
    for seed in range(50):
        model = stand_in_lm(VOCAB, seed)
        for prompt in ([3, 8, 1], [6, 0, 2, 5]):
            with torch.no_grad():
                logits, _ = model(torch.tensor(prompt).view(-1, 1))
            if int(logits[0].argmax()) != int(logits[-1].argmax()):
                return prompt, seed
    raise AssertionError("no seed separates the positions")  # the test itself would be void


@pytest.mark.points(1)
def test_prompt_read_once_then_one_token_per_step(sandbox: Sandbox) -> None:
    """one call over the whole prompt from a zero state, then (1, B) calls with the carried state"""
    out = _generate(sandbox, [5, 2, 8, 1], 7, num_samples=3, record=True)
    calls = out["calls"]
    assert calls[0] == [4, 3, 1]  # (T, B) = (prompt, samples), hidden None
    assert 6 <= len(calls) - 1 <= 7
    assert all(call == [1, 3, 0] for call in calls[1:])


@pytest.mark.points(1)
def test_sampled_rows_use_choose_once_per_step(sandbox: Sandbox) -> None:
    """with a seeded sampler as choose, the rows are the ones drawn step by step"""
    out = _generate(sandbox, [2, 6], 10, num_samples=4, seed=1, sample_seed=7)
    assert torch.equal(out["ids"], _expected([2, 6], 10, num_samples=4, seed=1, sample_seed=7))


@pytest.mark.points(1)
def test_stops_when_every_row_has_emitted_the_stop_id(sandbox: Sandbox) -> None:
    """with stop_id, decoding ends at the step where the last row emits it; empty prompts fail"""
    free = _expected([2, 6], 30, num_samples=3, seed=1, sample_seed=11)
    stop_id = int(free[0, 3])  # a token the first row emits early
    expected = _expected([2, 6], 30, num_samples=3, seed=1, sample_seed=11, stop_id=stop_id)
    out = _generate(sandbox, [2, 6], 30, num_samples=3, seed=1, sample_seed=11, stop_id=stop_id)
    assert torch.equal(out["ids"], expected)
    sandbox.raises("ValueError", "generation.generate_ids", vocab=VOCAB, prompt=[], max_tokens=3)


@pytest.mark.points(1)
def test_the_first_token_follows_the_last_prompt_position(sandbox: Sandbox) -> None:
    """the first new token is chosen from the logits at the prompt's last position"""
    prompt, seed = _last_position_matters()
    out = _generate(sandbox, prompt, 4, num_samples=2, seed=seed)
    assert torch.equal(out["ids"], _expected(prompt, 4, num_samples=2, seed=seed))


# END HIDDEN TESTS
