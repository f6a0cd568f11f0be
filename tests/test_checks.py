"""Structured checks: every phrasing parses to the expected check and decides the expected verdicts."""

from __future__ import annotations

import pytest

from icp.checks import (
    REGIONS,
    AllOf,
    AnyOf,
    Check,
    FoundedCheck,
    FundingCheck,
    GeoCheck,
    IndustryCheck,
    NotCheck,
    RangeCheck,
    TechCheck,
    check_fields,
    country_code,
    describe_check,
    evaluate_check,
    funding_stage_code,
    parse_check,
    quote,
    subdivision_code,
)
from icp.domain import CompanyProfile, Verdict

M, N, U = Verdict.MET, Verdict.NOT_MET, Verdict.UNKNOWN

COMPANIES: dict[str, CompanyProfile] = {
    "acme": CompanyProfile(
        name="Acme Pay",
        domain="acmepay.de",
        industry="Financial Technology",
        employees=450,
        revenue=25_000_000,
        country="Germany",
        region="Bavaria",
        description="Acme builds payments infrastructure for B2B SaaS platforms. Our SDRs sell to banks.",
        tags=("fintech", "b2b"),
        technologies=("Salesforce Sales Cloud", "Snowflake", "AWS"),
        funding_stage="Series B",
        founded_year=2015,
    ),
    "bolt": CompanyProfile(
        name="Bolt Dev",
        domain="bolt.dev",
        industry="Software",
        employees=1200,
        revenue=150_000_000,
        country="US",
        region="CA",
        description="Bolt makes developer tools for cloud teams.",
        tags=("saas",),
        technologies=("HubSpot", "Gong", "Azure"),
        funding_stage="Series D",
        founded_year=2008,
    ),
    "corner": CompanyProfile(
        name="Corner Partners",
        domain="cornerpartners.co.uk",
        industry="Management Consulting",
        employees=40,
        revenue=3_000_000,
        country="United Kingdom",
        description="A boutique consultancy for retailers.",
        technologies=("HubSpot",),
        funding_stage="Bootstrapped",
        founded_year=1998,
    ),
    "plant": CompanyProfile(
        name="Plant Werke",
        domain="plantwerke.at",
        industry="Manufacturing",
        employees=5000,
        revenue=1_200_000_000,
        country="AT",
        technologies=("SAP",),
        funding_stage="Public",
        founded_year=1950,
    ),
    "clinic": CompanyProfile(
        name="Maple Clinic",
        domain="mapleclinic.ca",
        industry="Healthcare",
        employees=120,
        country="Canada",
        region="Ontario",
        funding_stage="Seed",
        founded_year=2021,
    ),
    "shop": CompanyProfile(
        name="Trail Shop",
        domain="trailshop.com",
        industry="E-commerce",
        employees=80,
        revenue=9_000_000,
        country="United States",
        region="New York",
        description="Online store for outdoor gear.",
        tags=("b2c",),
        technologies=("Shopify", "Klaviyo"),
        funding_stage="Seed",
        founded_year=2019,
    ),
    "empty": CompanyProfile(name="Blank Inc", domain="blank.example"),
}


def emp(lo: float | None = None, hi: float | None = None, lo_inc: bool = True, hi_inc: bool = True) -> RangeCheck:
    return RangeCheck(field="employees", minimum=lo, maximum=hi, min_inclusive=lo_inc, max_inclusive=hi_inc)


def rev(lo: float | None = None, hi: float | None = None, lo_inc: bool = True, hi_inc: bool = True) -> RangeCheck:
    return RangeCheck(field="revenue", minimum=lo, maximum=hi, min_inclusive=lo_inc, max_inclusive=hi_inc)


def geo(*places: str, countries: tuple[str, ...] = (), subs: tuple[str, ...] = ()) -> GeoCheck:
    return GeoCheck(places=places, countries=tuple(sorted(countries)), subdivisions=tuple(sorted(subs)))


def region(name: str) -> GeoCheck:
    return geo(name, countries=REGIONS[name])


def ind(*keys: str, match: str = "any") -> IndustryCheck:
    return IndustryCheck(industries=keys, match=match)  # type: ignore[arg-type]


def tech(*names: str, cats: tuple[str, ...] = (), match: str = "any") -> TechCheck:
    return TechCheck(technologies=names, categories=cats, match=match)  # type: ignore[arg-type]


def fund(*stages: str) -> FundingCheck:
    return FundingCheck(stages=stages)


def founded(lo: int | None = None, hi: int | None = None) -> FoundedCheck:
    return FoundedCheck(min_year=lo, max_year=hi)


def NOT(check: Check) -> NotCheck:
    return NotCheck(check=check)


def ANY(*checks: Check) -> AnyOf:
    return AnyOf(checks=checks)


def ALL(*checks: Check) -> AllOf:
    return AllOf(checks=checks)


LATER_THAN_B = ("series_b", "series_c", "series_d", "series_e_plus", "public", "pe_backed")
VC = ("pre_seed", "seed", "series_a", "series_b", "series_c", "series_d", "series_e_plus")

# (criterion text, expected check or None, expected verdicts per company). Every row is also checked
# against the company with no data, which must always be unknown.
PHRASINGS: list[tuple[str, Check | None, dict[str, Verdict]]] = [
    # --- employee and revenue ranges
    ("200–2,000 employees", emp(200, 2000), {"acme": M, "bolt": M, "corner": N, "plant": N}),
    ("200-2000 employees", emp(200, 2000), {"acme": M, "clinic": N}),
    ("between 100 and 1000 people", emp(100, 1000), {"acme": M, "bolt": N}),
    ("at least 50 employees", emp(50), {"acme": M, "corner": N}),
    ("50+ employees", emp(50), {"shop": M, "corner": N}),
    ("over $10M ARR", rev(10e6, lo_inc=False), {"acme": M, "corner": N, "clinic": U}),
    ("under 500 staff", emp(None, 500, hi_inc=False), {"acme": M, "bolt": N}),
    ("1k–5k employees", emp(1000, 5000), {"bolt": M, "plant": M, "acme": N}),
    ("$5M-$50M revenue", rev(5e6, 50e6), {"acme": M, "shop": M, "bolt": N}),
    ("more than 1,000 FTEs", emp(1000, lo_inc=False), {"bolt": M, "acme": N}),
    ("fewer than 50 people", emp(None, 50, hi_inc=False), {"corner": M, "acme": N}),
    ("revenue above $1B", rev(1e9, lo_inc=False), {"plant": M, "acme": N}),
    ("mid-sized (200-1000)", emp(200, 1000), {"acme": M, "plant": N}),
    ("Headcount of at least 1,000", emp(1000), {"bolt": M, "acme": N}),
    ("no more than 500 employees", emp(None, 500), {"acme": M, "bolt": N}),
    ("500 employees or more", emp(500), {"bolt": M, "acme": N}),
    ("$1.5M+ in annual revenue", rev(1.5e6), {"acme": M, "corner": M}),
    ("ARR between $20M and $200M", rev(20e6, 200e6), {"acme": M, "bolt": M, "corner": N}),
    ("over $1M MRR", rev(12e6, lo_inc=False), {"acme": M, "shop": N}),
    ("team of 10-50", emp(10, 50), {"corner": M, "acme": N}),
    ("Revenue of 10M-100M", rev(10e6, 100e6), {"acme": M, "plant": N}),
    ("200+ employees and over $10M revenue", ALL(emp(200), rev(10e6, lo_inc=False)), {"acme": M, "corner": N}),
    ("at least 200 employees or $20M in revenue", ANY(emp(200), rev(20e6)), {"acme": M, "corner": N}),
    ("200-2000", None, {}),
    ("Companies with more than 50 but fewer than 500 employees", emp(50, 500, False, False), {"acme": M, "corner": N}),
    ("200 employees max", emp(None, 200), {"shop": M, "acme": N}),
    ("Min. 100 employees", emp(100), {"acme": M, "shop": N}),
    ("Dedicated sales team of at least 10 AEs", None, {}),
    ("10-50 people on the sales team", None, {}),
    ("Annual revenue of at least 50 million dollars", rev(50e6), {"plant": M, "acme": N}),
    ("500+ customers in 30 countries", None, {}),
    # --- geographies
    ("HQ in DACH", region("DACH"), {"acme": M, "plant": M, "bolt": N}),
    ("Based in Germany", geo("Germany", countries=("DE",)), {"acme": M, "plant": N}),
    (
        "Headquartered in the US or Canada",
        geo("United States", "Canada", countries=("US", "CA")),
        {"bolt": M, "clinic": M, "shop": M, "acme": N},
    ),
    ("US or CA", geo("United States", "Canada", countries=("US", "CA")), {"clinic": M, "corner": N}),
    ("USA", geo("United States", countries=("US",)), {"bolt": M, "shop": M, "clinic": N}),
    ("UK-based", geo("United Kingdom", countries=("GB",)), {"corner": M, "acme": N}),
    ("Operating in Europe", region("Europe"), {"acme": M, "corner": M, "plant": M, "bolt": N}),
    ("EMEA", region("EMEA"), {"acme": M, "bolt": N}),
    ("North America", region("North America"), {"bolt": M, "clinic": M, "acme": N}),
    ("Nordics", region("Nordics"), {"acme": N}),
    ("based in IN or SG", geo("India", "Singapore", countries=("IN", "SG")), {"acme": N}),
    ("NO agencies IN THE US", ALL(NOT(ind("agency")), geo("United States", countries=("US",))), {"bolt": M}),
    ("Benelux", region("Benelux"), {"plant": N}),
    ("UK&I", region("UK&I"), {"corner": M, "acme": N}),
    ("APAC", region("APAC"), {"acme": N}),
    ("LATAM", region("LATAM"), {"bolt": N}),
    ("Middle East", region("Middle East"), {"acme": N}),
    ("California", geo("California", subs=("US-CA",)), {"bolt": M, "shop": N, "acme": N}),
    ("CA, NY or TX", geo("California", "New York", "Texas", subs=("US-CA", "US-NY", "US-TX")), {"bolt": M, "shop": M}),
    ("Texas", geo("Texas", subs=("US-TX",)), {"bolt": N}),
    ("Ontario", geo("Ontario", subs=("CA-ON",)), {"clinic": M, "bolt": N}),
    ("based in DE or AT", geo("Germany", "Austria", countries=("DE", "AT")), {"acme": M, "plant": M, "bolt": N}),
    ("DE, AT or CH", geo("Germany", "Austria", "Switzerland", countries=("DE", "AT", "CH")), {"plant": M}),
    ("MA or CT", geo("Massachusetts", "Connecticut", subs=("US-MA", "US-CT")), {"bolt": N}),
    ("Must not be headquartered in China or Russia", NOT(geo("China", "Russia", countries=("CN", "RU"))), {"acme": M}),
    ("non-US", NOT(geo("United States", countries=("US",))), {"acme": M, "bolt": N}),
    ("Outside the US", NOT(geo("United States", countries=("US",))), {"clinic": M, "shop": N}),
    (
        "HQ in the United States, excluding California",
        ALL(geo("United States", countries=("US",)), NOT(geo("California", subs=("US-CA",)))),
        {"shop": M, "bolt": N, "acme": N},
    ),
    # --- industries and business models
    # Acme names SaaS only as its customers ("payments infrastructure for B2B SaaS platforms")
    ("B2B SaaS", ind("b2b", "saas", match="all"), {"bolt": M, "acme": U, "plant": N}),
    ("fintech or insurance", ind("fintech", "insurance"), {"acme": M, "plant": N}),
    # Bolt's field says Software (which may be a fintech) but its own words say developer tools
    ("Fintech", ind("fintech"), {"acme": M, "plant": N, "bolt": N}),
    ("healthcare companies", ind("healthcare"), {"clinic": M, "acme": N}),
    ("e-commerce", ind("ecommerce"), {"shop": M, "plant": N}),
    ("marketplaces", ind("marketplace"), {"plant": U}),
    ("developer tools", ind("devtools"), {"bolt": M, "plant": N}),
    ("cybersecurity vendors", ind("cybersecurity"), {"bolt": N, "plant": N}),
    ("manufacturing", ind("manufacturing"), {"plant": M, "acme": N}),
    ("logistics or manufacturing", ind("logistics", "manufacturing"), {"plant": M, "acme": N}),
    ("retail", ind("retail"), {"shop": M, "acme": N}),
    ("banking or financial services", ind("banking", "financial_services"), {"acme": M, "plant": N}),
    ("biotech", ind("biotech"), {"clinic": U, "acme": N}),
    ("medical devices", ind("medtech"), {"clinic": U, "plant": N}),
    ("real estate", ind("real_estate"), {"plant": N}),
    ("HR tech", ind("hrtech"), {"bolt": N, "plant": N}),
    ("martech or adtech", ind("martech", "adtech"), {"plant": N}),
    ("government or public sector", ind("government"), {"plant": N}),
    ("AI/ML", ind("ai"), {"plant": N}),
    ("telecom", ind("telecom"), {"acme": N}),
    ("energy or cleantech", ind("energy", "cleantech"), {"plant": N, "clinic": N, "acme": N}),
    ("data & analytics", ind("data"), {"plant": N}),
    ("edtech", ind("edtech"), {"clinic": N}),
    ("B2B fintech or insurance", ALL(ind("b2b"), ind("fintech", "insurance")), {"acme": M, "plant": N}),
    ("non-profits", ind("nonprofit"), {"acme": N}),
    ("European fintechs", ALL(region("Europe"), ind("fintech")), {"acme": M, "bolt": N, "plant": N}),
    ("Medical device manufacturers", ind("medtech"), {"plant": N}),
    ("car makers in Germany", ALL(ind("automotive"), geo("Germany", countries=("DE",))), {"acme": N}),
    ("SaaS or technology company", ind("saas", "technology"), {"bolt": M, "plant": N}),
    ("B2B companies", ind("b2b"), {"acme": M, "shop": N, "plant": U}),
    ("B2C brands", ind("b2c"), {"shop": M, "acme": N, "plant": U}),
    ("Software for banks", ind("software"), {"bolt": M, "clinic": N}),
    ("sells to hospitals", None, {}),
    # --- negation and exclusion
    ("Not a consultancy", NOT(ind("consulting")), {"corner": N, "acme": M}),
    ("No agencies", NOT(ind("agency")), {"acme": M}),
    ("excluding government", NOT(ind("government")), {"plant": M}),
    ("non-profit excluded", NOT(ind("nonprofit")), {"acme": M}),
    ("except retail", NOT(ind("retail")), {"shop": N, "acme": M}),
    ("Not in retail or government", NOT(ind("retail", "government")), {"shop": N, "plant": M}),
    ("Agencies and consultancies are excluded", NOT(ind("agency", "consulting")), {"corner": N, "acme": M}),
    ("Not a government agency or non-profit", NOT(ind("government", "nonprofit")), {"acme": M}),
    ("B2B SaaS, no agencies", ALL(ind("b2b", "saas", match="all"), NOT(ind("agency"))), {"bolt": M, "acme": U}),
    ("Does not use Salesforce", NOT(tech("Salesforce")), {"acme": N, "bolt": M}),
    # --- technologies
    ("Uses Salesforce", tech("Salesforce"), {"acme": M, "bolt": N, "clinic": U}),
    ("on AWS", tech("AWS"), {"acme": M, "bolt": N, "clinic": U}),
    ("HubSpot or Salesforce", tech("HubSpot", "Salesforce"), {"acme": M, "bolt": M, "corner": M, "plant": N}),
    ("runs Snowflake", tech("Snowflake"), {"acme": M, "bolt": N}),
    ("Salesforce as CRM", tech("Salesforce"), {"acme": M, "corner": N}),
    ("uses Gong or similar", tech("Gong", cats=("sales_engagement",)), {"bolt": M, "acme": N}),
    ("Uses a CRM", tech(cats=("crm",)), {"acme": M, "corner": M, "plant": N}),
    ("Uses Salesforce and Outreach", tech("Salesforce", "Outreach", match="all"), {"acme": N, "clinic": U}),
    (
        "a cloud data warehouse such as Snowflake or BigQuery",
        tech("Snowflake", "BigQuery", cats=("data_warehouse",)),
        {"acme": M, "bolt": N},
    ),
    ("Shopify merchants", tech("Shopify"), {"shop": M, "acme": N}),
    ("Azure or GCP", tech("Azure", "Google Cloud"), {"bolt": M, "acme": N}),
    ("Uses Salesforce (not HubSpot)", ALL(tech("Salesforce"), NOT(tech("HubSpot"))), {"acme": M, "bolt": N}),
    (
        "Uses Gong, Chorus or a similar call recording tool",
        tech("Gong", "Chorus", cats=("sales_engagement",)),
        {"bolt": M, "acme": N},
    ),
    ("Uses Workday for HR and finance", tech("Workday"), {"acme": N, "clinic": U}),
    # --- funding stage
    ("Series B or later", fund(*LATER_THAN_B), {"acme": M, "bolt": M, "plant": M, "clinic": N, "corner": N}),
    ("Series A+", fund("series_a", "series_b", "series_c", "series_d", "series_e_plus", "public"), {"clinic": N}),
    ("seed-stage", fund("seed"), {"clinic": M, "acme": N}),
    ("pre-seed", fund("pre_seed"), {"clinic": N}),
    ("publicly traded", fund("public"), {"plant": M, "acme": N}),
    ("public company", fund("public"), {"plant": M}),
    ("Public or PE-backed", fund("public", "pe_backed"), {"plant": M, "acme": N}),
    ("bootstrapped", fund("bootstrapped"), {"corner": M, "acme": N}),
    ("PE-backed", fund("pe_backed"), {"acme": N}),
    ("VC-backed", fund(*VC), {"acme": M, "plant": N, "corner": N}),
    ("Series A or B", fund("series_a", "series_b"), {"acme": M, "bolt": N}),
    ("Series A to C", fund("series_a", "series_b", "series_c"), {"acme": M, "bolt": N}),
    ("up to Series B", fund("pre_seed", "seed", "series_a", "series_b"), {"clinic": M, "bolt": N}),
    ("early-stage", fund("pre_seed", "seed", "series_a"), {"clinic": M, "acme": N}),
    ("Raised at least a Series A", fund("series_a", *LATER_THAN_B[:-1]), {"acme": M, "clinic": N}),
    ("post-Series B", fund("series_c", "series_d", "series_e_plus", "public", "pe_backed"), {"acme": N, "bolt": M}),
    # --- founding year
    ("founded after 2015", founded(2016), {"acme": N, "clinic": M}),
    ("founded before 2000", founded(None, 1999), {"corner": M, "plant": M, "acme": N}),
    ("at least 5 years old", founded(None, 2021), {"acme": M, "clinic": M, "shop": M}),
    ("founded 2010-2020", founded(2010, 2020), {"acme": M, "bolt": N}),
    ("founded in the last 10 years", founded(2016), {"acme": N, "shop": M}),
    ("less than 3 years old", founded(2024), {"clinic": N}),
    ("established since 2010", founded(2010), {"acme": M, "bolt": N}),
    ("founded in the 2010s", founded(2010, 2019), {"acme": M, "clinic": N}),
    ("founded in 2015", founded(2015, 2015), {"acme": M, "bolt": N}),
    ("Founded after 2010 and before 2020", founded(2011, 2019), {"acme": M, "bolt": N, "clinic": N}),
    ("Founded 5+ years ago", founded(None, 2021), {"acme": M, "clinic": M}),
    ("founded less than 3 years ago", founded(2024), {"clinic": N}),
    # --- alternatives and combinations
    (
        "North America or 500+ employees",
        ANY(region("North America"), emp(500)),
        {"acme": N, "bolt": M, "plant": M, "clinic": M},
    ),
    (
        "fintech in the US or insurance in the UK",
        ANY(
            ALL(ind("fintech"), geo("United States", countries=("US",))),
            ALL(ind("insurance"), geo("United Kingdom", countries=("GB",))),
        ),
        {"acme": N, "plant": N},
    ),
    (
        "B2B SaaS in Europe with 200+ employees",
        ALL(ind("b2b", "saas", match="all"), region("Europe"), emp(200)),
        {"acme": U, "corner": N, "bolt": N},
    ),
    ("Series B+ fintech", ALL(fund(*LATER_THAN_B), ind("fintech")), {"acme": M, "plant": N}),
    # --- no structure: text-only
    ("Has a great culture", None, {}),
    ("Could use our product", None, {}),
]


def test_table_is_large_and_distinct() -> None:
    texts = [row[0] for row in PHRASINGS]
    assert len(texts) == len(set(texts))
    assert len(texts) >= 80


@pytest.mark.parametrize(("text", "expected", "verdicts"), PHRASINGS, ids=[row[0] for row in PHRASINGS])
def test_phrasing_parses_and_decides(text: str, expected: Check | None, verdicts: dict[str, Verdict]) -> None:
    check = parse_check(text)
    assert check == expected
    if check is None:
        return
    for name, verdict in {**verdicts, "empty": U}.items():
        outcome = evaluate_check(check, COMPANIES[name])
        assert outcome.verdict is verdict, f"{text!r} on {name}: {outcome}"
        if verdict is U:
            assert outcome.evidence == ""
        else:
            assert outcome.evidence, f"{text!r} on {name} has no evidence"


@pytest.mark.parametrize("text", [row[0] for row in PHRASINGS if row[1] is not None])
def test_checks_round_trip_through_json(text: str) -> None:
    check = parse_check(text)
    assert check is not None
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Check] = TypeAdapter(Check)
    assert adapter.validate_json(adapter.dump_json(check)) == check
    assert describe_check(check)


def test_evidence_is_a_field_reference() -> None:
    outcome = evaluate_check(emp(200), COMPANIES["acme"])
    assert outcome.evidence == "employees: 450"
    assert evaluate_check(region("DACH"), COMPANIES["plant"]).evidence == "country: AT"
    assert evaluate_check(tech("Salesforce"), COMPANIES["acme"]).evidence == "technologies: Salesforce Sales Cloud"
    assert evaluate_check(fund(*LATER_THAN_B), COMPANIES["bolt"]).evidence == "funding_stage: Series D"


def test_not_met_reason_names_the_value_and_the_limit() -> None:
    outcome = evaluate_check(emp(200, 2000), COMPANIES["corner"])
    assert outcome.reason == "employees: 40 is below 200"
    assert evaluate_check(emp(None, 100), COMPANIES["bolt"]).reason == "employees: 1,200 is above 100"


def test_prose_only_evidence_is_weak_and_quoted() -> None:
    company = CompanyProfile(name="X", domain="x.io", description="We deploy everything on AWS. Hiring now.")
    outcome = evaluate_check(tech("AWS"), company)
    assert outcome.verdict is M
    assert outcome.weak
    assert outcome.evidence in company.description  # type: ignore[operator]


def test_tech_stack_without_the_tool_is_not_met_with_lower_confidence() -> None:
    rival = evaluate_check(tech("Salesforce"), COMPANIES["bolt"])  # HubSpot is a CRM too
    unrelated = evaluate_check(tech("Snowflake"), COMPANIES["bolt"])
    assert rival.verdict is N and unrelated.verdict is N
    assert rival.confidence > unrelated.confidence


def test_unrecognised_country_and_stage_are_unknown_not_failures() -> None:
    company = CompanyProfile(name="X", domain="x.io", country="Atlantis", funding_stage="Grant-funded")
    assert evaluate_check(region("Europe"), company).verdict is U
    assert evaluate_check(fund(*LATER_THAN_B), company).verdict is U


def test_vague_venture_stage_is_only_decided_when_unambiguous() -> None:
    company = CompanyProfile(name="X", domain="x.io", funding_stage="Venture-backed")
    assert evaluate_check(fund(*VC), company).verdict is M
    assert evaluate_check(fund("public"), company).verdict is N
    assert evaluate_check(fund(*LATER_THAN_B), company).verdict is U


def test_state_without_region_data_is_unknown() -> None:
    company = CompanyProfile(name="X", domain="x.io", country="United States")
    assert evaluate_check(geo("California", subs=("US-CA",)), company).verdict is U


def test_state_name_in_region_implies_the_country() -> None:
    company = CompanyProfile(name="X", domain="x.io", region="Texas")
    outcome = evaluate_check(geo("United States", countries=("US",)), company)
    assert (outcome.verdict, outcome.evidence) == (M, "region: Texas")


def test_broader_industry_is_unknown_not_a_failure() -> None:
    # "Software" may well be a fintech; "Financial services" may well be an insurer.
    software = CompanyProfile(name="X", domain="x.io", industry="Software")
    assert evaluate_check(ind("fintech"), software).verdict is U
    insurer = CompanyProfile(name="X", domain="x.io", industry="Financial Services")
    assert evaluate_check(ind("insurance"), insurer).verdict is U


def test_child_industry_implies_parent() -> None:
    biotech = CompanyProfile(name="X", domain="x.io", industry="Biotechnology")
    assert evaluate_check(ind("healthcare"), biotech).verdict is M


@pytest.mark.parametrize(
    ("value", "code"),
    [("United States", "US"), ("USA", "US"), ("us", "US"), ("U.S.", "US"), ("Deutschland", "DE"), ("DEU", "DE"),
     ("UK", "GB"), ("Great Britain", "GB"), ("Österreich", "AT"), ("Atlantis", None), ("", None), (None, None)],
)  # fmt: skip
def test_country_normalisation(value: str | None, code: str | None) -> None:
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("region_value", "country", "code"),
    [("California", None, "US-CA"), ("CA", "US", "US-CA"), ("ON", "CA", "CA-ON"), ("US-NY", None, "US-NY"),
     ("CA", None, None), ("Bavaria", "DE", None)],
)  # fmt: skip
def test_subdivision_normalisation(region_value: str, country: str | None, code: str | None) -> None:
    assert subdivision_code(region_value, country) == code


@pytest.mark.parametrize(
    ("value", "stage"),
    [("Series B", "series_b"), ("series-c", "series_c"), ("Series F", "series_e_plus"), ("Pre-Seed", "pre_seed"),
     ("Seed", "seed"), ("IPO", "public"), ("Public (NASDAQ)", "public"), ("Bootstrapped", "bootstrapped"),
     ("Private Equity", "pe_backed"), ("Venture", "vc_unspecified"), ("Acquired", None)],
)  # fmt: skip
def test_funding_stage_normalisation(value: str, stage: str | None) -> None:
    assert funding_stage_code(value) == stage


def test_reference_year_makes_relative_ages_deterministic() -> None:
    assert parse_check("at least 5 years old", reference_year=2030) == founded(None, 2025)
    assert parse_check("at least 5 years old") == parse_check("at least 5 years old")


def test_check_fields_lists_what_a_check_reads() -> None:
    check = parse_check("B2B SaaS in Europe with 200+ employees")
    assert check is not None
    assert check_fields(check) == {"industry", "tags", "description", "country", "region", "city", "employees"}


def test_quote_is_an_exact_substring() -> None:
    text = "First sentence here. " + "word " * 40 + "payments " + "more " * 40 + ". Last."
    start = text.index("payments")
    snippet = quote(text, start, start + len("payments"))
    assert "payments" in snippet
    assert snippet in text
    assert len(snippet) <= 120


@pytest.mark.parametrize(
    "text",
    ["uses Salesforce", "HQ in DACH", "Series B or later", "not a consultancy", "North America or 500+ employees"],
)
def test_parse_is_deterministic(text: str) -> None:
    from icp.checks._parser import _parse

    assert _parse.__wrapped__(text, 2026) == parse_check(text)
