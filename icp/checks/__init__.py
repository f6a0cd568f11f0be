"""Structured checks parsed from criterion text and decided from company fields (pure, deterministic).

A sales leader writes "200–2,000 employees", "HQ in DACH", "uses Salesforce or HubSpot" or "no
agencies". :func:`parse_check` turns such a clause into a small, hashable :data:`Check` tree
(stored with the compiled segment, so a grade can always be explained), and :func:`evaluate_check`
decides it from the company's fields. The one rule that matters most: a field the company does not
have gives ``unknown``, never ``not_met`` — a grader that punishes missing data disqualifies good
accounts silently.

Everything here is table-driven: extending the vocabulary (a country, an industry synonym, a tool)
is a one-line change to a table, and changes grades, so bump ``RULES_VERSION`` in
:mod:`icp.evaluators.offline` when you do.
"""

from icp.checks._context import AUDIENCE_CRITERION, DescriptionContext, masked, read_context
from icp.checks._evaluate import CheckOutcome, FactsKey, evaluate_check, evaluate_facts, facts_key
from icp.checks._facts import (
    CompanyFacts,
    company_facts,
    country_code,
    funding_stage_code,
    implied_sectors,
    industry_sectors,
    quote,
    subdivision_code,
)
from icp.checks._models import (
    AllOf,
    AnyOf,
    Check,
    FoundedCheck,
    FundingCheck,
    GeoCheck,
    IndustryCheck,
    LeafCheck,
    NotCheck,
    RangeCheck,
    RangeField,
    TechCheck,
    check_fields,
    describe_check,
    format_amount,
    leaf_checks,
)
from icp.checks._parser import parse_check, parse_checks
from icp.checks._text import WordScanner, compile_words, word_scanner
from icp.checks._vocabulary import (
    CA_PROVINCES,
    COUNTRIES,
    FUNDING_LABELS,
    FUNDING_LADDER,
    FUNDING_STAGES,
    INDUSTRIES,
    REFERENCE_YEAR,
    REGIONS,
    SUBDIVISIONS,
    TECH_BY_NAME,
    TECH_CATEGORIES,
    TECHNOLOGIES,
    US_STATES,
)

__all__ = [
    "AUDIENCE_CRITERION",
    "AllOf",
    "AnyOf",
    "CA_PROVINCES",
    "COUNTRIES",
    "Check",
    "CheckOutcome",
    "CompanyFacts",
    "DescriptionContext",
    "FactsKey",
    "FUNDING_LABELS",
    "FUNDING_LADDER",
    "FUNDING_STAGES",
    "FoundedCheck",
    "FundingCheck",
    "GeoCheck",
    "INDUSTRIES",
    "IndustryCheck",
    "LeafCheck",
    "NotCheck",
    "REFERENCE_YEAR",
    "REGIONS",
    "RangeCheck",
    "RangeField",
    "SUBDIVISIONS",
    "TECHNOLOGIES",
    "TECH_BY_NAME",
    "TECH_CATEGORIES",
    "TechCheck",
    "US_STATES",
    "WordScanner",
    "check_fields",
    "company_facts",
    "compile_words",
    "country_code",
    "describe_check",
    "evaluate_check",
    "evaluate_facts",
    "facts_key",
    "format_amount",
    "funding_stage_code",
    "implied_sectors",
    "industry_sectors",
    "leaf_checks",
    "masked",
    "parse_check",
    "parse_checks",
    "quote",
    "read_context",
    "subdivision_code",
    "word_scanner",
]
