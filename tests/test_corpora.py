"""Corpus naming, decoding, Gutenberg stripping, catalog, split and ``textgen-lab corpus``."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import nltk.data
import pytest
from _prose import prose

import lab.cli
from lab.errors import CorpusError
from lab.text.catalog import CatalogEntry, catalog_entries, load_catalog
from lab.text.corpora import Corpus, load_corpus
from lab.text.download import default_cache_dir
from lab.text.gutenberg import decode_text, strip_gutenberg


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real cache or NLTK data; the fake NLTK data root is returned (empty until filled)."""
    monkeypatch.setenv("TEXTGEN_LAB_CACHE", str(tmp_path / "cache"))
    nltk_root = tmp_path / "nltk_data"
    monkeypatch.setattr(nltk.data, "path", [str(nltk_root)])
    monkeypatch.setattr(lab.cli, "COMMAND_MODULES", ("lab.cli.corpus",))
    return nltk_root


# --- decoding and stripping -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfhello\r\nworld\r\n", "hello\nworld\n"),  # BOM + CRLF
        (b"old\rmac\r", "old\nmac\n"),  # lone CR
        (b"caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d\n", "café “q”\n"),  # UTF-8 kept
        (b"caf\xe9 na\xefve\r\n", "café naïve\n"),  # not UTF-8: Latin-1
    ],
)
def test_decode_text(data: bytes, text: str) -> None:
    assert decode_text(data) == text


BODY = "CHAPTER I.\n\nAlice was here.\n\n    An indented verse line.\n"


@pytest.mark.parametrize(
    ("header", "footer"),
    [
        (
            "*** START OF THIS PROJECT GUTENBERG EBOOK X ***",
            "*** END OF THIS PROJECT GUTENBERG EBOOK X ***",
        ),
        (
            "*** START OF THE PROJECT GUTENBERG EBOOK X ***",
            "*** END OF THE PROJECT GUTENBERG EBOOK X ***",
        ),
        ("***START OF THE PROJECT GUTENBERG ETEXT X***", "End of The Project Gutenberg Etext of X"),
        (
            "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*",
            "End of Project Gutenberg's X",
        ),
    ],
)
def test_strip_gutenberg_marker_variants(header: str, footer: str) -> None:
    raw = f"Project Gutenberg's X, by Y\n\nlegal words\n{header}\n\n\n{BODY}\n\n"
    raw += f"{footer}\n\nlicence words\n"
    assert strip_gutenberg(raw) == BODY


def test_strip_gutenberg_without_markers_keeps_text() -> None:
    assert strip_gutenberg("\n\n" + BODY + "\n\n") == BODY


def test_small_print_in_footer_does_not_eat_the_body() -> None:
    raw = f"{BODY}\nEnd of Project Gutenberg's X\n\n"
    raw += "*END THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*END*\n"
    assert strip_gutenberg(raw) == BODY


# --- loading ----------------------------------------------------------------


def test_load_raw_gutenberg_file(tmp_path: Path) -> None:
    raw = (
        f"The Project Gutenberg EBook of X\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n{BODY}"
    )
    raw += "*** END OF THIS PROJECT GUTENBERG EBOOK X ***\nlicence\n"
    path = tmp_path / "raw book.txt"
    path.write_bytes(b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode())
    corpus = load_corpus(str(path))
    assert corpus == Corpus("raw book", BODY, f"file:{path.resolve()}")


def test_load_latin1_file_from_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "book.txt").write_bytes("Ça va, naïve café.\r\n".encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    corpus = load_corpus("book.txt")
    assert corpus.text == "Ça va, naïve café.\n"
    assert corpus.source.startswith("file:")


@pytest.mark.parametrize("content", [None, b"", b"\xef\xbb\xbf \r\n\r\n"])
def test_missing_or_empty_file_is_corpus_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CorpusError, match="no such corpus file" if content is None else "is empty"):
        load_corpus(str(path))


def test_unknown_spec_lists_catalog_names() -> None:
    with pytest.raises(CorpusError, match=r"unknown corpus 'nope'.*alice.*tinyshakespeare"):
        load_corpus("nope")


def make_nltk_gutenberg(root: Path, files: dict[str, bytes], *, zipped: bool = False) -> None:
    corpora = root / "corpora"
    corpora.mkdir(parents=True)
    if zipped:
        with zipfile.ZipFile(corpora / "gutenberg.zip", "w") as zf:
            for name, data in files.items():
                zf.writestr(f"gutenberg/{name}", data)
    else:
        (corpora / "gutenberg").mkdir()
        for name, data in files.items():
            (corpora / "gutenberg" / name).write_bytes(data)


@pytest.mark.parametrize("zipped", [False, True])
def test_load_nltk_fileid_read_as_latin1(isolated: Path, zipped: bool) -> None:
    make_nltk_gutenberg(
        isolated,
        {"fake-book.txt": "[Fake 1900]\n\nNa\xefve caf\xe9.\n".encode("latin-1")},
        zipped=zipped,
    )
    corpus = load_corpus("fake-book.txt")
    assert corpus == Corpus("fake-book", "[Fake 1900]\n\nNaïve café.\n", "nltk:fake-book.txt")
    with pytest.raises(CorpusError, match=r"no file or NLTK Gutenberg file id 'other\.txt'"):
        load_corpus("other.txt")


def test_missing_nltk_data_is_explained() -> None:
    with pytest.raises(CorpusError, match="NLTK Gutenberg data not found"):
        load_corpus("carroll-alice.txt")


def test_catalog_name_prefers_nltk_then_cache(isolated: Path, tmp_path: Path) -> None:
    entry = CatalogEntry(
        name="book", title="t", author="a", url="http://127.0.0.1:9/b.txt", nltk_fileid="b.txt"
    )
    catalog = {"book": entry}
    cache = tmp_path / "mycache"
    cache.mkdir()
    (cache / "book.txt").write_text("cached text\n", encoding="utf-8")
    assert load_corpus("book", cache_dir=cache, catalog=catalog, allow_download=False).source == (
        f"cache:{cache / 'book.txt'}"
    )
    make_nltk_gutenberg(isolated, {"b.txt": b"nltk text\n"})
    corpus = load_corpus("book", cache_dir=cache, catalog=catalog, allow_download=False)
    assert (corpus.text, corpus.source) == ("nltk text\n", "nltk:b.txt")


def test_corpus_is_frozen_and_never_empty() -> None:
    corpus = Corpus("x", "text\n", "file:/x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        corpus.text = "other"  # type: ignore[misc]
    with pytest.raises(CorpusError, match="empty"):
        Corpus("x", " \n", "file:/x")


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("TEXTGEN_LAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "textgen-lab" / "corpora"


# --- catalog ----------------------------------------------------------------


def test_shipped_catalog() -> None:
    entries = {e.name: e for e in catalog_entries()}
    alice = entries["alice"]
    assert (alice.gutenberg_id, alice.nltk_fileid) == (11, "carroll-alice.txt")
    assert alice.url == "https://www.gutenberg.org/cache/epub/11/pg11.txt"
    assert alice.sha256 == "fbcaee1f2df4c5ec08aa77ff87eebf808851842aca5bccb40bf6673461ec2e97"
    assert alice.text_sha256 == (
        "fb0b75abae17b0de61b50a15f18d53cb76a83ffbfb40ff2df30d7e90c68a1d24",
    )
    assert entries["emma"].text_sha256 == () and not entries["emma"].has_digests
    assert entries["tinyshakespeare"].strip_gutenberg is False
    assert {"emma", "moby-dick", "hamlet"} <= set(entries)
    assert all(e.title and e.author and e.licence for e in entries.values())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "abc"}, "64 lower-case hex"),
        ({"text_sha256": ["AB" * 32]}, "text_sha256 must hold 64 lower-case hex"),
        ({"text_sha256": "ab" * 32}, "text_sha256 must be a list"),
        ({"url": "ftp://x"}, "http"),
        ({"name": "Bad Name"}, "bad catalog name"),
        ({"colour": 1}, "unknown keys"),
    ],
)
def test_bad_catalog_entries_are_rejected(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    item = {"name": "ok", "title": "t", "author": "a", "url": "https://example.org/x.txt", **change}
    path = tmp_path / "catalog.json"
    path.write_text(f'{{"corpora": [{json.dumps(item)}]}}', encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_catalog(path)


# --- CLI --------------------------------------------------------------------


def test_cli_show_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "story.txt"
    path.write_text("\n\n".join(prose(4, 50)) + "\n", encoding="utf-8")
    assert lab.cli.main(["corpus", "show", str(path), "--head", "2"]) == 0
    out = capsys.readouterr().out
    assert f"source:  file:{path.resolve()}" in out
    assert f"{len(path.read_text()):,} chars" in out
    assert "split:   train " in out
    assert "  | P0000" in out


def test_cli_list_marks_nltk_and_missing(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_nltk_gutenberg(isolated, {"carroll-alice.txt": b"Alice.\n"})
    assert lab.cli.main(["corpus", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "nltk (carroll-alice.txt)" in rows["alice"]
    assert "not yet" in rows["emma"]


def test_cli_errors_are_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert lab.cli.main(["corpus", "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("textgen-lab: error: unknown corpus 'nope'") and err.count("\n") == 1
    assert lab.cli.main(["corpus", "show", "alice", "--no-download"]) == 2
    assert "downloads are disabled" in capsys.readouterr().err
