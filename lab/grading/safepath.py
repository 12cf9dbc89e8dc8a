"""Opening a file inside a submission without following a link in any component of its path.

``O_NOFOLLOW`` checks only the last component: ``notebooks/`` linked to another
student's folder would still be followed. :func:`open_beneath` asks the kernel
for ``openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH)`` (Linux 5.6+) and, where
that is missing, walks the path one component at a time with
``O_NOFOLLOW | O_DIRECTORY``, so no component may be a link either way.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from pathlib import Path, PurePath

_SYS_OPENAT2 = 437  # the same number on every Linux architecture
_RESOLVE_NO_MAGICLINKS, _RESOLVE_NO_SYMLINKS, _RESOLVE_BENEATH = 0x02, 0x04, 0x08


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def _openat2(root_fd: int, rel: str, flags: int) -> int | None:
    """``openat2``'s fd, or ``None`` if this kernel or libc has no ``openat2``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    how = _OpenHow(flags | os.O_CLOEXEC, 0,
                   _RESOLVE_NO_SYMLINKS | _RESOLVE_BENEATH | _RESOLVE_NO_MAGICLINKS)  # fmt: skip
    fd = libc.syscall(_SYS_OPENAT2, root_fd, rel.encode("utf-8", "surrogateescape"),
                      ctypes.byref(how), ctypes.sizeof(how))  # fmt: skip
    if fd >= 0:
        return int(fd)
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EPERM):  # no openat2, or a seccomp filter refusing it
        return None
    raise OSError(err, os.strerror(err), rel)


def open_beneath(root: Path, rel: PurePath | str, flags: int = os.O_RDONLY) -> int:
    """An fd of ``root/rel`` where no component of ``rel`` is a link (``OSError`` otherwise:
    ``ELOOP`` for a link, ``EXDEV`` for a path leaving ``root``)."""
    parts = PurePath(rel).parts
    if not parts or PurePath(rel).is_absolute() or ".." in parts:
        raise OSError(errno.EXDEV, "not a path inside the submission", str(rel))
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = _openat2(root_fd, "/".join(parts), flags)
        if fd is not None:
            return fd
        folder = root_fd
        for part in parts[:-1]:  # the fallback: one component at a time, none a link
            try:
                step = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                               dir_fd=folder)  # fmt: skip
            except OSError as exc:  # a link gives ENOTDIR here: say what it is
                if stat.S_ISLNK(os.lstat(part, dir_fd=folder).st_mode):
                    raise OSError(errno.ELOOP, "a link in the path", str(rel)) from exc
                raise
            if folder != root_fd:
                os.close(folder)
            folder = step
        try:
            return os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        finally:
            if folder != root_fd:
                os.close(folder)
    finally:
        os.close(root_fd)
