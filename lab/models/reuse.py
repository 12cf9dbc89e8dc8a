"""Whether a saved run is the one a command should use: trained on this data, finished.

A training records what it learnt from beside the model (``run_record``: the
corpus and the digests of its splits, see
:meth:`lab.text.splitting.CorpusSplit.fingerprint`) and whether it finished
(:func:`~lab.models.checkpoint.run_is_complete`). The commands that reuse a run
(``train --resume``, ``evaluate``, ``generate``, ``compare``) ask here before any
work, so a run of another book is never scored on this one and a checkpoint of an
interrupted training is never taken for a finished model. Reading and writing the
run's files is :mod:`lab.models.checkpoint`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lab.errors import CheckpointError
from lab.models.checkpoint import read_manifest, run_is_complete


def check_data(
    directory: Path,
    fingerprint: dict[str, str],
    *,
    manifest: dict[str, Any] | None = None,
    required: bool = True,
) -> None:
    """Refuse a run trained on other data than ``fingerprint`` (see
    :meth:`lab.text.splitting.CorpusSplit.fingerprint`) with one line; ``manifest`` if
    read already; with ``required=False`` a run that records no data (written before
    runs did) passes unchecked."""
    manifest = read_manifest(directory) if manifest is None else manifest
    recorded = manifest.get("data")
    if recorded is None and not required:
        return
    if not isinstance(recorded, dict):
        raise CheckpointError(
            f"{directory} does not record the data it was trained on; train it again"
        )
    if any(recorded.get(part) != digest for part, digest in fingerprint.items()):
        corpus = manifest.get("corpus", {}).get("name", "another corpus")
        raise CheckpointError(
            f"{directory} was trained on other data ({corpus}, train split "
            f"{recorded.get('train')}), not on this corpus (train split {fingerprint.get('train')})"
        )


def say_if_checkpoint(directory: Path, manifest: dict[str, Any]) -> None:
    """One line on stderr if ``directory`` holds an unfinished training (it still works)."""
    if not run_is_complete(manifest):
        print(
            f"textgen-lab: note: {directory} is a checkpoint of an interrupted training (its last "
            f"finished epoch), not a finished model; 'textgen-lab train --resume --out "
            f"{directory}' continues it",
            file=sys.stderr,
        )
