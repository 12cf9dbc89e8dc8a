"""Project Gutenberg texts: the catalog, decoding, header stripping and the downloader.

The catalog (``corpora/catalog.json``) pins every downloadable text to a URL
and the SHA-256 of the raw file, so a lab run can say exactly which edition
it trained on. A download is verified *before* anything is written, then the
Gutenberg header and licence footer are cut off and the plain text is cached
with an atomic rename: the cache never holds a partial or unverified file.

Nothing here touches the network unless :func:`fetch_corpus` is called.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.errors import CorpusError
from lab.fileio import write_text_atomic

#: Refuse downloads larger than this: every catalog text is a few MB at most.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

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


@dataclass(frozen=True)
class CatalogEntry:
    """One named corpus: where to get it and how to check it is the right file.

    ``sha256`` is the digest of the raw downloaded bytes; ``None`` means no
    edition has been verified yet, so :func:`fetch_corpus` refuses to download
    it unless the caller supplies a digest or turns verification off.
    """

    name: str
    title: str
    author: str
    url: str
    sha256: str | None = None
    gutenberg_id: int | None = None
    nltk_fileid: str | None = None
    strip_gutenberg: bool = True
    licence: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.name):
            raise CorpusError(
                f"bad catalog name {self.name!r}: use lower-case letters, digits, - and _"
            )
        if not self.url.startswith(("http://", "https://")):
            raise CorpusError(f"catalog entry {self.name!r}: url must be http(s), got {self.url!r}")
        if self.sha256 is not None and not _SHA256.fullmatch(self.sha256):
            raise CorpusError(
                f"catalog entry {self.name!r}: sha256 must be 64 lower-case hex digits"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CatalogEntry:
        """Build an entry from its JSON object, rejecting unknown keys (typos)."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise CorpusError(f"catalog entry {data.get('name')!r}: unknown keys {sorted(unknown)}")
        return cls(**dict(data))


def catalog_path() -> Path:
    """Where ``catalog.json`` is: shipped inside the wheel, or in the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_corpora" / "catalog.json", here.parent / "corpora" / "catalog.json"):
        if candidate.is_file():
            return candidate
    raise CorpusError(
        f"corpus catalog not found (looked in {here / '_corpora'} and {here.parent / 'corpora'})"
    )


def load_catalog(path: Path | None = None) -> dict[str, CatalogEntry]:
    """Read the catalog into ``{name: entry}``, in file order."""
    path = catalog_path() if path is None else Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"cannot read corpus catalog {path}: {exc}") from exc
    entries = [CatalogEntry.from_dict(item) for item in raw.get("corpora", [])]
    return {entry.name: entry for entry in entries}


def catalog_entries() -> tuple[CatalogEntry, ...]:
    """Every entry of the shipped catalog, in file order."""
    return tuple(load_catalog().values())


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


def default_cache_dir() -> Path:
    """``$TEXTGEN_LAB_CACHE``, else ``$XDG_CACHE_HOME/textgen-lab/corpora`` (``~/.cache``)."""
    explicit = os.environ.get("TEXTGEN_LAB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "textgen-lab" / "corpora"


def cached_path(name: str, cache_dir: Path | None = None) -> Path:
    """Where the stripped text of catalog entry ``name`` is (or would be) cached."""
    return (default_cache_dir() if cache_dir is None else Path(cache_dir)) / f"{name}.txt"


def fetch_corpus(
    name: str,
    *,
    cache_dir: Path | None = None,
    catalog: Mapping[str, CatalogEntry] | None = None,
    url: str | None = None,
    sha256: str | None = None,
    verify: bool = True,
    force: bool = False,
    timeout: float = 30.0,
) -> Path:
    """Download catalog entry ``name``, verify it, strip it, cache it; return the cache path.

    Args:
        url: download from here instead (a mirror, or a local server in tests).
        sha256: expected digest of the raw file, overriding the catalog's.
        verify: ``False`` skips the checksum (needed for entries without one).
        force: download again even if the text is already cached.

    >>> fetch_corpus("alice")  # doctest: +SKIP
    PosixPath('/home/me/.cache/textgen-lab/corpora/alice.txt')
    """
    entries = load_catalog() if catalog is None else catalog
    if name not in entries:
        raise CorpusError(f"unknown corpus {name!r}; choose one of: {', '.join(entries)}")
    entry = entries[name]
    target = cached_path(name, cache_dir)
    if target.is_file() and not force:
        return target
    expected = (sha256 or entry.sha256 or "").lower() or None
    if verify and expected is None:
        raise CorpusError(
            f"corpus {name!r} has no verified checksum; pass --sha256 HEX "
            "(or --no-verify to trust the download)"
        )
    if expected is not None and not _SHA256.fullmatch(expected):
        raise CorpusError(f"sha256 must be 64 hex digits, got {expected!r}")
    source = url or entry.url
    data = download_bytes(source, timeout=timeout)
    actual = hashlib.sha256(data).hexdigest()
    if verify and actual != expected:
        raise CorpusError(
            f"checksum mismatch for {name!r} from {source}: "
            f"expected {expected[:12] if expected else '?'}..., got {actual[:12]}..."
        )
    text = decode_text(data)
    text = strip_gutenberg(text) if entry.strip_gutenberg else trim_blank_lines(text)
    if not text.strip():
        raise CorpusError(f"corpus {name!r} downloaded from {source} is empty after stripping")
    write_text_atomic(target, text)
    return target


def download_bytes(url: str, *, timeout: float = 30.0) -> bytes:
    """GET ``url`` (http/https only) with a timeout and a size cap; errors are one line."""
    if not url.startswith(("http://", "https://")):
        raise CorpusError(f"only http(s) downloads are supported, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "textgen-lab"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise CorpusError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from exc
    except urllib.error.URLError as exc:
        raise CorpusError(f"download failed: {exc.reason} for {url}") from exc
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        raise CorpusError(f"download failed: {exc} for {url}") from exc
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise CorpusError(f"download from {url} is larger than {MAX_DOWNLOAD_BYTES} bytes")
    return data
