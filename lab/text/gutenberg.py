"""Project Gutenberg files: decoding old encodings and cutting off the header and licence.

Besides the header and footer, the volunteers' credit lines at the edges of the
body ("Produced by ...", "E-text prepared by ...") are dropped: they are not
the author's text, a model would learn them, and they differ between
re-editions of the same book, which would change the body's digest for nothing.
Nothing here touches the network; :mod:`lab.text.download` fetches the files.
"""

from __future__ import annotations

import re

from lab.text.decoding import decode_bytes

# Marker lines, current and older spellings ("THIS"/"THE", "EBOOK"/"ETEXT",
# the 1990s "*END*THE SMALL PRINT!" header and "End of the Project Gutenberg
# EBook of ..." footer line). Only whole lines match, case-insensitively.
_START = re.compile(
    r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT).*$",
    re.IGNORECASE | re.MULTILINE,
)
# Ends the licence: a start marker in 1990s files, but later files put it in the footer.
_SMALL_PRINT_END = re.compile(
    r"^[ \t]*\*END\*?[ \t]*THE SMALL PRINT!.*$", re.IGNORECASE | re.MULTILINE
)
_END = re.compile(
    r"^[ \t]*(?:\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?(?:BOOK|TEXT)"
    r"|End of (?:the |this )?Project Gutenberg).*$",
    re.IGNORECASE | re.MULTILINE,
)
# How a producer's credit paragraph opens. A bare "Prepared by" or "Transcribed
# by" also opens real prose (Edgeworth's *The Parent's Assistant* has "Prepared
# by this speech to hear ..."), so those verbs count only after a subject such
# as "E-text" or "This eBook was". "Note: Project Gutenberg also has an HTML
# version ..." is the distributor's notice that often follows the credits.
_CREDIT = re.compile(
    r"[ \t]*(?:"
    r"produced\s+by\b"
    r"|(?:this\s+)?(?:e-?book|e-?text|etext|text|file|html\s+version)(?:\s+file)?\s+"
    r"(?:was\s+|has\s+been\s+|is\s+)?(?:produced|prepared|transcribed|created)\s+(?:by|from)\b"
    r"|transcribed\s+from\s+the\s+[^\n]{0,80}?\bby\b"
    r"|note:\s+project\s+gutenberg\s+also\s+has\b"
    r")",
    re.IGNORECASE,
)
# A run of non-blank lines.
_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
#: A credit paragraph longer than this is kept: real ones wrap over a few lines.
MAX_CREDIT_LINES = 6


def decode_text(data: bytes, *, name: str = "the text") -> str:
    """Bytes to text (:func:`lab.text.decoding.decode_bytes`: UTF-8 or UTF-16 by BOM,
    UTF-8, else the 8-bit encoding that reads as a lesson language; refused when not
    text), with
    line endings made ``\\n``.

    >>> decode_text(b"\\xef\\xbb\\xbfcaf\\xc3\\xa9\\r\\n") == "café\\n"
    True
    >>> decode_text(b"caf\\xe9\\r") == "café\\n"
    True
    """
    text = decode_bytes(data, name=name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_gutenberg(text: str) -> str:
    """The text between the ``*** START OF`` and ``*** END OF`` marker lines.

    A missing start marker keeps the beginning and a missing end marker keeps
    the end, so text without markers comes back unchanged (apart from leading
    and trailing blank lines). When a marker was found, credit paragraphs at
    the start and end of the body go too (see :func:`strip_credits`).
    """
    start = _START.search(text)
    if start is None:
        legacy, first_end = _SMALL_PRINT_END.search(text), _END.search(text)
        if legacy and (first_end is None or legacy.start() < first_end.start()):
            start = legacy
    body_from = start.end() if start else 0
    end = _END.search(text, body_from)
    body = text[body_from : end.start() if end else len(text)]
    if start is not None or end is not None:
        body = strip_credits(body)
    return trim_blank_lines(body)


def strip_credits(body: str) -> str:
    """Drop producer-credit paragraphs at the start and the end of a Gutenberg body.

    A paragraph (a run of non-blank lines) is a credit when it is at most
    :data:`MAX_CREDIT_LINES` lines long and opens like ``Produced by``,
    ``This eBook was produced by``, ``E-text prepared by``, ``Transcribed
    from the 1865 edition by`` or ``Note: Project Gutenberg also has an HTML
    version``. Only the paragraphs at the two edges are looked at, and the
    first one that is not a credit stops the search, so the same words inside
    the book are never touched. Transcriber's notes are kept: they run to any
    length and often explain or correct the text itself.

    >>> strip_credits("Produced by A. Volunteer and the Online\\nDistributed Proofreaders\\n\\nCHAPTER I\\n")
    'CHAPTER I\\n'
    """
    paragraphs = list(_PARAGRAPH.finditer(body))
    first, last = 0, len(paragraphs)
    while first < last and _is_credit(paragraphs[first].group()):
        first += 1
    while last > first and _is_credit(paragraphs[last - 1].group()):
        last -= 1
    if (first, last) == (0, len(paragraphs)):
        return body
    if first == last:
        return ""
    return body[paragraphs[first].start() : paragraphs[last - 1].end()] + "\n"


def _is_credit(paragraph: str) -> bool:
    lines = paragraph.split("\n")
    return len(lines) <= MAX_CREDIT_LINES and _CREDIT.match(lines[0]) is not None


def trim_blank_lines(text: str) -> str:
    """Drop blank lines at both ends (keeping indentation), end with one ``\\n``."""
    text = re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()
    return text + "\n" if text else ""
