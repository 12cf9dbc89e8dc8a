"""The README's maps cannot go stale: the reading map (the files a student reads for the
word-level generator, in the lesson's order) agrees with the tree and the exercise table,
and the layout map names every module of every package folder."""

from __future__ import annotations

import re
from pathlib import Path

from lab.grading.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The packages that make up the word-level generator; the other exercises (the sample
#: metrics of lab/evaluation, the Markov baseline) judge or rival it.
GENERATOR_PACKAGES = ("lab/text/", "lab/neural/", "lab/models/")
MAX_FILES = 8


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start : end if end != -1 else None]


def reading_map() -> list[str]:
    """The files of the numbered reading map, in order."""
    section = _section("### Reading map")
    return re.findall(r"^\d+\. `([^`]+)`", section, flags=re.MULTILINE)


def test_the_reading_map_names_the_generators_exercise_files_in_the_lessons_order() -> None:
    files = reading_map()
    assert 1 <= len(files) <= MAX_FILES
    assert [f for f in files if not (ROOT / f).is_file()] == []
    expected = list(
        dict.fromkeys(
            ex.file
            for ex in sorted(EXERCISES, key=lambda ex: ex.number)
            if ex.file.startswith(GENERATOR_PACKAGES)
        )
    )
    assert files == expected


def test_each_reading_map_entry_names_its_exercises() -> None:
    section = _section("### Reading map")
    for line in re.findall(r"^\d+\. `[^`]+`.*$", section, flags=re.MULTILINE):
        file = re.match(r"^\d+\. `([^`]+)`", line).group(1)  # type: ignore[union-attr]
        numbers = {ex.number for ex in EXERCISES if ex.file == file}
        named = {int(n) for n in re.findall(r"\b(\d+)\b", line.split("`", 2)[2])}
        assert numbers <= named, (file, numbers, line)


def _layout_entries() -> dict[str, str]:
    """Folder -> its bullet in the README's layout map."""
    section = _section("## Layout")
    bullets = re.split(r"^- ", section, flags=re.MULTILINE)[1:]
    out = {}
    for bullet in bullets:
        for folder in re.findall(r"\*\*`([\w/]+)/?`\*\*", bullet.split("—")[0]):
            out[folder.rstrip("/")] = bullet
    return out


def test_the_layout_map_names_every_module() -> None:
    entries = _layout_entries()
    folders = sorted(
        {
            p.parent.relative_to(ROOT).as_posix()
            for top in ("lab", "baselines")
            for p in (ROOT / top).rglob("*.py")
        }
    )
    assert [f for f in folders if f not in entries] == []
    missing = {}
    for folder in folders:
        named = set(re.findall(r"`([\w]+)`", entries[folder]))
        modules = {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}
        if modules - named:
            missing[folder] = sorted(modules - named)
    assert missing == {}


#: The design's limit: a module a reader can hold in mind (shared/design.md).
MAX_MODULE_LINES = 300
MAX_NEURAL_MODULES = 8


def test_no_module_is_over_the_limit_and_neural_stays_small() -> None:
    long = {
        p.relative_to(ROOT).as_posix(): n
        for top in ("lab", "baselines")
        for p in (ROOT / top).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
    neural = [p.stem for p in (ROOT / "lab/neural").glob("*.py") if p.stem != "__init__"]
    assert len(neural) <= MAX_NEURAL_MODULES, sorted(neural)
