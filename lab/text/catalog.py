"""The corpus catalog (``corpora/catalog.json``): named texts, their URLs and digests.

The catalog pins every downloadable text to a URL and to known digests: the
SHA-256 of the raw file, and of its stripped body text, so a lab run can say
which edition it trained on. The text digests are there because Project
Gutenberg regenerates its files (new header, dates and licence wording) while
the book stays the same: a re-edition fails the raw digest but passes the text
one. In a wheel the file ships as ``lab/_corpora/catalog.json``; in a source
checkout it is the top-level ``corpora/catalog.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.errors import CorpusError

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CatalogEntry:
    """One named corpus: where to get it and how to check it is the right file.

    ``sha256`` is the digest of the raw downloaded bytes (``None``: no raw file
    has been checked); ``text_sha256`` lists digests of the text after
    decoding, stripping and whitespace normalisation (see
    :func:`lab.text.digests.text_sha256`), one per known edition of the body.
    A download matching none of them is trusted on first use, with a warning,
    by :func:`lab.text.download.fetch_corpus`.
    """

    name: str
    title: str
    author: str
    url: str
    sha256: str | None = None
    text_sha256: tuple[str, ...] = ()
    gutenberg_id: int | None = None
    nltk_fileid: str | None = None
    strip_gutenberg: bool = True
    licence: str = ""
    #: The book's language (``en fi sv ru pl tl``): one book per language of the lesson.
    language: str = "en"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.name):
            raise CorpusError(
                f"bad catalog name {self.name!r}: use lower-case letters, digits, - and _"
            )
        if not self.url.startswith(("http://", "https://")):
            raise CorpusError(f"catalog entry {self.name!r}: url must be http(s), got {self.url!r}")
        if self.sha256 is not None and not SHA256_PATTERN.fullmatch(self.sha256):
            raise CorpusError(
                f"catalog entry {self.name!r}: sha256 must be 64 lower-case hex digits"
            )
        digests = () if self.text_sha256 is None else self.text_sha256
        if isinstance(digests, str) or not all(isinstance(d, str) for d in digests):
            raise CorpusError(f"catalog entry {self.name!r}: text_sha256 must be a list of digests")
        if not all(SHA256_PATTERN.fullmatch(d) for d in digests):
            raise CorpusError(
                f"catalog entry {self.name!r}: text_sha256 must hold 64 lower-case hex digits each"
            )
        object.__setattr__(self, "text_sha256", tuple(digests))  # a JSON list becomes a tuple

    @property
    def has_digests(self) -> bool:
        """Whether a download can be checked against a digest from the catalog."""
        return self.sha256 is not None or bool(self.text_sha256)

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
    package = Path(__file__).resolve().parent.parent  # lab/
    for candidate in (
        package / "_corpora" / "catalog.json",
        package.parent / "corpora" / "catalog.json",
    ):
        if candidate.is_file():
            return candidate
    raise CorpusError(
        f"corpus catalog not found (looked in {package / '_corpora'} and {package.parent / 'corpora'})"
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
