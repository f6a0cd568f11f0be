"""Signal files have the companies' contract: row errors with reasons, good rows land, counts, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from icp.companies import company_signals, get_company, import_companies, import_signals
from icp.errors import InputError
from icp.store.tables import Signal as SignalRow
from tests.test_cli import icp

COMPANIES = "name,domain\nAcme,acme.com\nBeta,beta.io\n"


@pytest.fixture
def companies_csv(tmp_path: Path) -> Path:
    path = tmp_path / "companies.csv"
    path.write_text(COMPANIES)
    return path


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SIGNALS = [
    '{"domain": "acme.com", "type": "intent", "topic": "crm", "strength": 0.8, "days_ago": 3}',
    '{"domain": "unknown.org", "type": "intent", "days_ago": 1}',
    '{"domain": "beta.io", "type": "hiring", "days_ago": 1e12}',
    "not json",
    '{"type": "intent", "days_ago": 2}',
    '{"domain": "https://www.Beta.io/jobs", "type": "hiring", "strength": 2, "days_ago": 1}',
    '{"domain": "sales@beta.io", "type": "funding", "observed_at": "2026-11-20T00:00:00Z"}',
    '{"domain": "acme.com", "type": "intent", "observed_at": "1900-01-01"}',
    '{"domain": "acme.com", "type": "intent", "days_ago": " "}',
]


def test_good_signal_rows_land_and_bad_ones_are_reported(session: Session, tmp_path: Path, companies_csv: Path) -> None:
    import_companies(session, companies_csv)
    report = import_signals(session, _write(tmp_path, "signals.jsonl", SIGNALS))
    assert (report.imported, report.rejected, report.committed) == (2, 7, True)
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons[2] == "no company with domain unknown.org; import the company first (icp companies import FILE)"
    assert reasons[3] == "days_ago: 1000000000000.0 is out of range (allowed: 0 to 3,650)"
    assert reasons[4] == "not a signal object: 'not valid JSON (Expecting value)'"
    assert reasons[5] == "missing domain"
    assert reasons[6] == "strength: 2 is out of range (allowed: 0 to 1)"
    assert reasons[8].startswith("observed_at: 1900-01-01 is out of range")
    assert reasons[9] == "missing observed_at (an ISO date) or days_ago"
    assert any(w.row == 7 and "e-mail address" in w.message for w in report.warnings)
    acme = get_company(session, "acme.com")
    assert acme.id is not None
    assert [(s.type, s.topic, s.strength) for s in company_signals(session, acme.id)] == [("intent", "crm", 0.8)]


def test_all_or_nothing_lands_no_signal(session: Session, tmp_path: Path, companies_csv: Path) -> None:
    import_companies(session, companies_csv)
    report = import_signals(session, _write(tmp_path, "signals.jsonl", SIGNALS[:2]), all_or_nothing=True)
    assert not report.committed and report.imported == 0 and report.rejected == 1
    assert session.exec(select(SignalRow)).all() == []


def test_signals_from_a_json_list_and_from_csv(session: Session, tmp_path: Path, companies_csv: Path) -> None:
    import_companies(session, companies_csv)
    listed = tmp_path / "signals.json"
    listed.write_text(json.dumps({"signals": [{"domain": "acme.com", "type": "intent", "days_ago": 2}]}))
    assert import_signals(session, listed).imported == 1
    semicolons = _write(tmp_path, "signals.csv", ["domain;type;strength;days_ago", "beta.io;intent;0,5;4"])
    report = import_signals(session, semicolons)
    assert report.imported == 1 and not report.errors
    beta = get_company(session, "beta.io")
    assert beta.id is not None
    assert company_signals(session, beta.id)[0].strength == 0.5


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "is empty"), (b"\x00\x01\x02\x03binary\x00", "not a text file"), (b"[1, 2", "is not valid JSON")],
)
def test_unreadable_signal_files_are_refused_whole(session: Session, tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / ("signals.json" if content.startswith(b"[") else "signals.jsonl")
    path.write_bytes(content)
    with pytest.raises(InputError, match=says):
        import_signals(session, path)


def test_cli_signals_reports_rows_and_exit_codes(tmp_path: Path, companies_csv: Path) -> None:
    db = tmp_path / "icp.db"
    icp("companies", "import", str(companies_csv), db=db)
    result = icp("companies", "signals", str(_write(tmp_path, "s.jsonl", SIGNALS)), db=db)
    assert "2 signals" in result.stdout and "7 rejected" in result.stdout
    assert "row 2 (unknown.org): no company with domain unknown.org" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    as_json = json.loads(icp("companies", "signals", str(tmp_path / "s.jsonl"), "-f", "json", db=db).stdout)
    assert as_json["imported"] == 2 and as_json["errors"][0]["row"] == 2
    strict = icp("companies", "signals", str(tmp_path / "s.jsonl"), "--all-or-nothing", db=db, check=False)
    assert strict.returncode == 1 and "Checked (nothing imported)" in strict.stdout
    only_bad = icp("companies", "signals", str(_write(tmp_path, "bad.jsonl", SIGNALS[1:2])), db=db, check=False)
    assert only_bad.returncode == 1 and "0 signals" in only_bad.stdout


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.jsonl", None, "File not found"),
        ("empty.jsonl", b"", "is empty"),
        ("binary.jsonl", bytes(range(256)) * 4, "not a text file"),
        ("broken.json", b"{oops", "is not valid JSON"),
    ],
)
def test_cli_signals_unreadable_file_exits_1_without_a_traceback(
    tmp_path: Path, name: str, content: bytes | None, says: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = icp("companies", "signals", str(path), db=tmp_path / "icp.db", check=False)
    assert result.returncode == 1 and says in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_signal_feed_with_another_extension_reads_as_jsonl(
    session: Session, tmp_path: Path, companies_csv: Path
) -> None:
    import_companies(session, companies_csv)
    report = import_signals(session, _write(tmp_path, "feed.log", SIGNALS[:1]))
    assert report.imported == 1 and not report.errors
