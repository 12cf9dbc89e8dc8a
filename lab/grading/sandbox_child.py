"""The untrusted side of the grading sandbox: runs the submission's code, answers as JSON.

The grader copies this file (as ``_textgen_child.py``) and the drivers its
test module calls (as the package ``_textgen_drivers``) into a harness of
this child's own (:mod:`lab.grading.harness`) and starts it with ``python
-I`` as the sandbox user, the submission's folder given by ``--submission``
(see :mod:`lab.grading.sandbox`). It imports only the
standard library at start and its first act is to cap itself with the
limits given on its command line, so nothing of the submission runs
unlimited; then it says ``ready`` and waits.

Each request is one JSON line on stdin, ``{"id": n, "driver": name,
"kwargs": {...}}``; each reply is one JSON line on the original stdout,
``{"id": n, "ok": true, "value": ...}`` or ``{"id": n, "ok": false,
"error": ..., "types": [...], "traceback": ...}``. File descriptor 1 is
pointed at stderr so that a ``print`` in the submission cannot garble a
reply. Nothing here is trusted: the parent treats every reply as data a
submission may have forged and checks it against what it computed itself.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any

_HARNESS = Path(__file__).resolve().parent
_TRACEBACK_LIMIT = 6000
_SHOWN = [str(_HARNESS.parent) + os.sep]  # path prefixes left out of tracebacks


def _isolate_imports(submission: str) -> None:
    """Import from the harness, the submission, then the interpreter's own libraries,
    and never through an editable-install finder (which could point at a reference
    checkout elsewhere on disk)."""
    keep = [p for p in sys.path if p and ("site-packages" in p or p.startswith(sys.base_prefix))]
    sys.path[:] = [str(_HARNESS), submission, *keep]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]


def _error(request_id: object, exc: BaseException) -> dict[str, Any]:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for prefix in _SHOWN:
        text = text.replace(prefix, "")
    if len(text) > _TRACEBACK_LIMIT:
        text = "...\n" + text[-_TRACEBACK_LIMIT:]
    return {
        "id": request_id,
        "ok": False,
        "error": f"{type(exc).__name__}: {exc}"[:2000],
        "types": [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__],
        "traceback": text,
    }


def _limit(options: dict[str, str]) -> None:
    """Cap this process (``--memory BYTES --cpu SECONDS [--nproc N]``) before anything else."""
    memory, cpu = int(options["--memory"]), int(options["--cpu"])
    limits = {
        resource.RLIMIT_AS: (memory, memory),
        resource.RLIMIT_CPU: (cpu, cpu + 5),
        resource.RLIMIT_FSIZE: (64 << 20, 64 << 20),
        resource.RLIMIT_CORE: (0, 0),
    }
    if "--nproc" in options:
        limits[resource.RLIMIT_NPROC] = (int(options["--nproc"]),) * 2
    for kind, value in limits.items():
        resource.setrlimit(kind, value)


def main() -> int:
    argv = sys.argv[1:]
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    _limit(options)
    submission = options["--submission"]
    _SHOWN.append(str(Path(submission).parent) + os.sep)
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    reply.write(json.dumps({"ready": os.getpid()}) + "\n")
    reply.flush()
    drivers: Any = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            request_id = request["id"]
        except (ValueError, KeyError, TypeError):
            return 2
        try:
            if drivers is None:
                _isolate_imports(submission)
                drivers = importlib.import_module("_textgen_drivers")  # after the limits
            value = drivers.run(request["driver"], request.get("kwargs") or {})
            answer = {"id": request_id, "ok": True, "value": value}
            text = json.dumps(answer)
        except BaseException as exc:  # the submission's failure is an answer too
            text = json.dumps(_error(request_id, exc))
        reply.write(text + "\n")
        reply.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
