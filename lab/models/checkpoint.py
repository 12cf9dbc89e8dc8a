"""Run directories: what every saved model has in common.

A run directory holds ``config.json`` (the model kind, its configuration
dataclasses and the tokenizer settings, plus any metrics) and ``vocab.json``;
each model adds its own tensors or tables beside them (``weights.safetensors``
for the LSTMs, ``model.json`` for the baselines). Nothing is pickled, so
loading a run from someone else never executes their code.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.errors import CheckpointError, LabError
from lab.fileio import write_text_atomic
from lab.models.config import VocabConfig, config_from_dict
from lab.models.staging import ALL, staged_run
from lab.text.tokenizers import AnyTokenizer, tokenizer_from_dict
from lab.text.vocabulary import Vocabulary

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.json"
FORMAT_VERSION = 1


def write_manifest(
    directory: Path,
    *,
    kind: str,
    config: dict[str, Any],
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    extra: dict[str, Any] | None = None,
    state_files: Sequence[str] = (),
) -> None:
    """Write ``vocab.json``, then ``config.json`` last (each atomically).

    ``config.json`` records the SHA-256 of ``vocab.json`` and of ``state_files``
    (the weights or tables, already written), so a run whose files were not
    written together (a crash between two renames, a second writer, a file
    copied in from another run) is reported as such on load instead of being
    half-loaded.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab.save(directory / VOCAB_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "config": config,
        "tokenizer": tokenizer.to_dict(),
        **(extra or {}),
        "files": {name: file_digest(directory / name) for name in (VOCAB_FILE, *state_files)},
    }
    write_text_atomic(directory / CONFIG_FILE, json.dumps(manifest, indent=2, sort_keys=True))


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Refuse a run whose files are not the ones its ``config.json`` was written with."""
    files = manifest.get("files")
    if files is None:  # written before digests were recorded
        return
    if not isinstance(files, dict):
        raise CheckpointError(f"{directory}: bad file list in {CONFIG_FILE}")
    for name, digest in files.items():
        path = Path(directory) / str(name)
        if not path.is_file():
            raise CheckpointError(f"{directory} is incomplete: {name} is missing")
        if file_digest(path) != digest:
            raise CheckpointError(
                f"{directory}'s files do not agree: {name} is not the one {CONFIG_FILE} was "
                "written with (an interrupted save, or a file from another run)"
            )


def read_manifest(directory: Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a run, or a :class:`CheckpointError` saying why not."""
    path = Path(directory) / CONFIG_FILE
    if not Path(directory).is_dir():
        raise CheckpointError(f"{directory} is not a run directory")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(
            f"{directory} has no {CONFIG_FILE}; is it a textgen-lab run?"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    except RecursionError:
        raise CheckpointError(f"cannot read {path}: its JSON is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise CheckpointError(f"{path} does not name a model kind")
    for key in _SECTIONS:
        if key in data and not isinstance(data[key], dict):
            raise CheckpointError(f"{path}: {key} is {_short(data[key])}, not an object")
    version = data.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{path} has a bad format_version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path} was written by a newer textgen-lab")
    return data


#: The parts of ``config.json`` that are objects when present (an edit may have made them not).
_SECTIONS = ("config", "tokenizer", "files", "corpus", "data", "metrics", "final")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def recorded_corpus(manifest: dict[str, Any]) -> str | None:
    """The corpus spec a run records (``None`` if it records none), checked to be text."""
    spec = (manifest.get("corpus") or {}).get("spec")
    if spec is not None and not isinstance(spec, str):
        raise CheckpointError(f"{CONFIG_FILE}: corpus spec is {_short(spec)}, not text")
    return spec or None


def read_tokenizer_and_vocab(
    directory: Path, manifest: dict[str, Any]
) -> tuple[AnyTokenizer, Vocabulary]:
    """The tokenizer and vocabulary saved in a run directory."""
    try:
        tokenizer = tokenizer_from_dict(manifest["tokenizer"])
        vocab = Vocabulary.load(Path(directory) / VOCAB_FILE)
    except (AttributeError, KeyError, TypeError, ValueError, OSError, RecursionError) as exc:
        raise CheckpointError(f"{directory}: broken tokenizer or vocabulary ({exc})") from None
    return tokenizer, vocab


def run_is_complete(manifest: dict[str, Any]) -> bool:
    """Whether a run's training ended (by its budget, early stopping or convergence) rather
    than being interrupted, leaving the checkpoint of its last finished epoch.

    Runs record it as ``"complete"``. Runs saved before the field are complete when
    their metrics say why training stopped: only the save at the end of ``fit`` wrote
    metrics, the per-epoch checkpoints wrote none. (Their ``trainer_state.pt`` cannot
    tell: it said ``stop_reason: "epochs"`` from the first epoch on.)
    """
    flag = manifest.get("complete")
    if isinstance(flag, bool):
        return flag
    metrics = manifest.get("metrics")
    return isinstance(metrics, dict) and bool(metrics.get("stop_reason"))


def say_if_checkpoint(directory: Path, manifest: dict[str, Any]) -> None:
    """One line on stderr if ``directory`` holds an unfinished training (it still works)."""
    if not run_is_complete(manifest):
        print(
            f"textgen-lab: note: {directory} is a checkpoint of an interrupted training (its last "
            f"finished epoch), not a finished model; 'textgen-lab train --resume --out "
            f"{directory}' continues it",
            file=sys.stderr,
        )


def update_manifest(directory: Path, **fields: Any) -> None:
    """Merge ``fields`` into an existing ``config.json`` (e.g. final metrics), as a new
    version of the whole run (:func:`~lab.models.staging.staged_run`)."""
    manifest = read_manifest(directory)
    manifest.update(fields)
    with staged_run(directory, keep=ALL) as stage:
        write_text_atomic(stage / CONFIG_FILE, json.dumps(manifest, indent=2, sort_keys=True))


#: What a malformed JSON value (a list where an object was, a string for a number, a
#: number too large) raises in the code that reads a run's files.
_DATA_ERRORS = (
    AttributeError,
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    OverflowError,
    RecursionError,
    MemoryError,
)


def load_run(directory: Path) -> Any:
    """:func:`lab.models.registry.load_generator`, with a run whose files were edited into
    shapes its loader does not expect reported as one :class:`CheckpointError` line."""
    from lab.models.registry import load_generator  # the registry imports this module

    try:
        return load_generator(Path(directory))
    except CheckpointError:
        raise
    except _DATA_ERRORS as exc:
        if isinstance(exc, LabError):
            raise
        detail = (str(exc).strip().splitlines() or [""])[0][:120]
        raise CheckpointError(
            f"{directory} cannot be loaded: its files are damaged ({type(exc).__name__}: {detail})"
        ) from exc


def check_data(
    directory: Path,
    fingerprint: dict[str, str],
    *,
    manifest: dict[str, Any] | None = None,
    required: bool = True,
) -> None:
    """Refuse a run trained on other data than ``fingerprint`` (see
    :meth:`lab.text.splitting.CorpusSplit.fingerprint`), with one clear line.

    ``manifest`` is the run's ``config.json`` if the caller has read it already;
    with ``required=False`` a run that records no data (written before runs did)
    passes unchecked.
    """
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


def read_config(
    directory: Path, manifest: dict[str, Any], config_class: type[Any]
) -> tuple[Any, VocabConfig]:
    """The model configuration (a ``config_class``) and vocabulary settings a run's
    ``config.json`` records, or one :class:`CheckpointError` line naming what is wrong."""
    try:
        data = manifest.get("config", {})
        if not isinstance(data, dict):
            raise TypeError(f"config is {data!r}, not an object")
        vocab = dict(data.get("vocab", {}))
        tokenizer = manifest.get("tokenizer", {})
        if "unit" not in vocab and isinstance(tokenizer, dict) and "kind" in tokenizer:
            vocab["unit"] = tokenizer["kind"]  # a run saved before VocabConfig.unit
        return config_from_dict(config_class, {**data, "vocab": vocab})
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{directory}: bad {manifest.get('kind')} configuration ({exc})"
        ) from None
