"""Rules that read company data in context: a city for a country, a tool named as a rival or a
partner, who a product is sold to, payments as a product rather than as something a shop takes, and
the headcount or revenue a description states when the field is empty."""

from __future__ import annotations

import pytest

from icp.checks import CheckOutcome, TechCheck, company_facts, evaluate_check, parse_check
from icp.domain import CompanyProfile, Verdict

M, N, U = Verdict.MET, Verdict.NOT_MET, Verdict.UNKNOWN


def outcome(criterion: str, **fields: object) -> CheckOutcome:
    check = parse_check(criterion)
    assert check is not None, criterion
    return evaluate_check(check, CompanyProfile.model_validate({"name": "Co", "domain": "co.example", **fields}))


# --- a headquarters city stands in for a missing country or region -----------------------------------


@pytest.mark.parametrize(
    ("criterion", "fields", "verdict", "evidence"),
    [
        ("Headquartered in DACH", {"city": "Munich"}, M, "city: Munich"),
        ("Headquartered in DACH", {"city": "München"}, M, "city: München"),
        ("HQ in the Nordics", {"city": "Copenhagen"}, M, "city: Copenhagen"),
        ("HQ in California", {"city": "San Francisco"}, M, "city: San Francisco"),
        ("HQ in California", {"city": "Austin"}, N, "city: Austin"),
        ("HQ in California", {"city": "Austin", "region": "California"}, M, "region: California"),
        ("Based in North America", {"city": " toronto "}, M, "city:  toronto "),
        ("UK-based", {"city": "London", "country": "United States"}, N, "country: United States"),
        ("HQ in France", {"city": "Paris", "country": "FR"}, M, "country: FR"),
        ("Headquartered in DACH", {"city": "Springfield"}, U, ""),
        ("Headquartered in DACH", {"city": "Cambridge"}, U, ""),  # England or Massachusetts
    ],
)
def test_a_known_city_answers_where_the_company_is(
    criterion: str, fields: dict[str, object], verdict: Verdict, evidence: str
) -> None:
    result = outcome(criterion, **fields)
    assert (result.verdict, result.evidence) == (verdict, evidence)


# --- a tool in the description is the company's own only when it is not a rival, partner or market ----


@pytest.mark.parametrize(
    ("description", "own_tools"),
    [
        ("We run on AWS.", {"AWS"}),
        ("Our sales team lives in Salesforce.", {"Salesforce"}),
        ("We replaced spreadsheets with Salesforce in 2020.", {"Salesforce"}),
        ("We left HubSpot for Salesforce last year.", {"Salesforce"}),
        ("The friendly alternative to Salesforce; we help teams migrate away from Salesforce.", set()),
        ("A Zendesk alternative for startups.", set()),
        ("Replaces Gong for small teams.", set()),
        ("Competes with Outreach, Gong and Salesloft.", set()),
        ("Integrates with Salesforce, HubSpot and Pipedrive.", set()),
        ("Apps for Shopify merchants.", set()),
        ("We run on AWS and sell to Salesforce admins.", {"AWS"}),
        ("Unlike legacy Salesforce setups, we deploy in a day. Our own CRM is HubSpot.", {"HubSpot"}),
    ],
)
def test_tools_named_as_rivals_partners_or_markets_are_not_the_companys_own(
    description: str, own_tools: set[str]
) -> None:
    company = CompanyProfile(name="Co", domain="co.example", description=description)
    assert set(company_facts(company).tech_in_description) == own_tools


def test_a_rival_named_in_the_description_does_not_outweigh_the_listed_stack() -> None:
    result = outcome(
        "Uses Salesforce",
        technologies=["HubSpot"],
        description="The friendly alternative to Salesforce; we help teams migrate away from Salesforce.",
    )
    assert (result.verdict, result.evidence) == (N, "technologies: HubSpot")


@pytest.mark.parametrize(
    ("criterion", "technologies", "verdict"),
    [
        ("Uses dbt", ["Snowflake", "dbt Cloud"], M),
        ("Uses dbt", ["Snowflake", "Looker"], N),
        ("Snowflake and dbt", ["Snowflake"], N),
        ("Uses an ELT tool", ["Fivetran"], M),
        ("Uses Epic", ["Epic"], M),
        ("Uses Epic", ["SAP"], N),
        ("Has an EHR", ["Cerner"], M),
    ],
)
def test_data_pipeline_and_health_record_tools(criterion: str, technologies: list[str], verdict: Verdict) -> None:
    assert isinstance(parse_check(criterion), TechCheck)
    assert outcome(criterion, technologies=technologies).verdict is verdict


# --- who the product is sold to ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "verdict"),
    [
        ("Invoicing software for small businesses.", M),
        ("Payroll and benefits software for SMBs.", M),
        ("Sells procurement software to enterprises.", M),
        ("Cloud software sold to HR departments of mid-sized companies.", M),
        ("A direct-to-consumer outdoor apparel label.", N),  # says B2C in so many words
        ("Subscription meditation app for consumers.", N),  # sold to people, not to businesses
        ("Handmade candles.", U),
    ],
)
def test_who_a_product_is_sold_to_answers_b2b(description: str, verdict: Verdict) -> None:
    result = outcome("B2B business model", description=description)
    assert result.verdict is verdict
    if verdict is not U:
        assert result.weak and result.evidence in description  # prose: quoted, and weaker than a field


def test_a_b2c_label_in_a_field_still_outweighs_prose() -> None:
    result = outcome("B2B", tags=["D2C"], description="Software for small businesses.")
    assert result.verdict is M  # the description names the buyers; the tag alone would say not_met
    assert outcome("B2B", tags=["D2C"]).verdict is N


# --- payments as a product, not as something a shop accepts -----------------------------------------------


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({"description": "Payments infrastructure for online marketplaces."}, M),
        ({"description": "Cross-border payments for freelancers."}, M),
        ({"description": "Payments for B2B SaaS platforms."}, M),
        ({"industry": "Restaurants", "description": "Burger restaurant; we accept payments by card and phone."}, N),
        ({"description": "We accept payments by card."}, U),
    ],
)
def test_payments_make_a_fintech_only_as_the_product(fields: dict[str, object], verdict: Verdict) -> None:
    assert outcome("Fintech", **fields).verdict is verdict


# --- headcount and revenue the description states, when the field is empty -------------------------------


@pytest.mark.parametrize(
    ("criterion", "fields", "verdict"),
    [
        ("200-2,000 employees", {"description": "A team of 35 people building scheduling tools."}, N),
        ("200-2,000 employees", {"description": "We employ about 600 people in three depots."}, M),
        ("200-2,000 employees", {"description": "A 12-person startup from Leeds."}, N),
        ("At least 250 employees", {"description": "We have over 500 employees in 12 countries."}, M),
        ("At least 250 employees", {"description": "Our 80+ engineers ship daily."}, U),  # 80 or more
        ("At least 250 employees", {"description": "The company employs about 200 staff."}, N),  # 160-240
        ("200-2,000 employees", {"description": "Helps hospitals manage 10,000 employees across shifts."}, U),
        ("200-2,000 employees", {"description": "A team of 35 people.", "employees": 450}, M),  # the field wins
        ("Revenue between $10M and $100M", {"description": "Quillstone crossed $40M ARR last year."}, M),
        ("Revenue between $10M and $100M", {"description": "Revenue of €5 million in 2023."}, N),
        ("Revenue between $10M and $100M", {"description": "Profitable, with more than $5M in annual revenue."}, U),
        ("Revenue between $10M and $100M", {"description": "Raised a $50M Series C to expand in Europe."}, U),
        ("Over $10M ARR", {"description": "Serves 900 customers."}, U),
    ],
)
def test_a_figure_the_description_states_decides_only_when_its_whole_range_is_clear(
    criterion: str, fields: dict[str, object], verdict: Verdict
) -> None:
    result = outcome(criterion, **fields)
    assert result.verdict is verdict, result.reason
    if verdict is not U and "employees" not in fields and "revenue" not in fields:
        assert result.weak and result.confidence == 0.6
        assert result.evidence in str(fields["description"])  # quoted, so a reviewer can find it


# --- a mention is not an identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "fields", "verdict"),
    [
        # customers, markets, founders, partners and effects say nothing of what the company is
        (
            "Healthcare",
            {"industry": "Financial Services", "description": "Helping retirees protect their health and wealth."},
            N,
        ),
        (
            "Healthcare",
            {"industry": "Media", "description": "We report on how AI could reshape healthcare and education."},
            N,
        ),
        (
            "Fintech",
            {"industry": "Staffing & Recruiting", "description": "Recruiters for banks, fintechs and insurers."},
            U,
        ),
        (
            "Fintech",
            {"industry": "Management Consulting", "description": "Started by former Goldman Sachs fintech investors."},
            N,
        ),
        (
            "Logistics",
            {"industry": "Computer Software", "description": "Our customers include freight brokers and 3PLs."},
            U,
        ),
        ("Marketplace", {"description": "A note-taking app with a built-in marketplace of templates."}, U),
        ("Marketplace", {"description": "Sells handmade rugs through the Amazon marketplace."}, U),
        # ... but the company's own words do
        ("Healthcare", {"description": "Clinicly is a healthtech startup building triage tools for nurses."}, M),
        ("Logistics", {"description": "We operate a fleet of 300 refrigerated trucks across Texas."}, M),
        ("Marketplace", {"description": "Rentwise is a two-sided marketplace for equipment rentals."}, M),
    ],
)
def test_industries_named_about_others_do_not_say_what_the_company_is(
    criterion: str, fields: dict[str, object], verdict: Verdict
) -> None:
    assert outcome(criterion, **fields).verdict is verdict


@pytest.mark.parametrize(
    ("criterion", "fields", "verdict"),
    [
        ("Payments company", {"tags": ["fintech"], "industry": "Financial Technology"}, U),
        ("Lenders", {"industry": "Banking"}, U),
        ("Hotels", {"industry": "Travel & Tourism"}, U),
        ("Robotics", {"industry": "Electrical/Electronic Manufacturing", "tags": ["hardware"]}, U),
        ("Payments company", {"description": "Tapline builds a payments API for vertical software platforms."}, M),
        ("Hotels", {"industry": "Hospitality", "description": "We own and run five boutique hotels in Lisbon."}, M),
        ("Payments company", {"industry": "Logistics", "description": "Same-day courier service."}, N),
    ],
)
def test_a_broad_label_never_meets_a_narrow_criterion(
    criterion: str, fields: dict[str, object], verdict: Verdict
) -> None:
    assert outcome(criterion, **fields).verdict is verdict


@pytest.mark.parametrize(
    ("criterion", "industry", "verdict"),
    [
        ("SaaS", "B2B", U),
        ("Cybersecurity", "B2B Software", U),
        ("Insurance", "B2C", U),
        ("B2B", "B2C", N),  # a business model answers its opposite
        ("SaaS", "Restaurants", N),  # a sector still rules out selling software
    ],
)
def test_a_business_model_in_the_industry_field_decides_no_sector(
    criterion: str, industry: str, verdict: Verdict
) -> None:
    assert outcome(criterion, industry=industry).verdict is verdict


@pytest.mark.parametrize(
    ("criterion", "description", "verdict"),
    [
        ("B2B", "A budgeting app for couples who share expenses.", N),
        ("B2B", "Personalised vitamins delivered to your door, for women and men over 40.", N),
        ("B2B", "Toys and games for toddlers, sold in 40 countries.", N),
        ("B2C", "An app that helps dog owners find vets and sitters nearby.", M),
        ("B2B", "Expense management for finance teams at growing companies.", M),
        ("B2C", "Helps restaurants turn first-time diners into regulars.", N),
        ("B2B", "Helps gyms keep their members coming back.", M),
        ("B2B", "Premium olive oil from our family estate in Crete.", U),
        ("B2B", "An app for families and schools to share homework.", U),  # sold to both: not plain
    ],
)
def test_who_a_product_is_plainly_for_answers_b2b_and_b2c(criterion: str, description: str, verdict: Verdict) -> None:
    result = outcome(criterion, description=description)
    assert result.verdict is verdict, result.reason
    if verdict is not U:
        assert result.weak and result.evidence in description


@pytest.mark.parametrize(
    ("criterion", "description", "verdict"),
    [
        ("Cybersecurity", "Ironlock is an identity security company for hospitals and banks.", M),
        ("Healthcare", "Ironlock is an identity security company for hospitals and banks.", U),  # its customers
        ("Fintech", "Harvestly is an agtech company helping farmers sell grain forward.", N),
        ("Edtech", "We make tutoring software for high-school maths teachers.", M),
        ("Energy", "We make tutoring software for high-school maths teachers.", N),
        ("Retail", "Datacove is a data company.", U),  # a horizontal category says nothing of the sector
    ],
)
def test_a_company_naming_its_own_category_answers_industry_criteria(
    criterion: str, description: str, verdict: Verdict
) -> None:
    assert outcome(criterion, description=description).verdict is verdict
