"""Count-based baselines for textgen-lab: Markov chain, Kneser-Ney n-gram, unigram.

They implement :class:`lab.protocol.Generator` over the same word tokenizer and
vocabulary as the neural models, and never import torch.

Public API (import from the modules; this package imports nothing itself, so
loading one baseline does not pull in the others' dependencies):

- :mod:`baselines.unigram`: ``UnigramGenerator(UnigramConfig())``, add-one
  smoothed, the perplexity floor.
- :mod:`baselines.ngram`: ``NGramGenerator(NGramConfig(order=3))``, interpolated
  Kneser-Ney of order 1-5; the probabilities themselves are
  :class:`baselines.kneser_ney.KneserNey` (``prob``, ``distribution``, ``nll``).
- :mod:`baselines.markov`: ``MarkovGenerator(MarkovConfig(state_size=2))``,
  markovify chains walked with a seeded RNG, scored by Kneser-Ney.
- :mod:`baselines.sampling`: ``choose(candidates, weights, sampling, rng)``,
  greedy / temperature / top-k / top-p in pure Python.
- :mod:`baselines.common`: the shared scoring convention, save/load and
  ``NotFittedError``.
"""
