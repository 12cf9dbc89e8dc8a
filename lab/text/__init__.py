"""The text layer: tokenizers, the vocabulary, corpora and where they come from.

Nothing here knows about models. :mod:`~lab.text.tokenizers` (word and character
tokenizers) and :mod:`~lab.text.vocabulary` turn text into ids;
:mod:`~lab.text.corpora` loads a corpus by path, catalog name or NLTK id, using
:mod:`~lab.text.catalog`, :mod:`~lab.text.nltk_download` (NLTK's downloader),
:mod:`~lab.text.download` (Gutenberg downloads), :mod:`~lab.text.digests`
(known digests, trust on first use) and :mod:`~lab.text.gutenberg`
(decoding and stripping); :mod:`~lab.text.splitting` cuts it into
train/valid/test; :mod:`~lab.text.synthetic` makes text of known entropy for tests.
"""
