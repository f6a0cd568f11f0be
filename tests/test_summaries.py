"""Checked summaries: what a model's summary may not state against the company's fields or the verdicts."""

from __future__ import annotations

import pytest

from icp.domain import CompanyProfile, CriterionKind, CriterionResult, Verdict
from icp.summaries import summary_contradictions

ACME = CompanyProfile(
    name="Acme",
    domain="acme.es",
    country="ES",
    employees=260,
    revenue=30_000_000,
    industry="Software",
    founded_year=2012,
)


def _requirement(cid: str, verdict: Verdict, note: str = "") -> CriterionResult:
    return CriterionResult(id=cid, kind=CriterionKind.REQUIREMENT, text=f"criterion {cid}", verdict=verdict, note=note)


MET = (_requirement("R1", Verdict.MET), _requirement("R2", Verdict.MET))


def _problems(summary: str, company: CompanyProfile = ACME, results: tuple[CriterionResult, ...] = MET) -> str:
    return " | ".join(summary_contradictions(summary, company, results))


@pytest.mark.parametrize(
    "summary",
    [
        "A German company with a strong sales team.",
        "Acme is a German software company.",
        "Headquartered in Germany, Acme sells HR software.",
        "A Berlin-based... no: a Germany-based vendor.",
        "Based out of the United States.",
        "A company from Deutschland.",
        "HQ in France; sells to retailers.",
        "A British scale-up.",
        "Acme is not a Spanish company.",  # negated, against a Spanish company
        "Acme is not based in Spain.",
    ],
)
def test_a_country_the_data_denies_is_a_contradiction(summary: str) -> None:
    assert "the company's country is ES" in _problems(summary)


@pytest.mark.parametrize(
    "summary",
    [
        "A Spanish software company.",
        "Based in Spain.",
        "A company from España.",  # the native name
        "Spain-based vendor of HR software.",
        "Acme is not a German company.",  # negated, and indeed not German
        "Not based in Germany; sells across Europe.",
        "Sells to German companies and French banks.",  # about its customers
        "Serves a German bank and several French retailers.",
        "Expanding into Germany.",  # a market, not where it is
        "",
    ],
)
def test_a_country_the_data_supports_or_that_is_not_the_companys_is_fine(summary: str) -> None:
    assert _problems(summary) == ""


def test_no_country_field_means_nothing_to_contradict() -> None:
    assert _problems("A German company.", ACME.model_copy(update={"country": None})) == ""


@pytest.mark.parametrize(
    ("summary", "field"),
    [
        ("A company with 120 employees.", "employees: 260"),
        ("Acme has 1,200 staff.", "employees: 260"),
        ("About 100 people work there.", "employees: 260"),  # hedged, still far off
        ("Over 500 employees.", "employees: 260"),
        ("Fewer than 50 employees.", "employees: 260"),
        ("1,000+ employees.", "employees: 260"),
        ("10-50 employees.", "employees: 260"),
        ("A 2k-person company.", "employees: 260"),
        ("Employs 90 people.", "employees: 260"),
        ("Acme does not have 260 employees.", "employees: 260"),
        ("$5M ARR.", "revenue: 30,000,000"),
        ("Revenue of $120 million.", "revenue: 30,000,000"),
        ("Over $100M in revenue.", "revenue: 30,000,000"),
        ("Founded in 2019.", "founded_year: 2012"),
        ("A 2020-founded startup.", "founded_year: 2012"),
        ("Operating since 1998.", "founded_year: 2012"),
    ],
)
def test_numbers_the_data_denies_are_contradictions(summary: str, field: str) -> None:
    assert f"the company data says {field}" in _problems(summary)


@pytest.mark.parametrize(
    "summary",
    [
        "A company with 260 employees.",
        "About 250 employees.",  # hedged and close
        "255 employees.",  # within rounding
        "Over 200 staff.",
        "Under 1,000 employees.",
        "200+ employees.",
        "200-500 employees.",
        "$30M in annual revenue.",
        "Revenue of about $28M.",
        "Founded in 2012.",
        "Acme was not founded in 2019.",
        "Works with teams of 5 people.",  # not a headcount of the company, but agrees with nothing: no number claim
    ],
)
def test_numbers_the_data_supports_are_fine(summary: str) -> None:
    assert "the company data says" not in _problems(summary)


def test_a_number_the_company_has_no_field_for_is_not_checked() -> None:
    assert _problems("120 employees and $5M ARR.", ACME.model_copy(update={"employees": None, "revenue": None})) == ""


@pytest.mark.parametrize(
    ("summary", "contradicts"),
    [
        ("A healthcare company in Spain.", True),
        ("Acme is a retailer... an ecommerce brand.", True),
        ("A Spanish software company.", False),
        ("A SaaS vendor.", False),  # narrower than software
        ("A technology company.", False),  # broader
        ("Sells software to healthcare providers.", False),  # the customers' industry
        ("Not a healthcare company.", False),
    ],
)
def test_an_industry_the_data_denies_is_a_contradiction(summary: str, contradicts: bool) -> None:
    assert ("industry: Software" in _problems(summary)) is contradicts


def test_an_industry_field_the_vocabulary_does_not_know_is_not_contradicted() -> None:
    odd = ACME.model_copy(update={"industry": "Widgets and gizmos"})
    assert "industry" not in _problems("A healthcare company.", odd)


UNKNOWN_R2 = (_requirement("R1", Verdict.MET), _requirement("R2", Verdict.UNKNOWN))
FAILED_R2 = (_requirement("R1", Verdict.MET), _requirement("R2", Verdict.NOT_MET))


@pytest.mark.parametrize(
    ("summary", "results", "expected"),
    [
        ("Meets every requirement.", UNKNOWN_R2, "R2 unknown"),
        ("Meets all the requirements; a strong fit.", FAILED_R2, "R2 not met"),
        ("A perfect fit for the segment.", UNKNOWN_R2, "R2 unknown"),
        ("Fails R2: too small.", UNKNOWN_R2, "no requirement is not met"),
        ("Disqualified by its size.", MET, "no requirement is not met"),
        ("Does not meet every requirement.", MET, "no requirement is not met"),  # a negated positive is negative
    ],
)
def test_a_fit_the_verdicts_deny_is_a_contradiction(
    summary: str, results: tuple[CriterionResult, ...], expected: str
) -> None:
    assert expected in _problems(summary, results=results)


@pytest.mark.parametrize(
    ("summary", "results"),
    [
        ("Meets every requirement.", MET),
        ("A strong fit.", MET),
        ("Fails R2: too small.", FAILED_R2),
        ("Meets R1; R2 is unknown.", UNKNOWN_R2),
        ("Meets every requirement but fails nice-to-have N1.", MET),  # a nice-to-have does not disqualify
        ("Not a strong fit yet: R2 needs research.", UNKNOWN_R2),
    ],
)
def test_a_fit_the_verdicts_support_is_fine(summary: str, results: tuple[CriterionResult, ...]) -> None:
    assert _problems(summary, results=results) == ""


def test_repeating_evidence_that_grounding_demoted_is_a_contradiction() -> None:
    demoted = (
        _requirement("R1", Verdict.UNKNOWN, note="demoted from met: evidence not found in company data: 'ISO 27001'"),
    )
    assert "the evidence of R1 that the company data does not contain" in _problems(
        "Acme is ISO 27001 certified.", results=demoted
    )
    assert _problems("Acme sells HR software.", results=demoted) == ""


def test_the_issues_example_names_every_contradiction() -> None:
    demoted = tuple(_requirement(f"R{i}", Verdict.UNKNOWN, note="demoted from met: no evidence given") for i in (1, 2))
    problems = summary_contradictions("A German company with 120 employees; meets every requirement.", ACME, demoted)
    assert problems == (
        "it says 'German company', but the company's country is ES",
        "it says '120 employees', but the company data says employees: 260",
        "it says 'meets every requirement', but the verdicts have R1, R2 unknown",
    )
