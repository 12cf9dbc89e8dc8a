"""NLTK's ``gutenberg`` package, fetched with NLTK's own downloader into the corpus cache.

On a fresh machine the catalog's books are best taken from NLTK's package:
its copies are the edition the lab's numbers were measured on, and NLTK's
downloader checks the archive's size and checksum against NLTK's index before
it unpacks anything (a bad package is refused and removed). Project Gutenberg's
own files, the other way in, are regenerated from time to time.

The package goes into ``<cache>/nltk_data`` (see
:func:`lab.text.download.default_cache_dir`), not ``~/nltk_data``: one folder
that ``--cache-dir`` and ``$TEXTGEN_LAB_CACHE`` control, so tests and CI can
isolate it and a user can delete it, and nothing lands where other tools look.

Which index: ``$TEXTGEN_LAB_NLTK_INDEX`` (or the ``index`` argument) is a URL
of an ``index.xml`` to use instead of NLTK's, or ``off`` to never use the
downloader; unset means NLTK's default index. NLTK refuses to fetch from
loopback and private addresses (its SSRF filter), so a mirror must be public;
the tests allow exactly 127.0.0.1 for their local server.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from pathlib import Path

from lab.errors import CorpusError, warn
from lab.text.download import default_cache_dir

INDEX_ENV = "TEXTGEN_LAB_NLTK_INDEX"
PACKAGE = "gutenberg"
_OFF = frozenset({"off", "none", "no", "0", "false"})


def nltk_index_url(index: str | None = None) -> str | None:
    """The index URL NLTK's downloader should use, or ``None`` when it is turned off.

    ``index`` wins over ``$TEXTGEN_LAB_NLTK_INDEX``; an empty value means
    NLTK's own index, ``off`` (``none``, ``no``, ``0``, ``false``) means never.

    >>> nltk_index_url("off") is None
    True
    >>> nltk_index_url("https://mirror.example/nltk_data/index.xml")
    'https://mirror.example/nltk_data/index.xml'
    """
    value = (os.environ.get(INDEX_ENV, "") if index is None else index).strip()
    if value.lower() in _OFF:
        return None
    if not value:
        import nltk.downloader

        default: str = nltk.downloader.Downloader.DEFAULT_URL
        return default
    if not value.startswith(("http://", "https://")):
        raise CorpusError(
            f"{INDEX_ENV} must be an http(s) URL of an index.xml or 'off', got {value!r}"
        )
    return value


def nltk_download_dir(cache_dir: Path | None = None) -> Path:
    """Where NLTK's downloader installs packages for us: ``<cache>/nltk_data``."""
    return (default_cache_dir() if cache_dir is None else Path(cache_dir)) / "nltk_data"


def read_downloaded(fileid: str, cache_dir: Path | None = None) -> tuple[str, Path] | None:
    """The raw text of ``fileid`` from the package in our cache and where it was, or ``None``.

    Read directly, not with NLTK's corpus reader: that reader only opens files
    under ``nltk.data.path``, and putting the cache there would change what
    every other NLTK user in the process sees. Latin-1, as NLTK reads these.
    """
    corpora = nltk_download_dir(cache_dir) / "corpora"
    path = corpora / PACKAGE / fileid
    if path.is_file():
        return path.read_bytes().decode("latin-1"), path
    archive = corpora / f"{PACKAGE}.zip"
    if not archive.is_file():
        return None
    try:
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(f"{PACKAGE}/{fileid}")
    except KeyError:
        return None
    except (OSError, zipfile.BadZipFile) as exc:
        raise CorpusError(f"cannot read {archive}: {exc}; delete it to download it again") from exc
    return data.decode("latin-1"), archive


def downloaded_fileids(cache_dir: Path | None = None) -> set[str]:
    """File ids in the package NLTK's downloader put in our cache (empty if none)."""
    corpora = nltk_download_dir(cache_dir) / "corpora"
    folder = corpora / PACKAGE
    if folder.is_dir():
        return {path.name for path in folder.glob("*.txt") if path.is_file()}
    try:
        with zipfile.ZipFile(corpora / f"{PACKAGE}.zip") as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return set()
    prefix = f"{PACKAGE}/"
    return {n.removeprefix(prefix) for n in names if n.startswith(prefix) and n.endswith(".txt")}


def download_package(cache_dir: Path | None = None, index: str | None = None) -> Path:
    """Install NLTK's ``gutenberg`` package into :func:`nltk_download_dir`; return that folder.

    ``index`` is an index URL or ``None`` for :func:`nltk_index_url`'s choice.
    Any failure (no network, a refused checksum, a broken index) is one
    :class:`CorpusError` line; NLTK's own warnings are repeated as one line each.
    """
    url = nltk_index_url(index)
    if url is None:
        raise CorpusError(f"NLTK's downloader is turned off ({INDEX_ENV}=off)")
    import nltk.data
    import nltk.downloader

    target = nltk_download_dir(cache_dir)
    errors = io.StringIO()  # NLTK prints its errors there; they come back in the exception
    downloader = nltk.downloader.Downloader(server_index_url=url)
    search_path = list(nltk.data.path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            installed = downloader.download(
                PACKAGE,
                download_dir=str(target),
                quiet=True,
                raise_on_error=True,
                print_error_to=errors,
            )
        except Exception as exc:  # ValueError for a refused package; OSError, parse errors...
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise CorpusError(
                f"NLTK's downloader did not install {PACKAGE!r} from {url}: {message}"
            ) from exc
        finally:
            # NLTK appends the download folder to nltk.data.path so that its own
            # sandbox lets it write there; take it off again, so the rest of the
            # process (and the lookup order in lab.text.corpora) sees the old path.
            nltk.data.path[:] = search_path
    for item in caught:
        warn(f"NLTK: {item.message}")
    if not installed:
        details = " ".join(errors.getvalue().split())
        raise CorpusError(f"NLTK's downloader did not install {PACKAGE!r} from {url}: {details}")
    return target
