"""The attention layer: a small decoder-only transformer on the recurrent models' loops.

:mod:`~lab.transformer.model` is the network, read top-down in one file
(attention, MLP, block, the whole model and how it slides its context window);
:mod:`~lab.transformer.generator` puts it behind the model contract through
:class:`lab.neural.generators.NetworkGenerator`, so it is trained, scored,
sampled, saved and resumed by the same functions as the LSTMs (the lab's
exercises); :mod:`~lab.transformer.config` holds its options (no torch at
import). This package's ``__init__`` imports nothing.
"""
