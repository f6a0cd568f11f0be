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

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from icp.domain import CompanyProfile, Verdict

# Relative founding criteria ("at least 5 years old") are resolved against this year when the
# segment is compiled, so the stored check is absolute and a re-grade next January gives the same
# answer for the same segment version. Pass ``reference_year`` to :func:`parse_check` to override.
REFERENCE_YEAR = 2026

# ---------------------------------------------------------------------------------------------
# Vocabulary: geography
# ---------------------------------------------------------------------------------------------

# alpha-2 | alpha-3 | name | aliases (";"-separated). Aliases include native names seen in CRM exports.
_COUNTRY_ROWS = """
US|USA|United States|united states of america;america;the us;the states;u.s.;u.s.a.;usa
CA|CAN|Canada
MX|MEX|Mexico|méxico
GB|GBR|United Kingdom|uk;u.k.;great britain;britain;england;scotland;wales;northern ireland
IE|IRL|Ireland|republic of ireland;eire
DE|DEU|Germany|deutschland
AT|AUT|Austria|österreich;oesterreich
CH|CHE|Switzerland|schweiz;suisse;svizzera
FR|FRA|France
NL|NLD|Netherlands|the netherlands;holland;nederland
BE|BEL|Belgium|belgië;belgique
LU|LUX|Luxembourg
SE|SWE|Sweden|sverige
NO|NOR|Norway|norge
DK|DNK|Denmark|danmark
FI|FIN|Finland|suomi
IS|ISL|Iceland
ES|ESP|Spain|españa;espana
PT|PRT|Portugal
IT|ITA|Italy|italia
GR|GRC|Greece
MT|MLT|Malta
CY|CYP|Cyprus
PL|POL|Poland|polska
CZ|CZE|Czech Republic|czechia
SK|SVK|Slovakia
HU|HUN|Hungary
RO|ROU|Romania
BG|BGR|Bulgaria
HR|HRV|Croatia
SI|SVN|Slovenia
EE|EST|Estonia
LV|LVA|Latvia
LT|LTU|Lithuania
UA|UKR|Ukraine
RS|SRB|Serbia
TR|TUR|Turkey|türkiye;turkiye
IL|ISR|Israel
AE|ARE|United Arab Emirates|uae;emirates;dubai;abu dhabi
SA|SAU|Saudi Arabia|ksa
QA|QAT|Qatar
KW|KWT|Kuwait
BH|BHR|Bahrain
OM|OMN|Oman
JO|JOR|Jordan
LB|LBN|Lebanon
EG|EGY|Egypt
MA|MAR|Morocco
TN|TUN|Tunisia
DZ|DZA|Algeria
ZA|ZAF|South Africa
NG|NGA|Nigeria
KE|KEN|Kenya
GH|GHA|Ghana
ET|ETH|Ethiopia
RW|RWA|Rwanda
AU|AUS|Australia
NZ|NZL|New Zealand
JP|JPN|Japan
CN|CHN|China|prc;mainland china
HK|HKG|Hong Kong
TW|TWN|Taiwan
KR|KOR|South Korea|korea;republic of korea
IN|IND|India
SG|SGP|Singapore
MY|MYS|Malaysia
ID|IDN|Indonesia
TH|THA|Thailand
PH|PHL|Philippines
VN|VNM|Vietnam|viet nam
PK|PAK|Pakistan
BD|BGD|Bangladesh
LK|LKA|Sri Lanka
BR|BRA|Brazil|brasil
AR|ARG|Argentina
CL|CHL|Chile
CO|COL|Colombia
PE|PER|Peru
UY|URY|Uruguay
EC|ECU|Ecuador
VE|VEN|Venezuela
CR|CRI|Costa Rica
PA|PAN|Panama
GT|GTM|Guatemala
DO|DOM|Dominican Republic
BO|BOL|Bolivia
PY|PRY|Paraguay
RU|RUS|Russia|russian federation
BY|BLR|Belarus
KZ|KAZ|Kazakhstan
AM|ARM|Armenia
BA|BIH|Bosnia and Herzegovina|bosnia
MK|MKD|North Macedonia|macedonia
AL|ALB|Albania
MD|MDA|Moldova
IR|IRN|Iran
IQ|IRQ|Iraq
TZ|TZA|Tanzania
UG|UGA|Uganda
SN|SEN|Senegal
CI|CIV|Ivory Coast|côte d'ivoire;cote d'ivoire
CM|CMR|Cameroon
ZW|ZWE|Zimbabwe
PR|PRI|Puerto Rico
JM|JAM|Jamaica
HN|HND|Honduras
SV|SLV|El Salvador
NP|NPL|Nepal
KH|KHM|Cambodia
MM|MMR|Myanmar
"""


class _Country(NamedTuple):
    code: str
    alpha3: str
    name: str
    aliases: tuple[str, ...]


def _load_countries() -> dict[str, _Country]:
    table: dict[str, _Country] = {}
    for row in _COUNTRY_ROWS.strip().splitlines():
        code, alpha3, name, *rest = row.split("|")
        aliases = tuple(a.strip() for a in rest[0].split(";")) if rest and rest[0] else ()
        table[code] = _Country(code, alpha3, name, aliases)
    return table


COUNTRIES: dict[str, _Country] = _load_countries()

_EU = str.split("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE")
_EUROPE = sorted({*_EU, "GB", "CH", "NO", "IS", "UA", "RS", "RU", "BY", "BA", "MK", "AL", "MD"})
_MIDDLE_EAST = ["AE", "SA", "IL", "QA", "KW", "BH", "OM", "JO", "LB", "TR", "IR", "IQ"]
_AFRICA = ["ZA", "NG", "KE", "EG", "MA", "GH", "ET", "RW", "TN", "DZ", "TZ", "UG", "SN", "CI", "CM", "ZW"]
_LATAM = [
    "MX",
    "BR",
    "AR",
    "CL",
    "CO",
    "PE",
    "UY",
    "EC",
    "VE",
    "CR",
    "PA",
    "GT",
    "DO",
    "BO",
    "PY",
    "PR",
    "JM",
    "HN",
    "SV",
]
_APAC = [
    "AU",
    "NZ",
    "JP",
    "CN",
    "HK",
    "TW",
    "KR",
    "IN",
    "SG",
    "MY",
    "ID",
    "TH",
    "PH",
    "VN",
    "PK",
    "BD",
    "LK",
    "NP",
    "KH",
    "MM",
]

# Region label -> member countries. "North America" includes Mexico because that is the continent;
# write "US or Canada" when Mexico is not wanted.
REGIONS: dict[str, tuple[str, ...]] = {
    "North America": ("US", "CA", "MX"),
    "Americas": tuple(sorted({"US", "CA", *_LATAM})),
    "LATAM": tuple(_LATAM),
    "South America": ("AR", "BO", "BR", "CL", "CO", "EC", "PE", "PY", "UY", "VE"),
    "Europe": tuple(_EUROPE),
    "EU": tuple(sorted(_EU)),
    "Western Europe": ("AT", "BE", "CH", "DE", "FR", "GB", "IE", "LU", "NL"),
    "Southern Europe": ("CY", "ES", "GR", "IT", "MT", "PT"),
    "Eastern Europe": ("BG", "CZ", "EE", "HR", "HU", "LT", "LV", "PL", "RO", "RS", "SI", "SK", "UA"),
    "DACH": ("AT", "CH", "DE"),
    "Nordics": ("DK", "FI", "IS", "NO", "SE"),
    "Scandinavia": ("DK", "NO", "SE"),
    "Benelux": ("BE", "LU", "NL"),
    "UK&I": ("GB", "IE"),
    "Middle East": tuple(_MIDDLE_EAST),
    "GCC": ("AE", "BH", "KW", "OM", "QA", "SA"),
    "MENA": tuple(sorted({*_MIDDLE_EAST, "EG", "MA", "TN", "DZ"})),
    "Africa": tuple(_AFRICA),
    "EMEA": tuple(sorted({*_EUROPE, *_MIDDLE_EAST, *_AFRICA})),
    "APAC": tuple(_APAC),
    "Asia": tuple(c for c in _APAC if c not in ("AU", "NZ")),
    "Southeast Asia": ("ID", "MY", "PH", "SG", "TH", "VN"),
    "ANZ": ("AU", "NZ"),
}

# How people write the regions (lower-case; matched on word boundaries, longest first).
_REGION_ALIASES: dict[str, str] = {
    "north america": "North America",
    "north american": "North America",
    "noram": "North America",
    "americas": "Americas",
    "the americas": "Americas",
    "latam": "LATAM",
    "latin america": "LATAM",
    "latin american": "LATAM",
    "south america": "South America",
    "europe": "Europe",
    "european": "Europe",
    "eu": "EU",
    "european union": "EU",
    "western europe": "Western Europe",
    "southern europe": "Southern Europe",
    "eastern europe": "Eastern Europe",
    "central and eastern europe": "Eastern Europe",
    "cee": "Eastern Europe",
    "dach": "DACH",
    "nordics": "Nordics",
    "nordic": "Nordics",
    "nordic countries": "Nordics",
    "scandinavia": "Scandinavia",
    "scandinavian": "Scandinavia",
    "benelux": "Benelux",
    "uk&i": "UK&I",
    "uk & i": "UK&I",
    "uki": "UK&I",
    "uk and ireland": "UK&I",
    "uk & ireland": "UK&I",
    "british isles": "UK&I",
    "middle east": "Middle East",
    "gcc": "GCC",
    "mena": "MENA",
    "africa": "Africa",
    "african": "Africa",
    "emea": "EMEA",
    "apac": "APAC",
    "apj": "APAC",
    "asia pacific": "APAC",
    "asia-pacific": "APAC",
    "asia": "Asia",
    "southeast asia": "Southeast Asia",
    "south-east asia": "Southeast Asia",
    "anz": "ANZ",
    "oceania": "ANZ",
}

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia",
}  # fmt: skip

CA_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "ON": "Ontario", "PE": "Prince Edward Island",
    "QC": "Quebec", "SK": "Saskatchewan", "NT": "Northwest Territories", "NU": "Nunavut", "YT": "Yukon",
}  # fmt: skip

# Subdivision code ("US-CA") -> display name.
SUBDIVISIONS: dict[str, str] = {
    **{f"US-{code}": name for code, name in US_STATES.items()},
    **{f"CA-{code}": name for code, name in CA_PROVINCES.items()},
}
_SUBDIVISION_ALIASES: dict[str, str] = {
    **{name.lower(): code for code, name in SUBDIVISIONS.items()},
    "washington dc": "US-DC",
    "washington, d.c.": "US-DC",
    "d.c.": "US-DC",
    "québec": "CA-QC",
}
# Upper-case codes that are ordinary English words or labels elsewhere in criteria ("IT services",
# "AI", "HR tech", "PE-backed", "OR", "IN"): never read them as places.
_CODE_BLOCKLIST = frozenset({"IT", "AI", "ML", "HR", "PE", "ID", "OR", "ME", "OK", "HI", "NO", "AS"})
# Codes that are English words in capitals ("AT", "IN", "IS"): places only when the text is not shouted.
_CODE_BLOCKLIST_IN_CAPS = frozenset({"AT", "IN", "IS"})
_SHOUTED_WORD = re.compile(
    r"\b(?:THE|AND|NOT|FOR|WITH|ONLY|MUST|ALL|ANY|BUT|ARE|HAVE|HAS|BASED|COMPANIES|COMPANY|FROM|OUTSIDE|EXCEPT|"
    r"HQ'?D|HEADQUARTERED|LOCATED|OPERATING)\b"
)

# ---------------------------------------------------------------------------------------------
# Vocabulary: industries and business models
# ---------------------------------------------------------------------------------------------


class _Industry(NamedTuple):
    label: str
    triggers: str  # regex alternatives recognised in criterion text
    evidence: str  # regex alternatives recognised in company data
    parents: tuple[str, ...]  # broader industries under which this one can hide (-> unknown, not not_met)


_TECH = ("software", "technology", "saas", "internet", "it_services")
INDUSTRIES: dict[str, _Industry] = {
    "b2b": _Industry("B2B", r"b2b|business[- ]to[- ]business", r"b2b|business[- ]to[- ]business", ("*",)),
    "b2c": _Industry(
        "B2C",
        r"b2c|business[- ]to[- ]consumer|d2c|dtc|direct[- ]to[- ]consumer|consumer[- ]facing",
        r"b2c|business[- ]to[- ]consumer|d2c|dtc|direct[- ]to[- ]consumer|consumer[- ]facing|consumers?",
        ("*",),
    ),
    "saas": _Industry(
        "SaaS",
        r"saas|software[- ]as[- ]a[- ]service|cloud software",
        r"saas|software[- ]as[- ]a[- ]service|cloud software|cloud[- ]based software|subscription software",
        (*_TECH, "*tech"),
    ),
    "software": _Industry(
        "software",
        r"software|software companies|isvs?",
        r"software|saas|computer software|isv",
        ("technology", "internet", "it_services", "*tech"),
    ),
    "technology": _Industry(
        "technology",
        r"tech companies|technology companies|tech company|technology company|tech sector|technology sector",
        r"technology|tech|software|saas|internet|information technology",
        ("*tech",),
    ),
    "internet": _Industry("internet", r"internet|online services", r"internet|online", ("technology",)),
    "it_services": _Industry(
        "IT services",
        r"it services|managed services|msps?|managed service providers?|system integrators?|systems integrators?",
        r"it services|information technology(?: and| &) services|managed services|msps?|managed service providers?|"
        r"system integrators?|systems integrators?|it consulting",
        ("technology",),
    ),
    "fintech": _Industry(
        "fintech",
        r"fintech|fin[- ]tech|financial technology|payments|neobanks?|insurtech|wealthtech|regtech|lending platforms?",
        r"fintech|fin[- ]tech|financial technology|payments?|neobanks?|insurtech|wealthtech|regtech|"
        r"lending platform|embedded finance|banking software|digital bank(?:ing)?",
        (*_TECH, "financial_services"),
    ),
    "financial_services": _Industry(
        "financial services",
        r"financial services|finance|banking|banks|financial institutions?|credit unions?|wealth management|"
        r"asset management|capital markets",
        r"financial services|finance|banking|banks?|financial institutions?|credit unions?|wealth management|"
        r"asset management|capital markets|investment management|fintech|insurance",
        (),
    ),
    "insurance": _Industry(
        "insurance",
        r"insurance|insurers?|insurtech|reinsurance",
        r"insurance|insurers?|insurtech|reinsurance|underwriting",
        ("financial_services",),
    ),
    "healthcare": _Industry(
        "healthcare",
        r"healthcare|health care|health|healthtech|health tech|digital health|hospitals?|clinics?|providers? of care",
        r"healthcare|health care|health|healthtech|health tech|digital health|hospitals?|clinics?|clinical|"
        r"patients?|medical|telehealth|telemedicine",
        (),
    ),
    "biotech": _Industry(
        "biotech",
        r"biotech|biotechnology|life sciences?|genomics|biopharma",
        r"biotech|biotechnology|life sciences?|genomics|biopharma|biologics|therapeutics",
        ("healthcare",),
    ),
    "pharma": _Industry(
        "pharma",
        r"pharma|pharmaceuticals?|drug makers?|biopharma",
        r"pharma|pharmaceuticals?|drug development|drug discovery|biopharma",
        ("healthcare", "biotech"),
    ),
    "medtech": _Industry(
        "medtech",
        r"medtech|med[- ]tech|medical devices?|medical technology",
        r"medtech|med[- ]tech|medical devices?|medical technology|medical equipment|diagnostics",
        ("healthcare",),
    ),
    "ecommerce": _Industry(
        "e-commerce",
        r"e-?commerce|online retail(?:ers?)?|online stores?|webshops?|online shops?",
        r"e-?commerce|online retail(?:ers?)?|online stores?|webshops?|online shops?|shopify stores?|d2c|dtc",
        ("retail", "internet", "b2c"),
    ),
    "marketplace": _Industry(
        "marketplace",
        r"marketplaces?|two[- ]sided",
        r"marketplaces?|two[- ]sided",
        ("*",),
    ),
    "retail": _Industry(
        "retail",
        r"retail|retailers?|brick[- ]and[- ]mortar",
        r"retail|retailers?|brick[- ]and[- ]mortar|stores|consumer goods|cpg",
        (),
    ),
    "devtools": _Industry(
        "developer tools",
        r"developer tools?|developer tooling|devtools|dev tools|developer platforms?|devops",
        r"developer tools?|developer tooling|devtools|dev tools|developer platforms?|devops|for developers|"
        r"developer experience|apis? for|sdks?",
        (*_TECH, "*tech"),
    ),
    "cybersecurity": _Industry(
        "cybersecurity",
        r"cyber ?security|cyber|infosec|information security|security companies|security vendors?|network security",
        r"cyber ?security|cyber|infosec|information security|security|network security|identity and access|"
        r"threat detection|zero trust",
        (*_TECH,),
    ),
    "edtech": _Industry(
        "edtech",
        r"edtech|ed[- ]tech|education technology|e-?learning|online learning",
        r"edtech|ed[- ]tech|education technology|e-?learning|online learning|online courses|learning platform",
        (*_TECH, "education"),
    ),
    "education": _Industry(
        "education",
        r"education|schools|universities|higher ed(?:ucation)?|k-12",
        r"education|schools?|universit(?:y|ies)|higher ed(?:ucation)?|k-12|edtech|e-?learning",
        (),
    ),
    "logistics": _Industry(
        "logistics",
        r"logistics|supply chain|freight|shipping|transportation|trucking|3pl|warehousing|fulfil?lment",
        r"logistics|supply chain|freight|shipping|transportation|trucking|3pl|warehousing|fulfil?lment|"
        r"last[- ]mile|fleet",
        (),
    ),
    "manufacturing": _Industry(
        "manufacturing",
        r"manufacturing|manufacturers?|industrials?|factories|factory",
        r"manufacturing|manufacturers?|industrials?|factories|factory|machinery|production plants?",
        (),
    ),
    "media": _Industry(
        "media",
        r"media|publishing|publishers?|news|entertainment|broadcasting|broadcasters?",
        r"media|publishing|publishers?|news|entertainment|broadcasting|broadcasters?|streaming|podcasts?",
        (),
    ),
    "gaming": _Industry(
        "gaming",
        r"gaming|games|video games?|game studios?|esports|igaming",
        r"gaming|games?|video games?|game studios?|esports|igaming",
        ("media",),
    ),
    "real_estate": _Industry(
        "real estate",
        r"real estate|proptech|prop[- ]tech|property management|commercial property",
        r"real estate|proptech|prop[- ]tech|property|properties|realty|brokerage",
        (),
    ),
    "proptech": _Industry(
        "proptech",
        r"proptech|prop[- ]tech",
        r"proptech|prop[- ]tech|real estate software|property management software",
        (*_TECH, "real_estate"),
    ),
    "hrtech": _Industry(
        "HR tech",
        r"hr ?tech|hr software|human resources|hris|recruiting|recruitment|talent acquisition|payroll|workforce",
        r"hr ?tech|hr software|human resources|hris|recruiting|recruitment|talent|payroll|workforce|hiring platform",
        (*_TECH,),
    ),
    "martech": _Industry(
        "martech",
        r"martech|mar[- ]tech|marketing technology|marketing software",
        r"martech|mar[- ]tech|marketing technology|marketing software|marketing platform|email marketing",
        (*_TECH,),
    ),
    "adtech": _Industry(
        "adtech",
        r"adtech|ad[- ]tech|advertising technology|advertising|programmatic",
        r"adtech|ad[- ]tech|advertising technology|advertising|programmatic|ad network|demand[- ]side",
        (*_TECH, "media"),
    ),
    "legaltech": _Industry(
        "legal tech",
        r"legal ?tech|legal software",
        r"legal ?tech|legal software|contract management|e-?discovery",
        (*_TECH, "legal"),
    ),
    "legal": _Industry(
        "legal",
        r"legal services|law firms?|legal",
        r"legal services|law firms?|legal|attorneys?|lawyers?",
        (),
    ),
    "government": _Industry(
        "government",
        r"government|public sector|govtech|gov tech|federal agencies|state agencies|municipalities|"
        r"public administration",
        r"government|public sector|govtech|gov tech|federal|municipal(?:ity|ities)?|public administration|"
        r"state agency|city of",
        (),
    ),
    "nonprofit": _Industry(
        "non-profit",
        r"non-?profits?|non profits?|not[- ]for[- ]profits?|ngos?|charit(?:y|ies)",
        r"non-?profits?|non profits?|not[- ]for[- ]profits?|ngos?|charit(?:y|ies)|philanthropy",
        (),
    ),
    "consulting": _Industry(
        "consulting",
        r"consult(?:ing|ancy|ancies|ants?)|advisory firms?|professional services",
        r"consult(?:ing|ancy|ancies|ants?)|advisory|professional services",
        (),
    ),
    "agency": _Industry(
        "agency",
        r"agenc(?:y|ies)|marketing agenc(?:y|ies)|digital agenc(?:y|ies)|creative agenc(?:y|ies)",
        r"agenc(?:y|ies)",
        ("consulting",),
    ),
    "telecom": _Industry(
        "telecom",
        r"telecoms?|telecommunications?|telcos?|wireless carriers?|isps?",
        r"telecoms?|telecommunications?|telcos?|wireless|carriers?|isp|5g|broadband",
        (),
    ),
    "energy": _Industry(
        "energy",
        r"energy|oil (?:and|&) gas|utilit(?:y|ies)|power generation",
        r"energy|oil (?:and|&) gas|utilit(?:y|ies)|power|renewables?|solar|wind",
        (),
    ),
    "cleantech": _Industry(
        "cleantech",
        r"clean ?tech|climate ?tech|renewables?|renewable energy|solar|sustainability|carbon",
        r"clean ?tech|climate ?tech|renewables?|renewable energy|solar|sustainability|carbon|decarboni[sz]ation|"
        r"climate|ev charging",
        (*_TECH, "energy"),
    ),
    "ai": _Industry(
        "AI/ML",
        r"ai|a\.i\.|artificial intelligence|machine learning|ml|genai|generative ai|llms?|deep learning|"
        r"computer vision|nlp",
        r"ai|a\.i\.|ai-powered|artificial intelligence|machine learning|ml|genai|generative ai|llms?|"
        r"deep learning|computer vision|nlp|neural",
        (*_TECH, "data"),
    ),
    "data": _Industry(
        "data/analytics",
        r"data|analytics|data (?:and|&) analytics|business intelligence|big data|data infrastructure",
        r"analytics|business intelligence|big data|data infrastructure|data platform|data warehouse|data pipelines?|"
        r"etl|data science|data engineering|data management",
        (*_TECH,),
    ),
    "automotive": _Industry(
        "automotive",
        r"automotive|car makers?|automakers?|oems?|auto dealers?|dealerships?",
        r"automotive|car makers?|automakers?|vehicles?|auto dealers?|dealerships?",
        ("manufacturing",),
    ),
    "travel": _Industry(
        "travel & hospitality",
        r"travel|hospitality|hotels?|airlines?|tourism|restaurants?",
        r"travel|hospitality|hotels?|airlines?|tourism|restaurants?|booking",
        (),
    ),
    "food": _Industry(
        "food & beverage",
        r"food (?:and|&) beverage|f&b|food|beverages?|cpg food",
        r"food (?:and|&) beverage|f&b|food|beverages?|restaurants?|grocery",
        ("retail", "manufacturing"),
    ),
    "construction": _Industry(
        "construction",
        r"construction|contractors?|builders?|aec|architecture",
        r"construction|contractors?|builders?|architecture|engineering firm|building",
        (),
    ),
    "agriculture": _Industry(
        "agriculture",
        r"agriculture|agtech|ag[- ]tech|farming|agribusiness",
        r"agriculture|agtech|ag[- ]tech|farming|farms?|agribusiness|crops?",
        (),
    ),
    "aerospace": _Industry(
        "aerospace & defense",
        r"aerospace|defen[cs]e|space ?tech|aviation",
        r"aerospace|defen[cs]e|space|satellites?|aviation|aircraft",
        ("manufacturing",),
    ),
    "crypto": _Industry(
        "crypto/web3",
        r"crypto(?:currency)?|web3|blockchain|defi",
        r"crypto(?:currency)?|web3|blockchain|defi|tokens?|nfts?",
        (*_TECH, "fintech", "financial_services"),
    ),
    "hardware": _Industry(
        "hardware",
        r"hardware|semiconductors?|electronics|iot|internet of things|robotics",
        r"hardware|semiconductors?|electronics|iot|internet of things|robotics|devices|chips?|sensors?",
        ("manufacturing", "technology"),
    ),
    "accounting": _Industry(
        "accounting",
        r"accounting firms?|accountants|cpa firms?|accounting",
        r"accounting|accountants|cpa|bookkeeping|audit",
        ("financial_services", "consulting"),
    ),
}

# ---------------------------------------------------------------------------------------------
# Vocabulary: technologies
# ---------------------------------------------------------------------------------------------


class _Tech(NamedTuple):
    name: str
    aliases: str  # regex alternatives, matched case-insensitively in criteria and company data
    categories: tuple[str, ...]
    exact_case: bool = False  # ordinary English words ("Outreach"): only the capitalised form counts


TECHNOLOGIES: tuple[_Tech, ...] = (
    _Tech("Salesforce", r"salesforce(?:\.com)?|sfdc|sales cloud", ("crm",)),
    _Tech("HubSpot", r"hubspot|hub spot", ("crm", "marketing_automation")),
    _Tech("Pipedrive", r"pipedrive", ("crm",)),
    _Tech("Microsoft Dynamics", r"(?:microsoft |ms )?dynamics(?: 365| crm)?", ("crm", "erp")),
    _Tech("Zoho CRM", r"zoho(?: crm)?", ("crm",)),
    _Tech("AWS", r"aws|amazon web services", ("cloud",)),
    _Tech("Azure", r"(?:microsoft )?azure", ("cloud",)),
    _Tech("Google Cloud", r"gcp|google cloud(?: platform)?", ("cloud",)),
    _Tech("DigitalOcean", r"digital ?ocean", ("cloud",)),
    _Tech("Heroku", r"heroku", ("cloud",)),
    _Tech("Snowflake", r"snowflake", ("data_warehouse",)),
    _Tech("BigQuery", r"big ?query", ("data_warehouse",)),
    _Tech("Redshift", r"(?:amazon )?redshift", ("data_warehouse",)),
    _Tech("Databricks", r"databricks", ("data_warehouse",)),
    _Tech("ClickHouse", r"clickhouse", ("data_warehouse",)),
    _Tech("Gong", r"gong(?:\.io)?", ("sales_engagement",), exact_case=True),
    _Tech("Chorus", r"chorus(?:\.ai)?", ("sales_engagement",), exact_case=True),
    _Tech("Clari", r"clari", ("sales_engagement",)),
    _Tech("Outreach", r"outreach(?:\.io)?", ("sales_engagement",), exact_case=True),
    _Tech("Salesloft", r"sales ?loft", ("sales_engagement",)),
    _Tech("Apollo", r"apollo(?:\.io)?", ("sales_engagement",), exact_case=True),
    _Tech("Marketo", r"marketo", ("marketing_automation",)),
    _Tech("Pardot", r"pardot|account engagement", ("marketing_automation",)),
    _Tech("Eloqua", r"eloqua", ("marketing_automation",)),
    _Tech("Mailchimp", r"mailchimp", ("marketing_automation",)),
    _Tech("Braze", r"braze", ("marketing_automation",)),
    _Tech("Klaviyo", r"klaviyo", ("marketing_automation",)),
    _Tech("Iterable", r"iterable", ("marketing_automation",), exact_case=True),
    _Tech("Zendesk", r"zendesk", ("support",)),
    _Tech("Intercom", r"intercom", ("support",)),
    _Tech("Freshdesk", r"freshdesk", ("support",)),
    _Tech("ServiceNow", r"service ?now", ("support",)),
    _Tech("Shopify", r"shopify(?: plus)?", ("ecommerce_platform",)),
    _Tech("Magento", r"magento|adobe commerce", ("ecommerce_platform",)),
    _Tech("BigCommerce", r"bigcommerce", ("ecommerce_platform",)),
    _Tech("WooCommerce", r"woocommerce", ("ecommerce_platform",)),
    _Tech("Stripe", r"stripe", ("payments",)),
    _Tech("Adyen", r"adyen", ("payments",)),
    _Tech("Braintree", r"braintree", ("payments",)),
    _Tech("SAP", r"sap(?: s/4hana| erp)?", ("erp",)),
    _Tech("NetSuite", r"(?:oracle )?netsuite", ("erp",)),
    _Tech("Workday", r"workday", ("hris",)),
    _Tech("BambooHR", r"bamboo ?hr", ("hris",)),
    _Tech("Rippling", r"rippling", ("hris",)),
    _Tech("Greenhouse", r"greenhouse", ("ats",), exact_case=True),
    _Tech("Lever", r"lever", ("ats",), exact_case=True),
    _Tech("Segment", r"segment(?:\.com| cdp)?", ("cdp",), exact_case=True),
    _Tech("Amplitude", r"amplitude", ("product_analytics",), exact_case=True),
    _Tech("Mixpanel", r"mixpanel", ("product_analytics",)),
    _Tech("Tableau", r"tableau", ("bi",)),
    _Tech("Looker", r"looker", ("bi",)),
    _Tech("Power BI", r"power ?bi", ("bi",)),
    _Tech("Slack", r"slack", ("collaboration",), exact_case=True),
    _Tech("Microsoft Teams", r"(?:microsoft|ms) teams", ("collaboration",)),
    _Tech("Zoom", r"zoom", ("collaboration",), exact_case=True),
    _Tech("Jira", r"jira", ("devops",)),
    _Tech("GitHub", r"github", ("devops",)),
    _Tech("GitLab", r"gitlab", ("devops",)),
    _Tech("Datadog", r"datadog", ("devops",)),
    _Tech("Kubernetes", r"kubernetes|k8s", ("devops",)),
    _Tech("Terraform", r"terraform", ("devops",)),
    _Tech("PostgreSQL", r"postgres(?:ql)?", ("database",)),
    _Tech("MongoDB", r"mongo(?:db)?", ("database",)),
    _Tech("MySQL", r"mysql", ("database",)),
)
TECH_BY_NAME: dict[str, _Tech] = {t.name: t for t in TECHNOLOGIES}

# Category key -> (label, regex recognised in criteria). Triggers are deliberately specific ("public
# cloud", not "cloud"): "cloud-native SaaS" says nothing about the tool a company buys.
TECH_CATEGORIES: dict[str, tuple[str, str]] = {
    "crm": ("CRM", r"crms?|crm system|crm platform"),
    "cloud": ("cloud provider", r"public cloud|cloud providers?|cloud platforms?|hyperscalers?|iaas"),
    "data_warehouse": ("data warehouse", r"(?:cloud )?data warehouses?|cdw|lakehouse"),
    "sales_engagement": (
        "sales engagement / conversation intelligence",
        r"sales engagement(?: platforms?| tools?)?|conversation(?:al)? intelligence|revenue intelligence|"
        r"call recording|sales intelligence",
    ),
    "marketing_automation": ("marketing automation", r"marketing automation(?: platforms?| tools?)?|map"),
    "support": ("support desk", r"help ?desk|support desk|ticketing system|customer support software"),
    "ecommerce_platform": ("e-commerce platform", r"e-?commerce platforms?|storefront platforms?"),
    "payments": ("payments provider", r"payment (?:providers?|processors?|gateways?)|psps?"),
    "erp": ("ERP", r"erps?"),
    "hris": ("HRIS", r"hris|hcm|hr systems?"),
    "ats": ("ATS", r"ats|applicant tracking(?: system)?"),
    "cdp": ("CDP", r"cdps?|customer data platforms?"),
    "product_analytics": ("product analytics", r"product analytics"),
    "bi": ("BI tool", r"bi tools?|business intelligence tools?"),
    "collaboration": ("collaboration suite", r"collaboration tools?"),
    "devops": ("DevOps tooling", r"devops tool(?:ing|s)?|ci/cd"),
    "database": ("database", r"databases?"),
}

# ---------------------------------------------------------------------------------------------
# Vocabulary: funding
# ---------------------------------------------------------------------------------------------

# The ladder, earliest first. Off-ladder stages: bootstrapped (never raised), pe_backed.
FUNDING_LADDER: tuple[str, ...] = (
    "pre_seed",
    "seed",
    "series_a",
    "series_b",
    "series_c",
    "series_d",
    "series_e_plus",
    "public",
)
FUNDING_STAGES: tuple[str, ...] = (*FUNDING_LADDER, "bootstrapped", "pe_backed")
_VC_STAGES: tuple[str, ...] = FUNDING_LADDER[:-1]
FUNDING_LABELS: dict[str, str] = {
    "pre_seed": "Pre-seed",
    "seed": "Seed",
    "series_a": "Series A",
    "series_b": "Series B",
    "series_c": "Series C",
    "series_d": "Series D",
    "series_e_plus": "Series E+",
    "public": "Public",
    "bootstrapped": "Bootstrapped",
    "pe_backed": "PE-backed",
}

# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

RangeField = Literal["employees", "revenue"]


class _CheckBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RangeCheck(_CheckBase):
    """A numeric bound on headcount or revenue ("200–2,000 employees", "over $10M ARR")."""

    kind: Literal["range"] = "range"
    field: RangeField
    minimum: float | None = None
    maximum: float | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True


class GeoCheck(_CheckBase):
    """Headquarters in one of a set of countries or subdivisions; regions are expanded at parse time.

    Storing the expanded country list (not just "DACH") makes the stored check self-explaining and
    immune to later edits of the region table.
    """

    kind: Literal["geo"] = "geo"
    places: tuple[str, ...] = Field(description="The places as named in the criterion, canonical spelling.")
    countries: tuple[str, ...] = Field(default=(), description="ISO alpha-2 codes that satisfy the check.")
    subdivisions: tuple[str, ...] = Field(default=(), description="'US-CA'-style codes that satisfy the check.")


class IndustryCheck(_CheckBase):
    """Industry or business model, matched against industry, tags and description."""

    kind: Literal["industry"] = "industry"
    industries: tuple[str, ...] = Field(description="Keys of INDUSTRIES.")
    match: Literal["any", "all"] = "any"


class TechCheck(_CheckBase):
    """Technologies in the company's stack; categories stand for "X or similar"."""

    kind: Literal["tech"] = "tech"
    technologies: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    match: Literal["any", "all"] = "any"


class FundingCheck(_CheckBase):
    """Funding stage, as the set of canonical stages that satisfy it ("Series B or later" expanded)."""

    kind: Literal["funding"] = "funding"
    stages: tuple[str, ...]


class FoundedCheck(_CheckBase):
    """Founding year within inclusive bounds; relative ages are resolved against a reference year."""

    kind: Literal["founded"] = "founded"
    min_year: int | None = None
    max_year: int | None = None


class NotCheck(_CheckBase):
    """Exclusion: met <-> not_met; unknown stays unknown (not knowing is not a pass)."""

    kind: Literal["not"] = "not"
    check: Check


class AnyOf(_CheckBase):
    """Alternatives across families ("North America or 500+ employees")."""

    kind: Literal["any_of"] = "any_of"
    checks: tuple[Check, ...]


class AllOf(_CheckBase):
    """Several facts in one clause ("B2B SaaS in the US with 200+ employees")."""

    kind: Literal["all_of"] = "all_of"
    checks: tuple[Check, ...]


Check = Annotated[
    RangeCheck | GeoCheck | IndustryCheck | TechCheck | FundingCheck | FoundedCheck | NotCheck | AnyOf | AllOf,
    Field(discriminator="kind"),
]
for _model in (NotCheck, AnyOf, AllOf):
    _model.model_rebuild()

LeafCheck = RangeCheck | GeoCheck | IndustryCheck | TechCheck | FundingCheck | FoundedCheck


def check_fields(check: Check) -> frozenset[str]:
    """The company fields a check reads; when all are missing the verdict can only be unknown."""
    if isinstance(check, RangeCheck):
        return frozenset({check.field})
    if isinstance(check, GeoCheck):
        return frozenset({"country", "region"})
    if isinstance(check, IndustryCheck):
        return frozenset({"industry", "tags", "description"})
    if isinstance(check, TechCheck):
        return frozenset({"technologies", "description"})
    if isinstance(check, FundingCheck):
        return frozenset({"funding_stage"})
    if isinstance(check, FoundedCheck):
        return frozenset({"founded_year"})
    if isinstance(check, NotCheck):
        return check_fields(check.check)
    return frozenset().union(*(check_fields(c) for c in check.checks))


def leaf_checks(check: Check) -> list[LeafCheck]:
    """Every leaf of a check tree (for lint and explanations)."""
    if isinstance(check, NotCheck):
        return leaf_checks(check.check)
    if isinstance(check, AnyOf | AllOf):
        return [leaf for c in check.checks for leaf in leaf_checks(c)]
    return [check]


# ---------------------------------------------------------------------------------------------
# Describing checks (for explanations, lint messages and summaries)
# ---------------------------------------------------------------------------------------------


def format_amount(field: str, value: float) -> str:
    """``employees`` as a plain count, ``revenue`` as "$12.5M": how an SDR reads them."""
    if field == "revenue":
        for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if value >= divisor:
                return f"${value / divisor:,.1f}".rstrip("0").rstrip(".") + suffix
        return f"${value:,.0f}"
    return f"{value:,.0f}"


def describe_check(check: Check) -> str:
    """A short human phrase for a check: "200–2,000 employees", "HQ in DACH", "not agency"."""
    return _describe(check)


@lru_cache(maxsize=4096)
def _describe(check: Check) -> str:
    if isinstance(check, RangeCheck):
        unit = " employees" if check.field == "employees" else " revenue"
        lo = None if check.minimum is None else format_amount(check.field, check.minimum)
        hi = None if check.maximum is None else format_amount(check.field, check.maximum)
        if lo and hi:
            return f"{lo}–{hi}{unit}"
        if lo:
            return f"{'at least' if check.min_inclusive else 'more than'} {lo}{unit}"
        return f"{'at most' if check.max_inclusive else 'under'} {hi}{unit}"
    if isinstance(check, GeoCheck):
        return "HQ in " + " or ".join(check.places)
    if isinstance(check, IndustryCheck):
        joiner = " and " if check.match == "all" else " or "
        return joiner.join(INDUSTRIES[k].label for k in check.industries)
    if isinstance(check, TechCheck):
        names = [*check.technologies, *(f"a {TECH_CATEGORIES[c][0]}" for c in check.categories)]
        return "uses " + (" and " if check.match == "all" else " or ").join(names)
    if isinstance(check, FundingCheck):
        return "funding " + "/".join(FUNDING_LABELS[s] for s in check.stages)
    if isinstance(check, FoundedCheck):
        if check.min_year is not None and check.max_year is not None:
            if check.min_year == check.max_year:
                return f"founded in {check.min_year}"
            return f"founded {check.min_year}–{check.max_year}"
        if check.min_year is not None:
            return f"founded in or after {check.min_year}"
        return f"founded in or before {check.max_year}"
    if isinstance(check, NotCheck):
        return f"not {describe_check(check.check)}"
    joiner = " or " if isinstance(check, AnyOf) else " and "
    return joiner.join(describe_check(c) for c in check.checks)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_TRANSLATE = str.maketrans(
    {"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-", "\u00a0": " ", "’": "'", "“": '"', "”": '"'}
)
_PRE_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"≥"), ">="),
    (re.compile(r"≤"), "<="),
    (re.compile(r"\b(?:no|not) (?:more|greater|bigger|larger) than\b|\bnot exceeding\b|\bnot over\b", re.I), "at most"),
    (re.compile(r"\b(?:no|not) (?:less|fewer|smaller) than\b|\bnot under\b", re.I), "at least"),
    (re.compile(r"\b(?:and|&)\s*/\s*or\b", re.I), "or"),
)


@dataclass
class _Atom:
    start: int
    end: int
    family: str
    payload: Any  # per family: range tuple, _Place, industry keys, (kind, name), stages, years
    negated: bool = False


class _Text:
    """The criterion in three aligned forms: as written (for upper-case codes), lower-case, and masked.

    Each family consumes its spans so that "2010-2020" after "founded" is not also read as a
    headcount, and "PE-backed" is not read as Peru.
    """

    def __init__(self, text: str) -> None:
        norm = text.translate(_TRANSLATE)
        for pattern, replacement in _PRE_SUBSTITUTIONS:
            norm = pattern.sub(replacement, norm)
        self.norm = norm
        self.low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in norm)
        self._mask = bytearray(len(norm))

    def consume(self, start: int, end: int) -> None:
        for i in range(start, end):
            self._mask[i] = 1

    def free(self, start: int, end: int) -> bool:
        return not any(self._mask[start:end])

    def masked(self, *, lower: bool = True) -> str:
        source = self.low if lower else self.norm
        return "".join(" " if self._mask[i] else ch for i, ch in enumerate(source))


def _split_alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` alternatives of a regex (ignoring those inside groups and character classes)."""
    parts, depth, in_class, current = [], 0, False, []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            current.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _grouped_alternation(patterns: list[str]) -> str:
    """One alternation grouped by literal first character, longest alternatives first.

    Python's regex engine tries alternatives one by one at every position; grouping them behind their
    first letter lets it skip all but one group, which makes the once-per-company scan of a
    description several times faster.
    """
    by_first: dict[str, list[str]] = {}
    other: list[str] = []
    for alternative in dict.fromkeys(a for p in patterns for a in _split_alternatives(p)):
        first = alternative[:1].lower()
        if first.isalnum() and alternative[1:2] not in ("?", "*", "{"):
            by_first.setdefault(first, []).append(alternative[1:])
        else:
            other.append(alternative)
    groups = [
        f"{re.escape(first)}(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
        for first, rests in sorted(by_first.items())
    ]
    return "|".join([*groups, *other])


def compile_words(*patterns: str, plural: bool = False) -> re.Pattern[str]:
    """Case-insensitive whole-word alternation of ``patterns``, grouped by first letter for speed.

    Used for every scan of company text, which runs once per company per criterion family.
    """
    body = _grouped_alternation(list(patterns))
    return re.compile(_word(f"(?:{body})s?" if plural else body), re.I)


def _word(pattern: str) -> str:
    """Wrap alternatives in word boundaries that tolerate dots and ampersands inside ("u.s.", "uk&i")."""
    return rf"(?<![\w&])(?:{pattern})(?![\w&])"


# --- founded year -------------------------------------------------------------------------------

_YEAR = r"(?:1[6-9]\d\d|2[01]\d\d)"
_FOUNDED_RE = re.compile(
    r"\b(?:founded|established|est\.?|started|incorporated|launched|created|in business since|operating since)\s+"
    r"(?:in\s+)?(?P<op>in or after|in or before|after|since|post-?|later than|from|before|prior to|pre-?|"
    r"earlier than|until|between|no earlier than|no later than)?\s*(?:the\s+)?(?:year\s+)?"
    rf"(?P<y1>{_YEAR})(?P<decade>s)?(?:\s*(?:-|to|and|through|until)\s*(?P<y2>{_YEAR}))?"
    r"(?P<post>\s*(?:or|and) (?:later|after|since|newer|earlier|before|older)\b(?!\s*(?:the\s+)?\d))?"
)
_FOUNDED_MORE = re.compile(
    rf"\s*,?\s*(?:and|but)\s+(?P<op>before|prior to|until|no later than|after|since|no earlier than)\s+(?P<y>{_YEAR})"
)
_FOUNDED_RECENT_RE = re.compile(
    r"\b(?:founded|established|started|launched)\s+(?:in\s+|within\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d{1,3})\s+years?"
)
_AGE_QUALIFIER = r"\s+(?:old|in business|of operations?|in operation|of history|of age)"
_AGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b(?P<op>at least|min(?:imum)?(?: of)?)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min"),
    (re.compile(rf"\b(?P<op>over|more than)\s+(?P<n>\d{{1,3}})\+?\s*years?{_AGE_QUALIFIER}"), "min_excl"),
    (re.compile(rf"\b(?P<n>\d{{1,3}})\s*\+\s*years?{_AGE_QUALIFIER}"), "min"),
    (re.compile(r"\b(?P<n>\d{1,3})\s+years?(?:\s+old)?\s+or\s+(?:older|more)\b"), "min"),
    (re.compile(r"\bolder than\s+(?P<n>\d{1,3})\s+years?\b"), "min_excl"),
    (re.compile(r"\bin business (?:for\s+)?(?:at least\s+|over\s+|more than\s+)?(?P<n>\d{1,3})\+?\s+years?\b"), "min"),
    (re.compile(rf"\b(?:less than|under|younger than)\s+(?P<n>\d{{1,3}})\s+years?(?:{_AGE_QUALIFIER})?"), "max_excl"),
    (re.compile(rf"\b(?:at most|up to|no older than)\s+(?P<n>\d{{1,3}})\s+years?(?:{_AGE_QUALIFIER})?"), "max"),
    (re.compile(r"\b(?P<n>\d{1,3})\s+years?\s+old\s+or\s+(?:younger|less)\b"), "max"),
    (re.compile(r"\bfounded\s+(?:at least\s+|over\s+|more than\s+)?(?P<n>\d{1,3})\+?\s+years?\s+ago\b"), "min"),
    (
        re.compile(
            r"\bfounded\s+(?:less than|under|fewer than|within the last|in the last)\s+"
            r"(?P<n>\d{1,3})\s+years?(?:\s+ago)?"
        ),
        "max_excl",
    ),
)


def _extract_founded(text: _Text, reference_year: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _FOUNDED_RE.finditer(low):
        y1, y2 = int(m["y1"]), int(m["y2"]) if m["y2"] else None
        op = (m["op"] or "").strip().rstrip("-")
        post = (m["post"] or "").strip()
        lo: int | None
        hi: int | None
        if m["decade"] and y1 % 10 == 0:
            lo, hi = y1, y1 + 9
        elif y2 is not None:
            lo, hi = min(y1, y2), max(y1, y2)
        elif op in ("after", "post", "later than"):
            lo, hi = y1 + 1, None
        elif op in ("in or after", "since", "from", "no earlier than") or post.endswith(
            ("later", "after", "since", "newer")
        ):
            lo, hi = y1, None
        elif op in ("before", "prior to", "pre", "earlier than"):
            lo, hi = None, y1 - 1
        elif op in ("in or before", "until", "no later than") or post.endswith(("earlier", "before", "older")):
            lo, hi = None, y1
        else:
            lo, hi = y1, y1
        end = m.end()
        more = _FOUNDED_MORE.match(low, end)
        if more is not None:  # "founded after 2010 and before 2020"
            year = int(more["y"])
            if more["op"] in ("before", "prior to", "until", "no later than"):
                hi = year - 1 if more["op"] in ("before", "prior to") else year
            else:
                lo = year + 1 if more["op"] == "after" else year
            end = more.end()
        atoms.append(_Atom(m.start(), end, "founded", (lo, hi)))
        text.consume(m.start(), end)
    low = text.masked()
    for m in _FOUNDED_RECENT_RE.finditer(low):
        atoms.append(_Atom(m.start(), m.end(), "founded", (reference_year - int(m["n"]), None)))
        text.consume(m.start(), m.end())
    for pattern, bound in _AGE_PATTERNS:
        low = text.masked()
        for m in pattern.finditer(low):
            n = int(m["n"])
            payload = {
                "min": (None, reference_year - n),
                "min_excl": (None, reference_year - n - 1),
                "max": (reference_year - n, None),
                "max_excl": (reference_year - n + 1, None),
            }[bound]
            atoms.append(_Atom(m.start(), m.end(), "founded", payload))
            text.consume(m.start(), m.end())
    return atoms


# --- funding ------------------------------------------------------------------------------------

_SERIES_RE = re.compile(
    r"(?P<pre>\b(?:(?:post[- ]?|pre[- ](?!seed)|at least |up to |before |after |through |beyond |past |"
    r"later than |earlier than )(?:an? )?)?)"
    r"\b(?P<stage>pre[- ]?seed|seed|angel|series[- ]?[a-h])\b(?:[- ](?:stage|funded|round|funding))?"
    r"(?P<plus>\s?\+)?"
    r"(?P<more>(?:\s*(?:,|or|and|/)\s*(?:series[- ]?)?[a-h]\b(?!\.))*)"
    r"(?P<to>\s*(?:-|to|through)\s*(?:series[- ]?)?(?P<l2>[a-h])\b)?"
    r"(?P<post>\s*(?:(?:or|and) (?:later|beyond|above|higher|after|up|more|greater|later[- ]stages?|onwards?)|"
    r"onwards?|and on|(?:or|and) (?:earlier|before|below|lower|less|under))\b)?"
)
_FUNDING_PHRASES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"\bpre[- ]ipo\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
    (
        re.compile(
            r"\b(?:publicly[- ](?:traded|listed|held)|public (?:company|companies|corporations?)|"
            r"(?:is|are|went|gone|already) public|listed (?:on|company|companies)|post[- ]ipo|ipo(?:'?d)?|"
            r"stock[- ]exchange[- ]listed)\b"
        ),
        ("public",),
    ),
    (
        re.compile(
            r"\b(?:bootstrapped|self[- ]funded|founder[- ]funded|customer[- ]funded|"
            r"no (?:outside|external|vc|venture) (?:funding|capital|money))\b"
        ),
        ("bootstrapped",),
    ),
    (
        re.compile(r"\b(?:pe[- ](?:backed|owned|funded)|private[- ]equity(?:[- ](?:backed|owned|funded))?)\b"),
        ("pe_backed",),
    ),
    (
        re.compile(r"\b(?:vc[- ](?:backed|funded)|venture[- ](?:backed|funded)|venture capital(?:[- ]backed)?)\b"),
        _VC_STAGES,
    ),
    (re.compile(r"\bearly[- ]stage\b"), ("pre_seed", "seed", "series_a")),
    (re.compile(r"\bgrowth[- ]stage\b"), ("series_b", "series_c", "series_d")),
    (re.compile(r"\blate[- ]stage\b"), ("series_c", "series_d", "series_e_plus", "pe_backed")),
)


_BARE_PUBLIC = re.compile(r"\bpublic\b(?!\s+(?:sector|cloud|health|administration|relations|safety|transport))")
_FUNDING_LIST_GAP = re.compile(r"^\s*(?:,|or|and|/|&)?\s*(?:either\s+)?$")


def _stage_key(token: str) -> str:
    token = token.strip()
    if token.startswith("pre"):
        return "pre_seed"
    if token in ("seed", "angel"):
        return "seed"
    letter = token[-1]
    return "series_e_plus" if letter >= "e" else f"series_{letter}"


def _with_later(start: int) -> tuple[str, ...]:
    stages = list(FUNDING_LADDER[start:])
    if start >= FUNDING_LADDER.index("series_b"):
        stages.append("pe_backed")
    return tuple(stages)


def _extract_funding(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _SERIES_RE.finditer(low):
        idx = FUNDING_LADDER.index(_stage_key(m["stage"]))
        pre = re.sub(r"\s+an?$", "", (m["pre"] or "").strip())
        post = (m["post"] or "").strip()
        stages: tuple[str, ...]
        if m["l2"]:
            end = FUNDING_LADDER.index(_stage_key(m["l2"]))
            stages = FUNDING_LADDER[min(idx, end) : max(idx, end) + 1]
        elif pre.startswith(("post", "after", "beyond", "past", "later than")):
            stages = _with_later(idx + 1)
        elif (
            m["plus"]
            or pre == "at least"
            or post.endswith(
                (
                    "later",
                    "beyond",
                    "above",
                    "higher",
                    "after",
                    "up",
                    "more",
                    "greater",
                    "stage",
                    "stages",
                    "onward",
                    "onwards",
                    "on",
                )
            )
        ):
            stages = _with_later(idx)
        elif pre.startswith(("pre", "before", "earlier than")):
            stages = FUNDING_LADDER[:idx]
        elif pre in ("up to", "through") or post.endswith(("earlier", "before", "below", "lower", "less", "under")):
            stages = FUNDING_LADDER[: idx + 1]
        else:
            extra = [FUNDING_LADDER.index(_stage_key(x)) for x in re.findall(r"\b([a-h])\b", m["more"] or "")]
            stages = tuple(FUNDING_LADDER[i] for i in sorted({idx, *extra}))
        atoms.append(_Atom(m.start("stage"), m.end(), "funding", stages))
        text.consume(m.start(), m.end())
    for pattern, phrase_stages in _FUNDING_PHRASES:
        low = text.masked()
        for m in pattern.finditer(low):
            atoms.append(_Atom(m.start(), m.end(), "funding", phrase_stages))
            text.consume(m.start(), m.end())
    if atoms:
        low = text.masked()
        for m in _BARE_PUBLIC.finditer(low):
            near = [a for a in atoms if _FUNDING_LIST_GAP.match(low[min(a.end, m.end()) : max(a.start, m.start())])]
            if near:
                atoms.append(_Atom(m.start(), m.end(), "funding", ("public",)))
                text.consume(m.start(), m.end())
    return atoms


# --- employee and revenue ranges ----------------------------------------------------------------

_NUMBER_RE = re.compile(
    r"(?<![\w.$€£])(?P<cur>[$€£]\s?)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?:\s?(?P<mult>k|mm|mn|m|bn|b|million|billion|thousand|mil)(?![a-z0-9]))?(?P<plus>\s?\+)?"
)
_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}  # fmt: skip
_LOWER_OPS = re.compile(
    r"(?P<op>at least|min(?:imum)?\.?(?: of)?|more than|over|above|greater than|bigger than|larger than|exceeding|"
    r"in excess of|upwards of|north of|starting at|>=|>)\s*$"
)
_UPPER_OPS = re.compile(
    r"(?P<op>under|below|less than|fewer than|at most|up to|max(?:imum)?\.?(?: of)?|smaller than|lower than|"
    r"south of|<=|<|sub-?)\s*$"
)
_INCLUSIVE_OPS = frozenset(
    {"at least", "min", "min.", "minimum", "minimum of", "min of", "min. of", "upwards of", "starting at", ">="}
)
_INCLUSIVE_OPS_UPPER = frozenset(
    {"at most", "up to", "max", "max.", "maximum", "max of", "max. of", "maximum of", "<="}
)
_AFTER_LOWER = re.compile(
    r"^\s*(?:[a-z]+\s+){0,2}?(?:or (?:more|above|greater|higher|larger|bigger)|and (?:above|up|over|more)|plus|"
    r"min(?:imum)?|at least)\b"
)
_AFTER_UPPER = re.compile(
    r"^\s*(?:[a-z]+\s+){0,2}?(?:or (?:less|fewer|below|under|smaller)|and (?:below|under|less)|max(?:imum)?|tops|"
    r"at most)\b"
)
_EMPLOYEE_WORDS = re.compile(
    r"\b(?:employees?|people|persons|staff|staffers|headcount|ftes?|full[- ]time|team members|workers|personnel|"
    r"heads|sized?|size|employee count|team of)\b"
)
_TEAMS = r"(?:sales|marketing|engineering|support|revops|data|security|it|finance|hr|customer success|product)"
_TEAM_BEFORE = re.compile(rf"\b{_TEAMS}\s+(?:team|org|organi[sz]ation|department|headcount)\b[^,;]*$")
_TEAM_AFTER = re.compile(rf"^\s*(?:[a-z]+\s+){{0,2}}(?:on|in)\s+(?:the\s+|their\s+|its\s+)?{_TEAMS}\b")
# The word right after a number, unless it is a connective ("200 or more", "50 to 500", "10 in revenue").
_FOLLOWING_WORD = re.compile(
    r"^\s*(?!(?:or|and|to|in|of|plus|through|per|a|an|the|with|at|from|than|more|less|fewer|employees?)\b)"
    r"([a-z][a-z-]*)"
)
_NOT_NOUNS = frozenset({"plus", "across", "is", "was", "has", "as", "this", "thus", "minus", "us", "its", "yes"})
_REVENUE_WORDS = re.compile(
    r"\b(?:revenues?|arr|mrr|sales|turnover|annual|bookings|top[- ]line|in rev|dollars|usd|eur|euros?|gbp|pounds)\b"
)
_CARRY_GAP = re.compile(r"^\s*(?:[a-z]+\s+){0,2}?(?:or|and)\s*$")
_RANGE_GAP = re.compile(r"^\s*(?:-|to|and|through)\s*$")


class _Number(NamedTuple):
    start: int
    end: int
    value: float
    currency: bool
    mult: str | None
    plus: bool


def _numbers(low: str) -> list[_Number]:
    found: list[_Number] = []
    for m in _NUMBER_RE.finditer(low):
        value = float(m["num"].replace(",", "") + (m["dec"] or ""))
        mult = m["mult"]
        if mult:
            value *= _MULTIPLIERS[mult]
        found.append(_Number(m.start(), m.end(), value, bool(m["cur"]), mult, bool(m["plus"])))
    return found


def _unit(low: str, start: int, end: int, numbers: tuple[_Number, ...]) -> tuple[RangeField, float] | None:
    """Which field a number expression counts, and a factor (MRR -> annual); None when nothing says.

    The nearest unit word wins ("200+ employees and $10M ARR" reads each number with its own word);
    a currency sign always means revenue; a bare number stays unparsed rather than guessed.
    """
    after = low[end : end + 40]
    before = low[max(0, start - 40) : start]
    if _TEAM_BEFORE.search(before) or _TEAM_AFTER.match(after):
        return None  # "sales team of 10+", "10-50 people on the sales team": a team's size, not the company's
    if not any(n.currency for n in numbers):
        noun = _FOLLOWING_WORD.match(after)
        if (
            noun
            and noun[1].endswith("s")
            and noun[1] not in _NOT_NOUNS
            and not _EMPLOYEE_WORDS.match(noun[1])
            and not _REVENUE_WORDS.match(noun[1])
        ):
            return None  # "10 AEs", "500 customers", "30 countries": a count of something else
    candidates: list[tuple[int, RangeField, str]] = []
    for pattern, name in ((_EMPLOYEE_WORDS, "employees"), (_REVENUE_WORDS, "revenue")):
        unit: RangeField = "employees" if name == "employees" else "revenue"
        candidates.extend((m.start(), unit, m.group()) for m in pattern.finditer(after))
        candidates.extend((len(before) - m.end() + 1, unit, m.group()) for m in pattern.finditer(before))
    candidates.sort(key=lambda c: c[0])
    field: RangeField | None = None
    if any(n.currency for n in numbers):
        field = "revenue"
    elif candidates:
        field = candidates[0][1]
    elif any(n.mult in ("m", "mm", "mn", "mil", "million", "b", "bn", "billion") for n in numbers):
        field = "revenue"
    if field is None:
        return None
    revenue_words = [c[2] for c in candidates if c[1] == "revenue"]
    factor = 12.0 if field == "revenue" and revenue_words and revenue_words[0] == "mrr" else 1.0
    return field, factor


def _extract_ranges(text: _Text) -> list[_Atom]:
    low = text.masked()
    numbers = _numbers(low)
    atoms: list[_Atom] = []
    previous: tuple[int, tuple[bool, bool, bool]] | None = None
    i = 0
    while i < len(numbers):
        first = numbers[i]
        before = low[max(0, first.start - 30) : first.start]
        if i + 1 < len(numbers):
            second = numbers[i + 1]
            gap = low[first.end : second.start]
            if _RANGE_GAP.match(gap) and (gap.strip() != "and" or before.rstrip().endswith("between")):
                lo_value, hi_value = first.value, second.value
                if first.mult is None and second.mult is not None:
                    lo_value *= _MULTIPLIERS[second.mult]
                unit = _unit(low, first.start, second.end, (first, second))
                if unit is not None and lo_value <= hi_value:
                    field, factor = unit
                    start = first.start
                    if before.rstrip().endswith(("between", "from")):
                        start = first.start - (len(before) - len(before.rstrip().rsplit(" ", 1)[0]))
                    atoms.append(
                        _Atom(
                            start,
                            second.end,
                            f"range:{field}",
                            (field, lo_value * factor, hi_value * factor, True, True),
                        )
                    )
                    text.consume(first.start, second.end)
                i += 2
                continue
        after = low[first.end : first.end + 40]
        lower_op, upper_op = _LOWER_OPS.search(before), _UPPER_OPS.search(before)
        payload: tuple[float | None, float | None, bool, bool] | None = None
        start = first.start
        if first.plus or _AFTER_LOWER.match(after):
            payload = (first.value, None, True, True)
        elif lower_op:
            payload = (first.value, None, lower_op["op"] in _INCLUSIVE_OPS, True)
            start = first.start - (len(before) - lower_op.start())
        elif upper_op:
            payload = (None, first.value, True, upper_op["op"] in _INCLUSIVE_OPS_UPPER)
            start = first.start - (len(before) - upper_op.start())
        elif _AFTER_UPPER.match(after):
            payload = (None, first.value, True, True)
        elif previous is not None and _CARRY_GAP.match(low[previous[0] : first.start]):
            # "at least 200 employees or $20M in revenue": the operator carries over to the alternative.
            lo_inc, hi_inc, is_lower = previous[1]
            payload = (first.value, None, lo_inc, True) if is_lower else (None, first.value, True, hi_inc)
        if payload is not None:
            unit = _unit(low, first.start, first.end, (first,))
            if unit is not None:
                field, factor = unit
                lo, hi, lo_inc, hi_inc = payload
                atoms.append(
                    _Atom(
                        start,
                        first.end,
                        f"range:{field}",
                        (
                            field,
                            None if lo is None else lo * factor,
                            None if hi is None else hi * factor,
                            lo_inc,
                            hi_inc,
                        ),
                    )
                )
                text.consume(start, first.end)
                previous = (first.end, (lo_inc, hi_inc, lo is not None))
        i += 1
    return atoms


# --- geography ----------------------------------------------------------------------------------


class _Place(NamedTuple):
    label: str
    countries: tuple[str, ...]
    subdivisions: tuple[str, ...]


def _place_names() -> dict[str, _Place]:
    names: dict[str, _Place] = {}
    for country in COUNTRIES.values():
        place = _Place(country.name, (country.code,), ())
        for alias in (country.name.lower(), *country.aliases):
            names[alias] = place
    for code, name in SUBDIVISIONS.items():
        names[name.lower()] = _Place(name, (), (code,))
    for alias, code in _SUBDIVISION_ALIASES.items():
        names.setdefault(alias, _Place(SUBDIVISIONS[code], (), (code,)))
    names["american"] = names["united states"]
    for alias, region in _REGION_ALIASES.items():
        names[alias] = _Place(region, REGIONS[region], ())
    return names


_PLACE_NAMES = _place_names()
_PLACE_NAME_RE = re.compile(_word("|".join(re.escape(n) for n in sorted(_PLACE_NAMES, key=len, reverse=True))))
_CODE_RE = re.compile(r"(?<![\w.&])(?:U\.S\.(?:A\.)?|U\.K\.|[A-Z]{2,4})(?![\w&])")
_ALPHA3 = {c.alpha3: c for c in COUNTRIES.values()}
_UPPER_REGION_CODES = {"NA": "North America", "NAM": "North America", "EU": "EU", "UKI": "UK&I", "ANZ": "ANZ"}
_STATE_CONTEXT = re.compile(r"(?<!united )\bstates?\b")
_STATE_CODE_EXCLUDED = frozenset({"OR", "IN", "ME", "OK", "HI", "ID"})
# Codes shared by a US state and a country read as the state ("MA", "CO", "PA"), except these two,
# which B2B criteria use for the country far more often ("US or CA", "DE/AT/CH").
_COUNTRY_FIRST = frozenset({"CA", "DE"})


def _extract_geo(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    low = text.masked()
    for m in _PLACE_NAME_RE.finditer(low):
        place = _PLACE_NAMES[m.group()]
        atoms.append(_Atom(m.start(), m.end(), "geo", place))
        text.consume(m.start(), m.end())
    norm = text.masked(lower=False)
    codes = list(_CODE_RE.finditer(norm))
    state_candidates = [m for m in codes if m.group() in US_STATES and m.group() not in _STATE_CODE_EXCLUDED]
    state_context = (
        any(a.payload.subdivisions for a in atoms if isinstance(a.payload, _Place))
        or bool(_STATE_CONTEXT.search(text.low))
        or len({m.group() for m in state_candidates}) >= 2
    )
    shouting = bool(_SHOUTED_WORD.search(text.norm))
    blocked = _CODE_BLOCKLIST | _CODE_BLOCKLIST_IN_CAPS if shouting else _CODE_BLOCKLIST
    for m in codes:
        code = m.group().replace(".", "")
        country = COUNTRIES.get(code) if code not in blocked else None
        country = country or _ALPHA3.get(code)
        if code in {"US", "USA"}:
            country = COUNTRIES["US"]
        if code == "UK":
            country = COUNTRIES["GB"]
        found: _Place | None = None
        if (
            code in US_STATES
            and code not in _STATE_CODE_EXCLUDED
            and (country is None or state_context or code not in _COUNTRY_FIRST)
        ):
            found = _Place(US_STATES[code], (), (f"US-{code}",))
        elif country is not None:
            found = _Place(country.name, (country.code,), ())
        elif code in _UPPER_REGION_CODES:
            region = _UPPER_REGION_CODES[code]
            found = _Place(region, REGIONS[region], ())
        if found is not None:
            atoms.append(_Atom(m.start(), m.end(), "geo", found))
            text.consume(m.start(), m.end())
    return atoms


# --- technologies -------------------------------------------------------------------------------

_TECH_RE = re.compile(
    "|".join(f"(?P<t{i}>{_word(t.aliases)})" for i, t in enumerate(TECHNOLOGIES) if not t.exact_case), re.I
)
_TECH_EXACT_RE = re.compile(
    "|".join(
        f"(?P<t{i}>{_word(t.aliases[0].upper() + t.aliases[1:])})" for i, t in enumerate(TECHNOLOGIES) if t.exact_case
    )
)
_CATEGORY_RE = re.compile("|".join(f"(?P<{key}>{_word(rx)})" for key, (_, rx) in TECH_CATEGORIES.items()))
_SIMILAR_RE = re.compile(
    r"\b(?:similar|equivalents?|comparable|alternatives?|competitors?|competing|or (?:any )?other|or another|"
    r"or the like|such as|e\.g\.|for example|like)\b|-like\b"
)


def _tech_index(match: re.Match[str]) -> int:
    assert match.lastgroup is not None
    return int(match.lastgroup[1:])


def _extract_tech(text: _Text) -> list[_Atom]:
    atoms: list[_Atom] = []
    for pattern, lower in ((_TECH_RE, True), (_TECH_EXACT_RE, False)):
        source = text.masked(lower=lower)
        for m in pattern.finditer(source):
            atoms.append(_Atom(m.start(), m.end(), "tech", ("tech", TECHNOLOGIES[_tech_index(m)].name)))
            text.consume(m.start(), m.end())
    for m in _CATEGORY_RE.finditer(text.masked()):
        assert m.lastgroup is not None
        atoms.append(_Atom(m.start(), m.end(), "tech", ("category", m.lastgroup)))
        text.consume(m.start(), m.end())
    return atoms


# --- industries ---------------------------------------------------------------------------------

# "Uses Workday for HR and finance", "software for banks", "sells to hospitals": the words after these
# describe customers or a use, not the company's own industry, so they are left to keywords or the LLM.
_AUDIENCE = re.compile(
    r"\b(?:for|to|serving|serves|targeting|targets|helping|helps)\s+(?:the\s+|their\s+|other\s+)?"
    r"(?:[a-z]+\s+(?:and|&|or)\s+)?$"
)
_INDUSTRY_TRIGGERS = {key: re.compile(_word(f"(?:{ind.triggers})(?:s|es)?")) for key, ind in INDUSTRIES.items()}
_ROLE_NOUN = re.compile(r"^(?:manufacturers?|makers?|agency|agencies)$")


def _extract_industries(text: _Text) -> list[_Atom]:
    low = text.masked()
    spans: dict[tuple[int, int], list[str]] = {}
    for key, pattern in _INDUSTRY_TRIGGERS.items():
        for m in pattern.finditer(low):
            spans.setdefault((m.start(), m.end()), []).append(key)
    # Longest spans first; a span inside an already-taken one ("health" in "digital health") is dropped.
    atoms: list[_Atom] = []
    for (start, end), keys in sorted(spans.items(), key=lambda item: (item[0][0] - item[0][1], item[0][0])):
        if text.free(start, end):
            text.consume(start, end)
            if not _AUDIENCE.search(low, 0, start):
                atoms.append(_Atom(start, end, "industry", tuple(keys)))
    atoms.sort(key=lambda a: a.start)
    # "medical device manufacturers", "car makers": the noun names the role of the industry before it.
    return [
        atom
        for index, atom in enumerate(atoms)
        if not (
            index
            and _ROLE_NOUN.match(low[atom.start : atom.end])
            and _ADJACENT_GAP.match(low[atoms[index - 1].end : atom.start])
        )
    ]


# --- negation, grouping, assembly ---------------------------------------------------------------

_PREFIX_NEGATION = re.compile(
    r"\b(?:not|no|never|without|excluding|exclude|excludes|except(?: for)?|other than|outside(?: of)?|"
    r"anywhere but|anything but|avoid|avoiding|nor|\w+n't)\b|\bnon(?:-|\b)"
)
_SUFFIX_NEGATION = re.compile(
    r"\b(?:excluded|not allowed|need not apply|are out|is out|disqualif\w*|out of scope|not a fit|"
    r"(?:do|does) not qualify|don't qualify|doesn't qualify|not wanted|unwanted|(?:are|is) a no|dealbreakers?)\b"
)
_OR_GAP = re.compile(r"\b(?:or|either|nor)\b|/")
_LIST_GAP = re.compile(r"\b(?:or|and|nor)\b|/|&")
_ADJACENT_GAP = re.compile(r"^[\s-]*$")
_AND_GAP = re.compile(r"^\s*,?\s*(?:and|&|\+|plus)\s*$")


def _scope(atoms: list[_Atom], low: str) -> list[_Atom]:
    """The run of same-family atoms a negation covers: a comma ends it unless the run is a list ("A, B or C")."""
    if not atoms:
        return []
    family = atoms[0].family
    run = [atoms[0]]
    for atom in atoms[1:]:
        if atom.family != family or " but " in low[run[-1].end : atom.start]:
            break
        run.append(atom)
    gaps = [low[a.end : b.start] for a, b in zip(run, run[1:], strict=False)]
    for index, gap in enumerate(gaps):
        if "," in gap and not any(_LIST_GAP.search(g) for g in gaps[index:]):
            return run[: index + 1]
    return run


def _apply_negations(text: _Text, atoms: list[_Atom]) -> None:
    masked = text.masked()
    taken: list[tuple[int, int]] = []
    for m in _SUFFIX_NEGATION.finditer(masked):
        taken.append((m.start(), m.end()))
        before = [a for a in sorted(atoms, key=lambda a: a.start, reverse=True) if a.end <= m.start()]
        for atom in _scope(before, text.low):
            atom.negated = not atom.negated
    for m in _PREFIX_NEGATION.finditer(masked):
        if any(s <= m.start() < e for s, e in taken):
            continue
        after = [a for a in sorted(atoms, key=lambda a: a.start) if a.start >= m.end() - 1]
        for atom in _scope(after, text.low):
            atom.negated = not atom.negated


_BUSINESS_MODELS = frozenset({"b2b", "b2c", "saas", "marketplace"})


def _build_leaf(family: str, group: list[_Atom], low: str) -> Check:
    gaps = [low[a.end : b.start] for a, b in zip(group, group[1:], strict=False)]
    if family.startswith("range:"):
        field: RangeField = "employees" if family == "range:employees" else "revenue"
        lo: float | None = None
        hi: float | None = None
        lo_inc = hi_inc = True
        for atom in group:
            _, a_lo, a_hi, a_lo_inc, a_hi_inc = atom.payload
            if a_lo is not None and (lo is None or a_lo > lo):
                lo, lo_inc = a_lo, a_lo_inc
            if a_hi is not None and (hi is None or a_hi < hi):
                hi, hi_inc = a_hi, a_hi_inc
        return RangeCheck(field=field, minimum=lo, maximum=hi, min_inclusive=lo_inc, max_inclusive=hi_inc)
    if family == "geo":
        places = [a.payload for a in group if isinstance(a.payload, _Place)]
        return GeoCheck(
            places=tuple(dict.fromkeys(p.label for p in places)),
            countries=tuple(sorted({c for p in places for c in p.countries})),
            subdivisions=tuple(sorted({s for p in places for s in p.subdivisions})),
        )
    if family == "industry":
        keys = tuple(dict.fromkeys(k for a in group for k in a.payload))
        adjacent = len(group) > 1 and all(_ADJACENT_GAP.match(g) for g in gaps)
        models = tuple(k for k in keys if k in _BUSINESS_MODELS)
        others = tuple(k for k in keys if k not in _BUSINESS_MODELS)
        model_other_gaps = [
            gap
            for a, b, gap in zip(group, group[1:], gaps, strict=False)
            if (set(a.payload) <= _BUSINESS_MODELS) != (set(b.payload) <= _BUSINESS_MODELS)
        ]
        if models and others and not any(_OR_GAP.search(g) for g in model_other_gaps):
            # "B2B fintech or insurance": the business model qualifies every industry named with it.
            model_match: Literal["any", "all"] = "all" if adjacent or not _OR_GAP.search(" ".join(gaps)) else "any"
            return AllOf(checks=(IndustryCheck(industries=models, match=model_match), IndustryCheck(industries=others)))
        return IndustryCheck(industries=keys, match="all" if adjacent else "any")
    if family == "tech":
        names = [a.payload[1] for a in group if a.payload[0] == "tech"]
        categories = [a.payload[1] for a in group if a.payload[0] == "category"]
        span = low[group[0].start : min(len(low), group[-1].end + 25)]
        if names:
            similar = bool(_SIMILAR_RE.search(span)) or bool(categories and "(" in span)
            categories = (
                [*categories, *(TECH_BY_NAME[n].categories[0] for n in names)]
                if similar and not categories
                else categories
                if similar
                else []
            )
        name_gaps = [
            low[a.end : b.start]
            for a, b in zip(group, group[1:], strict=False)
            if a.payload[0] == "tech" and b.payload[0] == "tech"
        ]
        match_all = len(names) > 1 and len(name_gaps) == len(names) - 1 and all(_AND_GAP.match(g) for g in name_gaps)
        return TechCheck(
            technologies=tuple(dict.fromkeys(names)),
            categories=tuple(dict.fromkeys(categories)),
            match="all" if match_all else "any",
        )
    if family == "funding":
        wanted = {s for a in group for s in a.payload}
        return FundingCheck(stages=tuple(s for s in FUNDING_STAGES if s in wanted))
    lo_year: int | None = None
    hi_year: int | None = None
    for atom in group:
        a_lo, a_hi = atom.payload
        if a_lo is not None and (lo_year is None or a_lo > lo_year):
            lo_year = a_lo
        if a_hi is not None and (hi_year is None or a_hi < hi_year):
            hi_year = a_hi
    return FoundedCheck(min_year=lo_year, max_year=hi_year)


def _combine(kind: Literal["any_of", "all_of"], checks: list[Check]) -> Check:
    flat: list[Check] = []
    for check in checks:
        if check.kind == kind:
            flat.extend(check.checks)
        elif check not in flat:
            flat.append(check)
    if len(flat) == 1:
        return flat[0]
    return AnyOf(checks=tuple(flat)) if kind == "any_of" else AllOf(checks=tuple(flat))


def parse_check(text: str, *, reference_year: int = REFERENCE_YEAR) -> Check | None:
    """Return the structured check ``text`` expresses, or None when it has no recognisable structure.

    Families are read in a fixed order (founding year, funding, numbers, places, tools, industries),
    each consuming its words so one phrase is never read twice. Negations ("not", "no", "excluding",
    "non-", "... excluded") flip the run of same-family facts they govern; "or" between facts of
    different families makes alternatives, anything else means all of them. Pure and cached.

    Args:
        text: One criterion clause as the sales leader wrote it.
        reference_year: Year that relative ages ("at least 5 years old") are resolved against; the
            result is stored with the segment version, so grading stays deterministic.

    Returns:
        The check tree, or None: the criterion is then graded by keywords (offline) or by the LLM.
    """
    return _parse(text, reference_year)


@lru_cache(maxsize=4096)
def _parse(text: str, reference_year: int) -> Check | None:
    work = _Text(text)
    atoms = [
        *_extract_founded(work, reference_year),
        *_extract_funding(work),
        *_extract_ranges(work),
        *_extract_geo(work),
        *_extract_tech(work),
        *_extract_industries(work),
    ]
    if not atoms:
        return None
    atoms.sort(key=lambda a: a.start)
    _apply_negations(work, atoms)
    low = work.low
    # Consecutive atoms of one family and polarity form a group; "or" between groups splits alternatives.
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and groups[-1][-1].family == atom.family and groups[-1][-1].negated == atom.negated:
            groups[-1].append(atom)
        else:
            groups.append([atom])
    alternatives: list[list[Check]] = [[]]
    for index, group in enumerate(groups):
        leaf: Check = _build_leaf(group[0].family, group, low)
        if group[0].negated:
            leaf = NotCheck(check=leaf)
        if index and _OR_GAP.search(low[groups[index - 1][-1].end : group[0].start]):
            alternatives.append([])
        alternatives[-1].append(leaf)
    return _combine("any_of", [_combine("all_of", alt) for alt in alternatives])


# ---------------------------------------------------------------------------------------------
# Company facts: normalised once per company, shared by every criterion and segment
# ---------------------------------------------------------------------------------------------

_COUNTRY_LOOKUP: dict[str, str] = {}
for _c in COUNTRIES.values():
    for _alias in (_c.code, _c.alpha3, _c.name, *_c.aliases):
        _COUNTRY_LOOKUP[_alias.lower()] = _c.code
_COUNTRY_LOOKUP.update({"uk": "GB", "usa": "US", "u.s.": "US", "u.s.a.": "US", "u.k.": "GB"})


def country_code(value: str | None) -> str | None:
    """ISO alpha-2 for a country written as a name, alias or ISO code; None when unrecognised."""
    if not value:
        return None
    key = value.strip().lower()
    return _COUNTRY_LOOKUP.get(key) or _COUNTRY_LOOKUP.get(key.rstrip(".")) or _COUNTRY_LOOKUP.get(key + ".")


def subdivision_code(region: str | None, country: str | None) -> str | None:
    """'US-CA' for "California", "CA" (when the country is the US) or "US-CA"; None when unrecognised."""
    if not region:
        return None
    value = region.strip()
    upper = value.upper()
    if upper in SUBDIVISIONS:
        return upper
    if len(value) == 2 and country in ("US", "CA"):
        code = f"{country}-{upper}"
        return code if code in SUBDIVISIONS else None
    return _SUBDIVISION_ALIASES.get(value.lower())


class _Hit(NamedTuple):
    evidence: str
    strong: bool  # from a structured field (industry, tags, technologies) rather than prose


# A child industry implies its parent: a biotech is a healthcare company, a SaaS company is software.
_IMPLIES: dict[str, tuple[str, ...]] = {
    "biotech": ("healthcare",),
    "pharma": ("healthcare",),
    "medtech": ("healthcare",),
    "fintech": ("financial_services", "technology"),
    "insurance": ("financial_services",),
    "edtech": ("education", "technology"),
    "proptech": ("real_estate", "technology"),
    "legaltech": ("legal", "technology"),
    "ecommerce": ("retail",),
    "gaming": ("media",),
    "saas": ("software",),
    "software": ("technology",),
    "it_services": ("technology",),
    "internet": ("technology",),
    "crypto": ("fintech",),
    **{
        key: ("technology",)
        for key in ("devtools", "cybersecurity", "hrtech", "martech", "adtech", "ai", "data", "cleantech")
    },
}
_TECHY = frozenset({*_TECH, *(k for k, v in INDUSTRIES.items() if {"software", "technology"} & set(v.parents))})


def _expand_parents(key: str) -> frozenset[str]:
    parents = set(INDUSTRIES[key].parents)
    if "*tech" in parents:
        parents.discard("*tech")
        parents |= _TECHY - {key}
    return frozenset(parents)


_HIDING_PARENTS = {key: _expand_parents(key) for key in INDUSTRIES}
_INDUSTRY_EVIDENCE = {key: re.compile(_word(ind.evidence), re.I) for key, ind in INDUSTRIES.items()}
# One combined pass over company text; the matched phrase is then mapped to its keys (cached).
_INDUSTRY_EVIDENCE_ANY = re.compile(_word(_grouped_alternation([ind.evidence for ind in INDUSTRIES.values()])), re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=8192)
def _keys_for_phrase(phrase: str) -> tuple[str, ...]:
    keys: set[str] = {k for k, rx in _INDUSTRY_EVIDENCE.items() if rx.fullmatch(phrase)}
    frontier = list(keys)
    while frontier:
        for parent in _IMPLIES.get(frontier.pop(), ()):
            if parent not in keys:
                keys.add(parent)
                frontier.append(parent)
    return tuple(sorted(keys))


def quote(text: str, start: int, end: int, width: int = 90) -> str:
    """An exact substring of ``text`` around ``[start, end)``: the sentence, trimmed at word boundaries.

    Evidence must be a verbatim quote so a reviewer (or the grounding check) can find it in the data.
    """
    sentence_start = max(text.rfind(". ", 0, start) + 2 if text.rfind(". ", 0, start) >= 0 else 0, 0)
    sentence_end = text.find(". ", end)
    sentence_end = len(text) if sentence_end < 0 else sentence_end
    lo, hi = sentence_start, sentence_end
    if hi - lo > width:
        lo = max(lo, start - width // 2)
        hi = min(hi, max(end, lo + width))
        while lo > sentence_start and text[lo - 1].isalnum():
            lo -= 1
        while hi < sentence_end and text[hi].isalnum():
            hi += 1
    return text[lo:hi].strip(" ,;:")


def _industry_hits(company: CompanyProfile) -> tuple[dict[str, _Hit], frozenset[str]]:
    hits: dict[str, _Hit] = {}
    field_keys: set[str] = set()
    sources: list[tuple[str, str, bool]] = []
    if company.industry:
        sources.append((company.industry, f"industry: {company.industry}", True))
    sources.extend((tag, f"tags: {tag}", True) for tag in company.tags)
    for value, evidence, strong in sources:
        for m in _INDUSTRY_EVIDENCE_ANY.finditer(value):
            for key in _keys_for_phrase(m.group().lower()):
                field_keys.add(key)
                hits.setdefault(key, _Hit(evidence, strong))
    if company.description:
        text = company.description
        for m in _INDUSTRY_EVIDENCE_ANY.finditer(text):
            for key in _keys_for_phrase(m.group().lower()):
                if key not in hits:
                    hits[key] = _Hit(quote(text, m.start(), m.end()), False)
    return hits, frozenset(field_keys)


_TECH_ANY_RE = re.compile(_word(_grouped_alternation([t.aliases for t in TECHNOLOGIES])), re.I)
_TECH_DESCRIPTION_RE = re.compile(
    _word(_grouped_alternation([t.aliases for t in TECHNOLOGIES if not t.exact_case])), re.I
)
_TECH_ALIAS_RES = [(t, re.compile(_word(t.aliases), re.I)) for t in TECHNOLOGIES]


@lru_cache(maxsize=4096)
def _techs_for_phrase(phrase: str) -> tuple[str, ...]:
    return tuple(t.name for t, rx in _TECH_ALIAS_RES if rx.fullmatch(phrase))


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """A company's fields normalised for checks (country code, industry keys, tool names, stage)."""

    company: CompanyProfile
    country: str | None
    country_evidence: str
    subdivision: str | None
    region_evidence: str
    industry_hits: dict[str, _Hit]
    industry_field_keys: frozenset[str]
    tech_names: dict[str, str]
    tech_categories: dict[str, str]
    tech_in_description: dict[str, str]
    technologies_evidence: str
    stage: str | None
    memo: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    """Per-company memo for derived answers (keyword matches); racing writers store equal values."""


_STAGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"pre[- ]?ipo", re.I), "series_e_plus"),
    (re.compile(r"pre[- ]?seed|angel", re.I), "pre_seed"),
    (re.compile(r"\bseed\b", re.I), "seed"),
    (re.compile(r"series[- ]?([a-z])", re.I), "series"),
    (re.compile(r"public|ipo|listed|nasdaq|nyse|lse|stock exchange", re.I), "public"),
    (re.compile(r"bootstrap|self[- ]funded|founder[- ]funded|no (?:outside )?funding|unfunded", re.I), "bootstrapped"),
    (re.compile(r"private equity|\bpe\b|buyout", re.I), "pe_backed"),
    (re.compile(r"late[- ]stage|growth", re.I), "series_e_plus"),
    (re.compile(r"venture|vc|early[- ]stage", re.I), "vc_unspecified"),
)


def funding_stage_code(value: str | None) -> str | None:
    """Canonical stage for a CRM funding value ("Series B", "IPO", "Bootstrapped"); None when unrecognised."""
    if not value:
        return None
    for pattern, stage in _STAGE_PATTERNS:
        m = pattern.search(value)
        if m:
            if stage == "series":
                letter = m.group(1).lower()
                return "series_e_plus" if letter >= "e" else f"series_{letter}"
            return stage
    return None


@lru_cache(maxsize=16384)
def company_facts(company: CompanyProfile) -> CompanyFacts:
    """Normalise a company once; cached because a cycle grades each company against every segment."""
    country = country_code(company.country)
    subdivision = subdivision_code(company.region, country)
    country_evidence = f"country: {company.country}" if company.country else ""
    if country is None and subdivision is not None and company.region and len(company.region.strip()) > 2:
        country = subdivision.split("-")[0]
        country_evidence = f"region: {company.region}"
    industry_hits, field_keys = _industry_hits(company)
    tech_names: dict[str, str] = {}
    tech_categories: dict[str, str] = {}
    for item in company.technologies:
        for m in _TECH_ANY_RE.finditer(item):
            for name in _techs_for_phrase(m.group()):
                tech_names.setdefault(name, item)
                for category in TECH_BY_NAME[name].categories:
                    tech_categories.setdefault(category, item)
    tech_in_description: dict[str, str] = {}
    if company.description:
        for m in _TECH_DESCRIPTION_RE.finditer(company.description):
            for name in _techs_for_phrase(m.group()):
                tech_in_description.setdefault(name, quote(company.description, m.start(), m.end()))
    return CompanyFacts(
        company=company,
        country=country,
        country_evidence=country_evidence,
        subdivision=subdivision,
        region_evidence=f"region: {company.region}" if company.region else "",
        industry_hits=industry_hits,
        industry_field_keys=field_keys,
        tech_names=tech_names,
        tech_categories=tech_categories,
        tech_in_description=tech_in_description,
        technologies_evidence="technologies: " + ", ".join(company.technologies) if company.technologies else "",
        stage=funding_stage_code(company.funding_stage),
    )


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


class CheckOutcome(NamedTuple):
    """What a check concluded about one company.

    ``evidence`` is a ``field: value`` reference or an exact quote; ``reason`` explains the verdict
    to a person; ``weak`` marks a verdict that rests on prose (the description) rather than a field.
    """

    verdict: Verdict
    evidence: str = ""
    confidence: float = 0.0
    reason: str = ""
    weak: bool = False


def _unknown(reason: str) -> CheckOutcome:
    return CheckOutcome(Verdict.UNKNOWN, "", 0.0, reason, False)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _eval_range(check: RangeCheck, facts: CompanyFacts) -> CheckOutcome:
    value = facts.company.employees if check.field == "employees" else facts.company.revenue
    if value is None:
        return _unknown(f"no {check.field} data")
    evidence = f"{check.field}: {_number_text(value)}"
    shown = format_amount(check.field, value)
    if check.minimum is not None and (value < check.minimum or (value == check.minimum and not check.min_inclusive)):
        limit = format_amount(check.field, check.minimum)
        word = "below" if value < check.minimum else "not above"
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{check.field}: {shown} is {word} {limit}")
    if check.maximum is not None and (value > check.maximum or (value == check.maximum and not check.max_inclusive)):
        limit = format_amount(check.field, check.maximum)
        word = "above" if value > check.maximum else "not below"
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{check.field}: {shown} is {word} {limit}")
    return CheckOutcome(Verdict.MET, evidence, 0.95, f"{check.field}: {shown} matches {describe_check(check)}")


def _eval_geo(check: GeoCheck, facts: CompanyFacts) -> CheckOutcome:
    where = " or ".join(check.places)
    if facts.country is None:
        if facts.company.country:
            return _unknown(f"country: {facts.company.country} is not recognised")
        return _unknown("no country data")
    if facts.country in check.countries:
        return CheckOutcome(Verdict.MET, facts.country_evidence, 0.95, f"{facts.country_evidence} is in {where}")
    if any(s.startswith(facts.country + "-") for s in check.subdivisions):
        if facts.subdivision is None:
            if facts.company.region:
                return _unknown(f"region: {facts.company.region} is not recognised")
            return _unknown("no state/province data")
        if facts.subdivision in check.subdivisions:
            return CheckOutcome(Verdict.MET, facts.region_evidence, 0.95, f"{facts.region_evidence} is in {where}")
        return CheckOutcome(Verdict.NOT_MET, facts.region_evidence, 0.9, f"{facts.region_evidence} is not in {where}")
    return CheckOutcome(Verdict.NOT_MET, facts.country_evidence, 0.95, f"{facts.country_evidence} is not in {where}")


# An explicit label for one business model, in a field, answers the other (B2B2C says neither).
_OPPOSITE_MODEL: dict[str, tuple[str, re.Pattern[str]]] = {
    "b2b": ("b2c", re.compile(r"\b(?:b2c|d2c|dtc|direct[- ]to[- ]consumer|business[- ]to[- ]consumer)\b", re.I)),
    "b2c": ("b2b", re.compile(r"\b(?:b2b|business[- ]to[- ]business)\b", re.I)),
}


def _industry_one(key: str, facts: CompanyFacts) -> CheckOutcome:
    label = INDUSTRIES[key].label
    hit = facts.industry_hits.get(key)
    if hit is not None:
        return CheckOutcome(
            Verdict.MET, hit.evidence, 0.9 if hit.strong else 0.7, f"{hit.evidence} indicates {label}", not hit.strong
        )
    opposite = _OPPOSITE_MODEL.get(key)
    if opposite is not None:
        other = facts.industry_hits.get(opposite[0])
        if other is not None and other.strong and opposite[1].search(other.evidence):
            return CheckOutcome(Verdict.NOT_MET, other.evidence, 0.75, f"{other.evidence}, not {label}")
    industry = facts.company.industry
    if not industry:
        return _unknown(f"no industry data to tell whether it is {label}")
    parents = _HIDING_PARENTS[key]
    if "*" in parents or not facts.industry_field_keys or facts.industry_field_keys & parents:
        return _unknown(f"industry: {industry} does not say whether it is {label}")
    return CheckOutcome(Verdict.NOT_MET, f"industry: {industry}", 0.8, f"industry: {industry} is not {label}")


def _eval_industry(check: IndustryCheck, facts: CompanyFacts) -> CheckOutcome:
    outcomes = [_industry_one(key, facts) for key in check.industries]
    return _any(outcomes) if check.match == "any" else _all(outcomes)


def _tech_one(name: str | None, category: str | None, facts: CompanyFacts) -> CheckOutcome:
    wanted = name if name is not None else f"a {TECH_CATEGORIES[category or ''][0]}"
    if name is not None and name in facts.tech_names:
        item = facts.tech_names[name]
        return CheckOutcome(Verdict.MET, f"technologies: {item}", 0.95, f"uses {name}")
    if category is not None and category in facts.tech_categories:
        item = facts.tech_categories[category]
        return CheckOutcome(Verdict.MET, f"technologies: {item}", 0.85, f"technologies: {item} is {wanted}")
    if name is not None and name in facts.tech_in_description:
        return CheckOutcome(Verdict.MET, facts.tech_in_description[name], 0.6, f"description mentions {name}", True)
    if not facts.company.technologies:
        return _unknown(f"no technology data to tell whether it uses {wanted}")
    # The stack is listed without it. A rival in the same category makes the absence more telling.
    categories = TECH_BY_NAME[name].categories if name is not None else (category or "",)
    rival = any(c in facts.tech_categories for c in categories)
    return CheckOutcome(
        Verdict.NOT_MET,
        facts.technologies_evidence,
        0.8 if rival else 0.6,
        f"{facts.technologies_evidence} (no {wanted})",
    )


def _eval_tech(check: TechCheck, facts: CompanyFacts) -> CheckOutcome:
    outcomes = [_tech_one(n, None, facts) for n in check.technologies]
    outcomes += [_tech_one(None, c, facts) for c in check.categories]
    if check.match == "all":
        return _all(outcomes)
    result = _any(outcomes)
    if result.verdict is Verdict.NOT_MET:
        wanted = ", ".join([*check.technologies, *(TECH_CATEGORIES[c][0] for c in check.categories)])
        return result._replace(reason=f"{facts.technologies_evidence} (none of: {wanted})")
    return result


def _eval_funding(check: FundingCheck, facts: CompanyFacts) -> CheckOutcome:
    raw = facts.company.funding_stage
    if not raw:
        return _unknown("no funding data")
    evidence = f"funding_stage: {raw}"
    wanted = describe_check(check)
    if facts.stage is None:
        return _unknown(f"{evidence} is not a stage the rules know")
    if facts.stage == "vc_unspecified":
        allowed = set(check.stages)
        if allowed >= set(_VC_STAGES):
            return CheckOutcome(Verdict.MET, evidence, 0.8, f"{evidence} is venture-backed")
        if not allowed & set(_VC_STAGES):
            return CheckOutcome(Verdict.NOT_MET, evidence, 0.8, f"{evidence} does not match {wanted}")
        return _unknown(f"{evidence} does not name the round")
    if facts.stage in check.stages:
        return CheckOutcome(Verdict.MET, evidence, 0.9, f"{evidence} matches {wanted}")
    return CheckOutcome(Verdict.NOT_MET, evidence, 0.9, f"{evidence} does not match {wanted}")


def _eval_founded(check: FoundedCheck, facts: CompanyFacts) -> CheckOutcome:
    year = facts.company.founded_year
    if year is None:
        return _unknown("no founding year")
    evidence = f"founded_year: {year}"
    if check.min_year is not None and year < check.min_year:
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{evidence} is before {check.min_year}")
    if check.max_year is not None and year > check.max_year:
        return CheckOutcome(Verdict.NOT_MET, evidence, 0.95, f"{evidence} is after {check.max_year}")
    return CheckOutcome(Verdict.MET, evidence, 0.95, f"{evidence} matches {describe_check(check)}")


def _any(outcomes: list[CheckOutcome]) -> CheckOutcome:
    if len(outcomes) == 1:
        return outcomes[0]
    met = [o for o in outcomes if o.verdict is Verdict.MET]
    if met:
        return max(met, key=lambda o: (not o.weak, o.confidence))
    if outcomes and all(o.verdict is Verdict.NOT_MET for o in outcomes):
        evidence = "; ".join(dict.fromkeys(o.evidence for o in outcomes if o.evidence))
        reason = "; ".join(dict.fromkeys(o.reason for o in outcomes))
        return CheckOutcome(
            Verdict.NOT_MET, evidence, min(o.confidence for o in outcomes), reason, any(o.weak for o in outcomes)
        )
    return _unknown("; ".join(dict.fromkeys(o.reason for o in outcomes if o.verdict is Verdict.UNKNOWN)))


def _all(outcomes: list[CheckOutcome]) -> CheckOutcome:
    if len(outcomes) == 1:
        return outcomes[0]
    failed = [o for o in outcomes if o.verdict is Verdict.NOT_MET]
    if failed:
        return max(failed, key=lambda o: (not o.weak, o.confidence))
    if all(o.verdict is Verdict.MET for o in outcomes):
        evidence = "; ".join(dict.fromkeys(o.evidence for o in outcomes if o.evidence))
        reason = "; ".join(dict.fromkeys(o.reason for o in outcomes))
        return CheckOutcome(
            Verdict.MET, evidence, min(o.confidence for o in outcomes), reason, any(o.weak for o in outcomes)
        )
    return _unknown("; ".join(dict.fromkeys(o.reason for o in outcomes if o.verdict is Verdict.UNKNOWN)))


def _eval_not(check: NotCheck, facts: CompanyFacts) -> CheckOutcome:
    inner = evaluate_facts(check.check, facts)
    if inner.verdict is Verdict.UNKNOWN:
        return inner
    if inner.verdict is Verdict.MET:
        return CheckOutcome(Verdict.NOT_MET, inner.evidence, inner.confidence, f"excluded: {inner.reason}", inner.weak)
    return CheckOutcome(Verdict.MET, inner.evidence, inner.confidence, inner.reason, inner.weak)


def _eval_any_of(check: AnyOf, facts: CompanyFacts) -> CheckOutcome:
    return _any([evaluate_facts(c, facts) for c in check.checks])


def _eval_all_of(check: AllOf, facts: CompanyFacts) -> CheckOutcome:
    return _all([evaluate_facts(c, facts) for c in check.checks])


_EVALUATORS: dict[type, Callable[[Any, CompanyFacts], CheckOutcome]] = {
    RangeCheck: _eval_range,
    GeoCheck: _eval_geo,
    IndustryCheck: _eval_industry,
    TechCheck: _eval_tech,
    FundingCheck: _eval_funding,
    FoundedCheck: _eval_founded,
    NotCheck: _eval_not,
    AnyOf: _eval_any_of,
    AllOf: _eval_all_of,
}


def evaluate_facts(check: Check, facts: CompanyFacts) -> CheckOutcome:
    """Decide ``check`` from pre-normalised facts (the hot path: facts are computed once per company)."""
    return _EVALUATORS[type(check)](check, facts)


def evaluate_check(check: Check, company: CompanyProfile) -> CheckOutcome:
    """Decide ``check`` for ``company``: met/not_met only from data the company has, unknown otherwise.

    Args:
        check: A check from :func:`parse_check` (or built by hand).
        company: The company; its normalised facts are cached, so repeated calls are cheap.

    Returns:
        The verdict with a ``field: value`` or quoted evidence, a confidence, a readable reason, and
        whether the verdict rests only on prose (``weak``).
    """
    return evaluate_facts(check, company_facts(company))
