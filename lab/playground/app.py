"""The playground's web app: one page, its three static files, and a small JSON API.

Starlette only, no templates and nothing fetched from elsewhere: the page's
HTML, script and style ship in ``lab/playground/static`` and are served from
here. A user error (a bad setting, an unknown model) is a 400 response whose
``error`` the page shows; any other failure is a 500 with a one-line ``error``,
never a traceback page.

It answers only its own page. Any web site the user visits can make the
browser send a "simple" cross-origin POST (``text/plain``, no preflight) to
``127.0.0.1``, or rebind its own name to it (DNS rebinding); so a request is
refused (403) unless its ``Host`` is a loopback name or address (any host
with ``--allow-remote``) and its ``Origin``, when sent, is this page's own;
an API POST must say ``application/json`` (415), and its body is cut off at
:data:`MAX_BODY_BYTES` while it is read (413), not after.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from lab.errors import LabError
from lab.playground.service import Playground, is_loopback

STATIC = {  # file -> media type
    "index.html": "text/html; charset=utf-8",
    "playground.js": "text/javascript; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
}
#: Nothing but this origin: no scripts, styles, images or connections from elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
MAX_BODY_BYTES = 1_000_000


def _static(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        body = resources.files("lab.playground").joinpath("static", name).read_bytes()
        return Response(body, media_type=STATIC[name], headers=HEADERS)

    return serve


def _api(
    method: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint calling ``method`` with the request's JSON body, in a worker thread."""

    async def endpoint(request: Request) -> Response:
        try:
            payload: Any = {}
            if request.method == "POST":
                media = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if media != "application/json":
                    return _error(
                        415, "the request body must be JSON (Content-Type: application/json)"
                    )
                body = await _read_body(request)
                if body is None:
                    return _error(413, f"the request is over {MAX_BODY_BYTES:,} bytes")
                payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                return _error(400, "the request body must be a JSON object")
            return JSONResponse(await run_in_threadpool(method, payload), headers=HEADERS)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            return _error(400, f"the request body is not JSON ({reason})")
        except RecursionError:
            return _error(400, "the request body is not JSON (nested too deeply)")
        except LabError as exc:
            return _error(400, str(exc))
        except Exception as exc:  # a bug: one line for the page, not a traceback
            return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    return endpoint


async def _read_body(request: Request) -> bytes | None:
    """The body, or ``None`` as soon as it passes :data:`MAX_BODY_BYTES` (a chunked body
    has no length to check first: it is counted as it arrives, never held whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class LocalOnly:
    """ASGI middleware: a 403 for a request not from this page (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, allow_remote: bool = False) -> None:
        self.app, self.allow_remote = app, allow_remote

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self._problem(Headers(scope=scope))
            if problem:
                await _error(403, problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, headers: Headers) -> str:
        host = headers.get("host", "")
        name = urlsplit(f"//{host}").hostname or ""
        if not host or not (self.allow_remote or is_loopback(name)):
            return f"this page answers only on a loopback address, not Host {host[:80]!r}"
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host}".lower():
            return f"cross-origin request from {origin[:80]!r} refused"
        return ""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=HEADERS)


def create_app(playground: Playground, *, allow_remote: bool = False) -> ASGIApp:
    """The ASGI app serving ``playground`` (run it with uvicorn, test it with TestClient);
    ``allow_remote`` accepts any ``Host`` (``--allow-remote``), never a foreign ``Origin``."""
    routes = [Route("/", _static("index.html"))]
    routes += [Route(f"/static/{name}", _static(name)) for name in STATIC]
    api = {
        "/api/models": (lambda _payload: playground.describe(), ["GET"]),
        "/api/generate": (playground.generate, ["POST"]),
        "/api/next": (playground.next_tokens, ["POST"]),
        "/api/step": (playground.step, ["POST"]),
        "/api/surprisal": (playground.surprisal, ["POST"]),
    }
    routes += [Route(path, _api(fn), methods=methods) for path, (fn, methods) in api.items()]
    return LocalOnly(Starlette(routes=routes), allow_remote=allow_remote)
