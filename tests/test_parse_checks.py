"""Reading a segment's clauses together gives each clause the check it gets alone."""

from __future__ import annotations

import gc
import random

import pytest

from icp.checks import parse_check, parse_checks
from icp.checks._parser import _parse

# Pairs of clauses whose words would read differently if one clause could see the other: a number and
# a unit, a stage and "or later", a negation and what it governs, an audience cue and an industry, state
# codes that make "CA" California, capitals that block "IN", "public" beside a stage, a carried operator.
_NEIGHBOURS = [
    ("Over 200", "employees in Germany"),
    ("Series B", "or later"),
    ("B2B SaaS, not", "agencies or consultancies"),
    ("Workday software for", "banks and hospitals"),
    ("HQ in CA", "NY or TX"),
    ("US or CA", "HQ in a state we sell to"),
    ("THE COMPANY MUST BE B2B", "IN or OR"),
    ("Series A or B", "public"),
    ("at least 200 employees", "or $20M in revenue"),
    ("founded after 2010", "and before 2020"),
    ("Uses Salesforce", "or similar"),
    ("medical device", "manufacturers"),
    ("between", "10 and 50 employees"),
    ("sales team of", "10+ people"),
]


def _each_alone(clauses: list[str]) -> list[object]:
    _parse.cache_clear()
    return [parse_check(clause) for clause in clauses]


@pytest.mark.parametrize(("first", "second"), _NEIGHBOURS)
def test_a_clause_never_reads_its_neighbours_words(first: str, second: str) -> None:
    clauses = [first, second, first, second]
    assert parse_checks(clauses) == _each_alone(clauses)


def test_mixed_clauses_read_together_match_each_read_alone() -> None:
    words = [w for pair in _NEIGHBOURS for clause in pair for w in clause.split()]
    rng = random.Random(3)
    clauses = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(400)]
    assert parse_checks(clauses) == _each_alone(clauses)


def test_a_clause_holding_the_separator_is_read_alone() -> None:
    clauses = ["fintech; not agencies", "200+ employees"]
    assert parse_checks(clauses) == _each_alone(clauses)


def test_the_cycle_collector_is_left_as_it_was() -> None:
    parse_checks(["fintech", "200+ employees"])
    assert gc.isenabled()
    gc.disable()
    try:
        parse_checks(["fintech", "200+ employees"])
        assert not gc.isenabled()
    finally:
        gc.enable()
