"""The ``icp`` command through its real console-script entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from icp.samples import COMPANIES_FILE, SEGMENTS_FILE

ICP = str(Path(sys.executable).parent / "icp")
DATA = Path(__file__).parent / "data"


def icp(*args: str, db: Path, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [ICP, "--db", str(db), *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        env={"PATH": str(Path(sys.executable).parent), "COLUMNS": "200", "HOME": str(db.parent)},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"icp {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "fresh.db"


def test_help_explains_every_command(db: Path) -> None:
    out = icp("--help", db=db).stdout
    for command in ("demo", "segments", "companies", "cycle", "queue", "grade", "motions", "tasks", "changes"):
        assert command in out
    assert "Write and manage ICP segments" in icp("segments", "--help", db=db).stdout
    assert not db.exists(), "--help must not create a database"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--bogus",), "No such option: --bogus"),
        (("segments", "list", "--bogus"), "No such option: --bogus"),
        (("segments", "show"), "Missing argument"),
        (("queue", "--format", "xml"), "Invalid value"),
        (("nonsense",), "No such command"),
    ],
)
def test_usage_errors_print_usage_and_exit_2_without_a_traceback(db: Path, args: tuple[str, ...], says: str) -> None:
    result = icp(*args, db=db, check=False)
    assert result.returncode == 2
    assert says in result.stderr and "Usage: icp" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_version(db: Path) -> None:
    from importlib.metadata import version

    assert icp("--version", db=db).stdout.strip() == f"icp {version('icp')}"
    assert not db.exists()


def test_segments_import_then_companies_import_then_list_json_on_a_fresh_db(db: Path) -> None:
    out = icp("segments", "import", str(SEGMENTS_FILE), db=db).stdout
    assert "5 created" in out
    out = icp("companies", "import", str(COMPANIES_FILE), db=db).stdout
    assert "created" in out and "0 rejected" in out
    listed = json.loads(icp("segments", "list", "--format", "json", db=db).stdout)
    assert {s["name"] for s in listed} >= {"Mid-Market B2B SaaS", "EMEA Scale-ups"}
    assert all(s["version"] == 1 for s in listed)
    rows = list(csv.DictReader(io.StringIO(icp("companies", "list", "--format", "csv", "-n", "0", db=db).stdout)))
    assert len(rows) >= 150 and {"name", "domain", "employees"} <= set(rows[0])


def test_add_edit_show_history_and_stale_edit(db: Path) -> None:
    icp("segments", "add", "--name", "Fintech", "--requirements", "Fintech; 50+ employees", db=db)
    out = icp("segments", "edit", "Fintech", "--requirements", "Fintech; 100+ employees", db=db).stdout
    assert "version 2" in out
    stale = icp("segments", "edit", "Fintech", "--based-on-version", "1", "--nice-to-haves", "x", db=db, check=False)
    assert stale.returncode == 1
    assert "changed by someone else" in stale.stderr and "Nothing was saved" in stale.stderr
    shown = json.loads(icp("segments", "show", "fintech", "--format", "json", db=db).stdout)
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert [c["id"] for c in shown["criteria"]] == ["R1", "R2"]


def test_add_without_name_is_a_readable_error(db: Path) -> None:
    result = icp("segments", "add", "--name", "  ", db=db, check=False)
    assert result.returncode == 1 and "name is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_delete_asks_for_confirmation_unless_yes(db: Path) -> None:
    icp("segments", "add", "--name", "Temp", db=db)
    refused = icp("segments", "delete", "Temp", db=db, input="n\n", check=False)
    assert refused.returncode == 1 and "Tasks already generated from it stay" in refused.stdout
    assert json.loads(icp("segments", "list", "-f", "json", db=db).stdout)[0]["name"] == "Temp"
    icp("segments", "delete", "Temp", db=db, input="y\n")
    assert json.loads(icp("segments", "list", "-f", "json", db=db).stdout) == []
    icp("segments", "add", "--name", "Temp2", db=db)
    icp("segments", "delete", "Temp2", "--yes", db=db)
    assert json.loads(icp("segments", "list", "-f", "json", db=db).stdout) == []


def test_companies_import_reports_row_errors_and_good_rows_land(db: Path) -> None:
    result = icp("companies", "import", str(DATA / "hubspot_export.csv"), db=db)
    assert "3 created" in result.stdout and "4 rejected" in result.stdout
    assert "row 4" in result.stdout and "'lots' is not a number" in result.stdout
    strict = icp(
        "companies", "import", str(DATA / "hubspot_export.csv"), "--all-or-nothing", "-f", "json", db=db, check=False
    )
    assert strict.returncode == 1 and json.loads(strict.stdout)["committed"] is False


def test_unparseable_file_is_refused_with_a_clear_message(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result = icp("companies", "import", str(bad), db=db, check=False)
    assert result.returncode == 1 and "is not valid JSON" in result.stderr and "Traceback" not in result.stderr
