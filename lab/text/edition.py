"""An edition's own matter, found, cut and named: notes, colophons, title blocks.

A book file holds more than the book: Project Gutenberg's licence
(:mod:`lab.text.gutenberg`), and in other e-text libraries an endnotes section
("Примечания", "Przypisy", "Notes") that can be half a test split, a
publisher's colophon (Wolne Lektury's after ``-----``), an ISBN title block,
glosses written into the text (``[25 - Разговор наедине (франц.)]``) and
HTML character references left by a converter (``по&#769;дать``). A model
would learn all of it as if the author wrote it. So this module recognises
those blocks at the edges of the text, and lets a user cut anything else
(``start_after``, ``end_before``). Nothing goes silently: every cut is an
:class:`EditionCut` naming its first and last lines, which the loader
prints and the report repeats.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lab.errors import CorpusError

__all__ = ["EditionCut", "strip_edition"]

# A line that opens a trailing notes section, in the lesson's languages.
_NOTES_HEADING = re.compile(
    r"^[ \t]*(?:notes|endnotes|footnotes|примечания|комментарии|сноски|przypisy|"
    r"viitteet|huomautukset|noter|kommentarer|mga\s+tala)[ \t.:]*$",
    re.IGNORECASE | re.MULTILINE,
)
# A separator line followed by a library's colophon (Wolne Lektury, Litteraturbanken...).
_COLOPHON = re.compile(
    r"^[ \t]*-{3,}[ \t]*\n(?=(?:.*\n){0,6}.*(?:wolnelektury|Wolne Lektury|domenie publicznej|"
    r"Litteraturbanken|public domain|ISBN))",
    re.MULTILINE,
)
# An ISBN line among the first lines: the end of a title block.
_ISBN = re.compile(r"^[ \t]*ISBN[ \t:]*[\dXx-]{10,}[ \t]*$", re.MULTILINE)
# A gloss written into the text: "[25 - Разговор наедине (франц.)]".
_INLINE_NOTE = re.compile(r"\[\d{1,3} - [^\]\n]{1,300}\]")
_CHAR_REFERENCE = re.compile(r"&#(?:\d{2,7}|x[0-9a-fA-F]{2,6});")
#: A notes heading is believed only in this last share of the text.
NOTES_REGION = 0.4
#: A title block is believed only in this first share of the text.
TITLE_REGION = 0.05


@dataclass(frozen=True)
class EditionCut:
    """One stretch of edition matter that was cut, and why."""

    what: str
    first_line: str
    last_line: str
    chars: int

    def describe(self) -> str:
        """``cut the endnotes (4,512 chars): 'Примечания' ... 'Фраза в рукописи не дописана.'``"""
        return (
            f"cut {self.what} ({self.chars:,} chars): "
            f"{_short(self.first_line)!r} ... {_short(self.last_line)!r}"
        )


def strip_edition(
    text: str,
    *,
    start_after: str | None = None,
    end_before: str | None = None,
    detect: bool = True,
) -> tuple[str, list[EditionCut]]:
    """``text`` without its edition matter, and what was cut (see the module doc).

    ``start_after`` / ``end_before``: cut everything up to the end of the first
    line holding that text / from the start of the last line holding it
    (:class:`~lab.errors.CorpusError` when it is not there). ``detect=False``
    makes only those cuts.

    >>> body, cuts = strip_edition("Title\\nISBN 978-83-288-2967-1\\n\\nIt began.\\n" + "x\\n" * 400)
    >>> body.startswith("It began."), cuts[0].what
    (True, 'the title block')
    """
    cuts: list[EditionCut] = []
    if start_after is not None:
        at = text.find(start_after)
        if at < 0:
            raise CorpusError(f"--start-after text not found in the book: {start_after!r}")
        end = _line_end(text, at + len(start_after))
        text = _cut(text, 0, end, "the text before --start-after", cuts)
    if end_before is not None:
        at = text.rfind(end_before)
        if at < 0:
            raise CorpusError(f"--end-before text not found in the book: {end_before!r}")
        text = _cut(
            text, text.rfind("\n", 0, at) + 1, len(text), "the text from --end-before", cuts
        )
    if not detect:
        return text, cuts
    colophon = _COLOPHON.search(text, int(len(text) * (1 - NOTES_REGION)))
    if colophon:
        text = _cut(text, colophon.start(), len(text), "the library's colophon", cuts)
    notes = _last_match(_NOTES_HEADING, text, int(len(text) * (1 - NOTES_REGION)))
    if notes is not None:
        text = _cut(text, notes.start(), len(text), "the notes section", cuts)
    isbn = _last_match(_ISBN, text, 0, int(len(text) * TITLE_REGION))
    if isbn is not None:
        text = _cut(text, 0, _line_end(text, isbn.end()), "the title block", cuts)
    glosses = _INLINE_NOTE.findall(text)
    if glosses:
        text = _INLINE_NOTE.sub("", text)
        cuts.append(EditionCut(f"{len(glosses)} inline notes", glosses[0], glosses[-1],
                               sum(map(len, glosses))))  # fmt: skip
    if _CHAR_REFERENCE.search(text):  # not cut: decoded into the characters they stand for
        text = _CHAR_REFERENCE.sub(lambda m: html.unescape(m.group()), text)
    return text.strip("\n") + "\n", cuts


def _cut(text: str, start: int, end: int, what: str, cuts: list[EditionCut]) -> str:
    lines = [line for line in text[start:end].splitlines() if line.strip()]
    if lines:
        cuts.append(EditionCut(what, lines[0].strip(), lines[-1].strip(), end - start))
    return text[:start] + text[end:]


def _last_match(
    pattern: re.Pattern[str], text: str, start: int, end: int | None = None
) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text, start, len(text) if end is None else end):  # noqa: B007
        pass
    return found


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end + 1


def _short(line: str, width: int = 60) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"
