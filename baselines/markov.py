"""Word-level Markov chain generator on top of markovify, walked with a seeded RNG.

Generation uses ``markovify.Chain`` (one per state size 1..``state_size``)
built over the vocabulary-mapped word tokens, one run per sentence without its
``<eos>`` (markovify adds ``___BEGIN__``/``___END__``). markovify's own
``move``/``walk`` draw from the global ``random`` module, so this module reads
``chain.model[state]`` follower counts itself and picks with
:func:`lab.models.sampling.choose` and the caller's ``random.Random(seed)``:
samples are reproducible and sampling options (greedy, temperature, top-k,
top-p) apply to the counts. ``<unk>`` and ``<pad>`` are never emitted. An
unseen state (e.g. from a prompt) backs off to the chain of the next smaller
state size, and in the end to the unigram counts. ``___END__`` is emitted as
``<eos>`` and the walk starts a new sentence.

markovify has no probabilities, hence no perplexity. For :meth:`score` the
model also keeps an interpolated Kneser-Ney model of order ``state_size + 1``
(:mod:`baselines.kneser_ney`) over exactly the transitions the largest chain
counted, so any text, unseen words included, gets a finite likelihood.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import markovify

from baselines.count_model import (
    CountGenerator,
    prompt_tail,
    split_sentences,
)
from baselines.kneser_ney import KneserNey
from lab.models.config import option, require
from lab.models.protocol import GenerationRequest, Sample, make_sample
from lab.models.repetition import banned_next
from lab.models.sampling import SamplingConfig, choose, draw_cumulative
from lab.text.vocabulary import EOS, PAD, UNK

BEGIN: str = markovify.chain.BEGIN
END: str = markovify.chain.END
MAX_STATE_SIZE = 3

# A state's candidate words, their counts and the running sums of the counts.
_Compiled = tuple[tuple[str, ...], tuple[int, ...], list[int]]


@dataclass(frozen=True)
class MarkovConfig:
    """A Markov chain over the last ``state_size`` words (1-3; 2 is markovify's usual).

    Tokenizer and vocabulary settings are a :class:`lab.models.config.VocabConfig`
    passed beside it. Words outside the vocabulary become ``<unk>``, which the
    chain may pass through but never emits.
    """

    state_size: int = option(2, "words (or characters) of state, 1-3")

    def __post_init__(self) -> None:
        require(1 <= self.state_size <= MAX_STATE_SIZE, f"state_size must be 1..{MAX_STATE_SIZE}")


class MarkovGenerator(CountGenerator[MarkovConfig]):
    """markovify chains for generation, Kneser-Ney of order ``state_size + 1`` for scoring.

    >>> from lab.models.config import VocabConfig
    >>> mc = MarkovGenerator(MarkovConfig(state_size=1), VocabConfig(min_freq=1))
    >>> mc.fit("The cat sat. The cat ran.").epochs  # counting is one pass
    1
    >>> sorted(mc.chains[1].model[("cat",)].items())  # markovify's own follower counts
    [('ran', 1), ('sat', 1)]
    >>> mc.generate("The", max_tokens=3, stop_at_eos=True)[0].full_text  # greedy: ties by order
    'The cat sat.'
    """

    _chains: dict[int, Any] | None = None  # state size -> markovify.Chain
    _unigram: list[tuple[str, int]] = []  # noqa: RUF012 - replaced, never mutated
    _kn: KneserNey | None = None
    _compiled_states: dict[tuple[str, ...], _Compiled]

    @property
    def chains(self) -> dict[int, Any]:
        """The ``markovify.Chain`` of each state size 1..``state_size``."""
        return self._fitted(self._chains)

    @property
    def kneser_ney(self) -> KneserNey:
        """The smoothed model used by :meth:`score`."""
        return self._fitted(self._kn)

    def _fit_ids(self, ids: list[int]) -> None:
        """Exercise 12: split ``ids`` into sentences, drop each sentence's final
        ``<eos>``, decode them to words, and count their transitions with one
        ``markovify.Chain`` per state size 1..``state_size`` (pass them to
        :meth:`_set_chains`)."""
        # BEGIN SOLUTION
        eos = self.vocab.eos_id
        runs = [self.vocab.decode(s[:-1] if s[-1] == eos else s) for s in split_sentences(ids, eos)]
        sizes = range(1, self.config.state_size + 1)
        self._set_chains({k: markovify.Chain(runs, k) for k in sizes})
        # END SOLUTION

    def _set_chains(self, chains: dict[int, Any]) -> None:
        """Adopt the chains and derive what depends on them: the unigram back-off
        (followers of the size-1 chain, END as ``<eos>``) and the Kneser-Ney counts
        (transitions of the largest chain, BEGIN and END as ``<eos>``)."""
        size = self.config.state_size
        if sorted(chains) != list(range(1, size + 1)):
            raise ValueError(f"expected chains of state sizes 1..{size}, got {sorted(chains)}")
        unigram: dict[str, int] = {}
        for followers in chains[1].model.values():
            for word, count in followers.items():
                unigram[word] = unigram.get(word, 0) + count
        vocab = self.vocab

        def to_id(word: str) -> int:
            if word in (BEGIN, END):
                return vocab.eos_id
            if word not in vocab.stoi:
                raise ValueError(f"chain word {word!r} is not in the vocabulary")
            return vocab.stoi[word]

        counts = {
            tuple(map(to_id, (*state, word))): count
            for state, followers in chains[size].model.items()
            for word, count in followers.items()
        }
        self._kn = KneserNey(
            counts,
            order=size + 1,
            vocab_size=len(vocab),
            pad_id=vocab.pad_id,
            eos_id=vocab.eos_id,
        )
        self._chains = chains
        self._unigram = [(w, c) for w, c in unigram.items() if w not in (UNK, PAD)]
        if not self._unigram:
            self._unigram = [(END, 1)]  # a corpus of nothing but unknown words
        self._compiled_states = {}  # filled by walks, for these chains

    def _nll_of_ids(self, ids: list[int]) -> float:
        return self.kneser_ney.nll(ids)

    def _token_nlls_of_ids(self, ids: list[int]) -> list[float]:
        return self.kneser_ney.token_nlls(ids)

    def _generate(self, request: GenerationRequest) -> list[Sample]:
        """Walk the chain from the prompt's last ``state_size`` words (BEGIN-padded).

        ``max_tokens`` counts emitted tokens, ``<eos>`` included; without
        ``stop_at_eos`` a finished sentence is followed by a new one. All
        samples come in turn from one ``random.Random(seed)``.
        """
        size = self.config.state_size
        begin = (BEGIN,) * size
        start = (*begin, *self.prompt_tokens(request.prompt))[-size:]
        prompt_tokens = self.tokenizer.tokenize_prompt(request.prompt)
        rng = random.Random(request.seed)
        sampling, plain, on_token = request.sampling, request.sampling.is_plain, request.on_token
        # The repetition controls read the whole sequence in the chain's words (END for <eos>).
        history = [END if t == EOS else t for t in self.vocab.map_unknown(prompt_tokens)]
        samples = []
        for row in range(request.num_samples):
            state, out, said, logprobs = start, list[str](), list(history), list[float]()
            while len(out) < request.max_tokens:
                # next_word's draw, from the compiled followers: the same word for the same rng.
                words, weights, cumulative = self._compiled(state)
                if plain:
                    word = words[draw_cumulative(cumulative, rng)]
                else:
                    if sampling.no_repeat_ngram_size:
                        words, weights, cumulative = self._unbanned(state, said, sampling)
                    total = cumulative[-1]  # probabilities: a count model's logits are ln P
                    word = choose(words, [w / total for w in weights], sampling, rng, history=said)
                if request.logprobs:
                    logprobs.append(math.log(weights[words.index(word)] / cumulative[-1]))
                said.append(word)
                if on_token is not None:
                    on_token(row, EOS if word == END else word)
                if word == END:
                    out.append(EOS)
                    if request.stop_at_eos:
                        break
                    state = begin
                else:
                    out.append(word)
                    state = (*state[1:], word)
            kept = logprobs if request.logprobs else None
            samples.append(make_sample(self.tokenizer, prompt_tokens, out, kept))
        return samples

    def _unbanned(
        self, state: tuple[str, ...], said: Sequence[str], sampling: SamplingConfig
    ) -> _Compiled:
        """The compiled followers of the longest suffix of ``state`` that still has a
        word the n-gram ban allows (backing off as for an unseen state, down to the
        unigram counts): the walk's way round a ban that empties a state."""
        banned = banned_next(said, sampling.no_repeat_ngram_size)
        for k in range(len(state), -1, -1):
            entry = self._compiled(state[len(state) - k :])
            if any(w not in banned for w in entry[0]):
                return entry
        return entry  # every word of the book banned: the rule lifts the ban

    def prompt_tokens(self, prompt: str) -> list[str]:
        """The prompt's unfinished last sentence as vocabulary tokens (``<unk>`` for others)."""
        return self.vocab.decode(self.prompt_ids(prompt))

    def next_word(self, state: Sequence[str], sampling: SamplingConfig, rng: random.Random) -> str:
        """One step: a word drawn with :func:`choose` from :meth:`followers` of ``state``
        (END means end of sentence)."""
        words, weights = zip(*self.followers(state), strict=True)
        return choose(words, weights, sampling, rng)

    def followers(self, state: Sequence[str]) -> list[tuple[str, int]]:
        """``(word, count)`` candidates after ``state``: the followers of its longest
        known suffix, minus ``<unk>``/``<pad>``, else the unigram counts.

        Exercise 12: find the follower counts (``self.chains[k].model``) of the
        longest suffix of ``state`` that has some besides ``<unk>``/``<pad>``,
        and return them without those two; fall back to ``self._unigram``.
        """
        # BEGIN SOLUTION
        for k in range(len(state), 0, -1):
            followers = self.chains[k].model.get(tuple(state[-k:]))
            if followers:
                options = [(w, c) for w, c in followers.items() if w not in (UNK, PAD)]
                if options:
                    return options
        return self._unigram
        # END SOLUTION

    def _compiled(self, state: tuple[str, ...]) -> _Compiled:
        """:meth:`followers` of ``state`` with their running sums, computed once per
        state: what makes a walk as fast as markovify's compiled chain."""
        entry = self._compiled_states.get(state)
        if entry is None:
            words, weights = zip(*self.followers(state), strict=True)
            entry = (words, weights, list(itertools.accumulate(weights)))
            self._compiled_states[state] = entry
        return entry

    def _next_token_weights(
        self, prompt_tokens: list[str]
    ) -> tuple[Sequence[str], Sequence[float]]:
        """The chain's follower counts, which generation samples from: a Markov
        walk draws from the chain, while its scores come from Kneser-Ney."""
        size = self.config.state_size
        tail = self.vocab.map_unknown(prompt_tail(prompt_tokens))
        state = ((BEGIN,) * size + tuple(tail))[-size:]
        options = self.followers(state)
        total = sum(c for _, c in options)  # probabilities: a count model's logits are ln P
        return [EOS if w == END else w for w, _ in options], [c / total for _, c in options]

    def _tables_to_json(self) -> dict[str, Any]:
        # Chain.to_json() is a JSON string; nest the parsed value rather than a string
        # inside a string. The Kneser-Ney counts are rebuilt from the largest chain.
        return {"chains": {str(k): json.loads(c.to_json()) for k, c in self.chains.items()}}

    def _tables_from_json(self, data: dict[str, Any]) -> None:
        try:  # a state with no next word: markovify's StopIteration surfaces as RuntimeError
            chains = {int(k): markovify.Chain.from_json(v) for k, v in data["chains"].items()}
        except RuntimeError as exc:
            raise ValueError(f"a chain does not load ({exc})") from None
        for k, chain in chains.items():
            if chain.state_size != k:
                raise ValueError(f"chain {k} has state size {chain.state_size}")
        self._set_chains(chains)

    def _describe_state(self) -> dict[str, Any]:
        return {
            "state_size": self.config.state_size,
            "states_per_chain": {str(k): len(c.model) for k, c in self.chains.items()},
            "kneser_ney_order": self.kneser_ney.order,
        }
