"""Run directories: what a saved model is on disk, and the one place that reads or writes it.

A run directory holds ``config.json`` (the manifest: format version, model kind,
configuration dataclasses, tokenizer settings, the SHA-256 of every other file,
whether training finished, metrics) and ``vocab.json``; each model adds its own
files through :class:`~lab.models.base.GeneratorBase`'s hooks ``_save_state`` and
``_load_state`` (``weights.safetensors``, ``model.json``). Nothing is pickled, so
loading someone's run never executes their code; every save is one transaction
(:mod:`lab.storage.transaction`): a reader sees the old run or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lab.errors import CheckpointError, LabError
from lab.models import registry
from lab.models.config import VocabConfig, config_from_dict, config_to_dict
from lab.storage.claim import claim_folder
from lab.storage.files import file_digest, write_text_atomic, write_with_atomic
from lab.storage.transaction import ALL, staged_folder
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary

if TYPE_CHECKING:
    from lab.models.base import Generator, GeneratorBase

G = TypeVar("G", bound="GeneratorBase[Any]")

CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.json"
FORMAT_VERSION = 1


# -- saving ----------------------------------------------------------------------------
def save_generator(
    model: Generator,
    directory: Path,
    *,
    keep: Iterable[str] = (),
    rewrite: bool = True,
    extra: Mapping[str, Callable[[Path], object]] | None = None,
) -> None:
    """Publish ``model``'s run in ``directory`` as one transaction: its files (``_save_state``),
    the manifest, ``keep`` carried over from the run there and ``extra`` files (name -> writer,
    e.g. a trainer state); ``rewrite=False`` writes only ``extra`` and keeps the rest as it was."""
    with staged_run(directory, keep=keep if rewrite else ALL) as stage:
        if rewrite:
            model._save_state(stage)  # first: config.json records the digests of these files
            record = {"metrics": model.metrics, "complete": model.complete}
            config = config_to_dict(model.config, model.vocab_config)
            write_manifest(
                stage,
                kind=model.kind,
                config=config,
                tokenizer=model.tokenizer,
                vocab=model.vocab,
                extra={**record, **model._manifest_extra(), **model.run_record},
                state_files=model.state_files,
            )
        for name, writer in (extra or {}).items():
            write_with_atomic(stage / name, writer)


def write_manifest(
    directory: Path,
    *,
    kind: str,
    config: dict[str, Any],
    tokenizer: AnyTokenizer,
    vocab: Vocabulary,
    extra: dict[str, Any] | None = None,
    state_files: Iterable[str] = (),
) -> None:
    """Write ``vocab.json``, then ``config.json`` last (each atomically). ``config.json``
    records the SHA-256 of ``vocab.json`` and of ``state_files`` (written already), so a run
    whose files were not written together (a crash between two renames, a second writer, a
    file copied in from another run) is refused on load instead of being half-loaded."""
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


def update_manifest(directory: Path, **fields: Any) -> None:
    """Merge ``fields`` into an existing ``config.json`` (e.g. final metrics), as a new
    version of the whole run."""
    manifest = read_manifest(directory)
    manifest.update(fields)
    with staged_run(directory, keep=ALL) as stage:
        write_text_atomic(stage / CONFIG_FILE, json.dumps(manifest, indent=2, sort_keys=True))


# -- reading -----------------------------------------------------------------------------
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


def recorded_corpus(manifest: dict[str, Any]) -> str | None:
    """The corpus spec a run records (``None`` if it records none), checked to be text."""
    spec = (manifest.get("corpus") or {}).get("spec")
    if spec is not None and not isinstance(spec, str):
        raise CheckpointError(f"{CONFIG_FILE}: corpus spec is {_short(spec)}, not text")
    return spec or None


def run_is_complete(manifest: dict[str, Any]) -> bool:
    """Whether a run's training ended (by its budget, early stopping or convergence) rather
    than being interrupted, leaving the checkpoint of its last finished epoch.

    Runs record it as ``"complete"``. Runs saved before the field are complete when their
    metrics say why training stopped: only the save at the end of ``fit`` wrote metrics.
    (Their trainer state cannot tell: it said ``stop_reason: "epochs"`` from epoch 1 on.)
    """
    flag = manifest.get("complete")
    if isinstance(flag, bool):
        return flag
    metrics = manifest.get("metrics")
    return isinstance(metrics, dict) and bool(metrics.get("stop_reason"))


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


# -- loading -----------------------------------------------------------------------------
def restore_generator(
    cls: type[G], directory: Path, *, adjust: Callable[[Any], Any] | None = None
) -> G:
    """Rebuild a model of class ``cls`` saved by :func:`save_generator`, its configuration
    passed through ``adjust`` first (e.g. another device); never unpickles anything."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest["kind"] != cls.kind:
        raise CheckpointError(f"{directory} holds a {manifest['kind']} model, not {cls.kind}")
    config_class: type[Any] = registry.kind(cls.kind).config_class()
    config, vocab_config = read_config(directory, manifest, config_class)
    if adjust is not None:
        config = adjust(config)
    check_files(directory, manifest)
    gen = cls(config, vocab_config)
    try:
        gen._tokenizer = cls._saved_tokenizer(manifest["tokenizer"])
        gen._vocab = Vocabulary.load(directory / VOCAB_FILE)
    except (AttributeError, KeyError, TypeError, ValueError, OSError, RecursionError) as exc:
        raise CheckpointError(f"{directory}: broken tokenizer or vocabulary ({exc})") from None
    metrics = manifest.get("metrics")
    gen.metrics = metrics if isinstance(metrics, dict) else {}
    gen.complete = run_is_complete(manifest)
    gen._load_state(directory, manifest)
    return gen


def load_generator(directory: Path) -> Generator:
    """Load any saved run, whatever its kind: the registry names the class ``config.json``'s
    kind is loaded with."""
    recorded = read_manifest(directory)["kind"]
    if recorded not in registry.KINDS:
        raise CheckpointError(f"{directory} holds an unknown model kind {recorded!r}")
    return registry.KINDS[recorded].generator_class().load(Path(directory))


#: What a malformed JSON value (a list where an object was, a string for a number, a
#: number too large) raises in the code that reads a run's files.
_DATA_ERRORS = (AttributeError, KeyError, TypeError, ValueError, IndexError, OverflowError,
                RecursionError, MemoryError)  # fmt: skip


def load_run(directory: Path) -> Any:
    """:func:`load_generator`, with a run whose files were edited into shapes its loader
    does not expect reported as one :class:`CheckpointError` line."""
    try:
        return load_generator(Path(directory))
    except LabError:  # CheckpointError and the other one-line errors, as they are
        raise
    except _DATA_ERRORS as exc:
        detail = (str(exc).strip().splitlines() or [""])[0][:120]
        raise CheckpointError(
            f"{directory} cannot be loaded: its files are damaged ({type(exc).__name__}: {detail})"
        ) from exc


# -- the folder ----------------------------------------------------------------------------
def has_run(directory: Path) -> bool:
    """Whether ``directory`` has a ``config.json`` (:func:`read_manifest` says if it reads)."""
    return (Path(directory) / CONFIG_FILE).exists()


def run_files(directory: Path) -> set[str] | None:
    """The files of the run in ``directory`` (the manifest, ``vocab.json``, the files the
    manifest lists, the ones its kind writes; anything else is someone's), or ``None`` if
    no run is there: no ``config.json`` that reads as a run's, naming a known kind."""
    if not (Path(directory) / CONFIG_FILE).is_file():
        return None
    try:
        manifest = read_manifest(directory)
        cls = registry.kind(str(manifest["kind"])).generator_class()
    except (LabError, ImportError):
        return None
    listed = manifest.get("files")
    listed = listed if isinstance(listed, dict) else {}
    return {CONFIG_FILE, VOCAB_FILE, *listed, *cls.state_files, *cls.carried_files}


def staged_run(
    directory: Path, *, keep: Iterable[str] | str = ()
) -> contextlib.AbstractContextManager[Path]:
    """:func:`~lab.storage.transaction.staged_folder` for a run: yields the empty stage;
    on a clean exit it replaces the run (never a folder holding files no run owns)."""
    return staged_folder(Path(directory), owned=run_files, keep=keep)


def claim_run_directory(
    directory: Path, *, force: bool = False, resume: bool = False, corpus: Path | None = None
) -> contextlib.AbstractContextManager[Path]:
    """Check and lock ``directory`` for a training's run before any work
    (:func:`~lab.storage.claim.claim_folder`, with :func:`run_files` saying what a run is)."""
    return claim_folder(directory, owned=run_files, force=force, resume=resume, corpus=corpus)
