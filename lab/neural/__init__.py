"""The neural layer: recurrent language models in torch, on the shared model base.

:mod:`~lab.neural.config` (network and training options; no torch),
:mod:`~lab.neural.network` (embedding -> LSTM/GRU/RNN -> logits),
:mod:`~lab.neural.batching` (the token stream as truncated-BPTT batches),
:mod:`~lab.neural.training` (the training loop and exact evaluation),
:mod:`~lab.neural.decoding` (the torch sampler),
:mod:`~lab.neural.generators` (the word and character LSTM generators),
:mod:`~lab.neural.device` and :mod:`~lab.neural.distributed` (CPU/GPU, ``torchrun``).
This package's ``__init__`` imports nothing, so ``lab.neural.config`` stays torch-free.
"""
