"""Company import: CRM header mapping, row-level errors, upsert by domain, idempotent re-import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from icp.companies import company_signals, get_company, import_companies, list_companies
from icp.errors import InputError
from icp.importing import map_header, parse_rows, profile_from_mapped
from icp.store.tables import Company

DATA = Path(__file__).parent / "data"


def test_hubspot_export_maps_headers_and_reports_bad_rows(session: Session) -> None:
    report = import_companies(session, DATA / "hubspot_export.csv")
    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, 4)
    assert report.mapping["Company Domain Name"] == "domain"
    assert report.mapping["Number of Employees"] == "employees"
    assert report.mapping["Country/Region"] == "country"
    assert set(report.ignored_columns) == {"Record ID", "Company owner"}
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons[4] == "employees: 'lots' is not a number"
    assert reasons[5] == "missing company name and domain"
    assert reasons[6] == "duplicate domain northwind-analytics.com (first seen on row 2)"
    assert reasons[7].startswith("missing domain")
    fjord = get_company(session, "https://www.fjordline.no/about")  # domain taken from the website
    assert fjord.revenue == 210_000_000
    helix = get_company(session, "helixhealth.com")
    assert helix.revenue == 1_200_000_000
    assert helix.technologies == ["Epic", "AWS"]
    assert get_company(session, "northwind-analytics.com").region == "California"


def test_reimport_counts_unchanged_and_updates_changed_rows(session: Session, tmp_path: Path) -> None:
    first = import_companies(session, DATA / "hubspot_export.csv")
    again = import_companies(session, DATA / "hubspot_export.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    changed = tmp_path / "changed.csv"
    text = (DATA / "hubspot_export.csv").read_text().replace(",640,", ",700,")
    changed.write_text(text)
    third = import_companies(session, changed)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    assert get_company(session, "northwind-analytics.com").employees == 700


def test_jsonl_import_with_lists_signals_and_bad_lines(session: Session) -> None:
    report = import_companies(session, DATA / "companies.jsonl")
    assert (report.created, report.rejected) == (2, 2)
    assert {e.row: e.reason for e in report.errors} == {
        3: "founded_year: 'nineteen' is not a number",
        4: "not a company object: 'not valid JSON (Expecting value)'",
    }
    acme = get_company(session, "acme-robotics.io")
    assert acme.tags == ["industrial", "robotics"] and acme.technologies == ["SAP", "Snowflake"]
    beacon = get_company(session, "beaconpay.com")
    assert beacon.employees == 1200
    assert beacon.id is not None
    (signal,) = company_signals(session, beacon.id)
    assert (signal.type, signal.topic, signal.strength) == ("intent", "data governance", 0.8)


def test_json_list_import(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"companies": [{"Company": "Zed", "Website": "zed.dev", "Headcount": "51-200"}]}))
    report = import_companies(session, path)
    assert report.created == 1
    assert get_company(session, "zed.dev").employees == 126  # midpoint of a size band


def test_all_or_nothing_lands_nothing_when_a_row_is_bad(session: Session) -> None:
    report = import_companies(session, DATA / "hubspot_export.csv", all_or_nothing=True)
    assert not report.committed and report.rejected == 4 and report.created == 0
    assert session.exec(select(Company)).all() == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"foo,bar\n1,2\n", "x.csv", "no recognisable header"),
        (b"{not json", "x.json", "is not valid JSON"),
        (b'{"a": 1}', "x.json", "must hold a JSON list"),
        (b"nope\nnever\n", "x.jsonl", "no valid JSON lines"),
        (b"\xff\xfe\x00\x00binary", "x.csv", "no recognisable header"),
        (b"name,domain\n", "x.xlsx", "Cannot tell the format"),
    ],
)
def test_unparseable_files_are_refused_whole(content: bytes, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_rows(content, name)


def test_missing_file_is_a_clear_error(session: Session) -> None:
    with pytest.raises(InputError, match="File not found"):
        import_companies(session, "nowhere.csv")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Company name", "name"),
        ("Company Domain Name", "domain"),
        ("Website URL", "website"),
        ("Number of Employees", "employees"),
        ("Annual Revenue", "revenue"),
        ("Country/Region", "country"),
        ("State/Region", "region"),
        ("Year Founded", "founded_year"),
        ("Tech Stack", "technologies"),
        ("funding_stage", "funding_stage"),
        ("Owner", None),
    ],
)
def test_header_aliases(header: str, field: str | None) -> None:
    assert map_header(header) == field


@pytest.mark.parametrize(
    ("raw", "employees", "revenue"),
    [
        ({"employees": "1,250", "revenue": "$12.5M"}, 1250, 12_500_000),
        ({"employees": 80, "revenue": "3 billion"}, 80, 3_000_000_000),
        ({"employees": "2k", "revenue": "750000"}, 2000, 750_000),
        ({"employees": "", "revenue": None}, None, None),
    ],
)
def test_number_parsing(raw: dict[str, object], employees: int | None, revenue: float | None) -> None:
    profile = profile_from_mapped({"name": "A", "domain": "a.com", **raw})
    assert (profile.employees, profile.revenue) == (employees, revenue)


def test_search_lists_by_name_domain_or_industry(session: Session) -> None:
    import_companies(session, DATA / "hubspot_export.csv")
    assert [c.domain for c in list_companies(session, search="logistics")] == ["fjordline.no"]
    assert [c.name for c in list_companies(session)] == ["Fjordline Logistics", "Helix Health", "Northwind Analytics"]
