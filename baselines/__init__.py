"""Count-based baselines for textgen-lab: Markov chain, Kneser-Ney n-gram, unigram.

They implement :class:`lab.protocol.Generator` over the same word tokenizer and
vocabulary as the neural models, and never import torch.
"""
