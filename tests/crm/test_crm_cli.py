"""`icp crm check|pull|push`: diagnoses, dry runs, row errors, readable failures and push after a cycle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icp.errors import InputError
from icp.importing import map_header
from icp.samples import SEGMENTS_FILE
from tests.crm.conftest import CrmServer
from tests.crm.test_round_trip import _motions
from tests.inprocess import run_icp
from tests.test_cli import icp as icp_process


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "crm.db"


def _small_book(crm: CrmServer) -> list[str]:
    rows = [
        {
            "domain": f"northwind{i}.com",
            "name": f"Northwind {i}",
            "industry": "Computer Software",
            "employees": 300 + 40 * i,
            "country": "United States",
            "description": "Northwind is a B2B SaaS platform for finance teams, on Salesforce, with 12 AEs.",
        }
        for i in range(12)
    ]
    ids: list[str] = crm.fake.seed_companies(rows)
    return ids


def test_check_diagnoses_token_scope_and_url(crm: CrmServer, db: Path) -> None:
    ok = run_icp(db, "crm", "check", crm.name, env=crm.env)
    assert "Connected" in ok.stdout
    bad = run_icp(db, "crm", "check", crm.name, env=crm.bad_token_env, check=False)
    assert bad.returncode == 1 and "token" in bad.stdout.lower()
    assert crm.bad_token_env.get("ICP_HUBSPOT_TOKEN", "\0") not in bad.stdout
    wrong = run_icp(db, "crm", "check", crm.name, env=crm.wrong_url_env, check=False)
    assert wrong.returncode == 1 and "Cannot reach" in wrong.stdout
    scope = crm.drop_scope()
    missing = json.loads(run_icp(db, "crm", "check", crm.name, "-f", "json", env=crm.env, check=False).stdout)
    assert not missing["ok"] and any(scope in p for p in missing["problems"])


@pytest.mark.slow  # two process start-ups: the errors only the console script formats
def test_missing_settings_and_unknown_crm_are_readable_errors(db: Path) -> None:
    no_token = icp_process("crm", "pull", "hubspot", db=db, check=False)
    assert no_token.returncode == 1 and "ICP_HUBSPOT_TOKEN" in no_token.stderr and "Traceback" not in no_token.stderr
    unknown = icp_process("crm", "check", "pipedrive", db=db, check=False)
    assert unknown.returncode == 1 and "hubspot" in unknown.stderr


def test_a_pull_reports_bad_records_with_their_row_number(crm: CrmServer, db: Path) -> None:
    _small_book(crm)
    crm.fake.seed_companies(
        [{"name": "No Domain Ltd", "employees": 40}, {"domain": "huge.com", "name": "Huge", "employees": "-5"}]
    )
    dry = json.loads(run_icp(db, "crm", "pull", crm.name, "--dry-run", "-f", "json", env=crm.env).stdout)
    assert dry["companies"]["created"] == 12 and dry["companies"]["rejected"] == 2
    assert run_icp(db, "companies", "list", "-f", "json").stdout.strip() in ("[]", "")  # a dry run stores nothing
    report = json.loads(run_icp(db, "crm", "pull", crm.name, "-f", "json", env=crm.env).stdout)
    errors = {e["row"]: e["reason"] for e in report["companies"]["errors"]}
    assert set(errors) == {13, 14} and "missing domain" in errors[13] and "employees" in errors[14]
    table = run_icp(db, "crm", "pull", crm.name, env=crm.env).stdout  # incremental: only the last record again
    assert "Stored companies" in table


def test_push_needs_a_pull_and_a_cycle_first(crm: CrmServer, db: Path) -> None:
    _small_book(crm)
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    run_icp(db, "cycle", "run", "--evaluator", "offline")
    with pytest.raises(InputError, match="crm pull"):
        run_icp(db, "crm", "push", crm.name, env=crm.env)
    run_icp(db, "crm", "pull", crm.name, env=crm.env)
    fresh = db.parent / "fresh.db"
    run_icp(fresh, "crm", "pull", crm.name, env=crm.env)
    with pytest.raises(InputError, match="cycle run"):
        run_icp(fresh, "crm", "push", crm.name, env=crm.env)


def test_a_dry_run_writes_nothing_and_push_after_cycle_writes(crm: CrmServer, db: Path) -> None:
    _small_book(crm)
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    _motions(db)
    run_icp(db, "crm", "pull", crm.name, env=crm.env)
    run_icp(db, "cycle", "run", "--evaluator", "offline")
    dry = run_icp(db, "crm", "push", crm.name, "--dry-run", env=crm.env)
    assert "Would write" in dry.stdout and "Nothing was written" in dry.stdout and crm.fake.writes == []
    after = run_icp(db, "cycle", "run", "--evaluator", "offline", env={**crm.env, "ICP_CRM_PUSH_AFTER_CYCLE": crm.name})
    assert "CRM push to" in after.stderr and crm.fake.writes
    assert crm.fake.tasks(), "the cycle's tasks reached the CRM"
    again = json.loads(run_icp(db, "crm", "push", crm.name, "-f", "json", env=crm.env).stdout)
    assert (again["accounts_written"], again["tasks_written"]) == (0, 0)
    status = run_icp(db, "crm", "status", crm.name).stdout
    assert "companies: last full pull" in status and "12 accounts linked" in status


def test_a_failing_push_after_cycle_never_fails_the_cycle(crm: CrmServer, db: Path) -> None:
    _small_book(crm)
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    run_icp(db, "crm", "pull", crm.name, env=crm.env)
    env = {**crm.bad_token_env, "ICP_CRM_PUSH_AFTER_CYCLE": crm.name}
    ran = run_icp(db, "cycle", "run", "--evaluator", "offline", env=env)
    assert ran.returncode == 0 and "CRM push to" in ran.stderr and "failed" in ran.stderr


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("numberofemployees", "employees"),
        ("annualrevenue", "revenue"),
        ("founded_year", "founded_year"),
        ("state", "region"),
        ("NumberOfEmployees", "employees"),
        ("BillingCountry", "country"),
        ("BillingState", "region"),
        ("AnnualRevenue", "revenue"),
        ("Website", "website"),
        ("Industry", "industry"),
        ("Description", "description"),
    ],
)
def test_crm_property_names_map_like_export_headers(header: str, field: str) -> None:
    assert map_header(header) == field
