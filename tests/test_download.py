"""The Gutenberg downloader, against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
from _corpus_server import Server, gutenberg_file, isolate_corpora, make_body

import lab.cli
from lab.errors import CorpusError
from lab.text.catalog import CatalogEntry
from lab.text.corpora import load_corpus
from lab.text.download import cached_path, fetch_corpus


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_corpora(tmp_path / "default-cache", monkeypatch)


def entry(
    server: Server, raw: bytes, *, sha256: str | None = "auto", strip: bool = True
) -> CatalogEntry:
    server.routes["/book.txt"] = raw
    digest = hashlib.sha256(raw).hexdigest() if sha256 == "auto" else sha256
    return CatalogEntry(
        name="book",
        title="A Test Book",
        author="Nobody",
        url=server.url("/book.txt"),
        sha256=digest,
        strip_gutenberg=strip,
    )


def test_download_verifies_strips_and_caches(server: Server, tmp_path: Path) -> None:
    body = make_body(1)
    book = entry(server, gutenberg_file(body))
    corpus = load_corpus("book", cache_dir=tmp_path, catalog={"book": book})
    assert corpus.source == f"download:{book.url}"
    assert corpus.text == body
    assert "Project Gutenberg" not in corpus.text and "\r" not in corpus.text
    assert not corpus.text.startswith("\ufeff")
    assert (tmp_path / "book.txt").read_text(encoding="utf-8") == body
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.sha256", "book.txt"]
    assert server.hits == {"/book.txt": 1}


def test_second_load_uses_cache_without_server(server: Server, tmp_path: Path) -> None:
    book = entry(server, gutenberg_file(make_body(2)))
    first = load_corpus("book", cache_dir=tmp_path, catalog={"book": book})
    server.close()
    second = load_corpus("book", cache_dir=tmp_path, catalog={"book": book}, allow_download=False)
    assert second.source == f"cache:{tmp_path / 'book.txt'}"
    assert second.text == first.text
    assert server.hits == {"/book.txt": 1}


def test_explicit_sha256_mismatch_leaves_no_cache_file(server: Server, tmp_path: Path) -> None:
    book = entry(server, gutenberg_file(make_body(3)))
    with pytest.raises(
        CorpusError, match=r"checksum mismatch.*expected abababababab\.\.\., got [0-9a-f]{12}"
    ):
        fetch_corpus("book", cache_dir=tmp_path, catalog={"book": book}, sha256="ab" * 32)
    assert list(tmp_path.iterdir()) == []


def test_download_disabled_raises_without_network(server: Server, tmp_path: Path) -> None:
    book = entry(server, gutenberg_file(make_body(4)))
    with pytest.raises(CorpusError, match="downloads are disabled"):
        load_corpus("book", cache_dir=tmp_path, catalog={"book": book}, allow_download=False)
    assert server.hits == {}


def test_explicit_digest_or_no_verify_for_an_entry_without_digests(
    server: Server, tmp_path: Path
) -> None:
    raw = gutenberg_file(make_body(5))
    catalog = {"book": entry(server, raw, sha256=None)}
    path = fetch_corpus(
        "book", cache_dir=tmp_path, catalog=catalog, sha256=hashlib.sha256(raw).hexdigest()
    )
    assert path == tmp_path / "book.txt"
    other = fetch_corpus("book", cache_dir=tmp_path / "other", catalog=catalog, verify=False)
    assert other.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_fetch_returns_cache_unless_forced(server: Server, tmp_path: Path) -> None:
    book = entry(server, gutenberg_file(make_body(6)))
    catalog = {"book": book}
    fetch_corpus("book", cache_dir=tmp_path, catalog=catalog)
    fetch_corpus("book", cache_dir=tmp_path, catalog=catalog)
    assert server.hits == {"/book.txt": 1}
    fetch_corpus("book", cache_dir=tmp_path, catalog=catalog, force=True)
    assert server.hits == {"/book.txt": 2}


def test_latin1_download_is_decoded(server: Server, tmp_path: Path) -> None:
    body = make_body(7)
    book = entry(server, gutenberg_file(body, encoding="latin-1"))
    assert load_corpus("book", cache_dir=tmp_path, catalog={"book": book}).text == body


def test_non_gutenberg_entry_is_not_stripped(server: Server, tmp_path: Path) -> None:
    raw = gutenberg_file(make_body(8))
    book = entry(server, raw, strip=False)
    text = load_corpus("book", cache_dir=tmp_path, catalog={"book": book}).text
    assert text.startswith("The Project Gutenberg EBook of A Test Book")
    assert "*** END OF THIS PROJECT GUTENBERG EBOOK" in text


def test_http_error_is_one_line_corpus_error(server: Server, tmp_path: Path) -> None:
    book = CatalogEntry(
        name="book", title="t", author="a", url=server.url("/missing.txt"), sha256="ab" * 32
    )
    with pytest.raises(CorpusError, match="HTTP 404") as info:
        fetch_corpus("book", cache_dir=tmp_path, catalog={"book": book})
    assert "\n" not in str(info.value)
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_unreachable_server_is_corpus_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    book = CatalogEntry(
        name="book", title="t", author="a", url=f"http://127.0.0.1:{port}/x.txt", sha256="ab" * 32
    )
    with pytest.raises(CorpusError, match="download failed"):
        fetch_corpus("book", cache_dir=tmp_path, catalog={"book": book}, timeout=5)


def test_unknown_name_lists_choices(tmp_path: Path) -> None:
    book = CatalogEntry(name="book", title="t", author="a", url="http://127.0.0.1:9/x.txt")
    with pytest.raises(CorpusError, match="unknown corpus 'nope'; choose one of: book"):
        fetch_corpus("nope", cache_dir=tmp_path, catalog={"book": book})


def test_cli_fetch_then_show_from_cache(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = make_body(9)
    raw = gutenberg_file(body)
    server.routes["/pg11.txt"] = raw
    cache = tmp_path / "cache"
    argv = ["corpus", "fetch", "alice", "--cache-dir", str(cache), "--url", server.url("/pg11.txt")]
    assert lab.cli.main([*argv, "--sha256", hashlib.sha256(raw).hexdigest()]) == 0
    assert f"fetched: alice -> {cache_path(cache)}" in capsys.readouterr().out
    assert (
        lab.cli.main(["corpus", "show", "alice", "--cache-dir", str(cache), "--no-download"]) == 0
    )
    out = capsys.readouterr().out
    assert f"source:  cache:{cache_path(cache)}" in out
    assert "Paragraph 0 café." in out
    assert lab.cli.main(["corpus", "list", "--cache-dir", str(cache)]) == 0
    assert any(
        line.split()[:2] == ["alice", "cache"] for line in capsys.readouterr().out.splitlines()
    )


def test_cli_refuses_a_file_that_differs_from_the_recorded_one(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/pg11.txt"] = gutenberg_file(make_body(10))
    cache = tmp_path / "cache"
    argv = ["corpus", "fetch", "alice", "--cache-dir", str(cache), "--url", server.url("/pg11.txt")]
    assert lab.cli.main(argv) == 0  # unknown to the catalog: trusted on first use
    first = cache_path(cache).read_text(encoding="utf-8")
    assert "trusting it on first use" in capsys.readouterr().err
    server.routes["/pg11.txt"] = gutenberg_file(make_body(11))
    assert lab.cli.main([*argv, "--force"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("textgen-lab: error: 'alice' from http://127.0.0.1:")
        and err.count("\n") == 1
    )
    assert "does not match the digest recorded on" in err and "--force --no-verify" in err
    assert cache_path(cache).read_text(encoding="utf-8") == first


def cache_path(cache: Path) -> Path:
    return cached_path("alice", cache)
