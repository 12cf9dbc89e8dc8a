"""Bytes to text without guessing silently.

Real corpora arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM, and
in the 8-bit encodings of older e-texts: Latin-1/Windows-1252 (English,
Finnish, Swedish, Tagalog Gutenberg files), ISO-8859-2/Windows-1250 (Polish),
Windows-1251/KOI8-R (Russian). Every byte is a character in most of these, so
any of them "decodes" any file, which is exactly the problem: a Russian book
read as Windows-1252 trains a model on ``Ðûáàê`` and nobody is told. So:

* a BOM decides (UTF-8 or UTF-16);
* valid UTF-8 is UTF-8;
* a mostly-UTF-8 file (more lines with valid non-ASCII UTF-8 than lines
  without) is UTF-8; its bad lines (a pasted Latin-1 paragraph) are decoded
  in the 8-bit encoding that reads them best, and reported by line;
* otherwise each 8-bit encoding of the lesson's languages decodes the file,
  and the one whose words are words of a lesson language wins
  (:mod:`lab.text.encodings`); a one-line note says which, and a warning
  says when none is convincing;
* anything that is not plausibly text (NUL bytes, control characters) is
  refused with one line.
"""

from __future__ import annotations

import codecs
import re
import sys

from lab.errors import CorpusError, warn
from lab.text.encodings import choose_encoding

#: Share of control characters (other than tab, newline, carriage return, form feed)
#: above which a decoded file is not text.
MAX_CONTROL = 0.001
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\x80-\x9f]")
#: Lines reported by name when a mostly-UTF-8 file has bad ones.
SHOWN_BAD_LINES = 3


def decode_bytes(data: bytes, *, name: str = "the text") -> str:
    """``data`` as text, by the rules in the module docstring; line ends stay as they are."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name)
    try:
        return _plausible(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise CorpusError(
            f"{name} is not text: it holds NUL bytes (binary, or UTF-16 without a BOM)"
        )
    lines = data.split(b"\n")
    decoded: list[str | None] = []
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(None)
    bad = [i for i, line in enumerate(decoded) if line is None]
    utf8_lines = sum(1 for line in decoded if line is not None and not line.isascii())
    if utf8_lines > len(bad):
        return _plausible(_mend_utf8(lines, decoded, bad, name), name)
    choice = choose_encoding(data)
    if choice.convincing:
        note(f"{name} is not UTF-8: read as {choice.describe()}")
    else:
        warn(
            f"{name} is not UTF-8, and no 8-bit encoding of the lesson's languages reads it "
            f"convincingly: read as {choice.describe()}; if the text looks wrong, convert it "
            "(iconv -f ENCODING -t UTF-8)"
        )
    return _plausible(choice.text, name)


def _mend_utf8(lines: list[bytes], decoded: list[str | None], bad: list[int], name: str) -> str:
    """The UTF-8 lines, mended, with one warning for each kind of damage.

    A bad line that also holds valid multi-byte UTF-8 has stray bytes: they are
    replaced with U+FFFD (the first named by byte offset). A bad line with no
    valid UTF-8 at all is in an 8-bit encoding (a pasted Latin-1 paragraph): it
    is decoded in the one that reads those lines best (the first few named by
    line number).
    """
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    stray_bytes, first_stray, eight_bit = 0, -1, []
    for i in bad:
        replaced = lines[i].decode("utf-8", errors="replace")
        if any(ord(c) > 127 and c != "\ufffd" for c in replaced):
            decoded[i] = replaced
            stray_bytes += replaced.count("\ufffd")
            if first_stray < 0:
                first_stray = offsets[i] + _first_bad_byte(lines[i])
        else:
            eight_bit.append(i)
    if stray_bytes:
        warn(
            f"{name} is UTF-8 with {stray_bytes} invalid byte(s), the first at byte offset "
            f"{first_stray:,}; they were replaced with U+FFFD"
        )
    if eight_bit:
        choice = choose_encoding(b"\n".join(lines[i] for i in eight_bit))
        for i in eight_bit:
            decoded[i] = lines[i].decode(choice.encoding, errors="replace")
        shown = ", ".join(
            f"{i + 1} ({(decoded[i] or '').strip()[:30]!r})" for i in eight_bit[:SHOWN_BAD_LINES]
        )
        more = (
            f" and {len(eight_bit) - SHOWN_BAD_LINES} more"
            if len(eight_bit) > SHOWN_BAD_LINES
            else ""
        )
        warn(
            f"{name} is UTF-8 but {len(eight_bit)} line(s) are not: line {shown}{more}; "
            f"they were read as {choice.encoding}"
        )
    return "\n".join(line or "" for line in decoded)


def _first_bad_byte(line: bytes) -> int:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def note(message: str) -> None:
    """Print ``textgen-lab: note: <message>`` on stderr, as one line: a choice the user
    should be able to see but that needs no action."""
    print(f"textgen-lab: note: {' '.join(message.split())}", file=sys.stderr)


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
