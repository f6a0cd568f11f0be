"""An offline cycle's grading worker processes end with their parent, even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session

from icp.companies import upsert_companies
from icp.domain import CompanyProfile
from icp.segments import create_segment
from icp.store import open_engine
from icp.testing.synthetic import synthetic_companies, synthetic_segments

ICP = str(Path(sys.executable).parent / "icp")


def _children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_killing_an_offline_cycle_kills_its_grading_workers(tmp_path: Path) -> None:
    db = tmp_path / "workers.db"
    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        # 4,000 companies x 5 segments: enough pairs for the cycle to grade in worker processes.
        upsert_companies(session, [CompanyProfile.model_validate(c) for c in synthetic_companies(4000, seed=3)])
        session.commit()
        for spec in synthetic_segments(5):
            create_segment(session, spec["name"], spec["requirements"], spec["nice_to_haves"])
    engine.dispose()
    parent = subprocess.Popen(
        [ICP, "--db", str(db), "cycle", "run", "--evaluator", "offline", "--concurrency", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2:
            assert parent.poll() is None, "the cycle finished before its workers were seen"
            assert time.monotonic() < deadline, "no grading workers appeared"
            workers |= _children(parent.pid)
            time.sleep(0.005)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    try:
        deadline = time.monotonic() + 30  # a safety net: they go at once on Linux, within ~1 s elsewhere
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], "grading workers outlived their killed parent"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
