"""Checking a downloaded corpus against known digests, and trusting it on first use.

Project Gutenberg regenerates its plain-text files: the header, the dates and
the licence change while the book stays the same, so the SHA-256 of the raw
file pinned in the catalog goes stale. A download is therefore accepted when
either digest is known:

* the **raw** SHA-256 of the bytes served, or
* the **text** SHA-256 of the body after decoding, stripping the Gutenberg
  header, footer and credits, and normalising whitespace (:func:`text_sha256`).

Known digests come from the catalog entry and from the *record* written beside
the cached text (``<name>.sha256``) the first time the corpus was fetched.
When neither the catalog nor a record knows the file, it is trusted on first
use: accepted with a one-line warning naming its digests, and recorded, so a
later fetch that differs from it is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from lab.errors import CorpusError
from lab.storage.files import write_text_atomic
from lab.text.catalog import SHA256_PATTERN, CatalogEntry

#: What ``verified_by`` says when nothing vouched for the file.
TRUST_ON_FIRST_USE = "trust on first use"
NOT_VERIFIED = "not verified (--no-verify)"


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


def text_sha256(text: str) -> str:
    """SHA-256 of ``text`` with every run of whitespace made one space (UTF-8).

    Normalising whitespace makes the digest blind to line endings, a BOM,
    re-wrapped blank lines and trailing spaces, which re-editions change, but
    not to a changed word or punctuation mark.

    >>> text_sha256("Alice  was\\r\\n\\nhere.\\n") == text_sha256("Alice was here.")
    True
    """
    return sha256_hex(" ".join(text.split()).encode("utf-8"))


@dataclass(frozen=True)
class DigestRecord:
    """What was fetched for one corpus, kept beside its cached text as JSON.

    ``verified_by`` says why the file was accepted (a catalog digest, a
    recorded one, ``--sha256``, :data:`TRUST_ON_FIRST_USE` or
    :data:`NOT_VERIFIED`); ``fetched`` is the UTC time, ISO 8601.
    """

    name: str
    url: str
    raw_sha256: str
    text_sha256: str
    fetched: str
    verified_by: str


def record_path(text_path: Path) -> Path:
    """Where the digest record of the cached text ``text_path`` lives: ``<name>.sha256``."""
    return text_path.with_suffix(".sha256")


def read_record(path: Path) -> DigestRecord | None:
    """The record at ``path``, ``None`` if there is none; a damaged one is a one-line error."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = DigestRecord(**{key: str(data[key]) for key in DigestRecord.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(
            f"cannot read the digest record {path} ({exc}); delete it, "
            "or fetch again with --force --no-verify to write a new one"
        ) from exc
    if not (
        SHA256_PATTERN.fullmatch(record.raw_sha256) and SHA256_PATTERN.fullmatch(record.text_sha256)
    ):
        raise CorpusError(f"the digest record {path} holds a malformed digest; delete it")
    return record


def write_record(path: Path, record: DigestRecord) -> None:
    """Write ``record`` as JSON through a temporary file and one rename."""
    write_text_atomic(path, json.dumps({"format": 1, **asdict(record)}, indent=2) + "\n")


def new_record(
    entry: CatalogEntry, url: str, raw: str, text: str, verified_by: str
) -> DigestRecord:
    """A record for a download accepted just now."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return DigestRecord(entry.name, url, raw, text, now, verified_by)


def check_digests(
    entry: CatalogEntry,
    source: str,
    raw: str,
    text: str,
    *,
    record: DigestRecord | None,
    record_file: Path,
    expected: str | None = None,
) -> str:
    """Why a download with digests ``raw`` and ``text`` may be kept, or a :class:`CorpusError`.

    ``expected`` (``--sha256``) must match the raw or the text digest: an
    explicit pin is never relaxed. Otherwise the catalog's digests, then the
    record's, are tried; a file matching none is refused if a record exists
    (it was pinned on first use) and trusted on first use if not.
    """
    name = entry.name
    if expected is not None:
        if expected in (raw, text):
            return "the --sha256 digest"
        raise CorpusError(
            f"checksum mismatch for {name!r} from {source}: expected {expected[:12]}..., "
            f"got {raw[:12]}... (raw file) and {text[:12]}... (text)"
        )
    if entry.sha256 == raw:
        return "the catalog's sha256 (raw file)"
    if text in entry.text_sha256:
        return "the catalog's text_sha256 (body text)"
    if record is None:
        return TRUST_ON_FIRST_USE
    if raw == record.raw_sha256 or text == record.text_sha256:
        return f"the digest recorded on {record.fetched[:10]}"
    raise CorpusError(
        f"{name!r} from {source} does not match the digest recorded on {record.fetched[:10]} "
        f"in {record_file} (text {record.text_sha256[:12]}..., got {text[:12]}...); "
        f"if you trust the new file, run: textgen-lab corpus fetch {name} --force --no-verify"
    )
