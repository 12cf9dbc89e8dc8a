"""The LSTM code against the plain loops it replaces: sampling (the lesson's
one-sample-at-a-time loop) and training (pytorch/examples word_language_model),
plus training throughput on one thread against two.

Both references are reimplemented here as plainly as their sources write them,
on our :class:`lab.neural.network.RNNLanguageModel` (or, for training, a copy of
the examples' ``RNNModel``) over the same Alice word ids. Speed does not depend
on how well the model is trained, so the sampled model is trained briefly.
"""

from __future__ import annotations

import functools
import os

import torch
from torch import nn

from benchmarks.common import Result, interleaved, interleaved_many
from lab.evaluation.sweep import SweepConfig, sweep_generator
from lab.models.protocol import GenerationRequest
from lab.neural.batching import batchify, get_batch
from lab.neural.config import ModelConfig, TrainConfig
from lab.neural.generators import WordLSTMGenerator
from lab.neural.network import RNNLanguageModel
from lab.neural.training import train_model
from lab.text.corpora import load_corpus

PROMPTS = ("Alice was", "The Queen said")


def lesson_loop(model: RNNLanguageModel, prompt: list[int], steps: int, *, whole: bool) -> int:
    """The lesson's sampler: one sample, batch 1, one token per forward pass, fed either
    the last token with the carried state or (``whole``) the whole growing sequence."""
    model.eval()
    ids = list(prompt)
    with torch.no_grad():
        logits, hidden = model(torch.tensor(ids).view(-1, 1))
        for _ in range(steps):
            probs = torch.softmax(logits[-1, 0], dim=-1)
            token = int(torch.multinomial(probs, 1).item())
            ids.append(token)
            if whole:
                logits, _ = model(torch.tensor(ids).view(-1, 1))
            else:
                logits, hidden = model(torch.tensor([[token]]), hidden)
    return steps


def sweep(quick: bool, repeats: int) -> list[Result]:
    split = load_corpus("alice").split()
    gen = WordLSTMGenerator.from_options(
        {
            "embedding_dim": 128,
            "hidden_dim": 128,
            "epochs": 1,
            "max_tokens": 4000 if quick else None,
            "min_freq": 1,
            "device": "cpu",
        }
    )
    gen.fit(split.train)
    samples, words = (10, 40) if quick else (50, 80)
    # The report's own sweep: greedy and the default temperatures, every one decoded.
    config = SweepConfig(prompts=PROMPTS, num_samples=samples, max_words=words)
    settings = len(config.settings())
    model = gen.model
    assert model is not None
    prompt_ids = [
        [gen.vocab.eos_id, *gen.vocab.encode(gen.tokenizer.tokenize_prompt(p))] for p in PROMPTS
    ]
    ref_samples = 1 if quick else 3  # per prompt: the reference is slow, its rate is the figure

    tokens = settings * len(PROMPTS) * samples * words
    requests = [
        GenerationRequest(p, max_tokens=words, sampling=s, num_samples=samples, seed=i)
        for i, s in enumerate(config.settings())
        for p in PROMPTS
    ]

    def run_ours() -> int:  # the sweep's decoding: one generate_batch, samples as tokens
        gen.generate_batch(requests)
        return tokens

    def run_sweep() -> int:  # the whole sweep_generator, repetition metrics included
        sweep_generator("bench", gen, config)
        return tokens

    def reference(whole: bool):
        def run() -> int:
            return sum(
                lesson_loop(model, p, words, whole=whole)
                for p in prompt_ids
                for _ in range(ref_samples)
            )

        return run

    ours_runs, step_runs, whole_runs, sweep_runs = interleaved_many(
        [run_ours, reference(False), reference(True), run_sweep], repeats
    )
    shape = (
        f"word LSTM 2x128, V={len(gen.vocab)}; {settings} settings "
        f"(greedy, T={', '.join(map(str, config.temperatures))}) x {len(PROMPTS)} "
        f"prompts x {samples} samples x {words} tokens"
    )
    results = [
        Result.timed(
            name="Whole sweep_generator (metrics included) vs lesson loop (step)",
            unit="tokens/s",
            reference_name="one sample at a time, batch 1, last token + carried state",
            target=None,
            ours_runs=sweep_runs,
            reference_runs=step_runs,
            notes=f"{shape}; decoding plus word-tokenizing every sample for the metrics",
        )
    ]
    for whole, ref_runs in ((False, step_runs), (True, whole_runs)):
        label = "whole growing sequence" if whole else "last token + carried state"
        results.append(
            Result.timed(
                name=f"Sweep vs lesson loop ({'growing sequence' if whole else 'step'})",
                unit="tokens/s",
                reference_name=f"one sample at a time, batch 1, {label}",
                target=20,
                ours_runs=ours_runs,
                reference_runs=ref_runs,
                notes=f"{shape}: one generate_batch call; samples hold tokens, text is made on first read",
            )
        )
    return results[1:] + results[:1]


class ExamplesRNNModel(nn.Module):
    """pytorch/examples word_language_model ``RNNModel`` (LSTM, untied): log-softmax out."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.ntoken, self.nlayers, self.nhid = ntoken, nlayers, nhid
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, x, hidden):
        emb = self.drop(self.encoder(x))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int):
        weight = next(self.parameters())
        shape = (self.nlayers, bsz, self.nhid)
        return (weight.new_zeros(shape), weight.new_zeros(shape))


def examples_train(
    ntoken: int, ids: list[int], batches: int, lr: float = 20, clip: float = 0.25
) -> int:
    """pytorch/examples ``train()``: batch 20, bptt 35, NLLLoss, manual SGD step."""
    model = ExamplesRNNModel(ntoken, 200, 200, 2, 0.2)
    criterion = nn.NLLLoss()
    train_data = batchify(ids, 20)
    model.train()
    hidden = model.init_hidden(20)
    tokens = 0
    for i in range(0, min(train_data.size(0) - 1, batches * 35), 35):
        data, targets = get_batch(train_data, i, 35)
        model.zero_grad()
        hidden = tuple(h.detach() for h in hidden)  # repackage_hidden
        output, hidden = model(data, hidden)
        loss = criterion(output, targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        _ = loss.item()  # total_loss += loss.item()
        tokens += targets.numel()
    return tokens


@functools.cache
def _alice_ids() -> tuple[int, list[int]]:
    from lab.text.tokenizers import WordTokenizer
    from lab.text.vocabulary import Vocabulary

    tokens = WordTokenizer().tokenize(load_corpus("alice").split().train)
    vocab = Vocabulary.build(tokens, min_freq=1)
    return len(vocab), [vocab.eos_id, *vocab.encode(tokens)]


def ours_train(ntoken: int, ids: list[int], batches: int) -> int:
    torch.manual_seed(0)
    model = RNNLanguageModel(
        ntoken,
        ModelConfig(
            embedding_dim=200, hidden_dim=200, num_layers=2, dropout=0.2, tie_weights=False
        ),
    )
    config = TrainConfig(
        epochs=1,
        batch_size=20,
        bptt=35,
        optimizer="sgd",
        lr=20,
        clip=0.25,
        lr_decay=1,
        max_tokens=batches * 20 * 35,
        device="cpu",
    )
    outcome = train_model(model, ids, None, config, device=torch.device("cpu"), progress=False)
    return outcome.state.tokens


def training(quick: bool, repeats: int) -> list[Result]:
    ntoken, ids = _alice_ids()
    batches = 6 if quick else 30
    ours_runs, ref_runs = interleaved(
        lambda: ours_train(ntoken, ids, batches),
        lambda: examples_train(ntoken, ids, batches),
        repeats,
    )
    return [
        Result.timed(
            name="Training vs pytorch/examples loop",
            unit="tokens/s",
            reference_name="pytorch/examples word_language_model train() (reimplemented)",
            target=1,
            ours_runs=ours_runs,
            reference_runs=ref_runs,
            notes=(
                f"2x200 LSTM untied, dropout 0.2, V={ntoken}, 20x35, {batches} batches per run, "
                "SGD lr 20 clip 0.25 on both (our default optimizer is Adam)"
            ),
        )
    ]


def threads(quick: bool, repeats: int) -> list[Result]:
    ntoken, ids = _alice_ids()
    batches = 4 if quick else 20
    before = torch.get_num_threads()
    loads: list[float] = []

    def with_threads(n: int):
        def run() -> int:
            torch.set_num_threads(n)
            loads.append(os.getloadavg()[0])
            return ours_train(ntoken, ids, batches)

        return run

    try:
        two, one = interleaved(with_threads(2), with_threads(1), repeats)
    finally:
        torch.set_num_threads(before)
    return [
        Result.timed(
            name="Training threads: 2 vs 1",
            unit="tokens/s",
            reference_name="the same training with torch.set_num_threads(1)",
            target=None,
            ours_runs=two,
            reference_runs=one,
            notes=(
                f"train_model 2x200 untied, 20x35, {batches} batches per run; 1-min load average "
                f"during the runs {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores"
            ),
            extra={"load_averages": loads},
        )
    ]
