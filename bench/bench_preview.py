"""Live segment preview: a draft graded offline against the whole book, as the Segments form shows it.

Run: ``.venv/bin/python bench/bench_preview.py [--sizes 10000 100000]``

For each book size, the draft is previewed with :func:`icp.preview.preview_segment` (graded columns read
in batches, no ORM objects, each company graded once) and, as a same-run baseline, the way a plain loop
would do it: load every ``Company`` row through the ORM, grade each in this one process and score each
grade with the full breakdown. Targets here: under 2 s for 10,000 companies and 15 s for 100,000.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select

from icp.companies import profile_of, upsert_companies
from icp.criteria import compile_segment
from icp.domain import CompanyProfile
from icp.evaluators.offline import OfflineEvaluator
from icp.preview import preview_segment
from icp.scoring import score_grade
from icp.store import open_engine
from icp.store.tables import Company
from icp.testing.synthetic import synthetic_companies

DRAFT = (
    "EU Fintech Scale-ups",
    "Fintech company\nHeadquartered in Europe\n200 to 2,000 employees",
    "Series B or later\nUses Salesforce",
)
TARGETS = {10_000: 2.0, 100_000: 15.0}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the grading workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def baseline(session: Session) -> float:
    started = time.perf_counter()
    for row in session.exec(select(Company)):
        compiled = compile_segment(*DRAFT)
        score_grade(OfflineEvaluator().grade(profile_of(row), compiled).results)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-max", type=int, default=20_000, help="Largest book the baseline also runs on.")
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            engine = open_engine(f"sqlite:///{Path(tmp) / 'preview.db'}")
            with Session(engine) as session:
                upsert_companies(session, [CompanyProfile.model_validate(c) for c in synthetic_companies(size, seed=7)])
                session.commit()
            with Session(engine) as session:
                cpu_before = _cpu_seconds()
                started = time.perf_counter()
                preview = preview_segment(session, *DRAFT)
                elapsed = time.perf_counter() - started
                cpu = _cpu_seconds() - cpu_before
            target = TARGETS.get(size)
            verdict = "" if target is None else f" — target < {target:g} s: {'OK' if elapsed < target else 'MISSED'}"
            print(
                f"{size:>7,} companies: preview in {elapsed:.2f}s ({size / elapsed:,.0f} companies/s), "
                f"T1 {preview.tiers['T1']:,}, unverified {preview.statuses['unverified']:,}{verdict}"
            )
            # On a shared machine the wall time says more about the neighbours than the code: the CPU
            # seconds spent (this process and its grading workers) over the cores show what an idle
            # machine would take.
            cores = os.cpu_count() or 1
            print(
                f"{'':>7}  CPU {cpu:.2f}s in all (this process and its grading workers): about "
                f"{cpu / cores:.2f}s on {cores} idle cores"
            )
            if size <= args.baseline_max:
                with Session(engine) as session:
                    naive = baseline(session)
                print(
                    f"{'':>7}  baseline (ORM rows, one process, full breakdowns): {naive:.2f}s — "
                    f"{naive / elapsed:.1f}× slower"
                )
            engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
