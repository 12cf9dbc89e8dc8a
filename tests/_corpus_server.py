"""A local HTTP server and Gutenberg-shaped files, for the download tests (never the internet)."""

from __future__ import annotations

import http.server
import random
import threading
import time
from pathlib import Path

import nltk.data
import pytest

import lab.cli

WORDS = ("the", "rabbit", "queen", "garden", "tea", "door", "key", "cake", "large", "small")


def make_body(seed: int, paragraphs: int = 12) -> str:
    """Seeded synthetic prose: paragraphs of short sentences, with one non-ASCII word."""
    rng = random.Random(seed)
    paras = []
    for p in range(paragraphs):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(6)).capitalize() + "." for _ in range(4)
        ]
        paras.append(f"Paragraph {p} café. " + " ".join(sentences))
    return "\n\n".join(paras) + "\n"


def gutenberg_file(body: str, *, encoding: str = "utf-8") -> bytes:
    """A Gutenberg-shaped file: header, START marker, body, END marker, licence; BOM + CRLF."""
    header = (
        "The Project Gutenberg EBook of A Test Book, by Nobody\n\n"
        "This eBook is for the use of anyone anywhere at no cost.\n\n"
        "Title: A Test Book\n\n*** START OF THIS PROJECT GUTENBERG EBOOK A TEST BOOK ***\n\n\n"
    )
    footer = (
        "\n\nEnd of the Project Gutenberg EBook of A Test Book, by Nobody\n\n"
        "*** END OF THIS PROJECT GUTENBERG EBOOK A TEST BOOK ***\n\n"
        "Section 1. General Terms of Use and Redistributing Project Gutenberg-tm electronic works\n"
    )
    text = (header + body + footer).replace("\n", "\r\n")
    data = text.encode(encoding)
    return b"\xef\xbb\xbf" + data if encoding == "utf-8" else data


class Server:
    """Serves ``routes`` (path -> bytes) and counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        #: Misbehaviour per path: "short" claims more bytes than it sends, "drip" sends
        #: one byte every 50 ms (a slow-drip server).
        self.faults: dict[str, str] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                data = outer.routes.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                fault = outer.faults.get(self.path, "")
                self.send_response(200)
                self.send_header(
                    "Content-Length", str(len(data) + (100 if fault == "short" else 0))
                )
                self.end_headers()
                if fault == "drip":
                    for i in range(len(data)):
                        try:
                            self.wfile.write(data[i : i + 1])
                            self.wfile.flush()
                        except OSError:  # the client gave up: so do we
                            return
                        time.sleep(0.05)
                    return
                self.wfile.write(data)
                if fault == "short":
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        if not self.thread.is_alive():
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def reissued_file(body: str, *, updated: str = "June 26, 2025") -> bytes:
    """The same book as :func:`gutenberg_file` the way Gutenberg re-issues it today.

    New header and dates, "THE" instead of "THIS" in the markers, a credit line
    before the body, new licence wording, LF line endings and no BOM: the raw
    digest changes, the stripped text does not.
    """
    header = (
        "The Project Gutenberg eBook of A Test Book\n    \n"
        "This ebook is for the use of anyone anywhere in the United States and\n"
        "most other parts of the world at no cost and with almost no restrictions\n"
        "whatsoever. You may copy it, give it away or re-use it under the terms\n"
        "of the Project Gutenberg License included with this ebook or online\n"
        "at www.gutenberg.org.\n\nTitle: A Test Book\n\nAuthor: Nobody\n\n"
        f"Release date: June 27, 2008 [eBook #99999]\n                Most recently updated: {updated}\n\n"
        "Language: English\n\nCredits: A. Volunteer and David Widger\n\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK A TEST BOOK ***\n\n\n\n"
        "Produced by A. Volunteer, and David Widger\n\n\n\n\n"
    )
    footer = (
        "\n\n\n*** END OF THE PROJECT GUTENBERG EBOOK A TEST BOOK ***\n\n\n    \n\n"
        "Updated editions will replace the previous one\u2014the old editions will\n"
        "be renamed.\n"
    )
    return (header + body + footer).encode("utf-8")


def isolate_corpora(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real cache, no real NLTK data, only the corpus command, no proxies between
    the tests and 127.0.0.1."""
    monkeypatch.setenv("TEXTGEN_LAB_CACHE", str(cache))
    monkeypatch.setattr(nltk.data, "path", [str(cache.parent / "no-nltk-data")])
    # Only the command under test: other sub-commands' imports are not these files' business.
    monkeypatch.setattr(lab.cli, "COMMAND_MODULES", ("lab.cli.corpus",))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
