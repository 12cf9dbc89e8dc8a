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
* ``…`` is a token of its own, like NLTK's ``...``;
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
    "ATTACH_BOTH",
    "ATTACH_NEXT",
    "ATTACH_PREVIOUS",
    "OPEN_MARK",
    "RoundTripWordTokenizer",
    "attaches_to_next",
    "attaches_to_previous",
    "quote_text",
]

# The marker of an opening quote whose character could also close (``"`'"``).
# NLTK pads every backtick into a token of its own, so it never makes these.
OPEN_MARK = "`"
_OPEN_DOUBLE = "``"  # NLTK's opening straight double quote
_CLOSE_DOUBLE = "''"  # NLTK's closing straight double quote
_AMBIGUOUS_QUOTES = frozenset({'"', "'", "’", "”"})

# Tokens written without a space before them (closing punctuation and quotes).
ATTACH_PREVIOUS = frozenset(
    {",", ".", ";", ":", "!", "?", "%", ")", "]", "}", ">", "»", "”", "’", "'", "''", "…"}
)
# Tokens written without a space after them (opening brackets and quotes).
ATTACH_NEXT = frozenset({"(", "[", "{", "<", "«", "“", "‘", "„", "‚", "`", "``", "$", "#"})
# Tokens glued on both sides: the Gutenberg "--" and the em dash are written
# unspaced ("joke--it", "joke—it"); en dashes and hyphens standing alone stay spaced.
ATTACH_BOTH = frozenset({"--", "—", "―"})

# NLTK's clitics ("n't", "'s", "'ll", "'ye" of "d'ye", "'n" of "more'n"), either
# apostrophe, and runs of dots ("...", "....") that NLTK splits off the word before.
_ATTACHES_TO_PREVIOUS = re.compile(r"(?i)^(?:n['’]t|['’](?:s|m|d|ll|re|ve|ye|n)|\.{2,})$")


def attaches_to_previous(token: str) -> bool:
    """Whether ``token`` is written right after the token before it, unspaced."""
    return (
        token in ATTACH_PREVIOUS or token in ATTACH_BOTH or bool(_ATTACHES_TO_PREVIOUS.match(token))
    )


def attaches_to_next(token: str) -> bool:
    """Whether the token after ``token`` is written right after it, unspaced."""
    return (
        token in ATTACH_NEXT
        or token in ATTACH_BOTH
        or (len(token) == 2 and token[0] == OPEN_MARK and token[1] in _AMBIGUOUS_QUOTES)
    )


def quote_text(token: str) -> str:
    """The text a token stands for: the token itself, but for the direction-marked quotes."""
    if token in (_OPEN_DOUBLE, _CLOSE_DOUBLE):
        return '"'
    if len(token) == 2 and token[0] == OPEN_MARK and token[1] in _AMBIGUOUS_QUOTES:
        return token[1]
    return token


class RoundTripWordTokenizer(NLTKWordTokenizer):
    """``NLTKWordTokenizer`` whose tokens are their source text, quotes marked open or closed.

    >>> RoundTripWordTokenizer().tokenize("'Don’t,' said Alice, \\"no…\\"")
    ["`'", 'Do', 'n’t', ',', "'", 'said', 'Alice', ',', '``', 'no', '…', "''"]
    """

    # NLTK leaves "…" on the word before it ("now…"); pad it like "...".
    PUNCTUATION: ClassVar[list[tuple[re.Pattern[str], str]]] = [
        *NLTKWordTokenizer.PUNCTUATION,
        (re.compile("…"), r" \g<0> "),
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
        for token, span in zip(nltk_tokens, _align(nltk_tokens, plain), strict=True):
            if span is None:  # NLTK rewrote it past recognition: keep NLTK's token
                tokens.append(token)
                continue
            start, end = span
            if text[start:end] in ("''", "``"):  # two single quotes ("''Tis so'"), or LaTeX's
                pieces = [(start, start + 1), (start + 1, end)]
            else:
                pieces = [(start, end)]
            for a, b in pieces:
                source = text[a:b]
                if source in _AMBIGUOUS_QUOTES:
                    before = text[a - 1] if a else ""
                    after = text[b] if b < len(text) else ""
                    previous = tokens[-1] if tokens else None
                    tokens.append(_quote_token(source, _opens(before, after, previous)))
                else:
                    tokens.append(source)
        return tokens


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
