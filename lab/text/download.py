"""Downloading catalog corpora into the local cache, verified before anything is written.

A download is checked against its SHA-256 *before* anything is written, then
the Gutenberg header and licence footer are cut off and the plain text is
cached with an atomic rename: the cache never holds a partial or unverified
file. Nothing here touches the network unless :func:`fetch_corpus` is called.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from lab.errors import CorpusError
from lab.fileio import write_text_atomic
from lab.text.catalog import SHA256_PATTERN, CatalogEntry, load_catalog
from lab.text.gutenberg import decode_text, strip_gutenberg, trim_blank_lines

#: Refuse downloads larger than this: every catalog text is a few MB at most.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024


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
    if expected is not None and not SHA256_PATTERN.fullmatch(expected):
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
