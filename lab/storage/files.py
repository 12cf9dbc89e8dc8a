"""Crash-safe file writing, bounded reading of the user's files, and file digests.

Every writer goes to a temporary file in the destination folder and then
``os.replace``s it, which is atomic on POSIX and Windows for one file. Every
reader of a user's file (a book, a pre-split part) goes through
:func:`read_regular_file`: only a regular file, never more than a stated cap,
because ``/dev/zero`` is a file name too and a FIFO never ends.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from lab.errors import LabError
from lab.limits import CORPUS_BYTES, limit

#: Free space below which a failed write is taken for a full disk (libraries that write
#: files themselves report ENOSPC in their own words: torch's "unexpected pos").
_NEARLY_FULL_BYTES = 1 << 20


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    write_with_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: Path, text: str) -> None:
    """UTF-8 text version of :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_with_atomic(path: Path, writer: Callable[[Path], object]) -> None:
    """Call ``writer(tmp_path)`` and move the result to ``path`` only if it succeeded.

    Useful for libraries that insist on writing a file themselves
    (``safetensors.torch.save_file``, ``torch.save``, ``matplotlib.savefig``).
    An ``OSError`` names ``path``, never the temporary file; a library's own
    error on a full disk is reported as the ``OSError`` it is.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            writer(tmp)
        except OSError:
            raise
        except Exception as exc:
            if _disk_full(tmp.parent, exc):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
            raise
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _naming(exc, path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_regular_file(
    path: Path,
    *,
    what: str = "file",
    cap_bytes: int | None = None,
    error: type[LabError] = LabError,
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``cap_bytes``
    (default: :data:`lab.limits.CORPUS_BYTES`), else one ``error`` line.

    Devices (``/dev/zero``), FIFOs and sockets are refused before a byte is read
    (a FIFO is opened without blocking), and the read stops at the cap even if the
    file grows meanwhile.
    """
    cap = limit(CORPUS_BYTES) if cap_bytes is None else cap_bytes
    try:  # stat first: a socket cannot even be opened; fstat again after (it may be swapped)
        if not stat.S_ISREG(mode := os.stat(path).st_mode):
            raise error(f"{what} {path} is {_file_kind(mode)}, not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} {path} is {_file_kind(info.st_mode)}, not a regular file")
        if info.st_size > cap:
            raise error(_too_big(what, path, info.st_size, cap))
        try:
            data = handle.read(cap + 1)
        except OSError as exc:
            raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > cap:
        raise error(_too_big(what, path, len(data), cap))
    return data


def _too_big(what: str, path: Path, size: int, cap: int) -> str:
    return (
        f"{what} {path} is {size:,} bytes, over the limit of {cap:,} "
        f"(set {CORPUS_BYTES.env} to raise it)"
    )


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` about ``path`` (the user's name), not about our temporary file."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def _disk_full(folder: Path, exc: BaseException) -> bool:
    """Whether a library's failed write was a full disk (its message, or no space left)."""
    if "No space left" in str(exc) or "os error 28" in str(exc):
        return True
    try:
        info = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < _NEARLY_FULL_BYTES


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
