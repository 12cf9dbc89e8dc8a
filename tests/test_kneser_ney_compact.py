"""The array-based Kneser-Ney (baselines.ngram_counts, kn_estimation, kn_lookup) against
a straightforward dict-of-tuples computation of the same formulas, on random ids; and
old ``model.json`` files against the new reader."""

from __future__ import annotations

import json
import math
import random
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from _synthetic_text import source_text

from baselines.counts_json import counts_to_json
from baselines.kn_lookup import SHORT_TEXT
from baselines.kneser_ney import KneserNey, count_ngrams
from baselines.ngram import NGramConfig, NGramGenerator
from lab.storage.files import file_digest

PAD, EOS = 0, 2
Gram = tuple[int, ...]


def reference_counts(ids: list[int], order: int, *, padded: bool = False) -> Counter[Gram]:
    """Each token with its sentence context: ``(<s>, w1, ...)`` at its true length, or
    (``padded``, the form old models saved) behind ``order - 1`` ``<eos>``."""
    counts: Counter[Gram] = Counter()
    history: Gram = ()
    for token in ids:
        start = (EOS,) * (order - 1 if padded else 1)
        context = (*start, *history)[-(order - 1) :] if order > 1 else ()
        counts[(*context, token)] += 1
        history = () if token == EOS else (*history, token)
    return counts


class ReferenceKN:
    """Interpolated Kneser-Ney written out from the formulas with dicts and recursion."""

    def __init__(self, counts: Counter[Gram], order: int, vocab_size: int, modified: bool):
        self.order, self.v = order, vocab_size
        grams: list[set[Gram]] = [set() for _ in range(order + 1)]
        for gram in counts:
            grams[len(gram)].add(gram)
        for n in range(order - 1, 0, -1):  # every n-gram's suffix is an (n-1)-gram
            grams[n] |= {g[1:] for g in grams[n + 1]}
        self.a: list[dict[Gram, int]] = [{} for _ in range(order + 1)]
        for n in range(1, order + 1):
            for g in grams[n]:
                raw = counts.get(g, 0)  # the top order, and the sentence starts below it
                left = sum(1 for u in grams[n + 1] if u[1:] == g) if n < order else 0
                self.a[n][g] = raw + left
        self.d = [(0.75,) * 3] * (order + 1)
        for n in range(1, order + 1):
            if modified:
                self.d[n] = self._discounts(list(self.a[n].values()))

    @staticmethod
    def _discounts(counts: list[int]) -> tuple[float, ...]:
        n = Counter(min(c, 5) for c in counts)
        if min(n[1], n[2], n[3], n[4]) == 0:
            return (0.75,) * 3
        y = n[1] / (n[1] + 2 * n[2])
        d = (1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3])
        return d if all(0 < dk <= k for k, dk in enumerate(d, start=1)) else (0.75,) * 3

    def prob(self, w: int, context: Gram) -> float:
        if w == PAD:
            return 0.0
        h = context[-(self.order - 1) :] if self.order > 1 else ()
        if len(h) < self.order - 1:
            h = (EOS, *h)
        return self._p(w, h)

    def _p(self, w: int, h: Gram) -> float:
        below = self._p(w, h[1:]) if h else 1 / (self.v - 1)
        n = len(h) + 1
        followers = {g[-1]: c for g, c in self.a[n].items() if g[:-1] == h}
        if not followers:
            return below  # an unseen context passes all its weight down
        total = sum(followers.values())
        d1, d2, d3 = self.d[n]
        disc = {x: d1 if c == 1 else d2 if c == 2 else d3 for x, c in followers.items()}
        gamma = sum(disc.values()) / total
        mass = (followers[w] - disc[w]) / total if w in followers else 0.0
        return mass + gamma * below


def random_stream(rng: random.Random, vocab_size: int, length: int) -> list[int]:
    """Ids 1..V-1 (no <pad>) in sentences of random length, a few of them empty."""
    return [EOS if rng.random() < 0.15 else rng.randrange(1, vocab_size) for _ in range(length)]


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_matches_the_reference_computation(order: int, modified: bool) -> None:
    rng = random.Random(order * 2 + modified)
    v = 12
    train = random_stream(rng, v, 600)
    counts = count_ngrams(train, order, EOS)
    assert dict(counts.items()) == reference_counts(train, order)
    lm = KneserNey(counts, order=order, vocab_size=v, eos_id=EOS, modified=modified)
    ref = ReferenceKN(reference_counts(train, order), order, v, modified)
    assert lm.discounts == [pytest.approx(d) for d in ref.d[1:]]
    for _ in range(40):
        context = tuple(rng.randrange(1, v) for _ in range(rng.randint(0, 5)))
        for w in range(v):
            assert lm.prob(w, context) == pytest.approx(ref.prob(w, context), rel=1e-12)
    for length in (SHORT_TEXT // 2, 4 * SHORT_TEXT):  # the scalar and the vectorised path
        text = random_stream(rng, v, length)
        expected, history = [], ()
        for w in text:
            expected.append(-math.log(ref.prob(w, history)))
            history = () if w == EOS else (*history, w)
        assert lm.token_nlls(text) == pytest.approx(expected, rel=1e-12)
        assert lm.nll(text) == pytest.approx(math.fsum(expected), rel=1e-12)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distributions_over_the_vocabulary_sum_to_one(order: int, modified: bool) -> None:
    rng = random.Random(100 + order)
    v = 40
    train = random_stream(rng, v, 3000)
    lm = KneserNey(count_ngrams(train, order, EOS), order=order, vocab_size=v, modified=modified)
    seen = [tuple(train[i - 4 : i]) for i in rng.sample(range(4, len(train)), 30)]
    unseen = [tuple(rng.randrange(0, v) for _ in range(rng.randint(0, 6))) for _ in range(30)]
    for context in [(), (EOS,), *seen, *unseen]:
        dist = lm.distribution_array(context)
        assert math.fsum(dist) == pytest.approx(1.0, abs=1e-12)
        assert dist[PAD] == 0.0 and (np.delete(dist, PAD) > 0).all()
        assert lm.distribution(context) == dist.tolist()
        for w in rng.sample(range(v), 5):
            assert lm.prob(w, context) == pytest.approx(dist[w], rel=1e-12)


def test_scalar_and_vectorised_scoring_agree() -> None:
    """Short texts take a memoised scalar path: the same arithmetic, token for token."""
    rng = random.Random(7)
    train = random_stream(rng, 9, 400)
    lm = KneserNey(count_ngrams(train, 4, EOS), order=4, vocab_size=9, modified=True)
    text = [EOS, EOS, *random_stream(rng, 9, 3 * SHORT_TEXT)]  # empty sentences too
    assert len(text) >= SHORT_TEXT  # token_nlls vectorises it
    scalar = lm._lookup._short_nlls(text)
    assert lm.token_nlls(text) == pytest.approx(scalar, rel=1e-14)
    assert lm.token_nlls(text) == pytest.approx(scalar, rel=1e-14)  # again, from the memo


def test_counts_of_an_empty_or_single_token_stream() -> None:
    lm = KneserNey(count_ngrams([], 3, EOS), order=3, vocab_size=5)
    assert lm.prob(3, (4,)) == pytest.approx(0.25)
    assert lm.nll([3, EOS]) == pytest.approx(2 * math.log(4))
    assert KneserNey(count_ngrams([3], 3, EOS), order=3, vocab_size=5).num_ngrams() == [1, 1, 0]


def test_model_json_is_what_json_dumps_writes() -> None:
    lm = KneserNey(
        count_ngrams(random_stream(random.Random(3), 30, 2000), 4, EOS), order=4, vocab_size=30
    )
    expected = {"order": 4, "counts": {" ".join(map(str, g)): c for g, c in lm.counts.items()}}
    assert counts_to_json(4, lm.counts) == json.dumps(expected, ensure_ascii=False)


@pytest.mark.parametrize("padded", [False, True], ids=["dict-json", "padded-starts"])
def test_old_model_json_loads_to_identical_scores(tmp_path: Path, padded: bool) -> None:
    """Runs saved by the dict version (``json.dumps`` of its Counter, in its order),
    and older ones that padded every sentence with ``order - 1`` ``<eos>``."""
    text, valid = source_text(300, seed=21), source_text(80, seed=22)
    model = NGramGenerator(NGramConfig(order=4))
    model.fit(text)
    model.save(tmp_path / "new")
    old = tmp_path / "old"
    shutil.copytree(tmp_path / "new", old)
    ids = model.vocab.encode(model.tokenizer.tokenize(text))
    counts = reference_counts(ids, 4, padded=padded)
    data = {"order": 4, "counts": {" ".join(map(str, g)): c for g, c in counts.items()}}
    (old / "model.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    manifest = json.loads((old / "config.json").read_text(encoding="utf-8"))
    manifest["files"]["model.json"] = file_digest(old / "model.json")
    (old / "config.json").write_text(json.dumps(manifest), encoding="utf-8")
    loaded = NGramGenerator.load(old)
    assert loaded.model.counts == model.model.counts
    assert loaded.score(valid) == model.score(valid)
    assert loaded.model.token_nlls(ids[:500]) == model.model.token_nlls(ids[:500])
    assert loaded.generate("alpha", max_tokens=20, seed=1) == model.generate(
        "alpha", max_tokens=20, seed=1
    )


def test_bad_model_json_keys_are_rejected() -> None:
    from baselines.counts_json import counts_from_json

    for key in ("1 x 2", "1.5 2", "-1 2"):
        with pytest.raises(ValueError):
            counts_from_json({"counts": {key: 1}}, order=2, eos_id=EOS)
