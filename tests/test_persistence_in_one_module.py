"""Persistence lives in one module: only :mod:`lab.models.checkpoint` knows what a run directory
holds (``config.json``, ``vocab.json``), writes or reads it, and drives a model's own files
through its hooks; the storage layer under it (:mod:`lab.storage`) knows nothing of models."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from _source_scan import docstrings

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "lab" / "models" / "checkpoint.py"
STORAGE = ROOT / "lab" / "storage"
#: A literal names a run file when it is one, or ends a path with one ("/config.json");
#: prose such as a help text that lists the files is not a path.
RUN_FILE = re.compile(r"(?:^|/)(?:config|vocab)\.json$")
#: The manifest's constants, and the hooks through which a model's own files are written
#: and read: only checkpoint uses them (a model defines the hooks, never calls them).
CHECKPOINT_ONLY_NAMES = {"CONFIG_FILE", "VOCAB_FILE", "FORMAT_VERSION"}
HOOKS = {"_save_state", "_load_state", "_manifest_extra"}
#: What the storage layer hands out that needs an owner saying which files are a run's
#: (checkpoint passes ``run_files``). ``recover_interrupted_save`` needs none: it only
#: undoes a killed save, whoever's.
OWNER_TAKING = {"staged_folder", "claim_folder", "folder_contents", "recover_folder"}
#: What lab/storage may import from lab: the errors and the caps, nothing above them.
STORAGE_MAY_IMPORT = ("lab.errors", "lab.limits", "lab.storage")


def persistence_outside_checkpoint(path: Path) -> list[str]:
    """``line: what`` for every place in ``path`` that does checkpoint's job."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if RUN_FILE.search(node.value):
                hits.append(f"{node.lineno}: names {node.value!r}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                if alias.name in CHECKPOINT_ONLY_NAMES:
                    hits.append(f"{node.lineno}: imports {alias.name}")
                if module.startswith("lab.storage") and alias.name in OWNER_TAKING:
                    hits.append(f"{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.Import):
            hits += [
                f"{node.lineno}: imports {a.name}"
                for a in node.names
                if a.name.startswith(("lab.storage.transaction", "lab.storage.claim"))
            ]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in HOOKS | CHECKPOINT_ONLY_NAMES
            and isinstance(node.ctx, ast.Load)  # a model defines the hooks, never calls them
        ):
            hits.append(f"{node.lineno}: uses {node.attr}")
    return sorted(hits, key=lambda hit: int(hit.split(":")[0]))


def _modules() -> list[Path]:
    return [p for top in ("lab", "baselines") for p in sorted((ROOT / top).rglob("*.py"))]


def test_only_checkpoint_names_writes_or_reads_a_runs_files() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): hits
        for path in _modules()
        if path != CHECKPOINT
        and STORAGE not in path.parents
        and (hits := persistence_outside_checkpoint(path))
    }
    assert found == {}


def test_the_check_sees_persistence_elsewhere(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring may say config.json."""\n'
        "from lab.models.checkpoint import CONFIG_FILE\n"
        "from lab.storage.transaction import staged_folder\n"
        "from lab.storage.claim import recover_interrupted_save\n"
        'HELP = "save it to --out (config.json, vocab.json, weights)"\n'
        "def save(model, run):\n"
        '    (run / "config.json").write_text("{}")\n'
        '    model._save_state(run / "stage")\n'
        '    return f"{run}/vocab.json"\n'
        "class Model:\n"
        "    def _save_state(self, directory): ...\n",
        encoding="utf-8",
    )
    assert persistence_outside_checkpoint(sample) == [
        "2: imports CONFIG_FILE",
        "3: imports staged_folder",
        "7: names 'config.json'",
        "8: uses _save_state",
        "9: names '/vocab.json'",
    ]


def test_checkpoint_does_the_job_the_check_forbids_elsewhere() -> None:
    """The check is not vacuous: the one module allowed to persist runs does all of it."""
    hits = " ".join(persistence_outside_checkpoint(CHECKPOINT))
    for expected in (
        "'config.json'",
        "'vocab.json'",
        "_save_state",
        "_load_state",
        "staged_folder",
    ):
        assert expected in hits


def test_the_storage_layer_imports_nothing_of_models() -> None:
    found = {}
    for path in sorted(STORAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [
            name
            for node in ast.walk(tree)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        ]
        above = [m for m in modules if m.startswith("lab") and not m.startswith(STORAGE_MAY_IMPORT)]
        if above or any(m.startswith("baselines") for m in modules):
            found[path.name] = above
    assert found == {}
    assert len(list(STORAGE.glob("*.py"))) >= 4  # __init__, files, transaction, claim
