"""Which downloads are kept: raw or text digest known, trust on first use, the record pins it.

Every file comes from a local HTTP server on 127.0.0.1 (never the internet).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from _corpus_server import Server, gutenberg_file, isolate_corpora, make_body, reissued_file

import lab.cli
from lab.errors import CorpusError
from lab.text.catalog import CatalogEntry
from lab.text.digests import NOT_VERIFIED, TRUST_ON_FIRST_USE, text_sha256
from lab.text.download import fetch_corpus
from lab.text.gutenberg import decode_text, strip_gutenberg


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_corpora(tmp_path / "default-cache", monkeypatch)


def book(
    server: Server, *, sha256: str | None = None, text: tuple[str, ...] = ()
) -> dict[str, CatalogEntry]:
    entry = CatalogEntry(
        name="book", title="A Test Book", author="Nobody", url=server.url("/book.txt"),
        sha256=sha256, text_sha256=text, gutenberg_id=99999,
    )  # fmt: skip
    return {"book": entry}


def fetch(
    catalog: dict[str, CatalogEntry], cache: Path, *, sha256: str | None = None, verify: bool = True
) -> str:
    path = fetch_corpus(
        "book", cache_dir=cache, catalog=catalog, force=True, sha256=sha256, verify=verify
    )
    return path.read_text(encoding="utf-8")


def record(cache: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((cache / "book.sha256").read_text(encoding="utf-8"))
    return data


def test_raw_digest_match_is_verified_quietly(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = gutenberg_file(make_body(1))
    server.routes["/book.txt"] = raw
    assert fetch(book(server, sha256=hashlib.sha256(raw).hexdigest()), tmp_path) == make_body(1)
    assert record(tmp_path)["verified_by"] == "the catalog's sha256 (raw file)"
    assert capsys.readouterr().err == ""


def test_reissued_file_passes_on_its_text_digest(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = make_body(2)
    old, new = gutenberg_file(body), reissued_file(body)
    catalog = book(
        server,
        sha256=hashlib.sha256(old).hexdigest(),
        text=(text_sha256(strip_gutenberg(decode_text(old))),),
    )
    server.routes["/book.txt"] = new
    assert fetch(catalog, tmp_path) == body  # credit line and new licence gone too
    saved = record(tmp_path)
    assert saved["verified_by"] == "the catalog's text_sha256 (body text)"
    assert saved["raw_sha256"] == hashlib.sha256(new).hexdigest() != catalog["book"].sha256
    assert capsys.readouterr().err == ""


def test_unknown_file_is_trusted_on_first_use_and_recorded(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = gutenberg_file(make_body(3))
    server.routes["/book.txt"] = raw
    assert fetch(book(server), tmp_path) == make_body(3)
    raw_digest, body_digest = hashlib.sha256(raw).hexdigest(), text_sha256(make_body(3))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("textgen-lab: warning: 'book' from http://")
    assert "has no known digest; trusting it on first use" in err
    assert f"raw sha256 {raw_digest}, text sha256 {body_digest}" in err
    assert str(tmp_path / "book.sha256") in err
    saved = record(tmp_path)
    assert saved["verified_by"] == TRUST_ON_FIRST_USE
    assert (saved["raw_sha256"], saved["text_sha256"]) == (raw_digest, body_digest)
    assert saved["url"] == server.url("/book.txt") and saved["name"] == "book"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", saved["fetched"])


def test_catalog_mismatch_is_trusted_with_a_reissue_hint(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/book.txt"] = gutenberg_file(make_body(4))
    assert fetch(book(server, sha256="ab" * 32, text=("cd" * 32,)), tmp_path) == make_body(4)
    err = capsys.readouterr().err
    assert "matches none of the catalog's digests (the file may have been re-issued)" in err
    assert record(tmp_path)["verified_by"] == TRUST_ON_FIRST_USE


def test_later_fetches_are_checked_against_the_record(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = book(server)
    server.routes["/book.txt"] = gutenberg_file(make_body(5))
    fetch(catalog, tmp_path)
    first = record(tmp_path)
    server.routes["/book.txt"] = reissued_file(make_body(5))  # same body, new header
    assert fetch(catalog, tmp_path) == make_body(5)
    assert record(tmp_path)["verified_by"] == f"the digest recorded on {first['fetched'][:10]}"
    capsys.readouterr()
    server.routes["/book.txt"] = gutenberg_file(make_body(6))  # another text
    with pytest.raises(CorpusError) as info:
        fetch(catalog, tmp_path)
    message = str(info.value)
    assert "\n" not in message and "does not match the digest recorded on" in message
    assert (
        f"text {first['text_sha256'][:12]}..., got {text_sha256(make_body(6))[:12]}..." in message
    )
    assert (tmp_path / "book.txt").read_text(encoding="utf-8") == make_body(5)
    assert record(tmp_path)["text_sha256"] == first["text_sha256"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.sha256", "book.txt"]


def test_no_verify_accepts_and_records_a_new_edition(server: Server, tmp_path: Path) -> None:
    catalog = book(server)
    server.routes["/book.txt"] = gutenberg_file(make_body(7))
    fetch(catalog, tmp_path)
    server.routes["/book.txt"] = gutenberg_file(make_body(8))
    with pytest.raises(CorpusError, match="does not match the digest recorded"):
        fetch(catalog, tmp_path)
    assert fetch(catalog, tmp_path, verify=False) == make_body(8)
    assert record(tmp_path)["verified_by"] == NOT_VERIFIED
    assert fetch(catalog, tmp_path) == make_body(8)  # the new record pins the new text


def test_explicit_digest_may_be_raw_or_text_and_beats_the_record(
    server: Server, tmp_path: Path
) -> None:
    catalog = book(server)
    server.routes["/book.txt"] = gutenberg_file(make_body(9))
    fetch(catalog, tmp_path)
    new = reissued_file(make_body(10))
    server.routes["/book.txt"] = new
    assert fetch(catalog, tmp_path, sha256=text_sha256(make_body(10))) == make_body(10)
    assert fetch(catalog, tmp_path, sha256=hashlib.sha256(new).hexdigest().upper()) == make_body(10)
    assert record(tmp_path)["verified_by"] == "the --sha256 digest"
    with pytest.raises(CorpusError, match="sha256 must be 64 hex digits"):
        fetch(catalog, tmp_path, sha256="xyz")


def test_damaged_record_is_one_line_error(server: Server, tmp_path: Path) -> None:
    server.routes["/book.txt"] = gutenberg_file(make_body(11))
    tmp_path.joinpath("book.sha256").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"cannot read the digest record .*book\.sha256") as info:
        fetch(book(server), tmp_path)
    assert "\n" not in str(info.value) and not (tmp_path / "book.txt").exists()
    assert fetch(book(server), tmp_path, verify=False) == make_body(11)  # the way out


def test_cli_digest_prints_what_the_catalog_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = reissued_file(make_body(12))
    path = tmp_path / "pg99999.txt"
    path.write_bytes(raw)
    assert lab.cli.main(["corpus", "digest", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"sha256:      {hashlib.sha256(raw).hexdigest()}  (raw file, {len(raw):,} bytes)" in out
    assert f"text_sha256: {text_sha256(make_body(12))}  (" in out
    assert lab.cli.main(["corpus", "digest", str(tmp_path / "missing.txt")]) == 2
    assert capsys.readouterr().err.startswith("textgen-lab: error: cannot read ")
