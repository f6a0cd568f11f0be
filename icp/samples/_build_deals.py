"""Build the shipped sample deals: ``deals.csv``, a HubSpot-style deal export for the outcomes demo.

Run with ``.venv/bin/python icp/samples/_build_deals.py``; the output is deterministic (seeded).

Whether a deal was won comes from a **hidden propensity** of the account's firmographics plus noise —
never from the sample segments' text — so the segments show a real, imperfect lift:

    score = 1.4·[150 ≤ employees ≤ 5,000] − 1.0·[employees < 50]
          + 0.8·[HQ in North America or Europe]
          + 0.7·[Series B or later, public or PE-backed] − 0.5·[seed or bootstrapped]
          + 1.0·[tagged B2B or SaaS] + 0.6·[sales tooling: Gong, Outreach or Salesloft]
          + noise ~ N(0, 0.7)
    P(won) = 1 / (1 + e^-(score − 2.6))

The CRM a company uses plays no part, so "Mid-Market B2B SaaS"'s requirement "Uses Salesforce as CRM"
excludes many accounts that won (on HubSpot and others): the backtest shows it.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import date, timedelta

from icp.samples import COMPANIES_FILE, DEALS_CSV_HEADERS, DEALS_FILE

ANCHOR = date(2026, 10, 1)
EUROPE_NA = {
    "United States", "Canada", "Mexico", "United Kingdom", "Ireland", "Germany", "France", "Spain", "Italy",
    "Netherlands", "Sweden", "Norway", "Denmark", "Finland", "Switzerland", "Austria", "Belgium", "Poland",
    "Portugal", "Czech Republic", "Estonia",
}  # fmt: skip
LATE_STAGES = {"Series B", "Series C", "Series D", "Series E", "Public", "Private Equity"}
EARLY_STAGES = {"Seed", "Bootstrapped"}
SALES_TOOLS = {"Gong", "Outreach", "Salesloft"}


def propensity(row: dict[str, str], noise: float) -> float:
    """The hidden chance that a deal with this account is won."""
    employees = int(row["Number of Employees"] or 0)
    tags = set(row["Tags"].split(";")) if row["Tags"] else set()
    tools = set(row["Technologies"].split(";")) if row["Technologies"] else set()
    score = 1.4 * (150 <= employees <= 5000) - 1.0 * (employees < 50)
    score += 0.8 * (row["Country/Region"] in EUROPE_NA)
    score += 0.7 * (row["Funding Stage"] in LATE_STAGES) - 0.5 * (row["Funding Stage"] in EARLY_STAGES)
    score += 1.0 * bool(tags & {"B2B", "SaaS"}) + 0.6 * bool(tools & SALES_TOOLS)
    return 1 / (1 + math.exp(-(score + noise - 2.6)))


def main() -> None:
    rng = random.Random(2026)
    rows = list(csv.DictReader(COMPANIES_FILE.open(encoding="utf-8", newline="")))
    deals: list[list[str]] = []
    for row in rows:
        for n in range(rng.choice((0, 1, 1, 1, 2, 2))):
            p = propensity(row, rng.gauss(0, 0.7))
            created = ANCHOR - timedelta(days=rng.randint(40, 540))
            employees = int(row["Number of Employees"] or 10)
            amount = round(rng.uniform(8, 40) * max(1.0, math.log10(max(employees, 10))) * 1000, -2)
            if rng.random() < 0.12:
                stage, closed = rng.choice(("Appointment Scheduled", "Contract Sent")), ""
            else:
                won = rng.random() < p
                stage = "Closed Won" if won else "Closed Lost"
                closed = (created + timedelta(days=rng.randint(20, 70) if won else rng.randint(30, 140))).isoformat()
            deals.append(
                [
                    f"{900000 + len(deals)}",
                    f"{row['Company name']} — {('New business', 'Expansion')[n]}",
                    stage,
                    f"{amount:.0f}",
                    created.isoformat(),
                    closed,
                    row["Company Domain Name"],
                    row["Company name"],
                ]
            )
    with DEALS_FILE.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEALS_CSV_HEADERS)
        writer.writerows(deals)
    print(f"wrote {DEALS_FILE}: {len(deals)} deals")


if __name__ == "__main__":
    main()
