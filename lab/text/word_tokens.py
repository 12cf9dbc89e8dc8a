"""NLTK word tokens that keep what detokenization needs.

``NLTKWordTokenizer`` is destructive: its output does not say whether a
straight quote opened or closed a quotation (``'`` is also an apostrophe), it
splits a curly apostrophe off its clitic (``Don’t`` -> ``Don ’ t``), and it
leaves ``…`` on the word before it. A generator trained on such tokens can
only write back text a reader would not accept (``said Alice,' but``). So we
keep NLTK as the tokenizer and fix its output with what the source text says:

* every token is the text it came from (curly apostrophes stay: ``n’t``,
  ``’s``), with one exception: a quote character that can both open and
  close (``"``, ``'``, ``’``, ``”``) says which it did. Opening ones are marked with
  a leading backtick (``"`'"``; NLTK's own ``"``"`` for ``"``), closing ones
  are the plain character (NLTK's ``"''"`` for ``"``). The direction comes
  from the spacing around the quote in the source, which is exactly what the
  detokenizer must reproduce;
* the same holds for every mark whose spacing varies between languages and
  editions (dashes, guillemets, low quotes, ``…``, ``¡``/``¿``, note brackets;
  :data:`SPACED_MARKS`): its token says where the source had a space
  (``"`—`"`` for `` — ``, ``"—"`` for ``—``);
* ``…``, ``¡``, ``¿`` are tokens of their own, like NLTK's ``...``, so
  ``¡Ang`` and ``Ang`` share a vocabulary entry; a colon suffix stays in
  its word (``EU:n``, ``n:o``, ``XIII:s``);
* two quote characters in a row (``''Tis``, LaTeX's ``````...``''``) are two
  tokens: NLTK would read them as one ``"``.

Which tokens attach to their neighbours (the contract with
:mod:`lab.text.detokenize`) lives here too, so both sides read one table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from nltk.tokenize import NLTKWordTokenizer

__all__ = [
    "ATTACH_NEXT",
    "ATTACH_PREVIOUS",
    "OPEN_MARK",
    "SPACED_MARKS",
    "RoundTripWordTokenizer",
    "attaches_to_next",
    "attaches_to_previous",
    "quote_text",
    "spaced_form",
]

# The marker of an opening quote whose character could also close (``"`'"``),
# and of a space beside a mark of :data:`SPACED_MARKS` (``"`—`"``). NLTK pads
# every backtick into a token of its own, so it never makes these.
OPEN_MARK = "`"
_OPEN_DOUBLE = "``"  # NLTK's opening straight double quote
_CLOSE_DOUBLE = "''"  # NLTK's closing straight double quote
_AMBIGUOUS_QUOTES = frozenset({'"', "'", "’", "”"})

# The one table of spacing rules, read by the tokenizer and the detokenizer alike.
#
# Marks whose spacing is fixed in every language of the lesson:
# tokens written without a space before them (closing punctuation) ...
ATTACH_PREVIOUS = frozenset({",", ".", ";", ":", "!", "?", "%", ")", "}", ">", "”", "’", "'", "''"})
# ... and tokens written without a space after them (opening brackets and quotes).
ATTACH_NEXT = frozenset({"(", "{", "<", "`", "``", "$", "#"})
# Marks whose spacing varies by language, edition or use: the dash is spaced in
# Russian, Polish and Swedish ("Rzymie — odrzekł"), unspaced in English Gutenberg
# files ("joke--it"), opens a line of dialogue ("— Czekaj"); "»" opens and closes
# Swedish quotations (»den där»); „“ and ‚‘ close with “ ‘, which open in English;  # noqa: RUF003
# "¡" and "¿" open Spanish-style questions in Tagalog; "…" is spaced in Finnish
# ("olla ... milloin") and not in English; a note marker is glued ("куртку[11]").
# Such a token records its spacing in the source, as the quotes do: a backtick on a
# side means a space there, no backtick means glued ("`—`" spaced, "—" unspaced,
# "—`" glued before, "`«" glued after). A unit's edges count as glued.
SPACED_MARKS = frozenset(
    {"—", "–", "―", "«", "»", "„", "‚", "“", "‘", "¡", "¿", "…", "[", "]", "*", "&", "/"}
)
# Runs of dots or hyphens ("...", "----------") are such marks too.
_SPACED_RUN = re.compile(r"^(?:\.{2,}|-{2,})$")

# Closing marks that some editions space ("pardon ?", French-style): a leading
# backtick records the space before ("`?").
_SPACED_BEFORE = frozenset({"?", "!", ";", ":"})
# NLTK's clitics ("n't", "'s", "'ll", "'ye" of "d'ye", "'n" of "more'n"), either
# apostrophe, and old Tagalog's comma clitics (",i" for "ay", ",t" for "at": "co,i").
_ATTACHES_TO_PREVIOUS = re.compile(r"(?i)^(?:n['’]t|['’](?:s|m|d|ll|re|ve|ye|n)|,[^\W\d_]{1,2})$")
# A colon suffix ("EU:n", "n:o", "XIII:s", "12:ssa"): lower-case letters glued after a colon.
_COLON_SUFFIX = re.compile(r"^[^\W\d_]{1,6}$")


def _is_spaced_mark(mark: str) -> bool:
    return mark in SPACED_MARKS or bool(_SPACED_RUN.match(mark))


def spaced_form(mark: str, space_before: bool, space_after: bool) -> str:
    """The token of a :data:`SPACED_MARKS` mark with the spacing it has in the source.

    >>> spaced_form("—", True, True), spaced_form("—", False, False), spaced_form("«", True, False)
    ('`—`', '—', '`«')
    """
    return (OPEN_MARK if space_before else "") + mark + (OPEN_MARK if space_after else "")


def _spacing(token: str) -> tuple[str, bool, bool] | None:
    """``(mark, space before, space after)`` of a spaced-mark token, else ``None``."""
    before = token.startswith(OPEN_MARK) and len(token) > 1
    mark = token[1:] if before else token
    after = mark.endswith(OPEN_MARK) and len(mark) > 1
    mark = mark[:-1] if after else mark
    if mark and _is_spaced_mark(mark) and OPEN_MARK not in mark:
        return mark, before, after
    return None


def attaches_to_previous(token: str) -> bool:
    """Whether ``token`` is written right after the token before it, unspaced."""
    spacing = _spacing(token)
    if spacing is not None:
        return not spacing[1]
    if token[:1] == OPEN_MARK and token[1:] in _SPACED_BEFORE:
        return False
    return token in ATTACH_PREVIOUS or bool(_ATTACHES_TO_PREVIOUS.match(token))


def attaches_to_next(token: str) -> bool:
    """Whether the token after ``token`` is written right after it, unspaced."""
    spacing = _spacing(token)
    if spacing is not None:
        return not spacing[2]
    return token in ATTACH_NEXT or (
        len(token) == 2 and token[0] == OPEN_MARK and token[1] in _AMBIGUOUS_QUOTES
    )


def quote_text(token: str) -> str:
    """The text a token stands for: the token itself, but for the quotes and spaced marks."""
    if token in (_OPEN_DOUBLE, _CLOSE_DOUBLE):
        return '"'
    if len(token) == 2 and token[0] == OPEN_MARK and token[1] in _AMBIGUOUS_QUOTES:
        return token[1]
    spacing = _spacing(token)
    if spacing is not None:
        return spacing[0]
    return token[1:] if token[:1] == OPEN_MARK and token[1:] in _SPACED_BEFORE else token


class RoundTripWordTokenizer(NLTKWordTokenizer):
    """``NLTKWordTokenizer`` whose tokens are their source text, quotes marked open or
    closed, marks of varying spacing marked with their spacing (:data:`SPACED_MARKS`).

    >>> RoundTripWordTokenizer().tokenize("'Don’t,' said Alice, \\"no…\\"")
    ["`'", 'Do', 'n’t', ',', "'", 'said', 'Alice', ',', '``', 'no', '…', "''"]
    """

    # NLTK leaves "…" on the word before it ("now…"), and "¡", "¿" and the low
    # single quote on the word after it ("¡Ang"): pad them like "...".
    PUNCTUATION: ClassVar[list[tuple[re.Pattern[str], str]]] = [
        *NLTKWordTokenizer.PUNCTUATION,
        (re.compile("[…¡¿‚]"), r" \g<0> "),
    ]

    def tokenize(
        self, text: str, convert_parentheses: bool = False, return_str: bool = False
    ) -> list[str]:
        # A curly apostrophe (U+2019) is read as a straight one so NLTK splits
        # its clitics ("n't", "'s") alike; the source character comes back from
        # the token's span.
        plain = text.replace("’", "'")
        nltk_tokens = super().tokenize(plain, convert_parentheses=False)
        tokens: list[str] = []
        ends: list[int] = []  # where each token's source ends (-1: unknown)
        for token, span in zip(nltk_tokens, _align(nltk_tokens, plain), strict=True):
            if span is None:  # NLTK rewrote it past recognition: keep NLTK's token
                tokens.append(token)
                ends.append(-1)
                continue
            start, end = span
            if text[start:end] in ("''", "``"):  # two single quotes ("''Tis so'"), or LaTeX's
                pieces = [(start, start + 1), (start + 1, end)]
            else:
                pieces = [(start, end)]
            for a, b in pieces:
                source = text[a:b]
                if _glued_suffix(text, tokens, ends, a, b, ":"):
                    tokens[-2:] = [tokens[-2] + tokens[-1] + source]
                    ends[-2:] = [b]
                    continue
                if _glued_suffix(text, tokens, ends, a, b, ",") and len(source) <= 2:
                    tokens[-1:] = ["," + source]
                    ends[-1:] = [b]
                    continue
                before = text[a - 1] if a else ""
                after = text[b] if b < len(text) else ""
                if source in _SPACED_BEFORE and before.isspace():
                    tokens.append(OPEN_MARK + source)
                    ends.append(b)
                    continue
                if source in _AMBIGUOUS_QUOTES:
                    previous = tokens[-1] if tokens else None
                    tokens.append(_quote_token(source, _opens(before, after, previous)))
                elif _is_spaced_mark(source):  # a unit's edges count as glued
                    tokens.append(spaced_form(source, before.isspace(), after.isspace()))
                else:
                    tokens.append(source)
                ends.append(b)
        return tokens


def _glued_suffix(text: str, tokens: list[str], ends: list[int], a: int, b: int, mark: str) -> bool:
    """Whether ``text[a:b]`` is a lower-case suffix glued by ``mark`` to the word before:
    a colon suffix ("EU" ":" "n" is "EU:n"; Finnish and Swedish inflect abbreviations
    and numbers so; also "http" ":" "//..."), or old Tagalog's "co,i"."""
    source = text[a:b]
    return (
        len(tokens) >= 2
        and tokens[-1] == mark
        and ends[-1] == a
        and ends[-2] == a - 1
        and tokens[-2][-1:].isalnum()
        and (
            (bool(_COLON_SUFFIX.match(source)) and (source.islower() or mark == ","))
            or (mark == ":" and source.startswith("//"))
        )
        and (b == len(text) or not text[b].isalnum())
    )


def _opens(before: str, after: str, previous: str | None) -> bool:
    """Whether a quote between ``before`` and ``after`` opens a quotation.

    A quote with space (or the sentence edge) before it and a word after it
    opens; one glued to the text before it closes. Glued on both sides
    (``pass--"you``, nested ``"'Tis``), it opens after an opening token.
    """
    space_before = not before or before.isspace()
    space_after = not after or after.isspace()
    if space_before != space_after:
        return space_before
    if not space_before:
        return previous is not None and attaches_to_next(previous)
    return previous is None  # a quote standing alone: opening only at the start


def _quote_token(char: str, opening: bool) -> str:
    if char == '"':
        return _OPEN_DOUBLE if opening else _CLOSE_DOUBLE
    return OPEN_MARK + char if opening else char


def _align(tokens: list[str], text: str) -> Iterator[tuple[int, int] | None]:
    """The span of each token in ``text`` (``None`` where it cannot be found).

    Like ``nltk.tokenize.util.align_tokens`` but lenient: NLTK writes a
    straight double quote as ``````/``''``, and a token it rewrote
    otherwise is skipped instead of failing the whole sentence.
    """
    cursor = 0
    for token in tokens:
        while cursor < len(text) and text[cursor].isspace():
            cursor += 1
        if text.startswith(token, cursor):
            yield cursor, cursor + len(token)
            cursor += len(token)
        elif token in (_OPEN_DOUBLE, _CLOSE_DOUBLE) and text.startswith('"', cursor):
            yield cursor, cursor + 1
            cursor += 1
        else:
            found = text.find(token, cursor)
            if found < 0:
                yield None
            else:
                yield found, found + len(token)
                cursor = found + len(token)
