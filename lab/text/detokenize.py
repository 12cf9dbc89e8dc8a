"""Word tokens back to text a reader would accept.

NLTK's ``TreebankWordDetokenizer`` works on the space-joined tokens with
regular expressions, and a regex cannot tell an opening ``'`` from a
closing one or an apostrophe: it glues opening quotes to the word before
(``said Alice,' but``) and spaces dashes out. Our tokens say which way every
quote faces (:mod:`lab.text.word_tokens`), so the space between two tokens is
decided token by token: none after an opening token, none before a closing
one. What the regexes do well, undoing NLTK's contraction splits (``can``
``not`` -> ``cannot``), is still NLTK's, inherited.
"""

from __future__ import annotations

from collections.abc import Sequence

from nltk.tokenize.treebank import TreebankWordDetokenizer

from lab.text.word_tokens import attaches_to_next, attaches_to_previous, quote_text

__all__ = ["RoundTripDetokenizer", "detokenize_sentence"]


class RoundTripDetokenizer(TreebankWordDetokenizer):
    """Joins :class:`~lab.text.word_tokens.RoundTripWordTokenizer` tokens into text.

    >>> RoundTripDetokenizer().detokenize(["`'", "Do", "n’t", ",", "'", "said", "Alice", "."])
    "'Don’t,' said Alice."
    """

    def tokenize(self, tokens: Sequence[str], convert_parentheses: bool = False) -> str:
        pieces: list[str] = []
        for i, token in enumerate(tokens):
            if i and not (attaches_to_next(tokens[i - 1]) or attaches_to_previous(token)):
                pieces.append(" ")
            pieces.append(quote_text(token))
        # NLTK's contraction patterns expect the padding its own detokenizer adds.
        text = " " + "".join(pieces) + " "
        for regexp in (*self.CONTRACTIONS3, *self.CONTRACTIONS2):
            text = regexp.sub(r"\1\2", text)
        return text.strip()

    def detokenize(self, tokens: Sequence[str], convert_parentheses: bool = False) -> str:
        return self.tokenize(tokens, convert_parentheses)


_DETOKENIZER = RoundTripDetokenizer()


def detokenize_sentence(tokens: Sequence[str]) -> str:
    """The text of one sentence's tokens (no ``<eos>`` or paragraph tokens in it)."""
    return _DETOKENIZER.detokenize(tokens)
