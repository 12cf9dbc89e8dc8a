"""The model layer: the one generator contract and what every model shares.

:mod:`~lab.models.base` (``GeneratorBase``, the contract every model meets),
:mod:`~lab.models.protocol` (the records it trades in),
:mod:`~lab.models.sampling` (decoding settings and the reference sampler),
:mod:`~lab.models.scoring` (perplexity and bits per character),
:mod:`~lab.models.config` (vocabulary settings, options as dataclasses),
:mod:`~lab.models.checkpoint` (run directories: saving, loading, checking),
:mod:`~lab.models.reuse` (whether a saved run fits this data) and
:mod:`~lab.models.registry` (the one table of model kinds). No torch here.
"""
