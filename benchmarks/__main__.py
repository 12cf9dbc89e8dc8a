"""``python -m benchmarks``: every figure a ratio against a reference measured in the same run.

``--quick`` (the default) takes about a minute and a half on a 2-core machine;
``--full`` (about 7 minutes) uses larger runs, more repeats and adds the PTB
Kneser-Ney quality rows. The LSTM quality runs (~40 wall-minutes, both cores)
are their own command, ``python -m benchmarks.quality_lstm all``, with their
own table and curves in ``benchmarks/results-full/``. Results go to
``--out`` (default ``benchmarks/results``) as ``results.json`` and
``results.md``. Each row is the median of ``N`` interleaved repeats of ours and
of the reference; ratios are ``ours / reference``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.adaptive_softmax import adaptive_softmax
from benchmarks.busy import busy
from benchmarks.common import REPO, Result, fmt, machine
from benchmarks.counts import kneser_ney, markov
from benchmarks.neural import sweep, threads, training
from benchmarks.quality import quality
from benchmarks.transformer import training_speed as transformer

Bench = Callable[[bool, int], list[Result]]
BENCHMARKS: dict[str, Bench] = {
    "kn": kneser_ney,
    "markov": markov,
    "sweep": sweep,
    "training": training,
    "adaptive": adaptive_softmax,
    "threads": threads,
    "busy": busy,
    "transformer": transformer,
    "quality": quality,
}


def markdown(info: dict[str, Any], results: list[Result], errors: dict[str, str]) -> str:
    m = info["machine"]
    lines = [
        f"Mode `{info['mode']}`, {info['seconds']:.0f} s, {info['date']}. "
        f"{m['cpu']}, {m['cores']} cores, {m['platform']}; Python {m['python']}, "
        f"torch {m['torch']} ({m['torch_threads']} threads), nltk {m['nltk']}, "
        f"markovify {m['markovify']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}.",
        "",
        "ratio = median(ours) / median(reference), which the verdict uses; paired = median of the "
        "per-repeat ratios (steadier when the load drifts).",
        "",
        "| benchmark | unit | ours | reference | ratio | paired | target | result | N |",
        "|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.unit} | {fmt(r.ours)} | {fmt(r.reference)} | "
            f"{r.ratio:.3g}× | {r.paired_ratio:.3g}× | {r.target_text} | {r.verdict} | {r.repeats} |"
        )
    lines += ["", "References and notes:", ""]
    lines += [f"- **{r.name}**: reference = {r.reference_name}; {r.notes}" for r in results]
    lines += [f"- **{name}** failed: {err}" for name, err in errors.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="short runs, 3 repeats (default)")
    mode.add_argument(
        "--full", action="store_true", help="longer runs, 5 repeats, the PTB Kneser-Ney rows"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument(
        "--repeats", type=int, help="repeats per benchmark (default 3 quick, 5 full)"
    )
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    args = parser.parse_args(argv)
    quick = not args.full
    repeats = args.repeats or (3 if quick else 5)
    info: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "repeats": repeats,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
    }
    started = time.perf_counter()
    results: list[Result] = []
    errors: dict[str, str] = {}
    for name in args.only or list(BENCHMARKS):
        t0 = time.perf_counter()
        try:
            rows = BENCHMARKS[name](quick, repeats)
        except Exception as exc:  # one broken benchmark must not lose the others
            errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            continue
        results += rows
        for r in rows:
            print(f"{r.name:45} {fmt(r.ratio):>10}×  {r.target_text:8} {r.verdict}", flush=True)
        print(f"  ({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    info["seconds"] = time.perf_counter() - started
    info["load_average_at_end"] = list(os.getloadavg())
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {**info, "results": [r.to_dict() for r in results], "errors": errors}
    (args.out / "results.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    table = markdown(info, results, errors)
    (args.out / "results.md").write_text(table, encoding="utf-8")
    print("\n" + table)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
