"""Getting a pretrained causal LM and its tokenizer in and out: the one module that imports
HuggingFace ``transformers``, and only when the kind is used.

* Without the extra, asking for the kind is one line: ``pip install -e ".[gpt2]"``.
* A model comes from a local folder (what ``save_pretrained`` writes) or a hub
  name. Offline (``HF_HUB_OFFLINE=1``) a name is read from the local cache only;
  one that is not there is one line saying how to get it, never a traceback.
* Weights are loaded with ``use_safetensors=True`` (never a pickled
  ``pytorch_model.bin``), in float32 (bf16 is a loss on CPUs without it).
* A run directory keeps the model's and tokenizer's files beside the lab's own
  (``config.json`` and ``vocab.json`` are the lab's names, so HF's files are
  saved as ``hf-*``); loading links them under their HF names in a temporary folder
  and reads them with ``from_pretrained``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lab.errors import CheckpointError, LabError

#: The files of a saved model and tokenizer the run keeps: HF's own names behind ``hf-``
#: (its ``config.json`` would clash with the run's own), see :func:`hf_name`.
RUN_FILES = (
    "hf-config.json",
    "hf-model.safetensors",
    "hf-tokenizer.json",
    "hf-tokenizer_config.json",
)
INSTALL = 'pip install -e ".[gpt2]"'


def hf_name(run_file: str) -> str:
    """The name ``save_pretrained`` gives the file a run keeps as ``run_file``."""
    return run_file.removeprefix("hf-")


def transformers_module() -> Any:
    """``transformers``, or one :class:`LabError` line saying how to install it."""
    try:
        import transformers
    except ImportError:
        raise LabError(
            f"the pretrained-model kind needs HuggingFace transformers: {INSTALL}"
        ) from None
    return transformers


def hub_offline() -> bool:
    """Whether HF downloads are switched off (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@contextlib.contextmanager
def _quiet(transformers: Any) -> Iterator[None]:
    """No progress bars or advisory logging from ``transformers`` while it loads or saves
    (the lab prints its own one-line messages); the previous settings come back after."""
    logging = transformers.utils.logging
    bars, level = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def load_pretrained(source: str) -> tuple[Any, Any]:
    """The causal LM and tokenizer ``source`` names (a local folder or a hub name), on CPU,
    in eval mode; one :class:`LabError` line when they cannot be had."""
    transformers = transformers_module()
    folder = Path(source).expanduser()
    local = folder.is_dir()
    if not local and (source.startswith((".", "/", "~")) or source.count("/") > 1):
        raise LabError(f"no model folder {source}: it does not exist or is not a folder")
    try:
        return _from_pretrained(transformers, str(folder) if local else source, local)
    except (OSError, ValueError) as exc:
        if local:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise LabError(f"cannot load the pretrained model in {source}: {reason}") from None
        where = "offline (HF_HUB_OFFLINE)" if hub_offline() else "the hub could not be reached"
        raise LabError(
            f"pretrained model {source!r} is not in the local HuggingFace cache and {where}; "
            f"where the hub is reachable run 'hf download {source} --local-dir DIR' (or "
            f"'huggingface-cli download {source} --local-dir DIR') and pass --pretrained DIR"
        ) from None


def _from_pretrained(transformers: Any, where: str, local: bool) -> tuple[Any, Any]:
    import torch

    only_local = local or hub_offline()
    with _quiet(transformers):
        model = transformers.AutoModelForCausalLM.from_pretrained(
            where, local_files_only=only_local, use_safetensors=True, dtype=torch.float32
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(where, local_files_only=only_local)
    if tokenizer.eos_token_id is None:
        raise LabError(f"{where}'s tokenizer has no end-of-text token to start a text with")
    return model.eval(), tokenizer


def save_run_files(model: Any, tokenizer: Any, directory: Path) -> None:
    """Write ``model`` and ``tokenizer`` with ``save_pretrained`` (safetensors) and keep
    :data:`RUN_FILES` in ``directory``."""
    transformers = transformers_module()
    with tempfile.TemporaryDirectory(dir=directory) as tmp, _quiet(transformers):
        model.save_pretrained(tmp, max_shard_size="1000GB")  # one file: the run lists its files
        tokenizer.save_pretrained(tmp)
        for run_file in RUN_FILES:
            source = Path(tmp) / hf_name(run_file)
            if not source.is_file():
                raise CheckpointError(f"saving the pretrained model wrote no {source.name}")
            os.replace(source, directory / run_file)


def load_run_files(directory: Path) -> tuple[Any, Any]:
    """The model and tokenizer a run directory keeps (see :func:`save_run_files`)."""
    transformers = transformers_module()
    missing = [n for n in RUN_FILES if not (directory / n).is_file()]
    if missing:
        raise CheckpointError(f"{directory} is incomplete: {missing[0]} is missing")
    with tempfile.TemporaryDirectory() as tmp:
        for run_file in RUN_FILES:
            os.symlink((directory / run_file).resolve(), Path(tmp) / hf_name(run_file))
        try:
            return _from_pretrained(transformers, tmp, local=True)
        except (OSError, ValueError, LabError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise CheckpointError(f"cannot load the model saved in {directory}: {reason}") from None
