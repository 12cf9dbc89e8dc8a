"""HuggingFace's decoding controls, with HF's semantics, for every model kind.

``repetition_penalty`` (a seen token's logit divided by the penalty if positive,
multiplied by it if not) and ``no_repeat_ngram_size`` (no token completes an
n-gram already in the sequence, prompt included) are checked against values
worked out by hand on toy logits; temperature 0 is greedy and top-k 0 no cut;
the command line's ``--json``, ``--output``, streaming and its refusals.
"""

from __future__ import annotations

import json
import math
import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from baselines.markov import MarkovGenerator
from baselines.ngram import NGramGenerator
from baselines.unigram import UnigramGenerator
from lab.cli import main
from lab.evaluation.sweep import SweepConfig, sweep_generator
from lab.models.protocol import GenerationRequest
from lab.models.repetition import banned_next, penalize_repeats, repetition_weights
from lab.models.sampling import GREEDY, SamplingConfig, choose
from lab.neural.decoding import repetition_controls
from lab.neural.generators import WordLSTMGenerator

HF = SamplingConfig(greedy=True, repetition_penalty=1.3, no_repeat_ngram_size=3)


def repeated_trigrams(tokens: list[str]) -> int:
    grams = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return len(grams) - len(set(grams))


# -- the two rules, by hand ---------------------------------------------------------------
def test_the_penalty_divides_positive_logits_and_multiplies_negative_ones() -> None:
    assert penalize_repeats(2.6, 1.3) == pytest.approx(2.0)
    assert penalize_repeats(-1.0, 1.3) == pytest.approx(-1.3)
    assert penalize_repeats(0.0, 1.3) == 0.0
    row = torch.tensor([2.6, -1.0, float("-inf")])
    assert penalize_repeats(row, 1.3).tolist() == pytest.approx([2.0, -1.3, float("-inf")])


def test_the_ban_is_every_token_that_followed_the_last_n_minus_1() -> None:
    assert banned_next([0, 1, 3, 0, 1], 3) == {3}
    assert banned_next([0, 1, 3, 0, 1, 4, 0, 1], 3) == {3, 4}
    assert banned_next([5, 6, 5], 1) == {5, 6}  # n = 1: every token seen
    assert banned_next([0, 1], 3) == set()  # no complete 3-gram yet
    assert banned_next([0, 1, 2], 0) == set()


def test_torch_controls_reproduce_hf_on_a_toy_logits_table() -> None:
    # Sequence so far [0, 1, 3, 0, 1]; seen {0, 1, 3}; "0 1" was followed by 3.
    logits = torch.tensor([[2.0, -1.0, 0.5, 3.0, -0.2]])
    history = [0, 1, 3, 0, 1]
    seen = torch.zeros_like(logits, dtype=torch.bool)
    seen[0, history] = True
    out = repetition_controls(logits, HF, seen, [history])
    expected = [2.0 / 1.3, -1.0 * 1.3, 0.5, float("-inf"), -0.2]
    assert out[0].tolist() == pytest.approx(expected)
    # The reference sampler, on weights exp(logit), gives the same logits.
    weights = repetition_weights(range(5), logits[0].exp().tolist(), history, 1.3, 3)
    logs = [math.log(w) if w > 0 else float("-inf") for w in weights]
    assert logs == pytest.approx(expected)


def test_a_ban_that_would_leave_nothing_is_not_applied() -> None:
    sampling = SamplingConfig(no_repeat_ngram_size=1)
    logits = torch.tensor([[1.0, 2.0, float("-inf")]])  # id 2 is <unk>, never emitted
    assert repetition_controls(logits, sampling, None, [[0, 1]]).tolist() == logits.tolist()
    assert choose(["a", "b"], [1.0, 2.0], sampling, random.Random(0), history=["a", "b"]) == "b"


# -- the generators -----------------------------------------------------------------------
class ToyNet(nn.Module):
    """Logits that depend on the last token only: ``table[token]``."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = nn.Parameter(table, requires_grad=False)

    def forward(
        self, tokens: torch.Tensor, hidden: object = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.table[tokens], torch.zeros(1, tokens.size(1), 1)  # a stateless "GRU"


@pytest.fixture(scope="module")
def toy(tiny_lstm: dict[str, object]) -> WordLSTMGenerator:
    gen = WordLSTMGenerator.from_options({**tiny_lstm, "epochs": 1, "min_freq": 1})
    gen.fit("a b c d\n" * 20)
    ids = gen.vocab.stoi
    rows = {  # the raw logits after each word, over a b c d <eos>
        "a": [-1.0, 2.0, 1.7, 0.2, -2.0],
        "b": [2.0, -1.0, 1.4, 0.3, -2.0],
        "c": [1.0, 0.9, -1.0, 0.8, -2.0],
        "d": [0.6, 1.2, 0.5, -1.0, -2.0],
    }
    table = torch.full((len(gen.vocab), len(gen.vocab)), -5.0)
    for word, row in rows.items():
        for column, value in zip(["a", "b", "c", "d", "<eos>"], row, strict=True):
            table[ids[word], ids[column]] = value
    gen._model = lambda: ToyNet(table)  # type: ignore[method-assign]
    return gen


def test_generate_applies_hfs_rules_in_hfs_order(toy: WordLSTMGenerator) -> None:
    """Worked by hand from the table, prompt "a" (a seen logit x becomes x/1.3 if
    positive, 1.3x if not; then no token may complete a 3-gram already there):
    after a: b 2.0 > c 1.7 -> b | after b: a 2/1.3=1.54 > c 1.4 -> a |
    after a: c 1.7 > b 1.54 -> c | after c: d 0.8 > a 0.77 > b 0.69 -> d |
    after d: b 0.92 -> b | after b: a 1.54 > c 1.08 -> a | after a ("b a" was
    followed by c: c banned): b 1.54 -> b | after b ("a b" was followed by a):
    c 1.08 -> c | after c: a 0.77 > b 0.69 > d 0.62 -> a | after a: b 1.54 > c 1.31
    -> b | after b (a and c banned): d 0.23 > <eos> -2 -> d."""
    plain = toy.generate("a", max_tokens=6, sampling=GREEDY)[0].tokens
    assert plain == ("b", "a", "b", "a", "b", "a")  # greedy cycles
    sample = toy.generate("a", max_tokens=11, sampling=HF, logprobs=True)[0]
    assert sample.tokens == tuple("bacdbabcabd")
    assert repeated_trigrams(["a", *sample.tokens]) == 0
    # log-probs are of the model's own softmax, before the penalty and the ban
    first = torch.log_softmax(torch.tensor([-1.0, 2.0, 1.7, 0.2, -2.0, -5.0, -5.0]), 0)[1]
    assert sample.logprobs is not None and len(sample.logprobs) == 11
    assert sample.logprobs[0] == pytest.approx(float(first), abs=1e-6)
    batched = toy.generate_batch(
        [GenerationRequest("b c", 11, HF), GenerationRequest("a", 11, HF, logprobs=True)]
    )
    assert batched[1][0].tokens == sample.tokens


def test_penalty_alone_and_ban_alone(toy: WordLSTMGenerator) -> None:
    # penalty alone: as above up to "b a c d b a b", then after b: a 1.54 > c 1.08 -> a,
    # and once every word is seen the penalty no longer breaks the a-b cycle
    alone = SamplingConfig(greedy=True, repetition_penalty=1.3)
    assert toy.generate("a", max_tokens=10, sampling=alone)[0].tokens == tuple("bacdbababa")
    # ban alone: "a b a b" has no repeated 3-gram yet; a next would repeat "a b a",
    # so after "a b a b" a is banned: c 1.4 -> c
    ban = SamplingConfig(greedy=True, no_repeat_ngram_size=3)
    assert toy.generate("a", max_tokens=4, sampling=ban)[0].tokens == tuple("babc")


@pytest.fixture(scope="module")
def cycling_lstm(prose_text: str, tiny_lstm: dict[str, object]) -> WordLSTMGenerator:
    torch.manual_seed(0)
    gen = WordLSTMGenerator.from_options({**tiny_lstm, "min_freq": 1})
    gen.fit(prose_text)
    return gen


@pytest.mark.parametrize("kind", ["word-lstm", "ngram", "markov", "unigram"])
def test_greedy_with_no_repeat_3_repeats_no_trigram(
    kind: str, cycling_lstm: WordLSTMGenerator, prose_text: str
) -> None:
    if kind == "word-lstm":
        gen = cycling_lstm
    else:
        cls = {"ngram": NGramGenerator, "markov": MarkovGenerator, "unigram": UnigramGenerator}
        gen = cls[kind].from_options({"min_freq": 1})
        gen.fit(prose_text)
    prompt = gen.tokenizer.tokenize_prompt("Alice said")
    plain = gen.generate("Alice said", max_tokens=60, sampling=GREEDY)[0]
    assert repeated_trigrams([*prompt, *plain.tokens]) > 0  # greedy alone loops
    fixed = gen.generate("Alice said", max_tokens=60, sampling=HF)[0]
    assert len(fixed.tokens) == 60
    assert repeated_trigrams([*prompt, *fixed.tokens]) == 0


def test_sampling_with_the_controls_is_reproducible_and_batch_independent(
    cycling_lstm: WordLSTMGenerator,
) -> None:
    hot = SamplingConfig(temperature=0.9, repetition_penalty=1.2, no_repeat_ngram_size=2)
    alone = cycling_lstm.generate("She", max_tokens=20, sampling=hot, num_samples=3, seed=4)
    mixed = cycling_lstm.generate_batch(
        [GenerationRequest("The Queen", 30, GREEDY), GenerationRequest("She", 20, hot, 3, 4)]
    )[1]
    assert [s.tokens for s in mixed] == [s.tokens for s in alone]


def test_temperature_0_is_greedy_and_top_k_0_is_off() -> None:
    assert SamplingConfig(temperature=0) == GREEDY
    assert SamplingConfig(top_k=0) == SamplingConfig()
    assert SamplingConfig(temperature=0, no_repeat_ngram_size=3).label == "greedy,no-repeat-3"


def test_num_return_sequences_is_num_samples(cycling_lstm: WordLSTMGenerator) -> None:
    hot = SamplingConfig(temperature=1.0)
    three = cycling_lstm.generate("She", max_tokens=5, sampling=hot, num_return_sequences=3)
    assert three == cycling_lstm.generate("She", max_tokens=5, sampling=hot, num_samples=3)
    with pytest.raises(ValueError, match="one setting"):
        cycling_lstm.generate("She", num_samples=2, num_return_sequences=3)


# -- the command line ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def ngram_run(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> Path:
    tmp = tmp_path_factory.mktemp("controls")
    corpus = tmp / "prose.txt"
    corpus.write_text(prose_text, encoding="utf-8")
    out = tmp / "ngram"
    argv = ["train", "--model", "ngram", "--corpus", str(corpus), "--out", str(out)]
    assert main([*argv, "--quiet", "--min-freq", "1"]) == 0
    return out


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_flags_reach_the_sampler(ngram_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["generate", str(ngram_run), "--prompt", "Alice said", "--max-tokens", "40"]
    flags = ["--repetition-penalty", "1.3", "--no-repeat-ngram-size", "3", "--json"]
    code, out, _ = run_cli([*base, "--greedy", *flags], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["settings"]["label"] == "greedy,rep=1.3,no-repeat-3"
    tokens = doc["samples"][0]["tokens"]
    assert repeated_trigrams(["Alice", "said", *tokens]) == 0
    code, greedy_out, _ = run_cli([*base, "--greedy", "--json"], capsys)
    assert repeated_trigrams(["Alice", "said", *json.loads(greedy_out)["samples"][0]["tokens"]])


def test_temperature_0_and_top_k_0_on_the_command_line(
    ngram_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["generate", str(ngram_run), "--prompt", "She", "--max-tokens", "15", "--no-stream"]
    outputs = {
        name: run_cli([*base, *flags], capsys)[1]
        for name, flags in {
            "greedy": ["--greedy"],
            "t0": ["--temperature", "0"],
            "plain": ["--seed", "3"],
            "k0": ["--seed", "3", "--top-k", "0"],
        }.items()
    }
    assert outputs["greedy"] == outputs["t0"] and outputs["greedy"].strip()
    assert outputs["plain"] == outputs["k0"] and outputs["plain"].strip()


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--greedy", "--temperature", "0.7"], "greedy decoding ignores temperature 0.7"),
        (["--greedy", "--top-k", "5"], "greedy decoding ignores top_k 5"),
        (["--temperature", "0", "--top-p", "0.9"], "temperature 0 means greedy decoding"),
        (["--num-samples", "2", "--num-return-sequences", "3"], "are one setting"),
        (["--repetition-penalty", "0"], "repetition_penalty must be positive"),
        (["--no-repeat-ngram-size", "-1"], "no_repeat_ngram_size must be >= 0"),
        (["--stream", "--num-samples", "2"], "--stream shows one sample"),
        (["--stream", "--json"], "--stream would mix tokens into the JSON"),
        (["--output", "{tmp}/missing/out.txt"], "does not exist"),
        (["--output", "{tmp}"], "is a folder"),
    ],
)
def test_conflicting_or_bad_flags_are_one_line(
    flags: list[str],
    message: str,
    ngram_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flags = [f.format(tmp=tmp_path) for f in flags]
    code, out, err = run_cli(["generate", str(ngram_run), *flags], capsys)
    assert code == 2 and out == ""
    assert err.startswith("textgen-lab: error:") and err.count("\n") == 1
    assert message in err


def test_json_schema(ngram_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", str(ngram_run), "--prompt", "The Queen", "--max-tokens", "12"]
    code, out, _ = run_cli([*argv, "--num-return-sequences", "2", "--seed", "5", "--json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"run", "kind", "unit", "prompt", "settings", "logprobs", "samples"}
    assert doc["kind"] == "ngram" and doc["prompt"] == "The Queen"
    assert doc["settings"]["num_samples"] == 2 and doc["settings"]["seed"] == 5
    assert "before the repetition penalty" in doc["logprobs"]
    assert len(doc["samples"]) == 2
    for sample in doc["samples"]:
        assert set(sample) == {"tokens", "text", "full_text", "logprobs", "total_logprob"}
        assert len(sample["tokens"]) == len(sample["logprobs"]) == 12
        assert all(lp <= 0 for lp in sample["logprobs"])
        assert sample["total_logprob"] == pytest.approx(sum(sample["logprobs"]))
        assert sample["full_text"].startswith("The Queen")
    # The first token's log-prob is the model's own probability of it after the prompt.
    gen = NGramGenerator.load(ngram_run)
    code, out, _ = run_cli([*argv, "--greedy", "--json"], capsys)
    sample = json.loads(out)["samples"][0]
    top = gen.next_token_distribution("The Queen").top[0]
    assert sample["tokens"][0] == top.token
    assert sample["logprobs"][0] == pytest.approx(math.log(top.prob))


def test_output_is_written_atomically(
    ngram_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    argv = ["generate", str(ngram_run), "--prompt", "She", "--max-tokens", "10", "--no-stream"]
    _, printed, _ = run_cli(argv, capsys)
    target = tmp_path / "out.txt"
    code, out, _ = run_cli([*argv, "--output", str(target)], capsys)
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8") == printed
    # A write that breaks half-way (a full disk) leaves the old file whole, no
    # temporary file beside it, and one line on stderr.
    real_write = Path.write_bytes

    def half_then_full(self: Path, data: bytes) -> int:
        real_write(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_full)
    code, _, err = run_cli([*argv, "--seed", "9", "--output", str(target)], capsys)
    monkeypatch.undo()
    assert code != 0 and "No space left" in err and err.count("\n") == 1
    assert target.read_text(encoding="utf-8") == printed
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_streaming_prints_the_same_text(
    ngram_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", str(ngram_run), "--prompt", "The Rabbit", "--max-tokens", "25"]
    _, printed, _ = run_cli([*argv, "--no-stream", "--seed", "2"], capsys)
    _, streamed, _ = run_cli([*argv, "--stream", "--seed", "2"], capsys)
    assert streamed == printed
    tokens: list[tuple[int, str]] = []
    gen = NGramGenerator.load(ngram_run)
    sample = gen.generate(
        "The Rabbit",
        max_tokens=25,
        sampling=SamplingConfig(),
        seed=2,
        on_token=lambda row, token: tokens.append((row, token)),
    )[0]
    assert tokens == [(0, t) for t in sample.tokens]


def test_the_sweep_shows_the_remedy_beside_greedy(cycling_lstm: WordLSTMGenerator) -> None:
    config = SweepConfig(
        temperatures=(0.8,), prompts=("Alice said",), num_prompts=1, num_samples=2, max_words=30
    )
    rows = sweep_generator("word", cycling_lstm, config)
    assert [r.setting for r in rows] == ["greedy", "greedy,no-repeat-3", "T=0.8"]
    greedy, remedy, _ = rows
    assert greedy.metrics["seq_rep_4"] > 0.5  # the tiny model cycles
    assert remedy.metrics["seq_rep_4"] == 0.0
    assert [
        r.setting for r in sweep_generator("w", cycling_lstm, replace(config, greedy_no_repeat=0))
    ] == [
        "greedy",
        "T=0.8",
    ]


def test_one_sample_streams_by_default_to_a_terminal_only(
    ngram_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab.cli import generate as cli_generate

    heard: list[str] = []
    real = cli_generate._Streamer.on_token
    monkeypatch.setattr(
        cli_generate._Streamer,
        "on_token",
        lambda self, row, token: (heard.append(token), real(self, row, token)),
    )
    argv = ["generate", str(ngram_run), "--prompt", "She", "--max-tokens", "8"]
    _, piped, _ = run_cli(argv, capsys)
    assert heard == []  # not a terminal: printed at the end
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _, shown, _ = run_cli(argv, capsys)
    assert len(heard) == 8 and shown == piped
    heard.clear()
    run_cli([*argv, "--num-samples", "2"], capsys)  # two samples are not streamed
    run_cli([*argv, "--json"], capsys)  # nor JSON
    assert heard == []
