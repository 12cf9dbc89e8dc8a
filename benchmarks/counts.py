"""The count baselines against their libraries: Kneser-Ney scoring vs ``nltk.lm``,
Markov generation vs markovify, on word tokens of Alice.

Kneser-Ney: both models are fitted on the same sentences (our tokenizer's,
split at ``<eos>``) and score the same test bigrams; nltk pads each sentence
with ``<s>``/``</s>``, which are our ``<eos>`` as context and as token. Our
figure is :meth:`baselines.kneser_ney.KneserNey.nll` on the encoded ids (what
``score`` does after tokenizing); nltk's is ``logscore`` per n-gram. nltk.lm
sums continuation counts over every bigram at each call, so it scores only a
few hundred n-grams. The perplexities differ by design at the unigram level:
ours discounts the continuation unigram and interpolates it with the uniform
distribution (every word finite), nltk uses it undiscounted (unseen words
infinite), hence the check on in-vocabulary text within a tolerance.
"""

from __future__ import annotations

import math
import random

import markovify

from baselines.count_model import split_sentences
from baselines.markov import BEGIN, END, MarkovGenerator
from baselines.ngram import NGramGenerator
from benchmarks.common import Result, fmt, interleaved, interleaved_many, median
from lab.models.sampling import SamplingConfig
from lab.text.corpora import load_corpus
from lab.text.vocabulary import EOS

#: Our and nltk's perplexity on the same in-vocabulary bigrams must agree this closely.
PPL_TOLERANCE = 0.02


def _sentences(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for t in tokens:
        if t == EOS:
            out.append([])
        else:
            out[-1].append(t)
    return [s for s in out if s]


def kneser_ney(quick: bool, repeats: int) -> list[Result]:
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    split = load_corpus("alice").split()
    train_text = split.train if not quick else split.train[: len(split.train) // 2]
    ours = NGramGenerator.from_options(
        {"order": 2, "discount": 0.75, "modified": False, "min_freq": 1}
    )
    ours.fit(train_text)
    train_sents = _sentences(ours.tokenizer.tokenize(train_text))
    known = set(ours.vocab.stoi)
    test_sents = [
        s for s in _sentences(ours.tokenizer.tokenize(split.test)) if all(w in known for w in s)
    ]
    # A few hundred bigrams for nltk: whole in-vocabulary test sentences.
    budget = 200 if quick else 600
    chosen, count = [], 0
    for s in test_sents:
        if count >= budget:
            break
        chosen.append(s)
        count += len(s) + 1
    grams = [
        (("<s>", *s)[i], w) for s in chosen for i, w in enumerate([*s, "</s>"])
    ]  # (context word, word); <s> and </s> are our <eos>
    ids = ours.vocab.encode([t for s in chosen for t in [*s, EOS]])
    assert len(ids) == len(grams)

    train, vocab = padded_everygram_pipeline(2, train_sents)
    nltk_lm = KneserNeyInterpolated(order=2, discount=0.75)
    nltk_lm.fit(train, vocab)

    kn = ours.model
    reps = max(1, 200_000 // len(ids))
    ours_nll = kn.nll(ids)
    ref_nll = -sum(nltk_lm.logscore(w, (c,)) for c, w in grams) * math.log(2)

    def run_ours() -> int:
        for _ in range(reps):
            kn.nll(ids)
        return reps * len(ids)

    def run_ref() -> int:
        for c, w in grams:
            nltk_lm.logscore(w, (c,))
        return len(grams)

    ours_runs, ref_runs = interleaved(run_ours, run_ref, repeats)
    ppl_ours, ppl_ref = math.exp(ours_nll / len(ids)), math.exp(ref_nll / len(grams))
    where = f"Alice train {'half' if quick else 'part'} ({len(train_sents)} sentences)"
    speed = Result.timed(
        name="KN bigram scoring vs nltk.lm",
        unit="n-grams/s",
        reference_name="nltk.lm.KneserNeyInterpolated(2, 0.75).logscore",
        target=1000,
        ours_runs=ours_runs,
        reference_runs=ref_runs,
        notes=f"{where}; {len(grams)} test bigrams (ours: the same ids x{reps})",
    )
    match = Result(
        name="KN bigram perplexity, ours / nltk",
        unit="ppl",
        ours=ppl_ours,
        reference=ppl_ref,
        reference_name="nltk.lm perplexity of the same bigrams",
        target=None,
        within=PPL_TOLERANCE,
        notes=(
            f"in-vocabulary test sentences; must agree within {PPL_TOLERANCE:.0%} "
            "(unigram level differs by design, see benchmarks/counts.py)"
        ),
        extra={"abs_relative_difference": abs(ppl_ours / ppl_ref - 1)},
    )
    return [speed, match]


def markov(quick: bool, repeats: int) -> list[Result]:
    split = load_corpus("alice").split()
    gen = MarkovGenerator.from_options({"state_size": 2, "min_freq": 1})
    gen.fit(split.train)
    chain = gen.chains[2]
    sentences = 500 if quick else 2000
    plain = SamplingConfig()
    seeds = iter(range(10**6))

    def run_ours() -> int:  # generate caps num_samples (TEXTGEN_LAB_MAX_SAMPLES): 500 a call
        samples = [
            s
            for _ in range(sentences // 500)
            for s in gen.generate(
                "",
                max_tokens=200,
                sampling=plain,
                num_samples=500,
                seed=next(seeds),
                stop_at_eos=True,
            )
        ]
        return sum(sum(1 for t in s.tokens if t != EOS) for s in samples)

    # markovify's own Text over the same sentences and chain: make_sentence walks, joins
    # and rejects sentences that copy the book (its default test_output), up to 10 tries.
    eos = gen.vocab.eos_id
    ids = gen.vocab.encode(gen.tokenizer.tokenize(split.train))
    runs = [gen.vocab.decode(s[:-1] if s[-1] == eos else s) for s in split_sentences(ids, eos)]
    text_model = markovify.Text(None, state_size=2, chain=chain, parsed_sentences=runs)

    def run_ref() -> int:
        random.seed(next(seeds))  # markovify draws from the global random module
        made = (text_model.make_sentence() for _ in range(sentences))
        return sum(len(s.split(" ")) for s in made if s is not None)

    def run_walk_ref() -> int:
        random.seed(next(seeds))
        return sum(len(chain.walk()) for _ in range(sentences))

    def run_walk() -> int:  # our sampling step alone, without generate's bookkeeping
        rng, words, begin = random.Random(next(seeds)), 0, (BEGIN, BEGIN)
        for _ in range(sentences):
            state = begin
            while (word := gen.next_word(state, plain, rng)) != END:
                state, words = (state[1], word), words + 1
        return words

    ours_runs, ref_runs, walk_ref_runs = interleaved_many(
        [run_ours, run_ref, run_walk_ref], repeats
    )
    walk_runs, _ = interleaved(run_walk, lambda: 1, repeats)
    return [
        Result.timed(
            name="Markov generation vs markovify make_sentence",
            unit="words/s",
            reference_name="markovify Text.make_sentence (the same state-2 chain)",
            target=1,
            ours_runs=ours_runs,
            reference_runs=ref_runs,
            notes=(
                f"{sentences} sentences per run, plain sampling, stop_at_eos; ours includes "
                "back-off, <unk> filtering and detokenizing the samples; our next_word loop "
                f"alone: {fmt(median(walk_runs))} words/s"
            ),
            extra={"next_word_loop_words_per_s": median(walk_runs)},
        ),
        Result.timed(
            name="Markov generation vs markovify walk",
            unit="words/s",
            reference_name="markovify Chain.walk alone (no join, no overlap test)",
            target=None,
            ours_runs=ours_runs,
            reference_runs=walk_ref_runs,
            notes="the stricter reference: markovify's bare walk, words as a list",
        ),
    ]
