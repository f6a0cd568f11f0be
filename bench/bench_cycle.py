"""Cycle benchmark: 100,000 synthetic companies × 5 segments, offline evaluator, SQLite file.

Prints, in one run:
- the first cycle's wall time and pairs/s (target: under 60 s),
- a second, unchanged cycle (target: 0 pairs graded, under 10 s),
- the ranked-queue query latency p50/p95 (target: p95 under 50 ms),
- a same-run baseline: a naive loop (one ORM insert and commit per grade) on a sample, and the ratio.

Usage: .venv/bin/python bench/bench_cycle.py [--companies 100000] [--segments 5]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from icp.companies import profile_of, upsert_companies
from icp.criteria import compile_segment
from icp.cycle import run_cycle
from icp.domain import CompanyProfile
from icp.evaluators.base import grade_input_hash
from icp.evaluators.offline import OfflineEvaluator
from icp.queue import ranked_queue
from icp.segments import create_segment
from icp.store import open_engine
from icp.store.tables import Company, Grade, SegmentVersion
from icp.testing.synthetic import synthetic_companies, synthetic_segments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        profiles = [CompanyProfile.model_validate(c) for c in synthetic_companies(args.companies, seed=7)]
        with Session(engine) as session:
            upsert_companies(session, profiles)
            session.commit()
            for spec in synthetic_segments(args.segments):
                create_segment(
                    session, spec["name"], spec["requirements"], spec["nice_to_haves"], priority=spec["priority"]
                )
        print(f"setup: {args.companies:,} companies, {args.segments} segments in {time.perf_counter() - started:.1f}s")

        evaluator = OfflineEvaluator()
        workers = os.cpu_count() or 1
        print(f"workers:      {workers} grading processes (one per core)")
        t0 = time.perf_counter()
        first = run_cycle(engine, evaluator, concurrency=workers)
        t_first = time.perf_counter() - t0
        pairs = first.pairs_total
        print(
            f"first cycle:  {pairs:,} pairs, {first.pairs_graded:,} graded in {t_first:.1f}s "
            f"({pairs / t_first:,.0f} pairs/s) — target < 60 s: {'OK' if t_first < 60 else 'MISSED'}"
        )
        t0 = time.perf_counter()
        second = run_cycle(engine, evaluator, concurrency=workers)
        t_second = time.perf_counter() - t0
        print(
            f"second cycle: {second.pairs_graded} graded, {second.pairs_reused:,} reused in {t_second:.1f}s — "
            f"target 0 graded and < 10 s: {'OK' if second.pairs_graded == 0 and t_second < 10 else 'MISSED'}"
        )

        rng = random.Random(1)
        names = [s["name"] for s in synthetic_segments(args.segments)]
        latencies = []
        with Session(engine) as session:
            for _ in range(args.queries):
                segment = rng.choice([*names, None])
                tier = rng.choice([None, "T1", "T2", "T3"])
                q0 = time.perf_counter()
                ranked_queue(session, segment=segment, tier=tier, limit=50)
                latencies.append((time.perf_counter() - q0) * 1000)
        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[-1]
        print(
            f"queue query:  p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.queries} queries — target p95 < 50 ms: "
            f"{'OK' if p95 < 50 else 'MISSED'}"
        )

        # Baseline in the same run: grade a sample naively — one ORM row and one commit per grade.
        sample = 2000
        naive_engine = open_engine(f"sqlite:///{Path(tmp) / 'naive.db'}")
        with Session(engine) as src, Session(naive_engine) as dst:
            rows = src.exec(select(Company).limit(sample // args.segments + 1)).all()
            versions = src.exec(select(SegmentVersion)).all()
            upsert_companies(dst, [profile_of(r) for r in rows])
            dst.commit()
            for spec in synthetic_segments(args.segments):
                create_segment(dst, spec["name"], spec["requirements"], spec["nice_to_haves"])
            dst_companies = {c.domain: c for c in dst.exec(select(Company))}
            dst_versions = {v.name: v for v in dst.exec(select(SegmentVersion))}
            t0 = time.perf_counter()
            done = 0
            for row in rows:
                for version in versions:
                    compiled = compile_segment(version.name, version.requirements, version.nice_to_haves)
                    grade = evaluator.grade(profile_of(row), compiled)
                    target = dst_versions[version.name]
                    dst.add(
                        Grade.model_validate(
                            {
                                "input_hash": grade_input_hash(
                                    row.content_hash, target.content_hash, evaluator.identity
                                ),
                                "company_id": dst_companies[row.domain].id,
                                "segment_version_id": target.id,
                                "company_hash": row.content_hash,
                                "results": [r.model_dump(mode="json") for r in grade.results],
                                "evaluator": "offline",
                            }
                        )
                    )
                    dst.commit()
                    done += 1
            t_naive = time.perf_counter() - t0
        naive_rate = done / t_naive
        rate = pairs / t_first
        print(
            f"baseline:     naive per-pair commit loop {naive_rate:,.0f} pairs/s on {done} pairs; "
            f"cycle is {rate / naive_rate:.1f}× faster per pair"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory:       peak RSS {peak_mib:,.0f} MiB ({peak_mib * 1048576 / max(pairs, 1):,.0f} bytes per pair)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
