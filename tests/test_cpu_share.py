"""Threads from the CPU share actually available: affinity, cgroup quota, other processes' load.

The decision is a pure function of the readings, so a busy machine, a container
quota and a torchrun node are all tested here on a quiet one; the throughput it
buys is measured in ``benchmarks/busy.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lab.cpu_share import (
    CpuReadings,
    cgroup_quota,
    cpu_limit,
    env_threads,
    parse_cfs,
    parse_cpu_max,
    plan_threads,
    read_machine,
)
from lab.errors import LabError


def readings(**kw: float) -> CpuReadings:
    base = {"affinity": 2, "online": 2}
    return CpuReadings(**{**base, **kw})  # type: ignore[arg-type]


def test_an_idle_machine_gets_every_usable_core() -> None:
    assert plan_threads(readings()).threads == 2
    assert plan_threads(readings(affinity=8, online=8, load1=0.3)).threads == 8


def test_busy_cores_are_never_oversubscribed() -> None:
    # 4 busy processes on 2 cores (the case), and a load of 20.
    assert plan_threads(readings(load1=4.0)).threads == 1
    assert plan_threads(readings(load1=20.0)).threads == 1
    # One core taken: one thread; half a core taken still leaves two free enough.
    assert plan_threads(readings(load1=1.0)).threads == 1
    assert plan_threads(readings(load1=0.4)).threads == 2
    # 8 cores, 3 of them busy: 5 threads.
    assert plan_threads(readings(affinity=8, online=8, load1=3.0)).threads == 5
    plan = plan_threads(readings(load1=4.0))
    assert "other processes" in plan.reason and plan.interop == 1


def test_our_own_part_of_the_load_does_not_count_against_us() -> None:
    # We trained on both cores for the last minute: the load is ours, not others'.
    assert plan_threads(readings(load1=2.1, own_load=1.9)).threads == 2


def test_work_runnable_now_counts_before_the_load_average_catches_up() -> None:
    # The 1-minute average lags: 4 processes started 5 s ago show as ~0.3.
    assert plan_threads(readings(load1=0.3, runnable_others=4)).threads == 1


def test_affinity_quota_and_local_processes_cap_the_threads() -> None:
    assert plan_threads(readings(affinity=1)).threads == 1  # taskset -c 0
    assert plan_threads(readings(affinity=16, online=16, quota=2.0)).threads == 2  # --cpus 2
    assert plan_threads(readings(affinity=16, online=16, quota=1.5)).threads == 1
    assert plan_threads(readings(affinity=16, online=16, quota=0.5)).threads == 1
    assert plan_threads(readings(affinity=8, online=8, processes=2)).threads == 4  # torchrun
    assert cpu_limit(4, None, 8) == 1


def test_cgroup_quota_files_are_parsed_v2_and_v1() -> None:
    assert parse_cpu_max("max 100000\n") is None
    assert parse_cpu_max("150000 100000\n") == 1.5
    assert parse_cpu_max("garbage") is None
    assert parse_cfs("-1\n", "100000\n") is None
    assert parse_cfs("200000\n", "100000\n") == 2.0


def test_the_tightest_quota_of_the_cgroup_and_its_ancestors_is_found(tmp_path: Path) -> None:
    (tmp_path / "user.slice" / "job").mkdir(parents=True)
    (tmp_path / "user.slice" / "cpu.max").write_text("300000 100000\n")
    (tmp_path / "user.slice" / "job" / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path, "0::/user.slice/job\n") == 3.0
    v1 = tmp_path / "v1"
    (v1 / "cpu,cpuacct" / "docker" / "abc").mkdir(parents=True)
    (v1 / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us").write_text("50000\n")
    (v1 / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(v1, "4:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n") == 0.5
    assert cgroup_quota(tmp_path / "missing", "0::/\n") is None


def test_the_environment_override_is_checked() -> None:
    assert env_threads({}) is None
    assert env_threads({"TEXTGEN_LAB_THREADS": "3"}) == 3
    with pytest.raises(LabError, match="TEXTGEN_LAB_THREADS"):
        env_threads({"TEXTGEN_LAB_THREADS": "two"})
    with pytest.raises(LabError, match="TEXTGEN_LAB_THREADS"):
        env_threads({"TEXTGEN_LAB_THREADS": "0"})


def test_configure_sets_torch_threads_and_an_explicit_count_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lab import cpu_share as device

    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(device, "read_machine", lambda: readings(load1=6.0))
        assert device.configure_cpu_threads(None).threads == 1
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("TEXTGEN_LAB_THREADS", "2")
        assert device.configure_cpu_threads(None).threads == 2  # the environment wins
        assert device.configure_cpu_threads(1).threads == 1  # the flag wins over it
        assert torch.get_num_threads() == 1
        # A second call cannot change the inter-op pool; it must not fail either.
        device.configure_cpu_threads(None)
    finally:
        torch.set_num_threads(before)


def test_this_machine_can_be_read() -> None:
    r = read_machine()
    assert r.affinity >= 1 and r.online >= r.affinity and r.load1 >= 0
    assert r.runnable_others >= 0 and r.own_load >= 0
    assert 1 <= plan_threads(r).threads <= r.affinity
