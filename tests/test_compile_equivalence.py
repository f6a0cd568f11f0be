"""Compiling criteria gives the same checks it gave before parsing was made linear, on every kind of text.

``tests/data/compiled_criteria.json`` holds a digest per corpus of the compiled checks, recorded with the
implementation that ran a regular expression per family over each clause (and one per industry). Any
change in what a criterion compiles to changes a digest: the sample segments, the golden eval datasets,
every phrase the checks tests use, thousands of generated clauses, and long texts (many lines, one huge
line, one phrase repeated). Regenerate only when a change of meaning is intended:
``.venv/bin/python -m tests.test_compile_equivalence``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

from icp.checks import parse_check
from icp.checks._parser import clear_memos
from icp.checks._vocabulary import COUNTRIES, INDUSTRIES, TECHNOLOGIES
from icp.criteria import _compile, compile_segment
from icp.samples import SEGMENTS_FILE

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "compiled_criteria.json"
_LINES = (
    "B2B SaaS companies in Germany, Austria or Switzerland",
    "200-2,000 employees, not agencies or consultancies",
    "Uses Salesforce or HubSpot and runs on AWS",
    "Series B or later, founded after 2012",
    "Fintech, insurance or healthcare software for banks and hospitals",
)


def _criteria_in(value: Any, found: list[str]) -> None:
    """Every string under a ``requirements`` or ``nice_to_haves`` key, however nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("requirements", "nice_to_haves"):
                items = item if isinstance(item, list) else [item]
                found.extend(str(i) for i in items if i)
            else:
                _criteria_in(item, found)
    elif isinstance(value, list):
        for item in value:
            _criteria_in(item, found)


def _string_constants(path: Path) -> list[str]:
    """The string literals of a test module: the phrases its cases parse."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _generated(count: int, seed: int) -> list[str]:
    """Clauses made of vocabulary words, numbers, negations and joiners, as sales leaders combine them."""
    rng = random.Random(seed)
    words = [
        *(t.name for t in TECHNOLOGIES),
        *(c.name for c in list(COUNTRIES.values())[:80]),
        *(key.replace("_", " ") for key in INDUSTRIES),
        *["DACH", "EMEA", "Nordics", "APAC", "LATAM", "US", "UK", "CA", "DE", "NY", "TX"],
        *["B2B", "SaaS", "fintech", "healthcare", "agencies", "banks", "hospitals", "manufacturers"],
        "Series A", "Series B", "seed", "pre-seed", "Series C+", "PE-backed", "bootstrapped", "public",
        "founded after 2015", "founded before 2000", "at least 5 years old", "over $10M ARR",
        "200-2,000 employees", "at least 50 people", "under 500 staff", "$5M-$50M revenue",
    ]  # fmt: skip
    joiners = [" or ", " and ", ", ", " / ", " & ", " but not ", ", excluding ", " or similar ", " (", ") "]
    prefixes = ["", "", "not ", "no ", "non-", "excluding ", "uses ", "in ", "based in ", "sells to ", "for "]
    suffixes = ["", "", " excluded", " need not apply", " companies", " only", " preferred"]
    clauses = []
    for _ in range(count):
        parts = [rng.choice(prefixes) + rng.choice(words) for _ in range(rng.randint(1, 4))]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(joiners) + part
        clauses.append(text + rng.choice(suffixes))
    return clauses


def _long_text(size: int, separator: str) -> str:
    lines, total, index = [], 0, 0
    while total < size:
        lines.append(f"{_LINES[index % len(_LINES)]} {index}")
        total += len(lines[-1]) + 1
        index += 1
    return separator.join(lines)[:size]


def corpora() -> dict[str, list[str]]:
    """Named lists of criterion texts; each is compiled and digested."""
    datasets: list[str] = []
    for path in sorted((ROOT / "evals" / "datasets").rglob("*.yaml")):
        _criteria_in(yaml.safe_load(path.read_text(encoding="utf-8")), datasets)
    samples: list[str] = []
    _criteria_in(json.loads(SEGMENTS_FILE.read_text(encoding="utf-8")), samples)
    phrases = [
        s
        for name in ("test_checks.py", "test_criteria.py", "test_rules_context.py", "test_offline_evaluator.py")
        if (Path(__file__).parent / name).exists()
        for s in _string_constants(Path(__file__).parent / name)
        if 0 < len(s) < 400
    ]
    return {
        "sample segments": samples,
        "eval datasets": datasets,
        "test phrases": phrases,
        "generated clauses": _generated(3000, seed=12),
        "many lines": [_long_text(40_000, "\n")],
        "one huge line": [_long_text(40_000, " ")],
        "one phrase repeated": ["Uses Salesforce or HubSpot, not agencies, in DACH; " * 800],
        "negations everywhere": [" ".join(f"not {w} or" for w in _LINES * 120)],
    }


def digest(texts: list[str]) -> str:
    """One hash over the compiled form of every text: each as one segment (clauses, ids and checks)."""
    clear_memos()  # every text compiled cold, as a first reading would
    _compile.cache_clear()
    hasher = hashlib.blake2b(digest_size=16)
    for text in texts:
        hasher.update(compile_segment("corpus", text).fingerprint().encode())
        check = parse_check(text) if len(text) < 2_000 else None  # a whole phrase, unsplit, too
        hasher.update(json.dumps(check.model_dump(mode="json") if check else None, sort_keys=True).encode())
    return hasher.hexdigest()


def test_every_corpus_compiles_to_exactly_what_it_compiled_to_before() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = {name: digest(texts) for name, texts in corpora().items()}
    changed = [name for name in golden if found.get(name) != golden[name]]
    assert not changed, f"compiled criteria changed for: {', '.join(changed)}"
    assert set(found) == set(golden)


def test_the_corpora_are_not_empty() -> None:
    sizes = {name: len(texts) for name, texts in corpora().items()}
    assert sizes["sample segments"] >= 5 and sizes["eval datasets"] >= 50 and sizes["test phrases"] >= 200


if __name__ == "__main__":
    GOLDEN.write_text(
        json.dumps({name: digest(texts) for name, texts in corpora().items()}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {GOLDEN}", file=sys.stderr)
