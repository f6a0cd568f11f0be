"""Company import benchmark: a 100,000-column file and a plain 50,000-row CSV, against naive baselines.

Prints, in one run:
- a wide file (100,000 columns, a CRM export with every custom property; target: under 5 s) and the
  same width read the naive way (a list-membership scan per column, as the importer once did: quadratic);
  the naive run is measured at a narrower width (``--naive-columns``) and its ratio is at that width,
- a plain 50,000-row CSV (HubSpot-style headers) imported end to end into a SQLite file, and a naive
  baseline (read with DictReader, one ORM object per row added to the session) on the same rows,
- peak memory.

Usage: .venv/bin/python bench/bench_import.py [--columns 100000] [--naive-columns 10000] [--rows 50000]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from icp.companies import import_companies
from icp.importing import map_header, profile_from_mapped
from icp.store import open_engine
from icp.store.tables import Company
from icp.testing.synthetic import synthetic_companies

TARGET_WIDE_SECONDS = 5.0
HEADERS = {
    "name": "Company name",
    "domain": "Company Domain Name",
    "industry": "Industry",
    "employees": "Number of Employees",
    "revenue": "Annual Revenue",
    "country": "Country/Region",
    "region": "State/Region",
    "city": "City",
    "description": "Description",
    "technologies": "Technologies",
    "tags": "Tags",
    "funding_stage": "Funding Stage",
    "founded_year": "Year Founded",
}


def wide_csv(columns: int, rows: int = 5) -> bytes:
    """name, domain, employees and ``columns`` custom properties the product ignores."""
    header = ["Company name", "Company Domain Name", "Number of Employees"] + [f"custom_{i}" for i in range(columns)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for r in range(rows):
        writer.writerow([f"Wide {r}", f"wide{r}.com", str(10 + r)] + ["x"] * columns)
    return buffer.getvalue().encode()


def plain_csv(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADERS.values())
    for company in synthetic_companies(rows, seed=11):
        cells: list[Any] = []
        for field in HEADERS:
            value = company.get(field)
            cells.append(";".join(value) if isinstance(value, list) else ("" if value is None else value))
        writer.writerow(cells)
    return buffer.getvalue().encode()


def naive_parse(data: bytes) -> list[dict[str, Any]]:
    """The importer's old shape: collect keys with a list-membership scan (quadratic in columns)."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    raw = list(reader)
    keys: list[str] = []
    for item in raw:
        for key in item:
            if key not in keys:
                keys.append(key)
    mapping = {k: f for k in keys if (f := map_header(k)) is not None}
    return [{mapping[k]: v for k, v in item.items() if k in mapping} for item in raw]


def naive_import(engine: Any, data: bytes) -> int:
    """Read with DictReader, validate each row, one ORM object per row; the straightforward version."""
    rows = naive_parse(data)
    seen: set[str] = set()
    with Session(engine) as session:
        for row in rows:
            try:
                profile = profile_from_mapped(row)
            except ValueError:
                continue
            if profile.domain in seen:
                continue
            seen.add(profile.domain)
            values = profile.model_dump()
            values["tags"], values["technologies"] = list(profile.tags), list(profile.technologies)
            session.add(Company.model_validate({**values, "content_hash": profile.content_hash()}))
        session.commit()
    return len(seen)


def _timed(label: str, run: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    print(f"  {label:<58} {seconds:8.2f} s")
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--naive-columns", type=int, default=4_000)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"wide file: {args.columns:,} columns x 5 rows")
        wide = folder / "wide.csv"
        wide.write_bytes(wide_csv(args.columns))
        engine = open_engine(f"sqlite:///{folder / 'wide.db'}")
        with Session(engine) as session:
            wide_s, report = _timed(f"import ({args.columns:,} columns)", lambda: import_companies(session, wide))
        assert report.created == 5, report.errors[:3]
        narrow = wide_csv(args.naive_columns)
        narrow_path = folder / "narrow.csv"
        narrow_path.write_bytes(narrow)
        engine_n = open_engine(f"sqlite:///{folder / 'narrow.db'}")
        with Session(engine_n) as session:
            fast_n, _ = _timed(
                f"import ({args.naive_columns:,} columns)", lambda: import_companies(session, narrow_path)
            )
        naive_n, _ = _timed(f"naive read only ({args.naive_columns:,} columns)", lambda: naive_parse(narrow))
        scale = (args.columns / args.naive_columns) ** 2
        print(f"  speed-up at {args.naive_columns:,} columns: {naive_n / fast_n:.1f}x (naive reading alone)")
        print(f"  naive at {args.columns:,} columns, extrapolated (quadratic): ~{naive_n * scale:,.0f} s")
        verdict = "meets" if wide_s < TARGET_WIDE_SECONDS else "MISSES"
        print(f"  target under {TARGET_WIDE_SECONDS:.0f} s: {wide_s:.2f} s ({verdict})")

        print(f"plain file: {args.rows:,} rows, HubSpot headers, SQLite file")
        plain = plain_csv(args.rows)
        plain_path = folder / "plain.csv"
        plain_path.write_bytes(plain)
        engine_p = open_engine(f"sqlite:///{folder / 'plain.db'}")
        with Session(engine_p) as session:
            fast_s, report = _timed("import_companies (bulk upsert)", lambda: import_companies(session, plain_path))
        with Session(engine_p) as session:
            again_s, again = _timed("import again (every row unchanged)", lambda: import_companies(session, plain_path))
        engine_b = open_engine(f"sqlite:///{folder / 'naive.db'}")
        naive_s, naive_count = _timed(
            "naive (DictReader, one ORM object per row)", lambda: naive_import(engine_b, plain)
        )
        landed = report.created + report.updated + report.unchanged
        print(f"  rows landed: {landed:,} (rejected {report.rejected:,}); naive landed {naive_count:,}")
        print(f"  import: {args.rows / fast_s:,.0f} rows/s; unchanged re-import: {args.rows / again_s:,.0f} rows/s")
        print(f"  naive: {args.rows / naive_s:,.0f} rows/s; speed-up {naive_s / fast_s:.1f}x")
        assert again.unchanged == landed
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: peak RSS {peak_mib:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
