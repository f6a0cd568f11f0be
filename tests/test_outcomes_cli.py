"""`icp outcomes import|report|list` and `icp segments backtest` with HubSpot- and Salesforce-style exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icp.samples import COMPANIES_FILE, SEGMENTS_FILE
from tests.inprocess import Ran, run_icp
from tests.test_cli import icp as icp_process


def icp(*args: str, db: Path, check: bool = True) -> Ran:
    return run_icp(db, *args, check=check)


HUBSPOT = """\
Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Associated Company Domain,Associated Company
101,Ledgerlight — New business,Closed Won,"$42,000",2026-02-03,2026-03-01,https://ledgerlight.co.uk,Ledgerlight
102,Parcelwise — Pilot,Closed Lost,12000,2026-02-10,2026-04-02,parcelwise.nl,
103,Ghost deal,Closed Won,5000,2026-02-11,2026-03-01,ghost.example,Ghost Inc
104,Zurivo — Expansion,Signed,30000,02/20/2026,03/15/2026,,Zurivo
105,Broken,Closed Won,lots,2026-02-12,2026-03-01,zurivo.ch,
106,Cindershift — Renewal,Negotiation,9000,2026-03-01,,cindershift.fr,
"""
SALESFORCE = """\
Opportunity ID;Opportunity Name;Stage;Won;Closed;Amount;Close Date;Created Date;Account Website;Account Name
006A;Tessellate deal;Closed Won;true;true;18.500,00;2026-05-01;2026-03-01;tessellate-analytics.de;Tessellate Analytics
006B;Arcwell deal;Proposal/Price Quote;false;false;7.000;;2026-04-01;arcwell.fr;Arcwell Data
006C;Emberbeam deal;Closed Lost;false;true;3.000;2026-06-01;2026-04-11;;Emberbeam
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "outcomes.db"
    icp("segments", "import", str(SEGMENTS_FILE), db=path)
    icp("companies", "import", str(COMPANIES_FILE), db=path)
    return path


def test_a_hubspot_deal_export_lands_its_good_rows_and_reports_the_rest(db: Path, tmp_path: Path) -> None:
    file = tmp_path / "hubspot-deals.csv"
    file.write_text(HUBSPOT, encoding="utf-8")
    out = icp("outcomes", "import", str(file), "--stage", "Signed=won", "-f", "json", db=db)
    report = json.loads(out.stdout)
    assert (report["created"], report["rejected"]) == (4, 2)
    assert (report["won"], report["lost"], report["open"]) == (2, 1, 1)
    reasons = {e["row"]: e["reason"] for e in report["errors"]}
    assert "no company matches 'ghost.example' or 'Ghost Inc'" in reasons[4]
    assert "amount" in reasons[6]
    assert report["unknown_stages"] == {"Negotiation": 1}  # counted as open, and said
    deals = json.loads(icp("outcomes", "list", "-f", "json", db=db).stdout)
    zurivo = next(d for d in deals if d["deal_id"] == "104")
    assert (zurivo["domain"], zurivo["result"], zurivo["created_on"]) == ("zurivo.ch", "won", "2026-02-20")

    # Re-importing the same file changes nothing; a changed stage updates the deal.
    again = json.loads(icp("outcomes", "import", str(file), "--stage", "Signed=won", "-f", "json", db=db).stdout)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    file.write_text(HUBSPOT.replace("Negotiation", "Closed Lost"), encoding="utf-8")
    changed = json.loads(icp("outcomes", "import", str(file), "--stage", "Signed=won", "-f", "json", db=db).stdout)
    assert (changed["updated"], changed["lost"]) == (1, 2)
    table = icp("outcomes", "import", str(file), "--stage", "Signed=won", db=db).stdout
    assert "Rejected rows" in table and "Ghost Inc" in table


def test_a_salesforce_opportunity_export_with_flags_and_decimal_commas(db: Path, tmp_path: Path) -> None:
    file = tmp_path / "opportunities.csv"
    file.write_text(SALESFORCE, encoding="utf-8")
    report = json.loads(icp("outcomes", "import", str(file), "-f", "json", db=db).stdout)
    assert (report["created"], report["won"], report["lost"], report["open"]) == (3, 1, 1, 1)
    deals = {d["deal_id"]: d for d in json.loads(icp("outcomes", "list", "-f", "json", db=db).stdout)}
    assert deals["006A"]["amount"] == 18500.0 and deals["006C"]["domain"] == "emberbeam.se"


def test_bad_stage_mappings_and_all_or_nothing(db: Path, tmp_path: Path) -> None:
    file = tmp_path / "deals.csv"
    file.write_text(HUBSPOT, encoding="utf-8")
    bad = icp_process("outcomes", "import", str(file), "--stage", "Signed", db=db, check=False)
    assert bad.returncode == 1 and "--stage must look like 'Signed=won'" in bad.stderr
    none = icp("outcomes", "import", str(file), "--all-or-nothing", db=db, check=False)
    assert none.returncode == 1 and "Imported nothing" in none.stdout
    assert json.loads(icp("outcomes", "list", "-f", "json", db=db).stdout) == []


def test_demo_prints_lift_per_segment_and_the_backtest_finds_the_requirement_that_excludes_winners(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    out = icp("demo", db=db).stdout
    assert "Would the segments have picked the deals you won?" in out
    assert "Mid-Market B2B SaaS: T1 accounts won" in out
    report = json.loads(icp("outcomes", "report", "--regrade", "-f", "json", db=db).stdout)
    mid = next(s for s in report if s["segment"] == "Mid-Market B2B SaaS")
    assert mid["t1_lift_low"] > 1 and mid["regraded"] == mid["closed"] > 100
    assert json.loads(icp("outcomes", "report", "-f", "json", db=db).stdout)[0]["closed"] == 0  # no earlier cycle

    backtest = json.loads(icp("segments", "backtest", "--segment", "Mid-Market B2B SaaS", "-f", "json", db=db).stdout)
    exclusions = {e["text"]: e for e in backtest["draft"]["exclusions"]}
    crm = exclusions["Uses Salesforce as CRM"]
    assert crm["won_excluded"] >= crm["won_total"] * 0.4  # the CRM plays no part in winning: it shuts winners out
    without = json.loads(
        icp(
            "segments", "backtest", "--segment", "Mid-Market B2B SaaS", "--requirements",
            "B2B SaaS company\n200–2,000 employees\nHeadquartered in North America or Europe", "-f", "json", db=db,
        ).stdout
    )  # fmt: skip
    assert without["saved"]["label"] == "saved version 1"
    assert without["draft"]["won_recall"] > without["saved"]["won_recall"]
    text = icp("segments", "backtest", "--segment", "Mid-Market B2B SaaS", db=db).stdout
    assert "'Uses Salesforce as CRM' excluded" in text and "won accounts" in text


def test_backtest_without_deals_says_how_to_get_them(db: Path) -> None:
    out = icp("segments", "backtest", "--name", "Draft", "--requirements", "B2B SaaS company", db=db).stdout
    assert "No closed deals yet" in out and "icp outcomes import" in out
    empty = icp_process("segments", "backtest", db=db, check=False)
    assert empty.returncode == 1 and "Give a draft" in empty.stderr
