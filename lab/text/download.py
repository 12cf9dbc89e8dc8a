"""Downloading catalog corpora into the local cache, checked before anything is written.

A download is decoded, stripped of the Gutenberg header, licence and credits,
and checked against the known digests (:mod:`lab.text.digests`) *before*
anything is written; then the plain text and its digest record are cached,
each with an atomic rename, so the cache never holds a partial or refused
file. Nothing here touches the network unless :func:`fetch_corpus` is called.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from lab.errors import CorpusError, warn
from lab.storage.files import write_text_atomic
from lab.text.catalog import SHA256_PATTERN, CatalogEntry, load_catalog
from lab.text.digests import (
    NOT_VERIFIED,
    TRUST_ON_FIRST_USE,
    check_digests,
    new_record,
    read_record,
    record_path,
    sha256_hex,
    text_sha256,
    write_record,
)
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
    """Download catalog entry ``name``, check it, strip it, cache it; return the cache path.

    The download is kept when its raw or text digest is known (the catalog,
    or the record of an earlier fetch), or, when nothing is known about it, on
    trust with a one-line warning; either way its digests are recorded in
    ``<name>.sha256`` beside the text (see :mod:`lab.text.digests`).

    Args:
        url: download from here instead (a mirror, or a local server in tests).
        sha256: the raw or text digest the file must have; a mismatch is refused.
        verify: ``False`` keeps whatever arrives and records it (the way to
            accept a re-edition that differs from an earlier record).
        force: download again even if the text is already cached.

    >>> fetch_corpus("alice")  # doctest: +SKIP
    PosixPath('/home/me/.cache/textgen-lab/corpora/alice.txt')
    """
    entries = load_catalog() if catalog is None else catalog
    if name not in entries:
        raise CorpusError(f"unknown corpus {name!r}; choose one of: {', '.join(entries)}")
    entry = entries[name]
    target = cached_path(name, cache_dir)
    expected = (sha256 or "").lower() or None
    if expected is not None and not SHA256_PATTERN.fullmatch(expected):
        raise CorpusError(f"sha256 must be 64 hex digits, got {sha256!r}")
    if target.is_file() and not force:
        if expected is not None:  # the cached copy must be the one asked for, too
            _check_cached(target, expected)
        return target
    records = record_path(target)
    record = read_record(records) if verify and expected is None else None
    source = url or entry.url
    data = download_bytes(source, timeout=timeout)
    text = decode_text(data)
    text = strip_gutenberg(text) if entry.strip_gutenberg else trim_blank_lines(text)
    if not text.strip():
        raise CorpusError(f"corpus {name!r} downloaded from {source} is empty after stripping")
    raw_digest, body_digest = sha256_hex(data), text_sha256(text)
    how = NOT_VERIFIED
    if verify:
        how = check_digests(
            entry, source, raw_digest, body_digest, record=record, record_file=records,
            expected=expected,
        )  # fmt: skip
    write_text_atomic(target, text)
    write_record(records, new_record(entry, source, raw_digest, body_digest, how))
    if how == TRUST_ON_FIRST_USE:
        known = (
            "matches none of the catalog's digests (the file may have been re-issued)"
            if entry.has_digests
            else "has no known digest"
        )
        warn(
            f"{name!r} from {source} {known}; trusting it on first use: "
            f"raw sha256 {raw_digest}, text sha256 {body_digest}, recorded in {records}"
        )
    return target


def _check_cached(target: Path, expected: str) -> None:
    """Refuse a cached text whose recorded raw digest and text digest both differ from ``expected``."""
    try:
        record = read_record(record_path(target))
    except CorpusError:
        record = None
    known = {text_sha256(target.read_text(encoding="utf-8"))}
    if record is not None:
        known |= {record.raw_sha256, record.text_sha256}
    if expected not in known:
        raise CorpusError(
            f"the cached {target} does not have sha256 {expected}; "
            "pass --force to download it again"
        )


def download_bytes(url: str, *, timeout: float = 30.0, deadline: float = 300.0) -> bytes:
    """GET ``url`` (http/https only); errors are one line.

    ``timeout`` bounds each network wait, ``deadline`` the whole download (a
    server that drips a byte a second cannot hold a run for hours), and the
    size is capped. A body shorter than its ``Content-Length`` (a cut
    connection) and an HTML page (an error or login page served with status
    200) are refused: neither is the corpus.
    """
    if not url.startswith(("http://", "https://")):
        raise CorpusError(f"only http(s) downloads are supported, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "textgen-lab"})
    chunks: list[bytes] = []
    size = 0
    late = CorpusError(f"download from {url} took longer than {deadline:g} s")
    with _Deadline(deadline) as watch:
        try:
            with watch.opener().open(request, timeout=timeout) as response:
                expected = response.headers.get("Content-Length")
                content_type = response.headers.get("Content-Type", "")
                while chunk := response.read(64 * 1024):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise CorpusError(
                            f"download from {url} is larger than {MAX_DOWNLOAD_BYTES} bytes"
                        )
                    if watch.expired:
                        raise late
        except CorpusError:
            raise
        except Exception as exc:
            if watch.expired:  # the watchdog cut the connection: whatever broke, it was late
                raise late from None
            raise _download_error(url, exc) from exc
        if watch.expired:
            raise late
    data = b"".join(chunks)
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise CorpusError(
            f"download from {url} was cut short: {len(data):,} of {int(expected):,} bytes"
        )
    if "html" in content_type.lower() or _looks_like_html(data):
        raise CorpusError(f"{url} sent an HTML page, not a text corpus")
    return data


def _download_error(url: str, exc: Exception) -> CorpusError:
    if isinstance(exc, urllib.error.HTTPError):
        return CorpusError(f"download failed: HTTP {exc.code} {exc.reason} for {url}")
    if isinstance(exc, urllib.error.URLError):
        return CorpusError(f"download failed: {exc.reason} for {url}")
    if isinstance(exc, OSError | ValueError | http.client.HTTPException):
        return CorpusError(f"download failed: {exc} for {url}")  # timeouts, resets, bad URLs
    raise exc


class _Deadline:
    """A wall-clock limit on a whole download, however slowly the bytes arrive.

    A per-read timeout does not bound a server that sends a byte a second (each
    read waits less than the timeout), and checking the clock between reads
    does not either (one read of 64 KiB waits for all of them). So a timer
    shuts the connection's socket down when time is up, which ends any read at
    once; the connections are recorded as the opener makes them (redirects too).
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def opener(self) -> urllib.request.OpenerDirector:
        """A urllib opener whose connections this deadline can cut."""
        watch = self._watch

        class Connection(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                watch(self.sock)

        class SecureConnection(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                watch(self.sock)

        class Handler(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(Connection, req)

        class SecureHandler(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(SecureConnection, req, context=self._context)  # type: ignore[attr-defined]

        return urllib.request.build_opener(Handler, SecureHandler)


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]
