"""``train --resume``: the settings come from the run being continued, not from the defaults.

A resumed run keeps its model kind, network shape, tokenizer, vocabulary and
corpus; repeating none of the original flags is the normal way to resume. A
flag that contradicts the run (another ``--hidden-dim``) is an error, because
the saved weights cannot take it; the flags that say *how long and how fast*
to go on may change, and the new values are recorded in the run's
``config.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.models import registry
from lab.models.checkpoint import has_run, read_manifest, recorded_corpus
from lab.storage.claim import recover_interrupted_save

#: Options a resumed run may change: budgets, the learning-rate schedule, where it runs.
CHANGEABLE = frozenset(
    {"epochs", "max_tokens", "max_minutes", "patience", "lr", "lr_decay", "device", "num_threads"}
)


def resumed_settings(
    out: Path, model: str | None, corpus: str | None, given: Mapping[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """``(kind, corpus spec, options)`` to continue the run in ``out``.

    ``given`` are the options set on the command line: changeable ones override
    the run's, others must equal the run's values.
    """
    recover_interrupted_save(out)  # a save killed between its two renames (no RENAME_EXCHANGE)
    if not has_run(out):
        raise LabError(f"nothing to resume: {out} holds no run")
    manifest = read_manifest(out)
    kind = str(manifest["kind"])
    if model is not None and model != kind:
        raise LabError(f"{out} holds a {kind} run; --model {model} cannot resume it")
    recorded = recorded_corpus(manifest)
    if corpus is not None and "data" not in manifest and not _same(corpus, recorded):
        # Nothing to check another corpus against: it would train on another book silently.
        raise LabError(
            f"{out} does not record the data it was trained on, so --corpus {corpus} cannot be "
            + (f"checked; resume without --corpus (on {recorded})" if recorded else "checked")
        )
    spec = corpus or recorded
    if not spec:
        raise LabError(f"{out} does not record its corpus; pass --corpus")
    saved = _saved_options(manifest)
    for name, value in given.items():
        if name not in CHANGEABLE and name in saved and saved[name] != value:
            flag = "--" + name.replace("_", "-")
            raise LabError(
                f"{flag} {value} contradicts the run's {name} {saved[name]}; a resumed run keeps "
                f"its shape (changeable: {', '.join(sorted(CHANGEABLE))})"
            )
    entry = registry.kind(kind)
    known = {f.name for cls in entry.option_classes() for f in dataclasses.fields(cls)}
    options = {k: v for k, v in saved.items() if k in known}
    options.update(given)
    return kind, spec, options


def _saved_options(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The run's configuration as one field -> value mapping (sections flattened)."""
    options: dict[str, Any] = {}
    for section in (manifest.get("config") or {}).values():
        if isinstance(section, dict):
            options.update(section)
    return options


def _same(spec: str, recorded: str | None) -> bool:
    """Whether ``spec`` names the recorded corpus (a path may be given another way)."""
    if recorded is None:
        return False
    try:
        return spec == recorded or Path(spec).expanduser().samefile(recorded)
    except OSError:
        return False
