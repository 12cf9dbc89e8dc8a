"""``textgen-lab corpus``: list the catalog, inspect a corpus, fetch one into the cache.

Sub-commands::

    textgen-lab corpus list [--cache-dir DIR]
    textgen-lab corpus show SPEC [--cache-dir DIR] [--no-download] [--head N]
    textgen-lab corpus fetch NAME [--cache-dir DIR] [--url URL] [--sha256 HEX]
                                  [--no-verify] [--force]
    textgen-lab corpus digest FILE [--no-strip]

``list`` says how each entry would be obtained here (see :mod:`lab.text.corpora`);
``digest`` prints the two digests a catalog entry can pin (raw file, body text).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lab.errors import CorpusError, LabError
from lab.storage.files import read_regular_file
from lab.text.catalog import CatalogEntry, catalog_entries
from lab.text.corpora import load_corpus, nltk_gutenberg_fileids
from lab.text.digests import read_record, record_path, sha256_hex, text_sha256
from lab.text.download import cached_path, fetch_corpus
from lab.text.gutenberg import decode_text, strip_gutenberg
from lab.text.nltk_download import downloaded_fileids, nltk_index_url

#: Longest line ``corpus show`` prints (a file with no newlines is one huge line).
SHOW_WIDTH = 200


def register(subparsers: Any) -> None:
    """Add the ``corpus`` command and its ``list``/``show``/``fetch`` sub-commands."""
    parser = subparsers.add_parser(
        "corpus",
        help="list, inspect and download corpora",
        description="List the corpus catalog, inspect a corpus, or download one into the cache.",
    )
    actions = parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    cache_help = "corpus cache (default: $TEXTGEN_LAB_CACHE or ~/.cache/textgen-lab/corpora)"

    list_p = actions.add_parser("list", help="catalog entries and how each is obtained here")
    list_p.add_argument("--cache-dir", type=Path, default=None, help=cache_help)
    list_p.set_defaults(func=run_list)

    show_p = actions.add_parser("show", help="size, split and first lines of a corpus")
    show_p.add_argument("spec", help="file path, catalog name or NLTK Gutenberg file id")
    show_p.add_argument("--cache-dir", type=Path, default=None, help=cache_help)
    show_p.add_argument("--no-download", action="store_true", help="never go to the network")
    show_p.add_argument(
        "--head",
        type=_non_negative,
        default=8,
        metavar="N",
        help="first lines to print (default 8)",
    )
    show_p.set_defaults(func=run_show)

    fetch_p = actions.add_parser("fetch", help="download a catalog corpus, verify it and cache it")
    fetch_p.add_argument("name", help="catalog name (see: textgen-lab corpus list)")
    fetch_p.add_argument("--cache-dir", type=Path, default=None, help=cache_help)
    fetch_p.add_argument("--url", default=None, help="download from this URL instead (a mirror)")
    fetch_p.add_argument(
        "--sha256", default=None, help="SHA-256 the raw file or its text must have (else refused)"
    )
    fetch_p.add_argument(
        "--no-verify",
        action="store_true",
        help="keep whatever arrives and record its digests (accepts a re-issued file)",
    )
    fetch_p.add_argument("--force", action="store_true", help="download again even if cached")
    fetch_p.set_defaults(func=run_fetch)

    digest_p = actions.add_parser("digest", help="raw and text SHA-256 of a file, for the catalog")
    digest_p.add_argument("file", type=Path, help="a downloaded corpus file")
    digest_p.add_argument(
        "--no-strip", action="store_true", help="no Gutenberg stripping (for non-Gutenberg texts)"
    )
    digest_p.set_defaults(func=run_digest)


def run_list(args: argparse.Namespace) -> int:
    """Print one row per catalog entry with its local availability."""
    nltk_ids = set(nltk_gutenberg_fileids())
    downloaded = downloaded_fileids(args.cache_dir)
    nltk_on = nltk_index_url() is not None
    rows = [("NAME", "AVAILABLE", "TITLE")]
    for entry in catalog_entries():
        how = _availability(entry, nltk_ids, downloaded, nltk_on, args.cache_dir)
        rows.append((entry.name, how, _title(entry)))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, available, title in rows:
        print(f"{name:<{widths[0]}}  {available:<{widths[1]}}  {title}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print where a corpus came from, its size, its split and its first lines."""
    corpus = load_corpus(
        args.spec,
        cache_dir=args.cache_dir,
        allow_download=not args.no_download,
        start_after=getattr(args, "start_after", None),
        end_before=getattr(args, "end_before", None),
    )
    text = corpus.text
    print(f"corpus:  {corpus.name}")
    print(f"source:  {corpus.source}")
    print(
        f"size:    {len(text):,} chars, {text.count(chr(10)):,} lines, {len(text.split()):,} words"
    )
    try:
        parts = corpus.split()
    except LabError as exc:
        print(f"split:   not possible ({exc})")
    else:
        sizes = ", ".join(
            f"{label} {len(part):,} chars / {len(part.split()):,} words"
            for label, part in (
                ("train", parts.train),
                ("valid", parts.valid),
                ("test", parts.test),
            )
        )
        print(f"split:   {sizes}")
    if args.head:
        print("first lines:")
        for line in text.splitlines()[: args.head]:
            print(f"  | {line if len(line) <= SHOW_WIDTH else line[:SHOW_WIDTH] + ' [...]'}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Download, verify, strip and cache one catalog corpus."""
    path = cached_path(args.name, args.cache_dir)
    was_cached = path.is_file() and not args.force
    path = fetch_corpus(
        args.name,
        cache_dir=args.cache_dir,
        url=args.url,
        sha256=args.sha256,
        verify=not args.no_verify,
        force=args.force,
    )
    chars = len(path.read_text(encoding="utf-8"))
    status = "already cached" if was_cached else "fetched"
    print(f"{status}: {args.name} -> {path} ({chars:,} chars)")
    try:
        record = read_record(record_path(path))
    except CorpusError:
        record = None  # a damaged record is reported by the next fetch that needs it
    if record is not None:
        print(f"accepted on {record.fetched} by: {record.verified_by}")
    return 0


def run_digest(args: argparse.Namespace) -> int:
    """Print the raw-file and text SHA-256 of a file, as the catalog and records use them."""
    data = read_regular_file(args.file, error=CorpusError)
    text = decode_text(data)
    text = text if args.no_strip else strip_gutenberg(text)
    print(f"sha256:      {sha256_hex(data)}  (raw file, {len(data):,} bytes)")
    print(f"text_sha256: {text_sha256(text)}  ({len(text):,} chars after decoding and stripping)")
    return 0


def _availability(
    entry: CatalogEntry,
    nltk_ids: set[str],
    downloaded: set[str],
    nltk_on: bool,
    cache_dir: Path | None,
) -> str:
    """The first way :func:`load_corpus` would get the entry here (see lab.text.corpora)."""
    fileid = entry.nltk_fileid
    if fileid and fileid in nltk_ids:
        return f"nltk ({fileid})"
    if fileid and fileid in downloaded:
        return f"nltk-download ({fileid}, cached)"
    cached = cached_path(entry.name, cache_dir)
    if cached.is_file():
        return "cache"
    kind = "gutenberg" if entry.gutenberg_id else "download"
    known = entry.has_digests or record_path(cached).is_file()
    routes = [f"{kind} ({'verified' if known else 'trust on first use'})"]
    if fileid and nltk_on:
        routes.insert(0, "nltk-download")
    return "not yet: " + ", else ".join(routes)


def _title(entry: CatalogEntry) -> str:
    return f"{entry.title}, {entry.author}"


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {number}")
    return number
