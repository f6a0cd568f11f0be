"""Fast, deterministic synthetic accounts and segments for tests and benchmarks.

``synthetic_companies(100_000)`` takes a couple of seconds in pure Python. Companies come as
canonical-field dicts (the :class:`~icp.domain.CompanyProfile` field names, with ``tags`` and
``technologies`` as lists), with unique domains, realistic spreads of industry, size, geography,
stack and funding, and about 5% of each optional field missing. Segments come in the shape of
``icp/samples/segments.json``.

Same arguments, same output: every function draws from its own seeded ``random.Random``.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

__all__ = ["MISSING_RATE", "synthetic_companies", "synthetic_segments"]

MISSING_RATE = 0.05
"""Probability that any one optional field of a synthetic company is missing."""


@dataclass(frozen=True)
class _Industry:
    label: tuple[str, ...]
    suffixes: tuple[str, ...]
    employees: tuple[int, int]
    rev_per_emp: tuple[int, int]
    tags: tuple[str, ...]
    funding: tuple[str, ...]
    founded: tuple[int, int]
    offers: tuple[str, ...]
    customers: tuple[str, ...]
    techs: tuple[str, ...]
    weight: int
    sells: bool = False


_VENTURE = ("Seed", "Series A", "Series B", "Series C", "Series D", "Series E")

# fmt: off
_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry(("Computer Software", "Software Development", "SaaS"), ("", "", "Labs", "HQ", "Cloud"),
              (10, 5000), (120_000, 260_000), ("B2B", "SaaS", "AI", "PLG", "Vertical SaaS"),
              _VENTURE + ("Bootstrapped", "Public"), (2005, 2023),
              ("a B2B SaaS platform for expense management", "contract management software",
               "a revenue intelligence platform", "subscription billing software", "an AI scheduling assistant",
               "a customer data platform", "workflow automation"),
              ("finance teams", "sales teams", "HR leaders", "operations teams", "mid-size retailers"),
              ("Gong", "Outreach", "Salesloft", "Snowflake", "Zendesk", "Intercom", "Slack", "Marketo"), 30, True),
    _Industry(("Financial Services", "Fintech"), ("Pay", "Capital", "Ledger", "Money"),
              (15, 6000), (150_000, 450_000), ("Fintech", "Payments", "Lending", "Embedded Finance"),
              _VENTURE + ("Public",), (2008, 2022),
              ("cross-border payments", "small-business lending", "corporate cards", "fraud detection"),
              ("online merchants", "small businesses", "software platforms", "card issuers"),
              ("Snowflake", "Databricks", "Stripe", "Gong", "Looker"), 10, True),
    _Industry(("Banking",), ("Bank", "Bancorp", "Savings Bank", "Trust"),
              (200, 50000), (250_000, 500_000), ("Banking", "Retail Banking", "Commercial Banking"),
              ("Public", "Public", "Private Equity"), (1850, 1995),
              ("personal and business banking", "commercial lending", "wealth management"),
              ("families", "local businesses", "mid-size companies"),
              ("Snowflake", "Databricks", "Workday", "Temenos", "Oracle", "Teradata"), 6),
    _Industry(("Insurance",), ("Insurance", "Mutual", "Assurance", "Life"),
              (100, 30000), (300_000, 700_000), ("Insurance", "P&C", "Life & Annuities", "Insurtech"),
              ("Public", "Private Equity", "Series B", "Series C"), (1870, 2018),
              ("home and auto insurance", "specialty commercial insurance", "life insurance and annuities"),
              ("households", "small businesses", "employers"),
              ("Guidewire", "Snowflake", "Databricks", "Workday", "Duck Creek"), 6),
    _Industry(("Hospital & Health Care", "Healthcare Technology", "Medical Practice"),
              ("Health", "Care", "Medical", "Clinics"),
              (20, 30000), (90_000, 220_000), ("Healthcare Provider", "Healthtech", "Telehealth", "HIPAA"),
              ("Series A", "Series B", "Series C", "Private Equity", "Bootstrapped"), (1950, 2022),
              ("primary and urgent care", "a HIPAA-compliant patient engagement platform",
               "virtual behavioural health", "revenue cycle management", "home health services"),
              ("patients", "hospitals and clinics", "health plans", "independent practices"),
              ("Epic", "Cerner", "athenahealth", "Workday", "Zendesk"), 9),
    _Industry(("Medical Devices",), ("Medical", "Devices", "Surgical"),
              (30, 15000), (200_000, 400_000), ("Medical Devices", "Manufacturing"),
              _VENTURE + ("Public", "Private Equity"), (1960, 2020),
              ("implantable devices", "surgical instruments", "diagnostic imaging systems"),
              ("hospitals", "surgeons", "clinics"), ("SAP", "Veeva", "Oracle"), 3),
    _Industry(("Retail", "Internet", "Consumer Goods"), ("Goods", "Supply", "Market", "Co"),
              (10, 40000), (200_000, 600_000), ("E-commerce", "D2C", "B2C", "Marketplace"),
              ("Bootstrapped", "Seed", "Series A", "Series B", "Private Equity", "Public"), (1990, 2023),
              ("home goods", "outdoor apparel", "coffee subscriptions", "refurbished electronics"),
              ("shoppers", "home cooks", "pet owners"), ("Shopify Plus", "Klaviyo", "Zendesk", "Gorgias"), 8),
    _Industry(("Mechanical or Industrial Engineering", "Machinery", "Industrial Automation"),
              ("Industries", "Manufacturing", "Components", "Fabrication"),
              (30, 20000), (180_000, 380_000), ("Manufacturing", "Industrial", "Automotive", "Aerospace"),
              ("Private Equity", "Bootstrapped", "Public"), (1900, 2015),
              ("precision-machined parts", "industrial pumps", "packaging machinery"),
              ("automotive OEMs", "aerospace suppliers", "utilities"), ("SAP", "Oracle", "Microsoft Dynamics"), 8),
    _Industry(("Logistics and Supply Chain", "Transportation/Trucking/Railroad"), ("Freight", "Logistics", "Transport"),
              (20, 25000), (150_000, 400_000), ("Logistics", "3PL", "Freight", "Last Mile"),
              ("Private Equity", "Bootstrapped", "Series A", "Series B", "Public"), (1960, 2021),
              ("freight brokerage", "warehousing and fulfilment", "last-mile delivery"),
              ("retailers", "manufacturers", "e-commerce brands"), ("SAP", "Oracle", "Descartes", "Samsara"), 6),
    _Industry(("E-Learning", "Education Management"), ("Learning", "Academy", "Edu"),
              (10, 3000), (80_000, 180_000), ("EdTech", "K-12", "Higher Education", "Corporate Learning"),
              ("Seed", "Series A", "Series B", "Series C", "Bootstrapped"), (2005, 2023),
              ("adaptive tutoring", "online bootcamps", "classroom assessment"),
              ("school districts", "universities", "corporate L&D teams"), ("Canvas", "Zendesk", "Intercom"), 5, True),
    _Industry(("Computer & Network Security",), ("Security", "Shield", "Defense", "Cyber"),
              (15, 8000), (150_000, 300_000), ("Cybersecurity", "SaaS", "Zero Trust", "Compliance"),
              _VENTURE + ("Public",), (2005, 2023),
              ("email security", "identity threat detection", "vulnerability management", "managed detection"),
              ("security teams", "banks and insurers", "hospitals", "mid-size enterprises"),
              ("Gong", "Outreach", "Okta", "Splunk", "CrowdStrike"), 6, True),
    _Industry(("Information Technology and Services", "Computer Software"), ("Dev", "Labs", "Stack"),
              (10, 2000), (100_000, 250_000), ("Developer Tools", "Open Source", "PLG", "API"),
              ("Seed", "Series A", "Series B", "Series C", "Series D"), (2010, 2023),
              ("feature flags", "CI/CD pipelines", "API testing", "database branching"),
              ("developers", "platform teams", "startups"), ("GitHub", "Datadog", "Segment", "Stripe"), 6, True),
    _Industry(("Management Consulting", "Marketing and Advertising"), ("Partners", "Advisory", "Consulting", "Agency"),
              (5, 20000), (120_000, 250_000), ("Consulting", "Agency", "Professional Services"),
              ("Bootstrapped", "Private Equity"), (1970, 2022),
              ("digital transformation consulting", "growth marketing", "CRM implementation"),
              ("mid-market companies", "public sector agencies", "PE portfolio companies"),
              ("Asana", "Monday.com", "Harvest"), 6),
    _Industry(("Government Relations", "Defense & Space"), ("Federal", "Defense Systems", "Government Services"),
              (50, 40000), (150_000, 300_000), ("Government Contractor", "Public Sector", "FedRAMP"),
              ("Private Equity", "Bootstrapped", "Public"), (1960, 2018),
              ("IT modernisation", "mission systems engineering", "FedRAMP cloud migration"),
              ("federal agencies", "the Department of Defense", "state governments"),
              ("ServiceNow", "Deltek", "Oracle"), 4),
    _Industry(("Non-Profit Organization Management",), ("Foundation", "Alliance", "Trust"),
              (5, 3000), (50_000, 120_000), ("Non-profit", "Community", "Charity"),
              ("",), (1920, 2020),
              ("literacy programmes", "food assistance", "affordable housing"),
              ("families", "young people", "veterans"), ("Blackbaud", "Mailchimp"), 4),
)

_HEADS = (
    "Amber", "Ash", "Basalt", "Birch", "Bright", "Brook", "Cedar", "Cinder", "Clover", "Cobalt", "Copper", "Coral",
    "Corvid", "Crest", "Dapple", "Drift", "Ember", "Fable", "Fern", "Flint", "Fox", "Gale", "Glen", "Granite",
    "Halcyon", "Harbor", "Hazel", "Heron", "Indigo", "Iron", "Juniper", "Kestrel", "Lark", "Linden", "Lumen",
    "Maple", "Marble", "Meadow", "Moss", "Nimbus", "North", "Oak", "Onyx", "Orchard", "Otter", "Pebble", "Pine",
    "Plover", "Quarry", "Quill", "Raven", "Reed", "Ridge", "Rill", "Saffron", "Sage", "Silver", "Slate", "Sorrel",
    "Spruce", "Stone", "Summit", "Tansy", "Thistle", "Tide", "Umber", "Vale", "Vesper", "Willow", "Wren", "Yarrow",
)
_TAILS = (
    "loop", "stack", "grid", "forge", "beam", "wise", "path", "mark", "field", "line", "works", "nest", "shift",
    "ly", "hub", "vault", "spark", "ware", "point", "frame", "base", "craft", "gate", "well", "bridge", "light",
    "wood", "water", "brook", "haven", "pulse", "scale", "signal", "metric", "sphere",
)
_DOMAIN_PREFIXES = ("", "get", "try", "use")
_QUALIFIERS = (
    "analytics", "systems", "group", "tech", "solutions", "global", "digital", "networks", "ai", "io", "app",
    "software", "cloud", "data", "labs", "hq",
)  # fmt: skip

# (country, region, city, tld, weight). A few rows use ISO country codes, as real CRM exports do.
_PLACES: tuple[tuple[str, str, str, str, int], ...] = (
    ("United States", "California", "San Francisco", ".com", 9),
    ("United States", "California", "San Diego", ".com", 3),
    ("United States", "New York", "New York", ".com", 9), ("United States", "Texas", "Austin", ".com", 5),
    ("United States", "Texas", "Houston", ".com", 3), ("United States", "Massachusetts", "Boston", ".com", 5),
    ("United States", "Illinois", "Chicago", ".com", 5), ("United States", "Washington", "Seattle", ".com", 4),
    ("United States", "Georgia", "Atlanta", ".com", 3), ("United States", "Colorado", "Denver", ".com", 3),
    ("United States", "Florida", "Miami", ".com", 3), ("United States", "North Carolina", "Charlotte", ".com", 2),
    ("United States", "Virginia", "Reston", ".com", 2), ("United States", "Ohio", "Columbus", ".com", 2),
    ("United States", "Minnesota", "Minneapolis", ".com", 2), ("United States", "Utah", "Salt Lake City", ".com", 2),
    ("US", "Pennsylvania", "Pittsburgh", ".com", 2), ("US", "Tennessee", "Nashville", ".com", 1),
    ("Canada", "Ontario", "Toronto", ".ca", 4), ("Canada", "Quebec", "Montreal", ".ca", 2),
    ("Canada", "British Columbia", "Vancouver", ".ca", 2),
    ("United Kingdom", "England", "London", ".co.uk", 7), ("United Kingdom", "England", "Manchester", ".co.uk", 2),
    ("United Kingdom", "Scotland", "Edinburgh", ".co.uk", 1), ("GB", "England", "Bristol", ".co.uk", 1),
    ("Ireland", "County Dublin", "Dublin", ".ie", 2),
    ("Germany", "Berlin", "Berlin", ".de", 3), ("Germany", "Bavaria", "Munich", ".de", 2),
    ("DE", "Hamburg", "Hamburg", ".de", 1), ("Austria", "Vienna", "Vienna", ".at", 1),
    ("Switzerland", "Zurich", "Zurich", ".ch", 2), ("France", "Île-de-France", "Paris", ".fr", 3),
    ("Netherlands", "North Holland", "Amsterdam", ".nl", 2), ("Belgium", "Brussels", "Brussels", ".be", 1),
    ("Sweden", "Stockholm County", "Stockholm", ".se", 2), ("Denmark", "Capital Region", "Copenhagen", ".dk", 1),
    ("Norway", "Oslo", "Oslo", ".no", 1), ("Finland", "Uusimaa", "Helsinki", ".fi", 1),
    ("Spain", "Community of Madrid", "Madrid", ".es", 2), ("Spain", "Catalonia", "Barcelona", ".es", 1),
    ("Italy", "Lombardy", "Milan", ".it", 1), ("Poland", "Masovia", "Warsaw", ".pl", 1),
    ("Israel", "Tel Aviv District", "Tel Aviv", ".co.il", 2), ("United Arab Emirates", "Dubai", "Dubai", ".ae", 1),
    ("South Africa", "Western Cape", "Cape Town", ".co.za", 1), ("Nigeria", "Lagos", "Lagos", ".ng", 1),
    ("India", "Karnataka", "Bengaluru", ".in", 3), ("India", "Maharashtra", "Mumbai", ".in", 2),
    ("Singapore", "Singapore", "Singapore", ".sg", 2), ("Japan", "Tokyo", "Tokyo", ".jp", 1),
    ("Australia", "New South Wales", "Sydney", ".com.au", 2), ("Australia", "Victoria", "Melbourne", ".com.au", 1),
    ("Brazil", "São Paulo", "São Paulo", ".com.br", 2), ("Mexico", "Mexico City", "Mexico City", ".mx", 1),
    ("Argentina", "Buenos Aires", "Buenos Aires", ".com.ar", 1),
)
# fmt: on

_CRMS = ("Salesforce", "HubSpot", "Pipedrive", "Microsoft Dynamics")
_CRM_WEIGHTS = tuple(accumulate((5, 4, 1, 1)))
_CLOUDS = ("AWS", "GCP", "Azure")
_COMMON = ("Slack", "Workday", "Okta", "Jira", "Zendesk", "Marketo", "Tableau", "Looker")
_INDUSTRY_CUM = tuple(accumulate(ind.weight for ind in _INDUSTRIES))
_PLACE_CUM = tuple(accumulate(place[4] for place in _PLACES))


def _venture_stage(rng: random.Random, employees: int) -> str:
    """A venture stage that fits the headcount: Seed for a handful of people, Series D+ for thousands."""
    index = 0 if employees < 25 else 1 if employees < 80 else 2 if employees < 250 else 3 if employees < 800 else 4
    index += rng.choice((-1, 0, 0, 1))
    return _VENTURE[max(0, min(index, len(_VENTURE) - 1))]


def _domain(rng: random.Random, stem: str, tld: str, taken: set[str]) -> str:
    for prefix in _DOMAIN_PREFIXES:
        domain = f"{prefix}{stem}{tld}"
        if domain not in taken:
            return domain
    for _ in range(4):
        domain = f"{stem}{rng.choice(_QUALIFIERS)}{tld}"
        if domain not in taken:
            return domain
    counter = rng.randint(2, 99)
    while f"{stem}{counter}{tld}" in taken:
        counter += 1
    return f"{stem}{counter}{tld}"


def synthetic_companies(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield ``n`` synthetic companies as canonical-field dicts, deterministically for a given ``seed``.

    Keys: name, domain, industry, employees, revenue, country, region, city, description, tags (list),
    technologies (list), funding_stage, founded_year. Domains are unique within one call. Each optional
    field is missing (``None``, or ``[]`` for lists) with probability :data:`MISSING_RATE`; name and
    domain are always present.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = random.Random(seed)
    rand = rng.random
    choice = rng.choice
    randint = rng.randint
    taken: set[str] = set()
    industry_total = _INDUSTRY_CUM[-1]
    place_total = _PLACE_CUM[-1]
    crm_total = _CRM_WEIGHTS[-1]
    for _ in range(n):
        ind = _INDUSTRIES[bisect(_INDUSTRY_CUM, rand() * industry_total)]
        country, region, city, tld, _weight = _PLACES[bisect(_PLACE_CUM, rand() * place_total)]
        head, tail = choice(_HEADS), choice(_TAILS)
        suffix = choice(ind.suffixes)
        coined = head + tail
        name = f"{coined} {suffix}" if suffix else coined
        if tld == ".com" and not ind.sells and rand() < 0.3:
            tld = ".org" if ind.funding == ("",) else ".com"
        domain = _domain(rng, coined.lower(), tld, taken)
        taken.add(domain)

        low, high = ind.employees
        employees = int(low * math.exp(rand() * math.log(high / low)))
        if employees > 200:
            employees = round(employees, -1)
        revenue = float(
            round(employees * (ind.rev_per_emp[0] + rand() * (ind.rev_per_emp[1] - ind.rev_per_emp[0])), -4)
        )
        funding = choice(ind.funding)
        if funding in _VENTURE:
            funding = _venture_stage(rng, employees)
        elif funding == "Public" and employees < 300:
            funding = "Bootstrapped"
        founded = randint(*ind.founded)

        technologies = []
        if ind.sells or rand() < 0.6:
            technologies.append(_CRMS[bisect(_CRM_WEIGHTS, rand() * crm_total)])
        technologies.append(choice(_CLOUDS))
        technologies.append(choice(ind.techs))
        if rand() < 0.5:
            technologies.append(choice(ind.techs))
        if rand() < 0.5:
            technologies.append(choice(_COMMON))
        technologies = list(dict.fromkeys(technologies))
        tags = list(dict.fromkeys((choice(ind.tags), choice(ind.tags))))

        description = f"{name} provides {choice(ind.offers)} for {choice(ind.customers)}."
        if ind.sells and rand() < 0.35:
            aes = max(2, int(employees * (0.02 + rand() * 0.06)))
            if rand() < 0.5:
                description += f" Our team of {aes} account executives sells from {city}."
            else:
                description += f" We are hiring {max(1, aes // 3)} account executives this year."
        elif "HIPAA" in ind.tags and rand() < 0.4:
            description += " All patient data is handled under our HIPAA compliance programme."

        company: dict[str, Any] = {
            "name": name,
            "domain": domain,
            "industry": choice(ind.label),
            "employees": employees,
            "revenue": revenue,
            "country": country,
            "region": region,
            "city": city,
            "description": description,
            "tags": tags,
            "technologies": technologies,
            "funding_stage": funding or None,
            "founded_year": founded,
        }
        # ~5% of each optional field missing; the location goes missing as a whole.
        if rand() < MISSING_RATE:
            company["industry"] = None
        if rand() < MISSING_RATE:
            company["employees"] = None
        if rand() < MISSING_RATE:
            company["revenue"] = None
        if rand() < MISSING_RATE:
            company["country"] = company["region"] = company["city"] = None
        if rand() < MISSING_RATE:
            company["description"] = None
        if rand() < MISSING_RATE:
            company["tags"] = []
        if rand() < MISSING_RATE:
            company["technologies"] = []
        if rand() < MISSING_RATE:
            company["funding_stage"] = None
        if rand() < MISSING_RATE:
            company["founded_year"] = None
        yield company


# Building blocks of synthetic segments: (name part, requirement line, nice-to-have line).
_SEG_INDUSTRIES = (
    ("SaaS", "B2B SaaS company", "Uses Gong or Outreach"),
    ("Fintech", "Fintech or financial services", "Uses Snowflake or Databricks"),
    ("Healthcare", "Healthcare provider or healthtech", "Mentions HIPAA compliance"),
    ("Security", "Cybersecurity vendor", "Sells to banks or hospitals"),
    ("Manufacturing", "Manufacturing company", "Uses SAP"),
    ("Logistics", "Logistics or supply chain company", "Runs on Azure"),
    ("Insurance", "Insurance carrier", "Uses Guidewire"),
    ("EdTech", "Education technology company", "Sells to school districts"),
)
_SEG_SIZES = (
    ("SMB", "10–200 employees"),
    ("Mid-Market", "200–2,000 employees"),
    ("Enterprise", "At least 2,000 employees"),
    ("Scale-up", "50–500 employees"),
)
_SEG_GEOS = (
    ("North America", "Headquartered in North America"),
    ("EMEA", "Headquartered in EMEA"),
    ("DACH", "Based in DACH"),
    ("US", "Based in the United States"),
    ("APAC", "Headquartered in APAC"),
    ("Europe", "Headquartered in Europe"),
)
_SEG_NICE = (
    "Series B or later",
    "Uses Salesforce",
    "Uses HubSpot",
    "Founded in 2015 or later",
    "Runs on AWS",
    "Over $50M annual revenue",
    "Growing sales headcount",
)


def synthetic_segments(k: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """Return ``k`` distinct segment dicts shaped like ``segments.json``, deterministically for ``seed``.

    Keys: name, requirements (bullet lines), nice_to_haves (bullet lines), active, priority (1..5).
    Requirements combine an industry, a size band and a geography; the phrasing is the kind the
    offline evaluator's structured checks understand.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    combos = [(i, s, g) for i in _SEG_INDUSTRIES for s in _SEG_SIZES for g in _SEG_GEOS]
    if k > len(combos):
        raise ValueError(f"at most {len(combos)} distinct synthetic segments")
    rng = random.Random(seed)
    segments: list[dict[str, Any]] = []
    for index, (industry, size, geo) in enumerate(rng.sample(combos, k)):
        nice = [industry[2], *rng.sample(_SEG_NICE, 2)]
        segments.append(
            {
                "name": f"{geo[0]} {size[0]} {industry[0]}",
                "requirements": "\n".join(f"- {line}" for line in (industry[1], size[1], geo[1])),
                "nice_to_haves": "\n".join(f"- {line}" for line in nice),
                "active": True,
                "priority": 5 - index % 5,
            }
        )
    return segments
