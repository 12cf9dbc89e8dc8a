"""Count-based baselines for textgen-lab: Markov chain, Kneser-Ney n-gram, unigram.

They are :class:`lab.models.base.GeneratorBase` models like the LSTMs (same
tokenizers, vocabulary, run directories, sampling rule and errors) and never
import torch. Each works on words by default and on characters with
``VocabConfig(unit="char")`` (``--unit char``).

Public API (import from the modules; this package imports nothing itself, so
loading one baseline does not pull in the others' dependencies):

- :mod:`baselines.unigram`: ``UnigramGenerator(UnigramConfig())``, add-one
  smoothed, the perplexity floor.
- :mod:`baselines.ngram`: ``NGramGenerator(NGramConfig(order=3))``, interpolated
  Kneser-Ney of order 1-5; the probabilities themselves are
  :class:`baselines.kneser_ney.KneserNey` (``prob``, ``distribution``, ``nll``).
- :mod:`baselines.markov`: ``MarkovGenerator(MarkovConfig(state_size=2))``,
  markovify chains walked with a seeded RNG, scored by Kneser-Ney.
- :mod:`baselines.count_model`: ``CountGenerator``, what the three share (the
  scoring convention, fitting, ``model.json``).
"""
