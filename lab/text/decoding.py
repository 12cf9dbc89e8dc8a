"""Bytes to text without guessing silently.

Real corpora arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM,
Latin-1 or Windows-1252 (older Gutenberg files, NLTK's copies), and sometimes
as something that is not text at all. Reading random bytes or a UTF-16 file
as Latin-1 never fails, which is exactly the problem: the model then trains
on NUL characters or mojibake (``cafÃ©``) and nobody is told. So:

* a BOM decides (UTF-8 or UTF-16);
* valid UTF-8 is UTF-8;
* UTF-8 with a few bad bytes (a stray byte in a UTF-8 book) is decoded as
  UTF-8, the bad bytes replaced, with a warning naming the first offset;
* otherwise Windows-1252 (Latin-1 where it has no character) if the result is
  plausibly text: no NUL bytes and almost no control characters;
* anything else is refused with one line.
"""

from __future__ import annotations

import codecs
import re

from lab.errors import CorpusError, warn

#: Share of bad bytes up to which a mostly-UTF-8 file is read as UTF-8 (with a warning).
MAX_BAD_UTF8 = 0.001
#: Share of control characters (other than tab, newline, carriage return, form feed)
#: above which a decoded file is not text.
MAX_CONTROL = 0.001
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\x80-\x9f]")
_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode_bytes(data: bytes, *, name: str = "the text") -> str:
    """``data`` as text, by the rules in the module docstring; line ends stay as they are."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name)
    try:
        return _plausible(data.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if _MULTIBYTE.search(data) and bad <= MAX_BAD_UTF8 * max(len(data), 1):
        warn(
            f"{name} is UTF-8 with {bad} invalid byte(s), the first at byte offset "
            f"{first_bad:,}; they were replaced with U+FFFD"
        )
        return _plausible(replaced, name)
    if b"\x00" in data:
        raise CorpusError(
            f"{name} is not text: it holds NUL bytes (binary, or UTF-16 without a BOM)"
        )
    try:
        text = data.decode("cp1252")  # Latin-1 plus curly quotes and dashes in 0x80-0x9f
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined: plain Latin-1
        text = data.decode("latin-1")
    return _plausible(text, name)


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return _plausible(data.decode(encoding), name)
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{name} starts with a {encoding.upper()} byte-order mark but byte {exc.start:,} "
            f"is not {encoding.upper()}"
        ) from None


def _plausible(text: str, name: str) -> str:
    """``text`` unless it is mostly control characters (binary data decoded as text)."""
    if "\x00" in text:
        raise CorpusError(f"{name} is not text: it holds NUL characters")
    controls = len(_CONTROL.findall(text[:1_000_000]))
    if controls > MAX_CONTROL * max(min(len(text), 1_000_000), 1):
        raise CorpusError(
            f"{name} is not text: {controls:,} control characters in its first "
            f"{min(len(text), 1_000_000):,} characters"
        )
    return text
