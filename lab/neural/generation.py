"""Prompt priming and the decoding loop of a recurrent generator.

The lesson's point about recurrent generation: the prompt is read *once*,
and everything it said lives on in the hidden state; after that each step
feeds only the token just chosen, with the state carried forward, so a step
costs the same at token 5 and at token 500 (re-reading the growing text, as
a loop over ``model(whole_sequence)`` does, makes it quadratic).

Every sample the generators produce comes out of :func:`generate_ids`
(Exercise 8) with Exercise 6's ``next_token`` choosing: :func:`decode_requests`
decodes many requests (a sweep's every setting, prompt and sample) as one
batch, one forward pass per step for all of them, because decoding one
request at a time spends most of its time on per-step overhead (a 5-sample
batch costs nearly what a 100-sample one does on a CPU). Each request's rows
are drawn with a :class:`torch.Generator` seeded with *its* seed, so its
samples depend on that seed alone, whichever requests share the batch, and
``generate`` is ``generate_batch`` of one request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from lab.models.protocol import GenerationRequest, Sample, make_sample, warn_unknown_prompt_tokens
from lab.neural.decoding import ban_tokens, next_token, repetition_controls
from lab.neural.network import Hidden, LanguageModel, step_decoding
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary

#: Rows decoded together at most; a bigger batch is decoded in chunks of whole requests.
MAX_ROWS = 512

ChooseFn = Callable[[Tensor], Tensor]
"""``choose(logits (B, V)) -> ids (B,)``: picks each row's next token (greedy or sampled)."""


def generate_ids(
    model: nn.Module,
    prompt_ids: Sequence[int],
    max_tokens: int,
    choose: ChooseFn,
    *,
    num_samples: int = 1,
    stop_id: int | None = None,
) -> Tensor:
    """Continue ``prompt_ids`` ``num_samples`` times; returns the new ids, ``(num_samples, n)``.

    ``model(tokens (T, B), hidden) -> (logits (T, B, V), hidden)``, hidden
    ``None`` meaning a zero state, as :class:`~lab.neural.network.RNNLanguageModel`.
    ``n`` is ``max_tokens``, or fewer when ``stop_id`` is given and every row
    has emitted it (rows that stopped earlier keep getting tokens, which the
    caller cuts at their first ``stop_id``). Call it in eval mode under
    ``torch.inference_mode()``.

    Exercise 8: (1) prime: run the model once over the whole prompt, as a
    ``(len(prompt_ids), num_samples)`` tensor of ids (the same prompt in every
    column) on the model's device, from a zero state; keep the returned state
    and the logits at the last position. (2) decode, ``max_tokens`` times:
    ``token = choose(last_logits)``, record it, stop if ``stop_id`` is given
    and every row has now emitted it, else run the model on ``token`` alone
    (shape ``(1, num_samples)``) from the carried state to get the next
    logits and state. Never re-run the prompt or the text so far. ``ValueError``
    for an empty prompt.
    """
    # BEGIN SOLUTION
    if len(prompt_ids) == 0:
        raise ValueError("the prompt must hold at least one token (e.g. <eos>)")
    device = next(model.parameters()).device
    context = torch.tensor(list(prompt_ids), dtype=torch.long, device=device)
    logits, hidden = model(context.view(-1, 1).expand(-1, num_samples), None)
    last = logits[-1]
    out = torch.empty((num_samples, max_tokens), dtype=torch.long)
    done = torch.zeros(num_samples, dtype=torch.bool)
    for step in range(max_tokens):
        token = choose(last).view(-1)
        out[:, step] = token.cpu()
        if stop_id is not None:
            done |= token.cpu() == stop_id
            if bool(done.all()):
                return out[:, : step + 1]
        if step + 1 < max_tokens:  # the last token needs no prediction after it
            logits, hidden = model(token.view(1, -1), hidden)
            last = logits[-1]
    return out
    # END SOLUTION


def decode_requests(
    model: LanguageModel,
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
    model: LanguageModel,
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    requests: Sequence[GenerationRequest],
    device: torch.device,
) -> list[list[Sample]]:
    """One :func:`generate_ids` call for every row of ``requests``; each request's rows
    are chosen by ``next_token`` with its own settings and seeded generator."""
    prompts = [tokenizer.tokenize_prompt(r.prompt) for r in requests]
    for tokens in dict.fromkeys(map(tuple, prompts)):
        warn_unknown_prompt_tokens(tokens, vocab)
    encoded = [[vocab.eos_id, *vocab.encode(tokens)] for tokens in prompts]
    counts = [r.num_samples for r in requests]
    rows = [
        _Rows(r, ids[1:], vocab, device)  # the start <eos> is not part of the text
        for r, ids in zip(requests, encoded, strict=True)
    ]
    banned = vocab.never_emit_ids

    def choose(logits: Tensor) -> Tensor:
        """Each request's rows of ``logits`` through Exercise 6, with its own generator."""
        allowed = ban_tokens(logits.float(), banned)
        parts = zip(rows, logits.split(counts), allowed.split(counts), strict=True)
        return torch.cat([r.choose(raw, part) for r, raw, part in parts])

    stop = vocab.eos_id if all(r.stop_at_eos for r in requests) else None
    net: nn.Module = model
    if any(ids != encoded[0] for ids in encoded):
        net = _PrimedPrompts(model, encoded, counts, device)
    model.eval()
    with torch.inference_mode(), step_decoding():
        out = generate_ids(
            net,
            encoded[0],
            max(r.max_tokens for r in requests),
            choose,
            num_samples=sum(counts),
            stop_id=stop,
        )
    results, row = [], 0
    for request, prompt_tokens, r in zip(requests, prompts, rows, strict=True):
        samples = []
        for i, ids in enumerate(
            out[row : row + request.num_samples, : request.max_tokens].tolist()
        ):
            if request.stop_at_eos and vocab.eos_id in ids:
                ids = ids[: ids.index(vocab.eos_id) + 1]
            logprobs = r.logprobs[i] if request.logprobs else None
            samples.append(make_sample(tokenizer, prompt_tokens, vocab.decode(ids), logprobs))
        results.append(samples)
        row += request.num_samples
    return results


class _Rows:
    """One request's rows while they decode: its seeded generator, and what its
    settings need of the sequence so far (the repetition controls' history, the
    chosen tokens' log-probabilities, the tokens streamed to ``on_token``)."""

    def __init__(
        self,
        request: GenerationRequest,
        prompt_ids: list[int],
        vocab: Vocabulary,
        device: torch.device,
    ) -> None:
        self.request, self.vocab, n = request, vocab, request.num_samples
        self.generator = torch.Generator(device=device).manual_seed(request.seed)
        penalty, ngram = request.sampling.controls
        self.histories = [list(prompt_ids) for _ in range(n)] if ngram else []
        self.seen: Tensor | None = None
        if penalty != 1.0:
            self.seen = torch.zeros((n, len(vocab)), dtype=torch.bool, device=device)
            self.seen[:, prompt_ids] = True
        self.logprobs: list[list[float]] = [[] for _ in range(n)]
        self.step, self.stopped = 0, [False] * n
        self.records = bool(
            self.histories or penalty != 1.0 or request.logprobs or request.on_token
        )

    def choose(self, raw: Tensor, allowed: Tensor) -> Tensor:
        """The next token of each row: the repetition controls, then Exercise 6."""
        sampling = self.request.sampling
        if sampling.reads_history:
            allowed = repetition_controls(allowed, sampling, self.seen, self.histories)
        token = next_token(allowed, sampling, generator=self.generator)
        if self.records and self.step < self.request.max_tokens:  # later: longer requests
            self._record(raw, token)
        self.step += 1
        return token

    def _record(self, raw: Tensor, token: Tensor) -> None:
        ids = token.tolist()
        for history, i in zip(self.histories, ids, strict=False):
            history.append(i)
        if self.seen is not None:
            self.seen[torch.arange(len(ids)), token] = True
        if self.request.logprobs:  # the model's own distribution, before any setting
            chosen = torch.log_softmax(raw.double(), dim=-1).gather(1, token.view(-1, 1))
            for values, value in zip(self.logprobs, chosen.view(-1).tolist(), strict=True):
                values.append(value)
        on_token = self.request.on_token
        if on_token is not None:
            for row, i in enumerate(ids):
                if not self.stopped[row]:
                    on_token(row, self.vocab.itos[i])
                    self.stopped[row] = self.request.stop_at_eos and i == self.vocab.eos_id


class _PrimedPrompts(nn.Module):
    """``model`` as :func:`generate_ids` sees it when the rows' prompts differ.

    The loop primes with one prompt for every row; here each distinct prompt is
    read once, from a zero state, and the priming call (the loop's first) gets
    every row's own prompt's last logits and state instead. Every later call (one
    token per row, with the carried state) goes to ``model`` itself.
    """

    def __init__(
        self,
        model: LanguageModel,
        prompts: Sequence[list[int]],
        counts: Sequence[int],
        device: torch.device,
    ) -> None:
        super().__init__()
        self.model = model
        self.primed: tuple[Tensor, Hidden] | None = None
        self._prompts, self._counts, self._device = prompts, counts, device

    def forward(self, tokens: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Hidden]:
        if self.primed is not None:
            return self.model(tokens, hidden)
        read: dict[tuple[int, ...], tuple[Tensor, Hidden]] = {}
        for ids in self._prompts:
            if tuple(ids) not in read:
                logits, state = self.model(torch.tensor(ids, device=self._device).view(-1, 1))
                read[tuple(ids)] = (logits[-1:], state)
        rows = [read[tuple(ids)] for ids in self._prompts]
        last = _cat_states([logits for logits, _ in rows], self._counts)
        assert isinstance(last, Tensor)  # logits are one tensor, never a pair
        primed = (last, _cat_states([state for _, state in rows], self._counts))
        self.primed = primed
        return primed


def _cat_states(states: Sequence[Hidden], counts: Sequence[int]) -> Hidden:
    """Batch-1 tensors ``(T, 1, H)`` (logits, or a GRU's state) or pairs of them (an
    LSTM's ``(h, c)``), repeated ``counts`` times each and joined along the batch
    dimension."""

    def join(parts: Sequence[Tensor]) -> Tensor:
        return torch.cat([t.expand(-1, n, -1) for t, n in zip(parts, counts, strict=True)], 1)

    if isinstance(states[0], Tensor):
        return join([s for s in states if isinstance(s, Tensor)])
    pairs = [s for s in states if isinstance(s, tuple)]
    return join([h for h, _ in pairs]), join([c for _, c in pairs])


def next_token_weights(
    model: LanguageModel, ids: Sequence[int], *, device: torch.device
) -> list[float]:
    """``exp(logits)`` over the vocabulary after reading all of ``ids`` (at least the
    start token) in one pass, as :func:`generate_ids` primes before its first draw:
    the softmax up to its normaliser, with the raw logits the repetition penalty
    reads (HF applies it to logits, not log-probabilities)."""
    model.eval()
    context = torch.as_tensor(ids, dtype=torch.long, device=device).view(-1, 1)
    with torch.inference_mode(), step_decoding():
        logits, _ = model(context)
        weights = torch.exp(logits[-1, 0].double())
    return [float(w) for w in weights.tolist()]
