"""Fuzzing the importers through the library API: hostile rows never cost the good ones.

For CSV, JSON, JSONL and signal files built from a mix of known-good rows and hostile ones (huge and
non-finite numbers, nesting, surrogates, control and direction characters, broken encodings, formula
text, bad domains), every import either lands every good row and reports every other row as a row
error, or refuses the whole file with the project's InputError; with ``all_or_nothing`` a file with
any bad row lands nothing. No other exception may escape.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from icp.companies import import_companies, import_signals
from icp.errors import InputError
from icp.store.tables import Company
from icp.store.tables import Signal as SignalRow

FIELDS = ["name", "domain", "employees", "revenue", "country", "description", "tags", "founded_year"]
# ICP_FUZZ_EXAMPLES=2000 for a long local run; CI keeps it small (2 cores).
FUZZ = settings(
    max_examples=int(os.environ.get("ICP_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_TEXT = [
    "1e20",
    "Infinity",
    "-Infinity",
    "NaN",
    "1e400",
    str(2**63),
    "9" * 4400,
    "a..b",
    "user@acme.com",
    "127.0.0.1",
    "acme\n.com",
    "ev\u202eil.com",
    "nul\x00.com",
    "x" * 300 + ".com",
    "münchen.de",
    '=HYPERLINK("http://x")',
    "caf\ud800",
    "\x1b[31mred",
    "MÃ¼nchen",
    "[[[[[[[[[[",
    '{"a": [1, 2]}',
    "51-200",
    "1.250,5",
    "12,5",
    "$12.5M",
    "",
    " ",
    '"',
    "\r\n",
    "x" * 70_000,
]
hostile_scalar = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)


# Deeply nested values stand in as a marker (hypothesis cannot print them, json cannot write them) and
# are expanded in the JSON text.
_DEEP = re.compile(r'"<deep (\d+)>"')


def _json_text(value: Any) -> str:
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + '"deep"' + "]" * int(m.group(1)), json.dumps(value))


hostile_json_value = st.one_of(
    hostile_scalar,
    st.integers(min_value=0, max_value=3000).map(lambda depth: f"<deep {depth}>"),
    st.lists(hostile_scalar, max_size=4),
    st.dictionaries(st.text(max_size=5), hostile_scalar, max_size=3),
)
hostile_row = st.fixed_dictionaries({}, optional={f: hostile_json_value for f in FIELDS})
hostile_csv_row = st.fixed_dictionaries({}, optional={f: hostile_scalar for f in FIELDS})


def _good_row(index: int) -> dict[str, Any]:
    return {"name": f"Good {index}", "domain": f"zzgood{index}.com", "employees": 10 + index, "country": "DE"}


@st.composite
def company_rows(draw: st.DrawFn, hostile: st.SearchStrategy[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[str]]:
    good = [_good_row(i) for i in range(draw(st.integers(min_value=0, max_value=4)))]
    bad = draw(st.lists(hostile, max_size=6))
    rows: list[dict[str, Any]] = list(good) + bad
    order = draw(st.permutations(range(len(rows))))
    return [rows[i] for i in order], {row["domain"] for row in good}


@pytest.fixture(scope="module")
def fuzz_engine() -> Iterator[Engine]:
    from icp.store import open_engine

    engine = open_engine("sqlite://")
    yield engine
    engine.dispose()


def _fresh(engine: Engine) -> Session:
    session = Session(engine, expire_on_commit=False)
    session.execute(delete(SignalRow))
    session.execute(delete(Company))
    session.commit()
    return session


def _csv_bytes(rows: list[dict[str, Any]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)  # "\r\n": cells holding either are quoted
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v for k, v in row.items()})
    return buffer.getvalue().encode(encoding, errors="surrogatepass")


def _check_companies(session: Session, path: Path, rows: int, good: set[str], all_or_nothing: bool) -> None:
    try:
        report = import_companies(session, path, all_or_nothing=all_or_nothing)
    except InputError:
        return  # a whole-file refusal is allowed; any other exception fails the test
    stored = set(session.exec(select(Company.domain)).all())
    if all_or_nothing and report.errors:
        assert not report.committed and stored == set()
        return
    assert good <= stored, f"good rows lost: {sorted(good - stored)}; errors: {report.errors[:3]}"
    assert report.total == rows, "every row is either stored or reported"
    assert len(stored) == report.created


@FUZZ
@given(data=company_rows(hostile_csv_row), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_csv_import_never_crashes_and_keeps_good_rows(
    fuzz_engine: Engine, tmp_path: Path, data: tuple[list[dict[str, Any]], set[str]], encoding: str
) -> None:
    rows, good = data
    path = tmp_path / "fuzz.csv"
    path.write_bytes(_csv_bytes(rows, encoding))
    with _fresh(fuzz_engine) as session:
        _check_companies(session, path, len(rows), good, all_or_nothing=False)
    with _fresh(fuzz_engine) as session:
        _check_companies(session, path, len(rows), good, all_or_nothing=True)


@FUZZ
@given(data=company_rows(hostile_row), jsonl=st.booleans())
def test_json_and_jsonl_import_never_crash_and_keep_good_rows(
    fuzz_engine: Engine, tmp_path: Path, data: tuple[list[dict[str, Any]], set[str]], jsonl: bool
) -> None:
    rows, good = data
    if jsonl:
        path = tmp_path / "fuzz.jsonl"
        path.write_bytes("\n".join(_json_text(r) for r in rows).encode() + b"\n")
    else:
        path = tmp_path / "fuzz.json"
        path.write_bytes(_json_text(rows).encode())
    with _fresh(fuzz_engine) as session:
        _check_companies(session, path, len(rows), good, all_or_nothing=False)
    with _fresh(fuzz_engine) as session:
        _check_companies(session, path, len(rows), good, all_or_nothing=True)


@FUZZ
@given(
    base=st.sampled_from(["name,domain\nA,a.com\nB,b.com\n", '[{"name": "A", "domain": "a.com"}]']),
    position=st.integers(min_value=0, max_value=40),
    junk=st.binary(max_size=40),
)
def test_byte_level_damage_is_refused_or_reported_never_raised(
    fuzz_engine: Engine, tmp_path: Path, base: str, position: int, junk: bytes
) -> None:
    data = base.encode()
    path = tmp_path / ("fuzz.csv" if base.startswith("name") else "fuzz.json")
    path.write_bytes(data[:position] + junk + data[position:])
    with _fresh(fuzz_engine) as session, contextlib.suppress(InputError):
        import_companies(session, path)


SIGNAL_FIELDS = ["domain", "type", "topic", "strength", "days_ago", "observed_at"]
hostile_signal = st.fixed_dictionaries({}, optional={f: hostile_json_value for f in SIGNAL_FIELDS})


@FUZZ
@given(
    good_count=st.integers(min_value=0, max_value=4),
    bad=st.lists(hostile_signal, max_size=6),
    shuffle=st.randoms(use_true_random=False),
    fmt=st.sampled_from(["jsonl", "json"]),
    all_or_nothing=st.booleans(),
)
def test_signals_import_never_crashes_and_keeps_good_rows(
    fuzz_engine: Engine,
    tmp_path: Path,
    good_count: int,
    bad: list[dict[str, Any]],
    shuffle: Any,
    fmt: str,
    all_or_nothing: bool,
) -> None:
    companies = tmp_path / "companies.json"
    companies.write_text(json.dumps([_good_row(i) for i in range(4)]))
    good = [{"domain": f"zzgood{i}.com", "type": "intent", "strength": 0.5, "days_ago": i} for i in range(good_count)]
    rows: list[dict[str, Any]] = good + bad
    shuffle.shuffle(rows)
    path = tmp_path / f"signals.{fmt}"
    text = _json_text(rows) if fmt == "json" else "\n".join(_json_text(r) for r in rows)
    path.write_bytes(text.encode())
    with _fresh(fuzz_engine) as session:
        import_companies(session, companies)
        try:
            report = import_signals(session, path, all_or_nothing=all_or_nothing)
        except InputError:
            return
        stored = session.exec(select(func.count()).select_from(SignalRow)).one()
        if all_or_nothing and report.errors:
            assert not report.committed and stored == 0
        else:
            assert stored == report.imported >= good_count
            assert report.imported + report.rejected == len(rows)
