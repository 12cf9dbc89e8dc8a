"""``compare --quick`` on whole books: does the lesson show, and how long does it take?

One row per book (issue 23): the word LSTM's, the n-gram's, the Markov chain's and
the char LSTM's open-vocabulary bits/char on the test split, the word LSTM's
planned budget (tokens, passes over the training split), the epochs it ran and
why it stopped, and the time. Each book runs ``python -m lab compare --quick`` in
a fresh process with 1 torch thread (``TEXTGEN_LAB_THREADS=1``); its CPU seconds
(``resource.getrusage`` of the child) depend far less on other jobs than its
wall time, and on an idle 2-core machine a run takes about its CPU seconds over
1.6 (the second thread's 1.6-1.8x on the networks, ``perf-notes.md``; the count
models and the sweep do not gain from it, so that figure is a lower bound; the
CPU seconds themselves are the idle time with one thread, an upper bound).
The load average during each run is recorded beside it. Books run one after
another; each finished row is written at once (``.json`` and the ``.md`` table),
so a partial table survives an interruption.

    python -m benchmarks.quick_books ../shared/corpora/gutenberg/carroll-alice.txt \
        ../shared/corpora/gutenberg/chesterton-thursday.txt --work /tmp/quick_books
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: The second thread's speed-up on an idle 2-core machine (perf-notes.md: 1.6-1.8x).
TWO_THREADS = 1.6
RESULTS = Path("benchmarks/results/quick_books")


def run_book(
    book: Path, work: Path, min_freq: int | None = None, idle: bool = False
) -> dict[str, Any]:
    """One ``compare --quick`` of ``book`` in a child process: its figures and times
    (with ``min_freq``, the shared word vocabulary's instead of the book's own; with
    ``idle``, the threads compare chooses itself, for a wall time on an idle machine)."""
    label = book.stem if min_freq is None else f"{book.stem} (min_freq {min_freq})"
    out = work / label.replace(" ", "_").replace("(", "").replace(")", "")
    env = dict(os.environ)
    if idle:
        env.pop("TEXTGEN_LAB_THREADS", None)
    else:
        env["TEXTGEN_LAB_THREADS"] = "1"
    cmd = [sys.executable, "-m", "lab", "compare", "--quick", "--corpus", str(book)]
    if min_freq is not None:
        cmd[1:3] = ["-m", "benchmarks.quick_books", "--child-min-freq", str(min_freq)]
    cmd += ["--out", str(out), "--runs", str(out / "runs"), "--no-download"]
    loads: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(10):
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    loads.append(os.getloadavg()[0])
    wall0 = time.perf_counter()
    sampler.start()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall0
    done.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (work / f"{out.name}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    row: dict[str, Any] = {
        "book": label,
        "kb": round(book.stat().st_size / 1024),
        "exit": proc.returncode,
        "cpu_s": round(cpu, 1),
        "idle_s_est": round(cpu / TWO_THREADS, 1),
        "wall_s_here": round(wall, 1),
        "load_mean": round(sum(loads) / len(loads), 1),
        "load_max": round(max(loads), 1),
        "threads": "compare's own" if idle else "1",
    }
    plan = re.search(r"^plan: .*$", proc.stderr, re.M)
    row["plan"] = plan.group(0) if plan else ""
    if proc.returncode != 0:
        row["error"] = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return row
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    row["open_bpc"] = {s["model"]: s["open_bits_per_char"] for s in metrics["scores"]}
    row["oov"] = max(
        (s["oov_rate"] for s in metrics["scores"] if s["tokenizer"] == "word"), default=0
    )
    fit = metrics["fits"].get("word-lstm", {})
    options = metrics["config"]["resolved_options"].get("word-lstm", {})
    book_sizes = metrics["config"].get("book", {})
    row["train_words"], row["vocab"] = (book_sizes.get("word") or [0, 0])[:2]
    row["budget"] = options.get("max_tokens")
    row["epochs"] = fit.get("epochs")
    row["stop"] = fit.get("stop_reason")
    row["word_lstm_train_s"] = metrics["train_seconds"].get("word-lstm")
    row["warnings"] = metrics["warnings"]
    row["threads_used"] = threads_used(metrics)
    return row


def threads_used(metrics: dict[str, Any]) -> dict[str, int]:
    """The CPU threads each network trained with, as its fit recorded them."""
    return {m: f["threads"] for m, f in metrics["fits"].items() if f.get("threads")}


def markdown(rows: list[dict[str, Any]], idle: bool = False) -> str:
    """The table of finished rows, with how it was measured."""
    head = (
        "| book | KB | train words | vocab | word-LSTM budget (passes) | epochs (stop) | "
        "word LSTM | n-gram | Markov | char LSTM | word LSTM below both? | CPU s | "
        "idle 2-core est. s | plan's estimate | wall s here | load (mean/max) | threads |\n"
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|---:|---|---|\n"
    )
    lines = []
    for r in rows:
        if "open_bpc" not in r:
            lines.append(f"| {r['book']} | {r['kb']} | failed: {r.get('error')} |" + " |" * 14)
            continue
        b = r["open_bpc"]
        word, ngram, markov = b.get("word-lstm"), b.get("ngram"), b.get("markov")
        wins = word is not None and ngram is not None and markov is not None
        wins = wins and word < ngram and word < markov
        passes = r["budget"] / r["train_words"] if r.get("budget") and r["train_words"] else 0
        estimate = re.search(r"estimated (~[\d.]+ ?(?:min|s))", r.get("plan", ""))
        lines.append(
            f"| {r['book']} | {r['kb']} | {r['train_words']:,} | {r['vocab']:,} | "
            f"{r['budget'] or 0:,} ({passes:.1f}) | {r['epochs']} ({r['stop']}) | "
            f"{_f(word)} | {_f(ngram)} | {_f(markov)} | {_f(b.get('char-lstm'))} | "
            f"{'yes' if wins else '**no**'} | {r['cpu_s']:.0f} | {r['idle_s_est']:.0f} | "
            f"{estimate.group(1) if estimate else '-'} | {r['wall_s_here']:.0f} | "
            f"{r['load_mean']}/{r['load_max']} | {_threads(r)} |"
        )
    notes = (
        IDLE_NOTES
        if idle
        else [
            "",
            "Open-vocabulary bits/char on each book's test split (lower is better). One "
            "`python -m lab compare --quick` per book, 1 torch thread (`TEXTGEN_LAB_THREADS=1`), "
            "books one after another. CPU s = the child's user+system CPU seconds: the idle "
            "time with one thread. Idle 2-core est. = CPU s / 1.6, the second thread's "
            "speed-up on the networks (perf-notes: 1.6-1.8x); the plan's estimate is what "
            "compare printed before starting (from the registry's throughput table). Wall s "
            "here and the load are this loaded machine's, for the record only.",
        ]
    )
    return head + "\n".join(lines) + "\n" + "\n".join(notes) + "\n"


IDLE_NOTES = [
    "",
    "Open-vocabulary bits/char on each book's test split (lower is better). One "
    "`python -m lab compare --quick` per book with the threads compare chooses itself "
    "(`lab/cpu_share.py`: 2 on an idle 2-core machine, 1 when other work keeps the load "
    "above the cores), books one after another. Wall s here is the time of the run; the "
    "load column and the threads column (what the networks trained with, as each fit "
    "recorded it; `compare's own` for rows run before that was recorded) say how idle "
    "the machine was. CPU s = the child's user+system CPU seconds: with 1 thread, the "
    "time the run takes on one idle core, an upper bound of the idle 2-core time; the "
    "idle 2-core est. column is CPU s / 1.6 as in the 1-thread table.",
]


def _threads(row: dict[str, Any]) -> str:
    used = sorted(set((row.get("threads_used") or {}).values()))
    return "/".join(map(str, used)) or row.get("threads", "-")


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _child(min_freq: int, argv: list[str]) -> int:
    """``compare`` with the shared word vocabulary's ``min_freq`` fixed (the CLI has no
    flag for it: the book chooses), for measuring what the book's choice costs."""
    from lab.cli import compare, main

    book_defaults = compare.with_corpus_defaults

    def fixed(given: dict[str, Any], corpus: Any, **kw: Any) -> dict[str, Any]:
        return {**book_defaults(given, corpus, **kw), "min_freq": min_freq}

    compare.with_corpus_defaults = fixed  # type: ignore[assignment]
    return main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-min-freq"]:
        return _child(int(argv[1]), argv[2:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("books", nargs="*", type=Path)
    p.add_argument("--work", type=Path, default=Path("/tmp/quick_books"))
    p.add_argument("--out", type=Path, default=RESULTS, help="writes OUT.json and OUT.md")
    p.add_argument(
        "--min-freq", type=int, default=None, help="the word vocabulary's (default: the book's)"
    )
    p.add_argument(
        "--idle",
        action="store_true",
        help="let compare choose its threads and time the wall clock (run on a quiet "
        "machine); writes OUT_idle.json/.md",
    )
    p.add_argument(
        "--rerender",
        action="store_true",
        help="only rewrite the table from OUT.json (threads read again from WORK's reports)",
    )
    args = p.parse_args(argv)
    if args.idle:
        args.out = args.out.with_name(args.out.name + "_idle")
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.out.with_suffix(".json")
    rows: list[dict[str, Any]] = (
        json.loads(store.read_text(encoding="utf-8")) if store.exists() else []
    )
    if args.rerender:
        for r in rows:
            done = args.work / r["book"].replace(" ", "_").replace("(", "").replace(")", "")
            if (done / "metrics.json").is_file():
                metrics = json.loads((done / "metrics.json").read_text(encoding="utf-8"))
                r["threads_used"] = threads_used(metrics)
        store.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(markdown(rows, args.idle), encoding="utf-8")
        return 0
    for book in args.books:
        row = run_book(book, args.work, args.min_freq, args.idle)
        rows = [r for r in rows if r["book"] != row["book"]] + [row]
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(markdown(rows, args.idle), encoding="utf-8")
        print(json.dumps({k: v for k, v in row.items() if k != "warnings"}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
