"""The playground's web app: one page, its three static files, and a small JSON API.

Starlette only, no templates and nothing fetched from elsewhere: the page's
HTML, script and style ship in ``lab/playground/static`` and are served from
here. A user error (a bad setting, an unknown model) is a 400 response whose
``error`` the page shows; any other failure is a 500 with a one-line ``error``,
never a traceback page.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lab.errors import LabError
from lab.playground.service import Playground

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
                body = await request.body()
                if len(body) > MAX_BODY_BYTES:
                    return _error(413, "the request is too large")
                payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                return _error(400, "the request body must be a JSON object")
            return JSONResponse(await run_in_threadpool(method, payload), headers=HEADERS)
        except json.JSONDecodeError as exc:
            return _error(400, f"the request body is not JSON ({exc.msg})")
        except LabError as exc:
            return _error(400, str(exc))
        except Exception as exc:  # a bug: one line for the page, not a traceback
            return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    return endpoint


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=HEADERS)


def create_app(playground: Playground) -> Starlette:
    """The ASGI app serving ``playground`` (run it with uvicorn, test it with TestClient)."""
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
    return Starlette(routes=routes)
