"""The whole sandbox's memory and task caps held by the kernel (:mod:`lab.grading.cgroups`),
and CPU-quota throttling credited to a test's deadline (:mod:`lab.grading.budget`).

The parsing and the arithmetic run on fake cgroup trees in a temporary folder. Where this
machine lets the grader make cgroups (root on a v1 or hybrid machine, or a delegated v2
subtree), a burst over the memory cap shorter than the watcher's period, a fork bomb and a
grading's end are tried for real; elsewhere those tests are skipped, saying why.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from _grading_helpers import PPL, TIMEOUT, copy_reference, inject, reference_only

from lab.grading import budget, cgroups
from lab.grading.budget import Budget, quota_dirs, throttled
from lab.grading.cgroups import Plan, own_paths, prepare
from lab.grading.grader import grade_submission
from lab.grading.gradescope import results_json

PLAN = prepare()
usable = pytest.mark.skipif(
    PLAN.kind == "none", reason=f"no cgroup can be made here: {PLAN.why}"
)  # fmt: skip


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


class _Clock:
    """A monotonic clock the test moves (the budget reads no other)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(budget, "time", fake)
    return fake


def test_own_paths_reads_v1_and_v2_lines(tmp_path: Path) -> None:
    text = "12:pids:/a\n4:memory:/process_api/x\n3:cpu,cpuacct:/b/c\n0::/user.slice/s\n"
    paths = own_paths(_tree(tmp_path, {"cgroup": text}) / "cgroup")
    assert paths == {
        "pids": "/a", "memory": "/process_api/x", "cpu": "/b/c", "cpuacct": "/b/c",
        "": "/user.slice/s",
    }  # fmt: skip


def test_a_plan_survives_the_environment() -> None:
    plan = Plan("v1", ("/sys/fs/cgroup/memory/x", "/sys/fs/cgroup/pids"), "textgen-1-ab-")
    assert Plan.from_env(plan.to_env()) == plan
    assert Plan.from_env("").kind == "none" and Plan.from_env("v9|t|").kind == "none"


def test_no_controllers_means_no_cgroup_and_says_why(tmp_path: Path) -> None:
    root = _tree(tmp_path / "cg", {"unified/cgroup.controllers": "\n", "unified/cgroup.procs": ""})
    proc = _tree(tmp_path, {"self": "1:name=systemd:/\n0::/\n"}) / "self"
    plan = prepare(root, proc)
    assert plan.kind == "none"
    assert "offers no controllers" in plan.why and "no cgroup v1 memory and pids" in plan.why
    assert "no cgroup" in plan.describe(2 << 30, 512) and "RLIMIT_AS 2048 MB" in plan.describe(
        2 << 30, 512
    )


def test_v1_throttling_is_credited_up_to_the_wall_clock(tmp_path: Path, clock: _Clock) -> None:
    root = _tree(
        tmp_path / "cg",
        {
            "cpu/cpu.cfs_quota_us": "-1\n",
            "cpu/box/cpu.cfs_quota_us": "50000\n",
            "cpu/box/cpu.stat": "nr_periods 10\nnr_throttled 3\nthrottled_time 1000000000\n",
            "cpu/box/grader/cpu.cfs_quota_us": "-1\n",
        },
    )
    proc = _tree(tmp_path, {"self": "2:cpu,cpuacct:/box/grader\n"}) / "self"
    assert quota_dirs(root, proc) == [(root / "cpu" / "box", "v1")]
    plan = Budget(1.0, cgroup_root=root, proc_cgroup=proc)
    start = plan.remaining()
    (root / "cpu/box/cpu.stat").write_text("throttled_time 1400000000\n")  # 0.4 s more
    clock.now += 0.5
    plan.observe(())
    assert plan.waited == pytest.approx(0.4, abs=0.05)
    assert plan.remaining() == pytest.approx(start - 0.5 + 0.4, abs=0.05)
    assert "CPU quota" in plan.describe()
    (root / "cpu/box/cpu.stat").write_text("throttled_time 9400000000\n")  # 8 s over 2 CPUs
    clock.now += 1.0
    plan.observe(())
    assert plan.waited == pytest.approx(1.4, abs=0.05)  # at most the 1 s that passed


def test_v2_nested_quotas_credit_the_larger_never_the_sum(tmp_path: Path, clock: _Clock) -> None:
    root = _tree(
        tmp_path / "cg",
        {
            "cgroup.controllers": "cpu memory pids\n",
            "cpu.max": "max 100000\n",
            "ci/cpu.max": "200000 100000\n",
            "ci/cpu.stat": "usage_usec 5\nthrottled_usec 100\n",
            "ci/job/cpu.max": "100000 100000\n",
            "ci/job/cpu.stat": "throttled_usec 0\n",
        },
    )
    proc = _tree(tmp_path, {"self": "0::/ci/job\n"}) / "self"
    dirs = quota_dirs(root, proc)
    assert dirs == [(root / "ci" / "job", "v2"), (root / "ci", "v2")]
    assert throttled(dirs) == {str(root / "ci/job"): 0, str(root / "ci"): 100_000}
    plan = Budget(2.0, cgroup_root=root, proc_cgroup=proc)
    (root / "ci/job/cpu.stat").write_text("throttled_usec 300000\n")  # 0.3 s
    (root / "ci/cpu.stat").write_text("throttled_usec 200100\n")  # 0.2 s, the same time
    clock.now += 1.0
    plan.observe(())
    assert plan.waited == pytest.approx(0.3, abs=0.05)


def test_throttling_never_passes_the_three_fold_cap(tmp_path: Path, clock: _Clock) -> None:
    root = _tree(
        tmp_path / "cg",
        {"cpu/cpu.cfs_quota_us": "10000\n", "cpu/cpu.stat": "throttled_time 0\n"},
    )
    proc = _tree(tmp_path, {"self": "1:cpu:/\n"}) / "self"
    plan = Budget(1.0, cgroup_root=root, proc_cgroup=proc)
    for step in range(1, 6):
        clock.now += 1.0
        (root / "cpu/cpu.stat").write_text(f"throttled_time {step * 10**9}\n")
        plan.observe(())
    assert plan.waited == pytest.approx(5.0, abs=0.1)
    assert plan.remaining() <= 1.0 * budget.LOAD_ALLOWANCE - 5.0 + 1e-6  # past the cap: ended


def test_no_quota_no_throttling_credit(tmp_path: Path, clock: _Clock) -> None:
    root = _tree(tmp_path / "cg", {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.stat": ""})
    proc = _tree(tmp_path, {"self": "1:cpu:/\n"}) / "self"
    plan = Budget(1.0, cgroup_root=root, proc_cgroup=proc)
    clock.now += 0.5
    plan.observe(())
    assert plan.throttled == 0.0 and plan.waited < 0.05


@usable
def test_the_pids_cap_stops_a_fork_bomb_and_the_cgroup_goes() -> None:
    group = cgroups.Group(PLAN, 256 << 20, 20)
    bomb = "import os, time\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n" \
        "            time.sleep(30)\n            os._exit(0)\n        n += 1\nexcept OSError:\n" \
        "    pass\nprint(n, flush=True)\ntime.sleep(30)\n"  # fmt: skip
    proc = subprocess.Popen(group.enter(["python3", "-I", "-S", "-c", bomb]),
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    made = int(proc.stdout.readline())
    assert made < 20 and len(group.pids()) <= 20
    assert group.close(grace=2.0)
    assert not any(d.exists() for d in group.dirs)
    proc.wait(timeout=5)


@usable
def test_a_burst_shorter_than_the_watcher_s_period_is_killed_at_the_cap() -> None:
    """120 MB written at once against a 48 MB cap: the kernel stops it at the cap, not a
    poll later (the write takes about 0.2 s here under load, less on an idle machine)."""
    group = cgroups.Group(PLAN, 48 << 20, 64)
    try:
        code = ["python3", "-I", "-S", "-c", "b = b'x' * 120_000_000"]
        done = subprocess.run(group.enter(code), capture_output=True, check=False)
        assert done.returncode == -9 and group.oom_kills() == 1, done
    finally:
        assert group.close()
    assert not any(d.exists() for d in group.dirs)


# The reference's answer, but first three processes write 450 MB each (1.35 GB together,
# against a 1 GB cap), all at once, and end as soon as all three have it: a burst the
# watcher's RSS sum every 0.25 s need not see. A child refused by RLIMIT_AS says "M".
BURST = [
    "import os",
    "_r, _w = os.pipe()",
    "_go_r, _go_w = os.pipe()",
    "_kids = []",
    "for _ in range(3):",
    "    _pid = os.fork()",
    "    if _pid == 0:",
    "        _mark = b'M'",
    "        try:",
    "            _hog = b'x' * 450_000_000",
    "            _mark = b'.'",
    "        finally:",
    "            os.write(_w, _mark)",
    "            os.read(_go_r, 1)",
    "            os._exit(0)",
    "    _kids.append(_pid)",
    "_got = b''",
    "while len(_got) < 3:",
    "    _got += os.read(_r, 3)",
    "os.close(_go_w)",
    "for _pid in _kids:",
    "    os.waitpid(_pid, 0)",
    "assert b'M' not in _got, 'RLIMIT_AS refused a child'",
]

# Forks until the kernel refuses, then says how far it got.
FORK_BOMB = [
    "import os, time",
    "_made = 0",
    "try:",
    "    for _ in range(3000):",
    "        if os.fork() == 0:",
    "            time.sleep(60)",
    "            os._exit(0)",
    "        _made += 1",
    "except OSError:",
    "    pass",
    "raise RuntimeError(f'FORKED {_made}')",
]


def _leftovers() -> list[str]:
    tag = f"textgen-{os.getpid()}-"
    return [e.name for p in PLAN.parents for e in Path(p).iterdir() if e.name.startswith(tag)]


@reference_only
@usable
def test_a_burst_over_the_memory_cap_scores_what_the_stub_scores(tmp_path: Path) -> None:
    sub = copy_reference(tmp_path / "sub")
    inject(sub, "lab/models/scoring.py", "perplexity", BURST)
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT, memory_bytes=1 << 30)
    assert report.score == 0, [r.output for r in report.results]
    outputs = [r.output[-300:] for r in report.results]
    assert all("memory cap" in out for out in outputs), outputs
    assert f"cgroup {PLAN.kind}" in results_json(report)["extra_data"]["limits"]
    assert not _leftovers()


@reference_only
@usable
def test_a_fork_bomb_is_stopped_by_the_pids_cap(tmp_path: Path) -> None:
    """As root with the grader's own uid (``same``), no ``RLIMIT_NPROC`` applies: only the
    cgroup stops it."""
    sub = copy_reference(tmp_path / "sub")
    inject(sub, "lab/models/scoring.py", "perplexity", FORK_BOMB)
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT, sandbox_user="same")
    assert report.score == 0
    counts = [int(r.output.split("FORKED ")[1].split()[0]) for r in report.results]
    assert counts and all(n < 512 for n in counts), counts
    assert not _leftovers()
