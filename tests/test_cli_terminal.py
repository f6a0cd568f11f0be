"""Untrusted text (company data, model output) reaches the terminal without control or escape sequences."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from tests.test_cli import icp

EVIL_NAME = "\x1b[31mEvil\x1b]8;;http://x\x07"
EVIL_DESCRIPTION = "B2B SaaS platform.\x1b[2J\r\u202eesrever [link=http://x]click[/link] \x9b31m\x07done"
FORBIDDEN = ("\x1b", "\x07", "\r", "\u202e", "\x9b")


def _hostile_company(path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "domain", "industry", "employees", "country", "description", "tags"])
    writer.writerow([EVIL_NAME, "evil.io", "Software", "300", "US", EVIL_DESCRIPTION, "B2B;SaaS;\x1b[5mblink"])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_company_data_is_printed_without_control_sequences(tmp_path: Path) -> None:
    db = tmp_path / "evil.db"
    icp("segments", "add", "--name", "SaaS", "--requirements", "B2B SaaS company", db=db)
    icp("companies", "import", str(_hostile_company(tmp_path / "evil.csv")), db=db)
    icp("motions", "add", "--name", "Outbound", "--segment", "SaaS", db=db)
    icp("cycle", "run", "--evaluator", "offline", db=db)
    outputs = {
        "queue": icp("queue", "--explain", db=db).stdout,
        "queue csv": icp("queue", "--format", "csv", db=db).stdout,
        "companies list": icp("companies", "list", db=db).stdout,
        "companies show": icp("companies", "show", "evil.io", db=db).stdout,
        "grade": icp("grade", "--segment", "SaaS", "--company", "evil.io", db=db).stdout,
        "tasks": icp("tasks", "list", db=db).stdout,
    }
    for command, out in outputs.items():
        assert "Evil" in out, command
        assert not any(c in out for c in FORBIDDEN), f"{command}: {out!r}"
    shown = outputs["companies show"]
    assert "[link=http://x]click[/link]" in shown  # shown as the text it is, not turned into a live link
    assert "esrever" in shown and "done" in shown


def test_pip_hints_name_the_pip_beside_this_icp(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """After the quick start only `.venv/bin/…` exists: an 'install the extra' hint must say which pip."""
    from icp.cli._output import as_typed, command_names

    command_names.cache_clear()  # worked out once per process: again for this test, and again after it
    request.addfinalizer(command_names.cache_clear)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("icp", "pip"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr(sys, "argv", [".venv/bin/icp", "crm", "check", "hubspot"])
    hint = as_typed("Install the CRM extra: `pip install -e '.[crm]'` (or `pip install 'icp[crm]'`).")
    assert hint == "Install the CRM extra: `.venv/bin/pip install -e '.[crm]'` (or `.venv/bin/pip install 'icp[crm]'`)."
    assert as_typed("Run `icp cycle run`.") == "Run `.venv/bin/icp cycle run`."
