"""``bench.workdir``: every bench's temporary folder is gone afterwards, also on failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.workdir import KEEP_ENV, bench_dir, data_dir, run_child
from tests.conftest import REPO_ROOT


def _failing_bench(made: list[Path]) -> None:
    with bench_dir() as folder:
        made.append(folder)
        (folder / "big.db").write_bytes(b"x" * 1024)
        (folder / "big.db-wal").write_bytes(b"")
        raise RuntimeError("the bench failed")


def test_folder_is_removed_after_a_failure() -> None:
    made: list[Path] = []
    with pytest.raises(RuntimeError, match="the bench failed"):
        _failing_bench(made)
    assert made
    assert not made[0].exists()


def test_folder_is_removed_on_ctrl_c() -> None:
    with pytest.raises(KeyboardInterrupt), bench_dir() as folder:
        raise KeyboardInterrupt
    assert not folder.exists()


def test_generated_data_is_removed_unless_a_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEEP_ENV, raising=False)
    with data_dir() as folder:
        (folder / "queries.db").write_bytes(b"x")
    assert not folder.exists()
    monkeypatch.setenv(KEEP_ENV, str(tmp_path / "kept"))
    with data_dir() as folder:
        (folder / "queries.db").write_bytes(b"x")
    assert folder == tmp_path / "kept"
    assert (folder / "queries.db").exists()  # asked for: kept for the next run


# A bench that makes its folder, says where, then waits to be stopped.
WAITING_BENCH = """
import sys, time
from bench.workdir import bench_dir
with bench_dir() as folder:
    (folder / "big.db").write_bytes(b"x" * 1024)
    print(folder, flush=True)
    time.sleep(600)
"""


def _start_waiting_bench() -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", WAITING_BENCH],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert process.stdout is not None
    folder = Path(process.stdout.readline().strip())
    assert (folder / "big.db").exists()
    return process, folder


def test_folder_is_removed_when_the_bench_is_terminated() -> None:
    process, folder = _start_waiting_bench()
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)  # a guard against a hang, not a timing verdict
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert not folder.exists()


def test_run_child_returns_the_exit_code() -> None:
    assert run_child([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_a_stopped_child_still_removes_its_folder() -> None:
    # What ``python -m bench`` does to the bench it runs when it is interrupted.
    from bench.workdir import stop_child

    process, folder = _start_waiting_bench()
    try:
        stop_child(process)  # type: ignore[arg-type]  # text mode: same Popen
    finally:
        if process.poll() is None:
            process.kill()
    assert not folder.exists()
