"""Project Gutenberg files: decoding old encodings and cutting off the header and licence.

Nothing here touches the network; :mod:`lab.text.download` fetches the files.
"""

from __future__ import annotations

import re

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


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 (BOM dropped), else Latin-1; line endings become ``\\n``.

    Latin-1 is the fallback because it never fails and is what older
    Gutenberg files (and NLTK's copies of them) use.

    >>> decode_text(b"\\xef\\xbb\\xbfcaf\\xc3\\xa9\\r\\n") == "café\\n"
    True
    >>> decode_text(b"caf\\xe9\\r") == "café\\n"
    True
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_gutenberg(text: str) -> str:
    """The text between the ``*** START OF`` and ``*** END OF`` marker lines.

    A missing start marker keeps the beginning and a missing end marker keeps
    the end, so text without markers comes back unchanged (apart from leading
    and trailing blank lines).
    """
    start = _START.search(text)
    if start is None:
        legacy, first_end = _SMALL_PRINT_END.search(text), _END.search(text)
        if legacy and (first_end is None or legacy.start() < first_end.start()):
            start = legacy
    body_from = start.end() if start else 0
    end = _END.search(text, body_from)
    body = text[body_from : end.start() if end else len(text)]
    return trim_blank_lines(body)


def trim_blank_lines(text: str) -> str:
    """Drop blank lines at both ends (keeping indentation), end with one ``\\n``."""
    text = re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()
    return text + "\n" if text else ""
