"""Vocabulary the checks are written in: places, industries, technologies, funding stages."""

from __future__ import annotations

import re
from typing import NamedTuple

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
# Headquarters cities a CRM may hold without a country: city (and common spellings) -> (country,
# subdivision or ""). Only cities whose name, in a company's address, means one place: "London" is
# London, England; "Cambridge", "Portland" or "Birmingham" are left out.
_CITY_TABLE: tuple[tuple[str, str, str], ...] = (
    # United States
    ("New York|New York City|NYC|Brooklyn|Manhattan", "US", "US-NY"),
    (
        "San Francisco|SF|Palo Alto|Mountain View|Menlo Park|Sunnyvale|San Jose|Oakland|Redwood City|San Mateo"
        "|Santa Clara|Los Angeles|LA|San Diego|Santa Monica|Irvine",
        "US",
        "US-CA",
    ),
    ("Seattle|Bellevue|Redmond", "US", "US-WA"),
    ("Boston|Somerville", "US", "US-MA"),
    ("Austin|Dallas|Houston|San Antonio", "US", "US-TX"),
    ("Chicago", "US", "US-IL"),
    ("Denver|Boulder", "US", "US-CO"),
    ("Atlanta", "US", "US-GA"),
    ("Miami", "US", "US-FL"),
    ("Washington, D.C.|Washington DC", "US", "US-DC"),
    ("Philadelphia|Pittsburgh", "US", "US-PA"),
    ("Salt Lake City|Lehi", "US", "US-UT"),
    ("Minneapolis", "US", "US-MN"),
    ("Nashville", "US", "US-TN"),
    ("Raleigh|Durham|Charlotte", "US", "US-NC"),
    ("Phoenix|Scottsdale", "US", "US-AZ"),
    ("Detroit", "US", "US-MI"),
    # Canada
    ("Toronto|Ottawa|Waterloo", "CA", "CA-ON"),
    ("Montreal|Montréal|Quebec City", "CA", "CA-QC"),
    ("Vancouver", "CA", "CA-BC"),
    ("Calgary|Edmonton", "CA", "CA-AB"),
    # Europe
    ("London|Manchester|Edinburgh|Glasgow|Bristol|Leeds", "GB", ""),
    ("Dublin|Cork", "IE", ""),
    ("Berlin|Munich|München|Hamburg|Frankfurt|Frankfurt am Main|Cologne|Köln|Stuttgart|Düsseldorf|Leipzig", "DE", ""),
    ("Vienna|Wien|Graz|Linz", "AT", ""),
    ("Zurich|Zürich|Geneva|Genève|Basel|Lausanne|Zug", "CH", ""),
    ("Paris|Lyon|Marseille|Toulouse|Bordeaux|Nantes", "FR", ""),
    ("Amsterdam|Rotterdam|The Hague|Utrecht|Eindhoven", "NL", ""),
    ("Brussels|Bruxelles|Antwerp|Ghent", "BE", ""),
    ("Luxembourg City", "LU", ""),
    ("Stockholm|Gothenburg|Malmö", "SE", ""),
    ("Oslo|Bergen", "NO", ""),
    ("Copenhagen|Aarhus", "DK", ""),
    ("Helsinki|Espoo", "FI", ""),
    ("Reykjavik|Reykjavík", "IS", ""),
    ("Madrid|Barcelona|Valencia|Seville", "ES", ""),
    ("Lisbon|Lisboa|Porto", "PT", ""),
    ("Milan|Milano|Rome|Roma|Turin|Torino", "IT", ""),
    ("Warsaw|Kraków|Krakow|Wrocław|Wroclaw", "PL", ""),
    ("Prague|Brno", "CZ", ""),
    ("Budapest", "HU", ""),
    ("Bucharest|Cluj-Napoca", "RO", ""),
    ("Tallinn", "EE", ""),
    ("Riga", "LV", ""),
    ("Vilnius", "LT", ""),
    ("Athens", "GR", ""),
    ("Kyiv|Kiev", "UA", ""),
    ("Istanbul", "TR", ""),
    # Elsewhere
    ("Tel Aviv|Herzliya", "IL", ""),
    ("Dubai|Abu Dhabi", "AE", ""),
    ("Bangalore|Bengaluru|Mumbai|New Delhi|Delhi|Gurgaon|Gurugram|Pune|Hyderabad|Chennai", "IN", ""),
    ("Singapore", "SG", ""),
    ("Hong Kong", "HK", ""),
    ("Tokyo|Osaka", "JP", ""),
    ("Seoul", "KR", ""),
    ("Beijing|Shanghai|Shenzhen", "CN", ""),
    ("Sydney|Melbourne|Brisbane", "AU", ""),
    ("Auckland|Wellington", "NZ", ""),
    ("São Paulo|Sao Paulo|Rio de Janeiro", "BR", ""),
    ("Mexico City|Ciudad de México", "MX", ""),
    ("Buenos Aires", "AR", ""),
    ("Bogotá|Bogota|Medellín|Medellin", "CO", ""),
    ("Santiago de Chile", "CL", ""),
    ("Lagos", "NG", ""),
    ("Nairobi", "KE", ""),
    ("Cape Town|Johannesburg", "ZA", ""),
)
CITIES: dict[str, tuple[str, str]] = {
    name.lower(): (country, subdivision) for names, country, subdivision in _CITY_TABLE for name in names.split("|")
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
_B2B_PRODUCTS = ("software", "platform", "tools?", "solutions?", "apis?", "saas", "apps?", "services")
_BUSINESSES = r"(?:small |mid-sized |midsize |large )?(?:businesses|enterprises|companies|smbs|smes|organi[sz]ations)"
_SELLS = ("sells?", "sold", "selling")
_BUYERS = r"(?:enterprises|businesses|companies|smbs|smes|departments|organi[sz]ations)"
INDUSTRIES: dict[str, _Industry] = {
    "b2b": _Industry(
        "B2B",
        r"b2b|business[- ]to[- ]business",
        # ... or who the product is for: "software for SMBs", "sold to HR departments". Each alternative
        # starts with its own word so that it is tried before a shorter one ("software") at that place.
        "|".join(
            [
                r"b2b|business[- ]to[- ]business",
                *(f"{product} for {_BUSINESSES}" for product in _B2B_PRODUCTS),
                *(f"{verb} (?:[a-z-]+ ){{0,3}}(?:to|into) (?:[a-z-]+ ){{0,3}}{_BUYERS}" for verb in _SELLS),
            ]
        ),
        ("*",),
    ),
    "b2c": _Industry(
        "B2C",
        r"b2c|business[- ]to[- ]consumer|d2c|dtc|direct[- ]to[- ]consumer|consumer[- ]facing|"
        r"consumer (?:compan(?:y|ies)|brands?|apps?|startups?|businesses|products? compan(?:y|ies))",
        r"b2c|business[- ]to[- ]consumer|d2c|dtc|direct[- ]to[- ]consumer|consumer[- ]facing",
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
        r"fintech|fin[- ]tech|financial technology|insurtech|wealthtech|regtech",
        r"fintech|fin[- ]tech|financial technology|insurtech|wealthtech|regtech|embedded finance|banking software",
        (*_TECH, "financial_services"),
    ),
    # Narrower than fintech or financial services: the broad label never answers these (a fintech is
    # not necessarily a payments company), while they imply the broad one.
    "payments": _Industry(
        "payments",
        r"payments?|payment processing|payment processors?|payment providers?|payment service providers?|"
        r"psps?|merchant acquiring|acquirers?",
        # payments as the product, not as something a shop accepts ("we accept payments by card")
        r"payments? (?:platform|infrastructure|processing|processor|provider|company|apis?|solutions?|"
        r"technology|network|orchestration|gateway|rails|app|for)|payment service providers?|"
        r"(?:mobile|digital|online|cross-border|b2b|instant|real-time) payments|merchant acquiring",
        (*_TECH, "fintech", "financial_services"),
    ),
    "banking": _Industry(
        "banking",
        r"banking|banks|neobanks?|challenger banks?|digital banks?|credit unions?|retail banks?",
        r"banks?|neobanks?|challenger banks?|digital bank(?:ing)?|credit unions?|retail bank(?:s|ing)?|"
        r"commercial bank(?:s|ing)?|savings bank|community bank|private bank(?:ing)?",
        ("financial_services", "fintech"),
    ),
    "lending": _Industry(
        "lending",
        r"lending|lenders?|lending platforms?|loans?|credit providers?|bnpl|buy now,? pay later",
        r"lending|lenders?|lending platforms?|loans?|bnpl|buy now,? pay later|credit lines?|mortgages?",
        (*_TECH, "financial_services", "fintech"),
    ),
    "financial_services": _Industry(
        "financial services",
        r"financial services|finance|financial institutions?|wealth management|asset management|capital markets",
        r"financial services|finance|banking|banks?|financial institutions?|credit unions?|wealth management|"
        r"asset management|capital markets|investment management|fintech|insurance|"
        r"financial (?:health|wellness|well-being|wellbeing|literacy)",
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
        r"healthcare|health care|health|healthtech|health tech|digital health",
        # "Hospital & Health Care" is the broad label CRMs use for the whole sector, not for hospitals
        r"hospitals? (?:&|and) health ?care|"
        r"healthcare|health care|health|healthtech|health tech|digital health|hospitals?|clinics?|clinical|"
        r"patients?|medical|telehealth|telemedicine",
        (),
    ),
    "care_providers": _Industry(
        "hospitals & clinics",
        r"hospitals?|clinics?|providers? of care|care providers?|health systems?|medical practices?|"
        r"physician practices?|dental practices?",
        r"hospitals?|clinics?|health systems?|medical cent(?:er|re)s?|medical practices?|physician practices?|"
        r"dental practices?|care homes?|nursing homes?",
        ("healthcare",),
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
        r"edtech|ed[- ]tech|education technology|e-?learning|online learning|online courses|learning platform|"
        r"tutoring (?:software|platforms?|apps?)|learning apps?",
        (*_TECH, "education"),
    ),
    "education": _Industry(
        "education",
        r"education|schools|universities|higher ed(?:ucation)?|k-12",
        r"education|schools?|universit(?:y|ies)|higher ed(?:ucation)?|k-12|edtech|e-?learning|tutoring",
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
        r"hr ?tech|hr software|human resources|hris|workforce",
        r"hr ?tech|hr software|human resources|hris|recruiting|recruitment|talent|payroll|workforce|hiring platform",
        (*_TECH,),
    ),
    "payroll": _Industry(
        "payroll",
        r"payroll",
        r"payroll",
        (*_TECH, "hrtech", "financial_services", "accounting"),
    ),
    "recruiting": _Industry(
        "recruiting",
        r"recruiting|recruitment|talent acquisition|staffing|applicant tracking",
        r"recruiting|recruitment|talent acquisition|staffing|applicant tracking|hiring platform",
        (*_TECH, "hrtech", "consulting"),
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
        r"clean ?tech|climate ?tech|renewables?|renewable energy|sustainability|carbon",
        r"clean ?tech|climate ?tech|renewables?|renewable energy|solar|sustainability|carbon|decarboni[sz]ation|"
        r"climate|ev charging",
        (*_TECH, "energy"),
    ),
    "solar": _Industry(
        "solar",
        r"solar|photovoltaics?|pv",
        r"solar|photovoltaics?|pv panels?|pv modules?",
        ("cleantech", "energy", "manufacturing", "construction"),
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
        r"travel|hospitality|airlines?|tourism",
        r"travel|hospitality|hotels?|airlines?|tourism|restaurants?|booking",
        (),
    ),
    "restaurants": _Industry(
        "restaurants",
        r"restaurants?|restaurant groups?|cafes|quick[- ]service restaurants?|qsrs?",
        r"restaurants?|restaurant groups?|cafes?|bistros?|quick[- ]service restaurants?|qsrs?",
        ("travel", "food"),
    ),
    "hotels": _Industry(
        "hotels",
        r"hotels?|hotel groups?|resorts?|hotel chains?",
        r"hotels?|hotel groups?|resorts?|hotel chains?",
        ("travel",),
    ),
    "food": _Industry(
        "food & beverage",
        r"food (?:and|&) beverage|f&b|food|beverages?|cpg food",
        r"food (?:and|&) beverage|f&b|food|beverages?|restaurants?|grocery|bakery|bakeries|breweries|brewery|"
        r"coffee roasters?|confectionery|dairy",
        ("retail", "manufacturing"),
    ),
    "construction": _Industry(
        "construction",
        r"construction|contractors?|builders?|aec|architecture",
        # "building" alone is a verb far more often ("building foundation models") than the trade
        r"construction|contractors?|builders?|architecture|engineering firm|building materials|"
        r"building construction|homebuilders?",
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
        r"aerospace|space ?tech|aviation",
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
        r"hardware|electronics|iot|internet of things",
        r"hardware|semiconductors?|electronics|iot|internet of things|robotics|devices|chips?|sensors?",
        ("manufacturing", "technology"),
    ),
    "semiconductors": _Industry(
        "semiconductors",
        r"semiconductors?|chip ?makers?|chip design|fabless",
        r"semiconductors?|chips?|chip ?makers?|chip design|fabless|silicon",
        ("hardware", "manufacturing", "technology"),
    ),
    "robotics": _Industry(
        "robotics",
        r"robotics|robots?",
        r"robotics|robots?|robotic",
        ("hardware", "manufacturing", "technology", "ai"),
    ),
    "defense": _Industry(
        "defense",
        r"defen[cs]e|defen[cs]e tech|military",
        r"defen[cs]e|military|armed forces|national security",
        ("aerospace", "manufacturing", "government", *_TECH),
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
    _Tech("dbt", r"dbt(?: cloud| core| labs)?", ("data_pipeline",)),
    _Tech("Fivetran", r"fivetran", ("data_pipeline",)),
    _Tech("Airbyte", r"airbyte", ("data_pipeline",)),
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
    _Tech("Epic", r"epic(?: systems| ehr)?", ("ehr",), exact_case=True),
    _Tech("Oracle Health", r"cerner|oracle health", ("ehr",)),
    _Tech("athenahealth", r"athena ?health|athenaone", ("ehr",)),
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
    "data_pipeline": (
        "ELT / data pipeline tool",
        r"elt(?: tools?)?|etl tools?|data pipeline tools?|data integration tools?|data transformation tools?",
    ),
    "marketing_automation": ("marketing automation", r"marketing automation(?: platforms?| tools?)?|map"),
    "support": ("support desk", r"help ?desk|support desk|ticketing system|customer support software"),
    "ecommerce_platform": ("e-commerce platform", r"e-?commerce platforms?|storefront platforms?"),
    "payments": ("payments provider", r"payment (?:providers?|processors?|gateways?)|psps?"),
    "erp": ("ERP", r"erps?"),
    "hris": ("HRIS", r"hris|hcm|hr systems?"),
    "ehr": ("EHR", r"ehrs?|emrs?|electronic (?:health|medical) records?(?: systems?| platforms?)?"),
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

# Phrases that contain an industry's word but name no industry of the company: "financial health" is
# not healthcare, an app marketplace inside a product is not a marketplace business, "brand health" is
# a marketing metric. Matched with the industry evidence (the longer phrase wins) and then ignored.
NON_INDUSTRY_PHRASES = (
    r"(?:brand|code|system|network|pipeline|customer|account|revenue|business|soil|plant|crop|asset|machine|"
    r"equipment|battery|credit|portfolio|device|fleet|server|cluster|site|website|seo|team|org) health|"
    r"health (?:checks?|scores?|monitoring of)|"
    r"marketplace of (?:apps|applications|integrations|plugins|plug-ins|extensions|add-?ons|templates|"
    r"connectors|themes|widgets|skills|agents|models|bots)|"
    r"(?:app|apps|application|integrations?|plugins?|plug-in|extensions?|add-?on|partner|template|aws|azure|"
    r"google cloud|salesforce|shopify|amazon|chrome|atlassian|hubspot|slack|zoom|microsoft|oracle|sap|"
    r"in-app|built-in|internal|private|data|model) marketplaces?|"
    r"(?:app|apps|integration|plugin|extension) (?:store|directory|gallery|exchange)"
)

# Who a company sells to, named after "for", "sells to", "serves", "customers include" (lower case).
BUSINESS_BUYERS = (
    r"businesses|business customers|companies|enterprises|enterprise customers|corporations|corporates|"
    r"organi[sz]ations|firms|smbs|smes|startups|scale-?ups|brands|retailers|merchants|sellers|wholesalers|"
    r"distributors|manufacturers|factories|plants|warehouses|carriers|shippers|fleets|fleet operators|"
    r"banks|insurers|lenders|credit unions|hospitals|clinics|health systems|practices|pharmacies|labs|"
    r"restaurants|hotels|venues|gyms|salons|dealerships|agencies|law firms|accounting firms|employers|"
    r"schools|universities|colleges|school districts|governments|municipalities|cities|utilities|"
    r"nonprofits|non-profits|charities|landlords|property managers|developers|builders|contractors|"
    r"operators|vendors|suppliers|publishers|broadcasters|telcos|airlines|"
    r"(?:[a-z&-]+ )?(?:teams|departments|leaders|professionals|managers|recruiters|marketers|engineers|"
    r"accountants|administrators|admins|buyers|analysts)"
)
CONSUMER_BUYERS = (
    r"consumers|individuals|people|families|parents|kids|children|teens|teenagers|shoppers|"
    r"travell?ers|homeowners|renters|tenants|pet owners|dog owners|cat owners|gamers|fans|music lovers|"
    r"listeners|readers|runners|cyclists|hikers|couples|singles|home cooks|seniors|retirees|savers|"
    r"everyday investors|retail investors|women|men|moms|mums|dads|babies|toddlers|pets|"
    r"anyone|everyone|you and your family|households|music fans|sports fans|learners of all ages|hobbyists"
)
