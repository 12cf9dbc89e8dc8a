"""What every benchmark of the runner shares: interleaved timing, results, machine facts.

Every figure is a ratio against a reference measured in the same run: the
machines are shared and noisy, so absolute rates from different runs do not
compare, but two codes timed in turn, a few times, do. :func:`interleaved`
alternates ours and the reference (the order flips every repeat, so neither
always runs on a warm or a cold cache) and keeps the median of each.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

#: A measurement: runs once and returns how many units (tokens, n-grams, words) it did.
Work = Callable[[], int]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@dataclass
class Result:
    """One benchmark row: our figure, the reference's, their ratio and the verdict.

    ``ratio`` is ``ours / reference``; ``target`` is the bound it must meet,
    ``at_least`` saying which side, or with ``within`` the ratio must be
    ``1 ± within`` (``None`` target: information only).
    """

    name: str
    unit: str
    ours: float
    reference: float
    reference_name: str
    target: float | None
    at_least: bool = True
    within: float | None = None
    repeats: int = 1
    ours_runs: list[float] = field(default_factory=list)
    reference_runs: list[float] = field(default_factory=list)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def timed(
        cls, name: str, unit: str, ours_runs: list[float], reference_runs: list[float], **rest: Any
    ) -> Result:
        """A row from interleaved repeats: each side's median, the runs kept for the paired ratio."""
        return cls(
            name=name,
            unit=unit,
            ours=median(ours_runs),
            reference=median(reference_runs),
            repeats=len(ours_runs),
            ours_runs=list(ours_runs),
            reference_runs=list(reference_runs),
            **rest,
        )

    @property
    def ratio(self) -> float:
        return self.ours / self.reference if self.reference else float("nan")

    @property
    def paired_ratio(self) -> float:
        """Median of the per-repeat ratios (each ours beside the reference run next to it):
        steadier than the ratio of medians when the machine's load drifts."""
        pairs = [o / r for o, r in zip(self.ours_runs, self.reference_runs, strict=True) if r]
        return median(pairs) if pairs else self.ratio

    @property
    def verdict(self) -> str:
        if self.within is not None:
            return "pass" if abs(self.ratio - 1) <= self.within else "MISS"
        if self.target is None:
            return "info"
        ok = self.ratio >= self.target if self.at_least else self.ratio <= self.target
        return "pass" if ok else "MISS"

    @property
    def target_text(self) -> str:
        if self.within is not None:
            return f"1 ± {self.within:.0%}"
        if self.target is None:
            return "-"
        return f"{'≥' if self.at_least else '≤'} {self.target:g}×"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            ratio=self.ratio,
            paired_ratio=self.paired_ratio,
            verdict=self.verdict,
            target_text=self.target_text,
        )
        return data


def timed(work: Work) -> float:
    """Units per second of one run of ``work``."""
    start = time.perf_counter()
    units = work()
    return units / (time.perf_counter() - start)


def interleaved(ours: Work, reference: Work, repeats: int) -> tuple[list[float], list[float]]:
    """Rates (units/s) of ``repeats`` runs of each, alternating which goes first."""
    ours_runs, ref_runs = interleaved_many([ours, reference], repeats)
    return ours_runs, ref_runs


def interleaved_many(works: list[Work], repeats: int) -> list[list[float]]:
    """Rates of ``repeats`` runs of each of ``works``, the order rotating every repeat."""
    runs: list[list[float]] = [[] for _ in works]
    for r in range(repeats):
        for k in range(len(works)):
            i = (k + r) % len(works)
            runs[i].append(timed(works[i]))
    return runs


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    import torch

    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "nltk": version("nltk"),
        "markovify": version("markovify"),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": list(os.getloadavg()),
    }


def fmt(value: float) -> str:
    """A rate or ratio, readable in a table."""
    if value != value:  # NaN
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 10:
        return f"{value:.2f}"
    return f"{value:.3g}"
