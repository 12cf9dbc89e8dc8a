"""``textgen-lab playground RUN [RUN...]``: the runs side by side in a local web page.

Starlette and uvicorn come with the optional ``playground`` extra and are
imported only here, when the command runs, so the rest of the CLI never
needs them. The server listens on loopback unless ``--allow-remote`` says
otherwise: it has no authentication, and anyone who can reach it can make the
models work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.errors import LabError, OptionError

INSTALL_HINT = "pip install 'textgen-lab[playground]'"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "playground", help="compare runs in a local page: generation, next tokens, surprisal"
    )
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="run directories to load")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=8765, help="port (default: %(default)s; 0: any free one)"
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the page has no login: anyone who reaches it can use it)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lab.playground.service import is_loopback

    if not is_loopback(args.host) and not args.allow_remote:
        raise OptionError(
            f"--host {args.host} is not a loopback address; the playground has no login, "
            "so pass --allow-remote if you really mean to serve it to other machines"
        )
    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must be 0..65535, not {args.port}")
    try:
        import uvicorn

        from lab.playground.app import create_app
    except ModuleNotFoundError as exc:
        raise LabError(f"the playground needs {exc.name}: {INSTALL_HINT}") from None
    from lab.playground.service import Playground

    for path in args.runs:  # one clear line before loading anything
        if not Path(path).is_dir():
            raise LabError(f"{path} is not a run directory (train one with 'textgen-lab train')")
    playground = Playground.load(args.runs)
    port = args.port or free_port(args.host)
    names = ", ".join(playground.models)
    print(f"textgen-lab playground: {names}; open http://{args.host}:{port}/ (Ctrl-C stops)")
    app = create_app(playground, allow_remote=args.allow_remote)
    uvicorn.run(app, host=args.host, port=port, log_level="warning")
    return 0


def free_port(host: str) -> int:
    """A port free on ``host`` just now (for ``--port 0``, so the printed address is real)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host.strip("[]"), 0))
        port: int = sock.getsockname()[1]
        return port
