"""Durable files and folders, knowing nothing of models: the layer under everything.

:mod:`~lab.storage.files` (one file written through a rename; a user's file read
only if regular and under a cap; a file's digest), :mod:`~lab.storage.transaction`
(a whole folder published with one rename, crash leftovers recovered) and
:mod:`~lab.storage.claim` (one writer per folder, checked before any work). What a
run directory holds is :mod:`lab.models.checkpoint`'s to say.
"""
