"""Many generation requests decoded as one batch: a sweep's every setting, prompt
and sample advance together, one forward pass per step for all of them.

Decoding one request at a time spends most of its time on per-step overhead: a
5-sample batch costs nearly what a 100-sample one does on a CPU. So each row
of the batch carries its own sampling settings (greedy, temperature, top-k,
top-p) and its own random stream: a request's uniforms are drawn up front from
a :class:`torch.Generator` seeded with *its* seed, so its samples depend on that
seed alone, never on which other requests share the batch.

The rule is the one of :mod:`lab.models.sampling` (temperature, then exactly-k
top-k with ties to the lower id, then top-p with a 1e-12 tolerance, over the
renormalised survivors); a draw is the inverse CDF of the filtered distribution
at the row's uniform. ``tests/test_batch_decoding.py`` checks both against the
reference rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from lab.models.protocol import (
    GenerationRequest,
    Sample,
    make_sample,
    warn_unknown_prompt_tokens,
)
from lab.models.sampling import TOP_P_TOLERANCE, SamplingConfig
from lab.neural.decoding import ban_tokens
from lab.neural.device import step_decoding
from lab.neural.network import Hidden, RNNLanguageModel
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary

#: Rows decoded together at most; a bigger batch is decoded in chunks of whole requests.
MAX_ROWS = 512


@dataclass(frozen=True)
class RowSampling:
    """Per-row sampling settings of a batch, as tensors of shape ``(B,)``."""

    greedy: Tensor  # bool
    temperature: Tensor  # float; 1 for greedy rows (unused there)
    top_k: Tensor  # long; the vocabulary size where a row has no top-k
    top_p: Tensor  # float; inf where a row has no top-p (or 1: keep everything)
    filtered: bool  # any row with top-k or top-p (else no sort is needed)

    @classmethod
    def of(cls, settings: Sequence[SamplingConfig], vocab_size: int) -> RowSampling:
        """The rows of ``settings``, one row each."""
        return cls(
            greedy=torch.tensor([s.greedy for s in settings]),
            temperature=torch.tensor(
                [1.0 if s.greedy else s.temperature for s in settings], dtype=torch.float64
            ),
            top_k=torch.tensor([min(s.top_k or vocab_size, vocab_size) for s in settings]),
            top_p=torch.tensor([_nucleus(s.top_p) for s in settings], dtype=torch.float64),
            filtered=any(s.top_k is not None or _nucleus(s.top_p) < 1 for s in settings),
        )


def _nucleus(top_p: float | None) -> float:
    """A row's top-p threshold; top-p 1 keeps every token, as having none does (a
    threshold of 1 would drop tail tokens whose mass-before rounds up to 1)."""
    return math.inf if top_p is None or top_p >= 1.0 else top_p


def row_distribution(logits: Tensor, rows: RowSampling) -> Tensor:
    """Each row's filtered distribution over token ids, shape ``(B, V)``
    (greedy rows get their temperature-1 distribution; :func:`draw_rows` ignores it)."""
    temperature = rows.temperature.to(device=logits.device, dtype=logits.dtype)
    scaled = logits / temperature.unsqueeze(-1)
    if not rows.filtered:
        return torch.softmax(scaled, dim=-1)
    ranked, order = torch.sort(scaled, dim=-1, descending=True, stable=True)
    positions = torch.arange(ranked.size(-1), device=ranked.device)
    keep = positions.unsqueeze(0) < rows.top_k.to(ranked.device).unsqueeze(-1)
    ranked = ranked.masked_fill(~keep, float("-inf"))
    probs = torch.softmax(ranked, dim=-1)
    before = torch.cumsum(probs, dim=-1) - probs  # mass strictly before each token
    top_p = rows.top_p.to(device=ranked.device, dtype=ranked.dtype)
    drop = before >= top_p.unsqueeze(-1) - TOP_P_TOLERANCE
    drop[..., 0] = False
    probs = torch.softmax(ranked.masked_fill(drop, float("-inf")), dim=-1)
    # Back in id order: a row's draw must not depend on whether others filter.
    return torch.zeros_like(probs).scatter(-1, order, probs)


def draw_rows(logits: Tensor, rows: RowSampling, uniforms: Tensor) -> Tensor:
    """One token id per row: the arg-max (lowest id on ties) for greedy rows, else
    the inverse CDF (in id order) of the row's filtered distribution at its
    uniform in (0, 1]."""
    cdf = torch.cumsum(row_distribution(logits, rows).double(), dim=-1)
    target = (uniforms.to(cdf.device) * cdf[:, -1]).unsqueeze(-1)
    drawn = torch.searchsorted(cdf, target).squeeze(-1).clamp_(max=cdf.size(-1) - 1)
    return torch.where(rows.greedy.to(logits.device), logits.argmax(dim=-1), drawn)


def decode_requests(
    model: RNNLanguageModel,
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    requests: Sequence[GenerationRequest],
    device: torch.device,
) -> list[list[Sample]]:
    """The samples of every request, one list per request, in chunks of whole
    requests of at most :data:`MAX_ROWS` rows (a request larger than that alone)."""
    return [
        samples
        for chunk in _chunks(requests)
        for samples in _decode_chunk(model, tokenizer, vocab, chunk, device)
    ]


def _chunks(requests: Sequence[GenerationRequest]) -> Iterator[list[GenerationRequest]]:
    chunk: list[GenerationRequest] = []
    for request in requests:
        if chunk and sum(r.num_samples for r in chunk) + request.num_samples > MAX_ROWS:
            yield chunk
            chunk = []
        chunk.append(request)
    if chunk:
        yield chunk


def _decode_chunk(
    model: RNNLanguageModel,
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    requests: Sequence[GenerationRequest],
    device: torch.device,
) -> list[list[Sample]]:
    steps = max(r.max_tokens for r in requests)
    settings = [r.sampling for r in requests for _ in range(r.num_samples)]
    rows = RowSampling.of(settings, len(vocab))
    # (steps, rows) uniforms in (0, 1], each request's from its own seed.
    uniforms = torch.cat(
        [
            1.0 - torch.rand((steps, r.num_samples), generator=_seeded(r.seed), dtype=torch.float64)
            for r in requests
        ],
        dim=1,
    )
    stop = torch.tensor([r.stop_at_eos for r in requests for _ in range(r.num_samples)])
    prompts = [tokenizer.tokenize_prompt(r.prompt) for r in requests]
    banned = vocab.never_emit_ids
    out = torch.empty((len(settings), steps), dtype=torch.long)
    length = 0
    model.eval()
    with torch.inference_mode(), step_decoding():
        last, hidden = _prime(model, vocab, prompts, requests, device)
        done = torch.zeros(len(settings), dtype=torch.bool)
        for step in range(steps):
            token = draw_rows(ban_tokens(last, banned), rows, uniforms[step]).cpu()
            out[:, step] = token
            length = step + 1
            done |= stop & (token == vocab.eos_id)
            if bool(done.all()):
                break
            logits, hidden = model(token.view(1, -1).to(device), hidden)
            last = logits[-1]
    results, row = [], 0
    for request, prompt_tokens in zip(requests, prompts, strict=True):
        samples = []
        for ids in out[row : row + request.num_samples, : min(length, request.max_tokens)].tolist():
            if request.stop_at_eos and vocab.eos_id in ids:
                ids = ids[: ids.index(vocab.eos_id) + 1]
            samples.append(make_sample(tokenizer, prompt_tokens, vocab.decode(ids)))
        results.append(samples)
        row += request.num_samples
    return results


def _prime(
    model: RNNLanguageModel,
    vocab: Vocabulary,
    prompts: Sequence[list[str]],
    requests: Sequence[GenerationRequest],
    device: torch.device,
) -> tuple[Tensor, Hidden]:
    """Run each distinct prompt once (after an ``<eos>`` start) and give every row
    its prompt's last logits and state: ``(logits (B, V), hidden with batch B)``."""
    primed: dict[tuple[str, ...], tuple[Tensor, Hidden]] = {}
    for tokens in prompts:
        key = tuple(tokens)
        if key not in primed:
            warn_unknown_prompt_tokens(tokens, vocab)
            ids = torch.tensor([vocab.eos_id, *vocab.encode(tokens)], device=device)
            logits, hidden = model(ids.view(-1, 1))
            primed[key] = (logits[-1], hidden)
    lasts, states = [], []
    for tokens, request in zip(prompts, requests, strict=True):
        logits, hidden = primed[tuple(tokens)]
        lasts.append(logits.expand(request.num_samples, -1))
        states.append(hidden)
    return torch.cat(lasts), _cat_states(states, [r.num_samples for r in requests])


def _cat_states(states: Sequence[Hidden], counts: Sequence[int]) -> Hidden:
    """Batch-1 recurrent states (an LSTM's ``(h, c)`` or a GRU's tensor) repeated
    ``counts`` times each and joined along the batch dimension."""

    def join(parts: Sequence[Tensor]) -> Tensor:
        return torch.cat([t.expand(-1, n, -1) for t, n in zip(parts, counts, strict=True)], 1)

    first = states[0]
    if isinstance(first, Tensor):
        return join([s for s in states if isinstance(s, Tensor)])
    pairs = [s for s in states if isinstance(s, tuple)]
    return join([h for h, _ in pairs]), join([c for _, c in pairs])


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
