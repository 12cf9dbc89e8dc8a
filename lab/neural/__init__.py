"""The neural layer: recurrent language models in torch, on the shared model base.

In the lesson's order (the exercises are these modules' solution regions):
:mod:`~lab.neural.batching` (the token stream as truncated-BPTT batches),
:mod:`~lab.neural.network` (embedding -> LSTM/GRU/RNN -> logits, and the
adaptive-softmax variant), :mod:`~lab.neural.training` (one training step and
the training run), :mod:`~lab.neural.epoch` (one pass over a stream: a
training epoch, or exact scoring), :mod:`~lab.neural.decoding` (temperature,
top-k, top-p: the sampler), :mod:`~lab.neural.generation` (prompt priming and
the decoding loop, for one request or a whole sweep), then
:mod:`~lab.neural.generators` (the word and character LSTM generators) and
:mod:`~lab.neural.config` (options, device, threads and ``torchrun``; no torch
at import). This package's ``__init__`` imports nothing, so
``lab.neural.config`` stays torch-free.
"""
