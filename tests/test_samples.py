"""The shipped sample data is well-formed, self-consistent and gives every segment real members."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from icp import samples
from icp.domain import CompanyProfile, normalize_domain

VENTURE_OR_LATER = ("Series A", "Series B", "Series C", "Series D", "Series E", "Public")
NORTH_AMERICA = {"United States", "US", "Canada", "CA", "Mexico"}
EUROPE = {
    "United Kingdom", "GB", "Ireland", "Germany", "DE", "Austria", "Switzerland", "France", "Netherlands",
    "Sweden", "Denmark", "Norway", "Finland", "Spain",
}  # fmt: skip
EMEA = EUROPE | {"Israel", "United Arab Emirates", "South Africa"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return samples.read_company_rows()


@pytest.fixture(scope="module")
def by_domain(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["Company Domain Name"]: row for row in rows}


def _employees(row: dict[str, str]) -> int:
    return int(row["Number of Employees"])


def _techs(row: dict[str, str]) -> set[str]:
    return {t.strip() for t in row["Technologies"].split(";") if t.strip()}


def test_paths_are_absolute_and_exist() -> None:
    for path in (
        samples.SEGMENTS_FILE,
        samples.COMPANIES_FILE,
        samples.SIGNALS_FILE,
        samples.MOTIONS_FILE,
        samples.EXPECTATIONS_FILE,
    ):
        assert path.is_absolute()
        assert path.is_file(), path
        assert path.parent == samples.SAMPLES_DIR


def test_company_csv_headers_are_exactly_the_export_headers() -> None:
    with samples.COMPANIES_FILE.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "Company name",
        "Company Domain Name",
        "Industry",
        "Number of Employees",
        "Annual Revenue",
        "Country/Region",
        "State/Region",
        "City",
        "Description",
        "Technologies",
        "Tags",
        "Funding Stage",
        "Year Founded",
    ]
    assert tuple(header) == samples.COMPANY_CSV_HEADERS


def test_companies_are_many_unique_and_valid_profiles(rows: list[dict[str, str]]) -> None:
    assert 160 <= len(rows) <= 200
    domains = [normalize_domain(row["Company Domain Name"]) for row in rows]
    assert len(set(domains)) == len(domains)
    names = [row["Company name"].lower() for row in rows]
    assert len(set(names)) == len(names)
    for row in rows:
        assert row["Company name"] and row["Company Domain Name"]
        # Every row maps onto the evaluator's input type.
        CompanyProfile(
            name=row["Company name"],
            domain=row["Company Domain Name"],
            industry=row["Industry"] or None,
            employees=int(row["Number of Employees"]) if row["Number of Employees"] else None,
            revenue=float(row["Annual Revenue"]) if row["Annual Revenue"] else None,
            country=row["Country/Region"] or None,
            region=row["State/Region"] or None,
            city=row["City"] or None,
            description=row["Description"] or None,
            technologies=tuple(t for t in row["Technologies"].split(";") if t),
            tags=tuple(t for t in row["Tags"].split(";") if t),
            funding_stage=row["Funding Stage"] or None,
            founded_year=int(row["Year Founded"]) if row["Year Founded"] else None,
        )


def test_companies_have_realistic_spread_and_gaps(rows: list[dict[str, str]]) -> None:
    employees = [_employees(row) for row in rows if row["Number of Employees"]]
    assert min(employees) <= 20 and max(employees) >= 20000
    countries = Counter(row["Country/Region"] for row in rows)
    assert len(countries) >= 20
    assert {"US", "DE"} <= set(countries)  # a few ISO codes, as real exports have
    assert countries["United States"] > countries["US"]
    assert len({row["Industry"] for row in rows}) >= 15
    stages = {row["Funding Stage"] for row in rows}
    assert {"Seed", "Series A", "Series B", "Series C", "Series D", "Series E", "Public", "Bootstrapped"} <= stages
    assert "Private Equity" in stages
    for field in ("Number of Employees", "Country/Region", "Technologies", "Description"):
        assert any(not row[field] for row in rows), f"no record is missing {field}"
    for row in rows:
        if row["Annual Revenue"]:
            assert row["Annual Revenue"].isdigit()


def test_exactly_one_description_carries_a_prompt_injection(rows: list[dict[str, str]]) -> None:
    hits = [row for row in rows if "ignore previous instructions" in row["Description"].lower()]
    assert len(hits) == 1


def test_segments_parse_and_include_the_core_ones() -> None:
    segments = samples.load_segments()
    assert len(segments) >= 4
    names = [segment["name"] for segment in segments]
    assert len(set(names)) == len(names)
    assert {"Mid-Market B2B SaaS", "Enterprise Financial Services", "Healthcare Providers & Healthtech"} <= set(names)
    assert "EMEA Scale-ups" in names
    for segment in segments:
        assert set(segment) == {"name", "requirements", "nice_to_haves", "active", "priority"}
        assert segment["requirements"].strip()
        assert isinstance(segment["active"], bool)
        assert isinstance(segment["priority"], int) and 1 <= segment["priority"] <= 5
    assert sum(segment["active"] for segment in segments) >= 4
    assert any(not segment["active"] for segment in segments)


def test_motions_reference_existing_segments() -> None:
    segment_names = {segment["name"] for segment in samples.load_segments()}
    motions = samples.load_motions()
    assert 2 <= len(motions) <= 3
    for motion in motions:
        assert motion["name"] and motion["description"]
        assert motion["segments"] and set(motion["segments"]) <= segment_names
        assert isinstance(motion["capacity"], int) and motion["capacity"] > 0
        assert set(motion["plays"]) == {"T1", "T2", "T3"}
        for play in motion["plays"].values():
            assert play["channel"] and play["play"]
            assert isinstance(play["sla_days"], int) and play["sla_days"] > 0
        slas = [motion["plays"][tier]["sla_days"] for tier in ("T1", "T2", "T3")]
        assert slas == sorted(slas)


def test_signals_reference_existing_companies(by_domain: dict[str, dict[str, str]]) -> None:
    signals = samples.load_signals()
    assert 40 <= len(signals) <= 80
    assert 30 <= len({signal["domain"] for signal in signals}) <= 50
    for signal in signals:
        assert set(signal) == {"domain", "type", "topic", "strength", "days_ago"}
        assert signal["domain"] in by_domain
        assert signal["type"] in {"intent", "hiring", "funding", "engagement", "technographic"}
        assert signal["topic"]
        assert 0 <= signal["strength"] <= 1
        assert isinstance(signal["days_ago"], int) and 0 <= signal["days_ago"] <= 90
    assert {signal["type"] for signal in signals} == {"intent", "hiring", "funding", "engagement", "technographic"}


def test_expectations_name_existing_companies_and_segments(by_domain: dict[str, dict[str, str]]) -> None:
    expectations = samples.load_expectations()
    active = {segment["name"] for segment in samples.load_segments() if segment["active"]}
    assert set(expectations) == active
    for segment, buckets in expectations.items():
        assert len(buckets["members"]) >= 5, segment
        assert len(buckets["non_members"]) >= 4, segment
        for bucket in buckets.values():
            assert set(bucket) <= set(by_domain)


def test_intended_members_visibly_meet_the_firmographic_requirements(by_domain: dict[str, dict[str, str]]) -> None:
    """Independent of any grader: the fields of each intended member satisfy the structured requirements."""
    expectations = samples.load_expectations()
    for domain in expectations["Mid-Market B2B SaaS"]["members"]:
        row = by_domain[domain]
        assert 200 <= _employees(row) <= 2000, domain
        assert row["Country/Region"] in NORTH_AMERICA | EUROPE, domain
        assert "Salesforce" in _techs(row), domain
        assert "B2B SaaS" in row["Description"], domain
        assert "account executives" in row["Description"], domain
    for domain in expectations["Enterprise Financial Services"]["members"]:
        row = by_domain[domain]
        assert _employees(row) >= 5000 or int(row["Annual Revenue"]) >= 1_000_000_000, domain
        assert row["Country/Region"] in {"United States", "Canada", "United Kingdom", "Ireland"}, domain
        assert _techs(row) & {"Snowflake", "Databricks"}, domain
        assert row["Industry"] in {"Banking", "Insurance", "Financial Services"}, domain
    for domain in expectations["Healthcare Providers & Healthtech"]["members"]:
        row = by_domain[domain]
        assert 100 <= _employees(row) <= 1000, domain
        assert row["Country/Region"] in {"United States", "US"}, domain
        assert row["Industry"] != "Medical Devices", domain
    for domain in expectations["EMEA Scale-ups"]["members"]:
        row = by_domain[domain]
        assert 50 <= _employees(row) <= 500, domain
        assert row["Country/Region"] in EMEA, domain
        assert row["Funding Stage"] in {"Series A", "Series B", "Series C"}, domain


def test_members_spread_over_nice_to_haves(by_domain: dict[str, dict[str, str]]) -> None:
    """Each segment has members meeting all, some and none of the observable nice-to-haves (T1/T2/T3 spread)."""
    expectations = samples.load_expectations()

    def mid(row: dict[str, str]) -> int:
        return (row["Funding Stage"] in VENTURE_OR_LATER[1:]) + bool(_techs(row) & {"Gong", "Chorus"})

    def emea(row: dict[str, str]) -> int:
        dach_nordics = {"Germany", "DE", "Austria", "Switzerland", "Sweden", "Denmark", "Norway", "Finland"}
        return (row["Country/Region"] in dach_nordics) + ("HubSpot" in _techs(row)) + (int(row["Year Founded"]) >= 2015)

    for segment, count, top in (("Mid-Market B2B SaaS", mid, 2), ("EMEA Scale-ups", emea, 3)):
        met = {count(by_domain[d]) for d in expectations[segment]["members"]}
        assert {0, top} <= met and len(met) >= 3, (segment, met)


def test_builder_reproduces_the_committed_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV, signals and expectations are exactly what the seeded builder writes."""
    script = samples.SAMPLES_DIR / "_build_companies.py"
    spec = importlib.util.spec_from_file_location("_build_companies", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses resolve annotations via sys.modules
    spec.loader.exec_module(module)
    assert tuple(module.HEADERS) == samples.COMPANY_CSV_HEADERS
    rows, signals, expectations = module.build()
    assert rows == samples.read_company_rows()
    assert signals == samples.load_signals()
    assert expectations == samples.load_expectations()


def test_samples_are_packaged_next_to_the_module() -> None:
    assert Path(samples.__file__).resolve().parent == samples.SAMPLES_DIR


# --- synthetic generator -------------------------------------------------------------------------

CANONICAL_KEYS = {
    "name", "domain", "industry", "employees", "revenue", "country", "region", "city", "description", "tags",
    "technologies", "funding_stage", "founded_year",
}  # fmt: skip


def test_synthetic_companies_are_deterministic_per_seed() -> None:
    from icp.testing.synthetic import synthetic_companies

    first = list(synthetic_companies(500, seed=7))
    assert first == list(synthetic_companies(500, seed=7))
    assert first != list(synthetic_companies(500, seed=8))
    # A prefix of a longer run is the shorter run: generation is a stream.
    assert list(synthetic_companies(100, seed=7)) == first[:100]


def test_synthetic_companies_have_unique_domains_and_canonical_fields() -> None:
    from icp.testing.synthetic import synthetic_companies

    companies = list(synthetic_companies(20_000, seed=3))
    assert len(companies) == 20_000
    assert len({company["domain"] for company in companies}) == len(companies)
    for company in companies[:2000]:
        assert set(company) == CANONICAL_KEYS
        assert isinstance(company["tags"], list) and isinstance(company["technologies"], list)
        profile = CompanyProfile(
            **{key: tuple(value) if isinstance(value, list) else value for key, value in company.items()}
        )
        assert profile.domain == company["domain"]


def test_synthetic_companies_have_about_five_percent_missing_per_field() -> None:
    from icp.testing.synthetic import synthetic_companies

    companies = list(synthetic_companies(20_000, seed=1))
    for field in ("industry", "employees", "revenue", "country", "description", "founded_year"):
        missing = sum(company[field] is None for company in companies) / len(companies)
        assert 0.03 < missing < 0.07, (field, missing)
    assert 0.03 < sum(not company["technologies"] for company in companies) / len(companies) < 0.07
    employees = [company["employees"] for company in companies if company["employees"] is not None]
    assert min(employees) <= 20 and max(employees) >= 10_000
    assert len({company["country"] for company in companies}) >= 20


def test_synthetic_companies_are_fast() -> None:
    import time

    from icp.testing.synthetic import synthetic_companies

    started = time.perf_counter()
    count = sum(1 for _ in synthetic_companies(100_000))
    assert count == 100_000
    assert time.perf_counter() - started < 15  # ~1-2 s on a laptop; generous for slow CI


def test_synthetic_segments_have_the_sample_shape() -> None:
    from icp.testing.synthetic import synthetic_segments

    segments = synthetic_segments()
    assert len(segments) == 5
    assert segments == synthetic_segments(5)
    sample_keys = set(samples.load_segments()[0])
    names = [segment["name"] for segment in segments]
    assert len(set(names)) == len(names)
    for segment in segments:
        assert set(segment) == sample_keys
        assert segment["requirements"].startswith("- ")
        assert isinstance(segment["priority"], int) and 1 <= segment["priority"] <= 5
    assert len(synthetic_segments(40)) == 40
    with pytest.raises(ValueError):
        synthetic_segments(10_000)
