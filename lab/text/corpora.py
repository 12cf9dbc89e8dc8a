"""Corpora by name: a file, a catalog entry or an NLTK Gutenberg file id, read as text.

A corpus spec is one of (checked in this order):

1. a path (anything with ``/`` or ``\\``, or starting with ``~`` or ``.``): read,
   decoded (UTF-8 with or without BOM, else Latin-1; CRLF to LF) and stripped
   of a Gutenberg header/footer when the marker lines are there;
2. a catalog name (``alice``, ``emma``, ``tinyshakespeare``...; see
   ``corpora/catalog.json``), from the first of:

   a. NLTK's copy, if the entry has an ``nltk_fileid``: on ``nltk.data.path``,
      else in the package NLTK's downloader put in our cache;
   b. the cached text of an earlier download;
   c. NLTK's ``gutenberg`` package, fetched with NLTK's downloader (which
      checks its checksum) into the cache, for entries with an ``nltk_fileid``
      (see :mod:`lab.text.nltk_download`; ``TEXTGEN_LAB_NLTK_INDEX=off`` skips it);
   d. a download from the entry's URL, checked against the known digests or
      trusted on first use (:func:`lab.text.download.fetch_corpus`).

   The cache comes before the network on purpose: a machine that has a copy
   never waits for a server, and keeps training on the edition it has.
3. an existing file in the current directory;
4. an NLTK Gutenberg file id such as ``carroll-alice.txt`` (installed, or
   downloaded into the cache by 2c): ``load_corpus("alice").source`` is
   ``'nltk:carroll-alice.txt'`` where NLTK's data is installed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lab.errors import CorpusError, warn
from lab.storage.files import read_regular_file
from lab.text.catalog import CatalogEntry, load_catalog
from lab.text.decoding import note
from lab.text.download import cached_path, fetch_corpus
from lab.text.edition import strip_edition
from lab.text.gutenberg import decode_text, strip_gutenberg
from lab.text.nltk_download import INDEX_ENV, download_package, nltk_index_url, read_downloaded
from lab.text.splitting import CorpusSplit, split_corpus

_NLTK_FILEID = re.compile(r"[A-Za-z0-9_.-]+\.txt")


#: How a pre-split folder's text is read by default: see :meth:`Corpus.text_defaults`.
PRESPLIT_TEXT: Mapping[str, Any] = MappingProxyType(
    {"pretokenized": True, "eos": "line", "min_freq": 1}
)


@dataclass(frozen=True)
class Corpus:
    """A loaded text and where it came from.

    ``name`` is short, for reports (the catalog name, file stem or NLTK id);
    ``text`` is decoded, with ``\\n`` line ends and no Gutenberg licence;
    ``source`` says where it was read (``nltk:`` and the file id,
    ``nltk-download:``, ``cache:`` or ``file:`` and the path, or ``download:``
    and the URL).
    """

    name: str
    text: str
    source: str
    #: The parts as given, for a pre-split corpus (a folder of train/valid/test files).
    parts: CorpusSplit | None = None
    #: What :func:`load_corpus` was asked for, made absolute for files and folders:
    #: passing it to ``load_corpus`` again, from anywhere, loads the same corpus.
    spec: str = field(default="", compare=False)  # how it was asked for, not what it is
    #: What was cut as edition matter (:class:`~lab.text.edition.EditionCut` descriptions).
    cuts: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise CorpusError(f"corpus {self.name!r} ({self.source}) is empty")

    def record(self) -> dict[str, str]:
        """What a run records about its corpus: the spec that loads it again, name, source."""
        return {"spec": self.spec or self.name, "name": self.name, "source": self.source}

    def text_defaults(self) -> dict[str, Any]:
        """Tokenizer settings this corpus is read with unless the user says otherwise.

        A pre-split folder is read as pytorch/examples' ``word_language_model`` reads
        it: tokens split on whitespace, ``<eos>`` at each line end, every token kept.
        That is the layout's convention, and it is what makes Penn Treebank's and
        WikiText-2's token counts those of the papers (re-tokenizing PTB with NLTK
        splits its tokens again: 82,861 test tokens instead of 82,430)."""
        return dict(PRESPLIT_TEXT) if self.parts is not None else {}

    def split(self) -> CorpusSplit:
        """The train/valid/test parts: as given for a pre-split corpus, else the
        deterministic contiguous split of :func:`~lab.text.splitting.split_corpus`."""
        return self.parts if self.parts is not None else split_corpus(self.text)


def load_corpus(
    spec: str = "alice",
    *,
    cache_dir: Path | None = None,
    allow_download: bool = True,
    catalog: Mapping[str, CatalogEntry] | None = None,
    nltk_index: str | None = None,
    start_after: str | None = None,
    end_before: str | None = None,
) -> Corpus:
    """Load a corpus by path, catalog name or NLTK Gutenberg file id (see the module doc).

    A file or a downloaded book also loses the edition matter
    :func:`~lab.text.edition.strip_edition` recognises (notes sections, library
    colophons, title blocks); ``start_after`` / ``end_before`` cut the text
    before the line holding one text and from the line holding the other, for
    any text corpus. Each cut is printed as a note and kept in ``cuts``.

    Args:
        cache_dir: where downloaded texts are cached (default: see
            :func:`lab.text.download.default_cache_dir`).
        allow_download: ``False`` raises :class:`CorpusError` instead of
            going to the network.
        catalog: use these entries instead of the shipped catalog.
        nltk_index: the NLTK index URL, or ``"off"``; ``None`` reads
            ``$TEXTGEN_LAB_NLTK_INDEX`` (see :func:`~lab.text.nltk_download.nltk_index_url`).
    """
    corpus = _load(spec, cache_dir, allow_download, catalog, nltk_index)
    where, _, path = corpus.source.partition(":")
    automatic = where in ("file", "cache", "download")  # NLTK's copies are clean already
    if corpus.parts is None and (automatic or start_after or end_before):
        corpus = _without_edition(corpus, automatic, start_after, end_before)
    return replace(corpus, spec=path if where in ("file", "dir") else spec)  # paths made absolute


def _without_edition(
    corpus: Corpus, automatic: bool, start_after: str | None, end_before: str | None
) -> Corpus:
    """``corpus`` without the user's cuts and (``automatic``) the edition matter found,
    every cut said in a note."""
    text, cuts = strip_edition(
        corpus.text, start_after=start_after, end_before=end_before, detect=automatic
    )
    described = tuple(c.describe() for c in cuts)
    for line in described:
        note(f"{corpus.name}: {line}")
    return replace(corpus, text=text, cuts=described)


def _load(
    spec: str,
    cache_dir: Path | None,
    allow_download: bool,
    catalog: Mapping[str, CatalogEntry] | None,
    nltk_index: str | None,
) -> Corpus:
    entries = load_catalog() if catalog is None else catalog
    if Path(spec).expanduser().is_dir():
        return _load_dir(Path(spec).expanduser())
    if "/" in spec or "\\" in spec or spec.startswith(("~", ".")):
        return _load_file(Path(spec).expanduser())
    if spec in entries:
        entry = entries[spec]
        return _load_entry(entry, cache_dir, allow_download, entries, nltk_index)
    if Path(spec).is_file():
        return _load_file(Path(spec))
    if _NLTK_FILEID.fullmatch(spec):
        corpus = _nltk_corpus(spec, spec.removesuffix(".txt"), cache_dir)
        if corpus is not None:
            return corpus
        hint = "" if nltk_gutenberg_fileids() else " (NLTK Gutenberg data not found: set NLTK_DATA)"
        raise CorpusError(f"no file or NLTK Gutenberg file id {spec!r}{hint}")
    raise CorpusError(
        f"unknown corpus {spec!r}: not a file, a catalog name ({', '.join(entries)}) "
        "or an NLTK Gutenberg file id like carroll-alice.txt"
    )


def _load_entry(
    entry: CatalogEntry,
    cache_dir: Path | None,
    allow_download: bool,
    catalog: Mapping[str, CatalogEntry],
    nltk_index: str | None,
) -> Corpus:
    fileid = entry.nltk_fileid
    corpus = _nltk_corpus(fileid, entry.name, cache_dir) if fileid else None
    if corpus is not None:
        return corpus
    path = cached_path(entry.name, cache_dir)
    if path.is_file():
        return Corpus(entry.name, _read_path(path), f"cache:{path}")
    if not allow_download:
        raise CorpusError(
            f"corpus {entry.name!r} is neither in the NLTK data nor cached at {path}, "
            f"and downloads are disabled (run: textgen-lab corpus fetch {entry.name})"
        )
    if fileid and nltk_index_url(nltk_index) is not None:
        try:
            download_package(cache_dir, nltk_index)
        except CorpusError as exc:
            warn(f"{exc}; downloading {entry.url} instead ({INDEX_ENV}=off skips this step)")
        else:
            corpus = _nltk_corpus(fileid, entry.name, cache_dir)
            if corpus is not None:
                return corpus
            warn(f"NLTK's gutenberg package has no {fileid}; downloading {entry.url} instead")
    path = fetch_corpus(entry.name, cache_dir=cache_dir, catalog=catalog)
    return Corpus(entry.name, _read_path(path), f"download:{entry.url}")


def _nltk_corpus(fileid: str, name: str, cache_dir: Path | None) -> Corpus | None:
    """NLTK's copy of ``fileid``: installed, else downloaded into our cache, else ``None``."""
    text = _read_nltk(fileid)
    if text is not None:
        return Corpus(name, text, f"nltk:{fileid}")
    found = read_downloaded(fileid, cache_dir)
    if found is None:
        return None
    raw, where = found
    return Corpus(name, _clean_nltk(raw), f"nltk-download:{where}")


#: File names of each part of a pre-split corpus folder, in the layouts people ship:
#: pytorch/examples (train.txt), PTB (ptb.train.txt), WikiText (wiki.train.tokens).
_PART_PATTERNS = ("{part}.txt", "*.{part}.txt", "*.{part}.tokens")


def _load_dir(path: Path) -> Corpus:
    """A folder holding the train, valid and test parts as separate files, used as given."""
    found: dict[str, str] = {}
    for part in ("train", "valid", "test"):
        matches = sorted(
            {m for pattern in _PART_PATTERNS for m in path.glob(pattern.format(part=part))}
        )
        if len(matches) != 1:
            names = ", ".join(p.format(part=part) for p in _PART_PATTERNS)
            problem = "no" if not matches else f"{len(matches)} candidate"
            raise CorpusError(
                f"{path}: {problem} {part} file ({names}) in a pre-split corpus folder"
            )
        found[part] = _read_path(matches[0])
        if not found[part].strip():
            raise CorpusError(f"{matches[0]} is empty")
    parts = CorpusSplit(found["train"], found["valid"], found["test"])
    text = found["train"] + found["valid"] + found["test"]
    return Corpus(path.resolve().name, text, f"dir:{path.resolve()}", parts=parts)


def _load_file(path: Path) -> Corpus:
    if not path.exists():  # a device or FIFO exists: read_regular_file says what it is
        raise CorpusError(f"no such corpus file: {path}")
    text = strip_gutenberg(_read_path(path))
    return Corpus(path.stem, text, f"file:{path.resolve()}")


def _read_path(path: Path) -> str:
    data = read_regular_file(path, what="corpus file", error=CorpusError)  # no devices, capped
    return decode_text(data, name=str(path))


def _nltk_reader() -> Any | None:
    """A fresh reader over the first ``corpora/gutenberg`` (dir or zip) on ``nltk.data.path``.

    Built here rather than using ``nltk.corpus.gutenberg``: that lazy loader
    fixes its root the first time it is touched, so later changes to
    ``nltk.data.path`` (tests, notebooks) would be ignored. Latin-1, as NLTK reads it.
    """
    try:
        import nltk.data
        from nltk.corpus.reader import PlaintextCorpusReader
    except ImportError:  # pragma: no cover - nltk is a dependency
        return None
    for resource in ("corpora/gutenberg", "corpora/gutenberg.zip/gutenberg/"):
        try:
            root = nltk.data.find(resource)
        except LookupError:
            continue
        return PlaintextCorpusReader(root, r"(?!\.).*\.txt", encoding="latin1")
    return None


def nltk_gutenberg_fileids() -> list[str]:
    """File ids of the installed NLTK Gutenberg corpus (empty if it is not installed)."""
    reader = _nltk_reader()
    return list(reader.fileids()) if reader is not None else []


def _read_nltk(fileid: str) -> str | None:
    reader = _nltk_reader()
    if reader is None or fileid not in reader.fileids():
        return None
    raw: str = reader.raw(fileid)
    return _clean_nltk(raw)


def _clean_nltk(raw: str) -> str:
    return strip_gutenberg(raw.replace("\r\n", "\n").replace("\r", "\n"))
