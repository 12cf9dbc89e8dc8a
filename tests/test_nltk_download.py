"""NLTK's downloader for catalog books, pointed at a local index on 127.0.0.1 (never the internet).

Each test builds a tiny ``gutenberg.zip`` and an ``index.xml`` describing it
the way NLTK's index does (size, unzipped size, MD5 and SHA-256), serves them
from a thread, and lets NLTK's SSRF filter through for exactly 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import socket
import zipfile
from pathlib import Path
from typing import Any

import nltk.data
import nltk.downloader
import pytest
from _corpus_server import Server, gutenberg_file, isolate_corpora, make_body

import lab.cli
from lab.errors import CorpusError
from lab.text.catalog import CatalogEntry
from lab.text.corpora import load_corpus
from lab.text.nltk_download import INDEX_ENV, download_package, nltk_index_url

ALICE = "[Alice's Adventures in Wonderland by Lewis Carroll 1865]\n\nCHAPTER I. Down the Rabbit-Hole\n\nAlice was beginning to get very tired of sitting by her sister. Caf\xe9.\n"
FILES = {"carroll-alice.txt": ALICE.encode("latin-1"), "README": b"Project Gutenberg Selections\n"}


def package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"gutenberg/{name}", data)
    return buffer.getvalue()


def index_xml(url: str, archive: bytes, files: dict[str, bytes], *, spoil: str = "") -> bytes:
    """NLTK's index format: one corpora package with its size, unzipped size and checksums."""
    md5, sha = hashlib.md5(archive).hexdigest(), hashlib.sha256(archive).hexdigest()
    if spoil == "checksum":  # the legacy MD5 index: no sha256_checksum, a wrong MD5
        attrs = f'checksum="{"0" * 32}"'
    else:
        attrs = f'checksum="{md5}" sha256_checksum="{"0" * 64 if spoil == "sha256" else sha}"'
    return (
        '<?xml version="1.0"?>\n<?xml-stylesheet href="index.xsl" type="text/xsl"?>\n<nltk_data>\n'
        '<packages>\n<package id="gutenberg" name="Project Gutenberg Selections" subdir="corpora"'
        f' url="{url}" size="{len(archive)}" unzipped_size="{sum(map(len, files.values()))}"'
        f' {attrs} unzip="1" license="public domain" />\n</packages>\n'
        "<collections />\n</nltk_data>\n"
    ).encode()


def serve(server: Server, files: dict[str, bytes] = FILES, *, spoil: str = "") -> str:
    archive = package(files)
    server.routes["/packages/corpora/gutenberg.zip"] = archive
    url = server.url("/packages/corpora/gutenberg.zip")
    server.routes["/index.xml"] = index_xml(url, archive, files, spoil=spoil)
    return server.url("/index.xml")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty NLTK data path and cache; NLTK may fetch from 127.0.0.1 and nowhere else new."""
    isolate_corpora(tmp_path / "cache", monkeypatch)
    pathsec = getattr(nltk, "pathsec", None)
    forbidden = getattr(pathsec, "_ip_is_forbidden", None)
    if forbidden is not None:  # NLTK refuses loopback (SSRF); our server is there
        loopback = ipaddress.ip_address("127.0.0.1")

        def allow_local_server(ip: Any) -> bool:
            return ip != loopback and bool(forbidden(ip))

        monkeypatch.setattr(pathsec, "_ip_is_forbidden", allow_local_server)


def catalog(server: Server, fileid: str = "carroll-alice.txt") -> dict[str, CatalogEntry]:
    entry = CatalogEntry(
        name="book", title="t", author="a", url=server.url("/book.txt"), nltk_fileid=fileid
    )
    return {"book": entry}


def installed(cache: Path) -> list[str]:
    root = cache / "nltk_data"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_catalog_book_comes_from_nltks_downloader_then_from_the_cache(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INDEX_ENV, serve(server))
    cache, books = tmp_path / "cache", catalog(server)
    corpus = load_corpus("book", cache_dir=cache, catalog=books)
    where = cache / "nltk_data" / "corpora" / "gutenberg" / "carroll-alice.txt"
    assert corpus.source == f"nltk-download:{where}"
    assert corpus.text == ALICE  # read as Latin-1, like NLTK
    assert server.hits == {"/index.xml": 1, "/packages/corpora/gutenberg.zip": 1}
    server.close()
    again = load_corpus("book", cache_dir=cache, catalog=books, allow_download=False)
    assert (again.source, again.text) == (corpus.source, ALICE)
    assert load_corpus("carroll-alice.txt", cache_dir=cache).source == corpus.source


def test_index_argument_wins_over_the_environment(server: Server, tmp_path: Path) -> None:
    index = serve(server)  # the conftest turns the downloader off through the environment
    corpus = load_corpus("book", cache_dir=tmp_path, catalog=catalog(server), nltk_index=index)
    assert corpus.source.startswith("nltk-download:")
    assert installed(tmp_path) == [
        "corpora",
        "corpora/gutenberg",
        "corpora/gutenberg.zip",
        "corpora/gutenberg/README",
        "corpora/gutenberg/carroll-alice.txt",
    ]
    assert nltk.data.path == [str(tmp_path / "no-nltk-data")]  # NLTK's addition taken off


@pytest.mark.parametrize("spoil", ["sha256", "checksum"])
def test_bad_checksum_is_refused_and_gutenberg_is_used(
    server: Server, tmp_path: Path, spoil: str, capsys: pytest.CaptureFixture[str]
) -> None:
    index = serve(server, spoil=spoil)
    server.routes["/book.txt"] = gutenberg_file(make_body(1))
    corpus = load_corpus("book", cache_dir=tmp_path, catalog=catalog(server), nltk_index=index)
    assert corpus.source == f"download:{server.url('/book.txt')}"
    assert corpus.text == make_body(1)
    assert installed(tmp_path) == ["corpora"]  # nothing of the refused package is left
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(
        "textgen-lab: warning: NLTK's downloader did not install 'gutenberg'"
    )
    mismatch = "sha256 mismatch" if spoil == "sha256" else "md5 mismatch"
    assert f"Integrity check failed for 'gutenberg': {mismatch}" in lines[0]
    assert f"downloading {server.url('/book.txt')} instead (TEXTGEN_LAB_NLTK_INDEX=off" in lines[0]
    assert "trusting it on first use" in lines[1] and len(lines) == 2


def test_package_without_the_file_falls_back_to_gutenberg(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = serve(server)
    server.routes["/book.txt"] = gutenberg_file(make_body(2))
    books = catalog(server, fileid="austen-emma.txt")
    corpus = load_corpus("book", cache_dir=tmp_path, catalog=books, nltk_index=index)
    assert corpus.source.startswith("download:")
    assert "NLTK's gutenberg package has no austen-emma.txt" in capsys.readouterr().err


def test_unreachable_index_falls_back_to_gutenberg(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server.routes["/book.txt"] = gutenberg_file(make_body(3))
    index = f"http://127.0.0.1:{port}/index.xml"
    corpus = load_corpus("book", cache_dir=tmp_path, catalog=catalog(server), nltk_index=index)
    assert corpus.source.startswith("download:")
    assert f"did not install 'gutenberg' from {index}" in capsys.readouterr().err


def test_downloader_off_or_downloads_disabled_never_ask_the_index(
    server: Server, tmp_path: Path
) -> None:
    serve(server)
    server.routes["/book.txt"] = gutenberg_file(make_body(4))
    assert load_corpus("book", cache_dir=tmp_path, catalog=catalog(server)).source.startswith(
        "download:"
    )  # TEXTGEN_LAB_NLTK_INDEX=off (the conftest)
    assert server.hits == {"/book.txt": 1}
    with pytest.raises(CorpusError, match="downloads are disabled"):
        load_corpus(
            "book", cache_dir=tmp_path / "other", catalog=catalog(server), allow_download=False
        )
    assert server.hits == {"/book.txt": 1}


def test_download_package_errors_are_one_line(server: Server, tmp_path: Path) -> None:
    server.routes["/index.xml"] = b"<nltk_data><packages><package id='gutenberg'"  # cut short
    with pytest.raises(CorpusError, match="did not install 'gutenberg'") as info:
        download_package(tmp_path, server.url("/index.xml"))
    assert "\n" not in str(info.value)
    with pytest.raises(CorpusError, match="turned off"):
        download_package(tmp_path, "off")


def test_nltk_index_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nltk_index_url() is None  # the conftest's "off"
    for off in ("none", "OFF", " 0 ", "false"):
        assert nltk_index_url(off) is None
    monkeypatch.delenv(INDEX_ENV)
    assert nltk_index_url() == nltk.downloader.Downloader.DEFAULT_URL
    monkeypatch.setenv(INDEX_ENV, "file:///etc/index.xml")
    with pytest.raises(CorpusError, match=f"{INDEX_ENV} must be an http"):
        nltk_index_url()


def test_without_the_switch_nothing_reaches_the_internet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the variable unset the real index and Gutenberg are tried, and the guard stops both."""
    monkeypatch.delenv(INDEX_ENV)
    with pytest.raises(CorpusError, match=r"download failed: .*tests must not use the network"):
        load_corpus("alice", cache_dir=tmp_path)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did not install 'gutenberg' from https://" in err


def test_cli_list_says_how_each_entry_is_obtained(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def rows() -> dict[str, str]:
        assert lab.cli.main(["corpus", "list"]) == 0
        lines = capsys.readouterr().out.splitlines()[1:]
        return {line.split()[0]: line for line in lines}

    listed = rows()  # downloader off
    assert "not yet: gutenberg (verified)" in listed["alice"]
    assert "not yet: gutenberg (trust on first use)" in listed["emma"]
    assert "not yet: download (verified)" in listed["tinyshakespeare"]
    monkeypatch.setenv(INDEX_ENV, serve(server))
    assert "not yet: nltk-download, else gutenberg (verified)" in rows()["alice"]
    load_corpus("alice", cache_dir=tmp_path / "cache")
    listed = rows()
    assert "nltk-download (carroll-alice.txt, cached)" in listed["alice"]
    assert "nltk-download, else gutenberg (trust on first use)" in listed["emma"]
