"""The shipped systemd units are valid and start what the README says: the app and `icp worker`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
CHECKOUT = Path(__file__).resolve().parents[1]


def test_the_units_run_the_app_and_the_worker_from_the_checkouts_virtual_environment() -> None:
    app = (UNITS / "icp-app.service").read_text()
    worker = (UNITS / "icp-worker.service").read_text()
    assert "ExecStart=/opt/icp/.venv/bin/streamlit run ui/app.py " in app
    assert "ExecStart=/opt/icp/.venv/bin/icp worker\n" in worker and "KillMode=mixed" in worker
    for unit in (app, worker):
        assert "EnvironmentFile=/etc/icp/icp.env" in unit and "Restart=on-failure" in unit
    env = (UNITS / "icp.env.example").read_text()
    assert "ICP_DATABASE_URL=postgresql+psycopg://" in env and "ICP_CYCLE_SCHEDULE=0 6 * * 1-5" in env


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent  # this checkout's virtual environment stands in for /opt/icp/.venv
    for name in ("icp-app.service", "icp-worker.service"):
        text = (UNITS / name).read_text().replace("/opt/icp/.venv", str(venv)).replace("/opt/icp", str(CHECKOUT))
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "icp-app.service"), str(tmp_path / "icp-worker.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "icp-" not in result.stderr, result.stderr  # no warnings about our units
