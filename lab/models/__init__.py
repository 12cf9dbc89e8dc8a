"""The model layer: the :class:`~lab.models.protocol.Generator` contract and what
every model shares.

:mod:`~lab.models.protocol` (the contract and its records),
:mod:`~lab.models.base` (one ``GeneratorBase`` for every model),
:mod:`~lab.models.sampling` (decoding settings and the reference sampler),
:mod:`~lab.models.scoring` (perplexity and bits per character),
:mod:`~lab.models.config` (vocabulary settings, options as dataclasses),
:mod:`~lab.models.checkpoint` (run directories) and
:mod:`~lab.models.registry` (the one table of model kinds). No torch here.
"""
