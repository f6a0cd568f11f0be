"""The shipped sample data: segments, accounts, signals and motions for ``icp demo`` and tests.

All paths are absolute, so they work from any working directory and from an installed wheel.
``companies.csv`` is a HubSpot-style export (regenerate it with ``_build_companies.py``);
``signals.jsonl`` gives signal ages in ``days_ago`` so the demo always looks fresh.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

SAMPLES_DIR: Path = Path(__file__).resolve().parent
SEGMENTS_FILE: Path = SAMPLES_DIR / "segments.json"
COMPANIES_FILE: Path = SAMPLES_DIR / "companies.csv"
SIGNALS_FILE: Path = SAMPLES_DIR / "signals.jsonl"
MOTIONS_FILE: Path = SAMPLES_DIR / "motions.json"
EXPECTATIONS_FILE: Path = SAMPLES_DIR / "expectations.json"
DEALS_FILE: Path = SAMPLES_DIR / "deals.csv"
"""Won, lost and open deals (HubSpot deal export names), from a hidden propensity: see ``_build_deals.py``."""

DEALS_CSV_HEADERS: tuple[str, ...] = (
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Amount",
    "Create Date",
    "Close Date",
    "Associated Company Domain",
    "Associated Company",
)

# The exact header row of companies.csv (HubSpot company export names).
COMPANY_CSV_HEADERS: tuple[str, ...] = (
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
)


def load_segments() -> list[dict[str, Any]]:
    """The sample segments: dicts with name, requirements, nice_to_haves, active, priority."""
    data: list[dict[str, Any]] = json.loads(SEGMENTS_FILE.read_text(encoding="utf-8"))
    return data


def load_motions() -> list[dict[str, Any]]:
    """The sample prospecting motions: name, description, segments, capacity, plays per tier."""
    data: list[dict[str, Any]] = json.loads(MOTIONS_FILE.read_text(encoding="utf-8"))
    return data


def load_signals() -> list[dict[str, Any]]:
    """The sample signals: domain, type, topic, strength (0..1) and days_ago (0..90)."""
    lines = SIGNALS_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def read_company_rows() -> list[dict[str, str]]:
    """The raw rows of companies.csv, keyed by the export's own headers (empty string = missing)."""
    with COMPANIES_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_expectations() -> dict[str, dict[str, dict[str, str]]]:
    """Which sample accounts were written to be members / non-members of which segment, and why.

    Shape: ``{segment: {"members": {domain: note}, "non_members": {domain: note}, "undecided": {...}}}``.
    ``undecided`` accounts lack the data to decide a requirement: a truthful grader answers unknown.
    """
    data: dict[str, dict[str, dict[str, str]]] = json.loads(EXPECTATIONS_FILE.read_text(encoding="utf-8"))
    return data
