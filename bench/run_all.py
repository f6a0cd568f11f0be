"""Run every benchmark in one go: offline grading, a full cycle, LLM grading against a local server, imports,
long text and the live segment preview.

Usage:
    .venv/bin/python bench/run_all.py           # full sizes (several minutes; the LLM run alone takes ~5)
    .venv/bin/python bench/run_all.py --quick   # small sizes, a smoke run of every benchmark

Each benchmark prints its own figures, the ratio against a baseline measured in the same run, and its
peak memory. Nothing here is a test: targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = {
    "bench_offline.py": [],
    "bench_cycle.py": [],
    "bench_llm.py": [],
    "bench_import.py": [],
    "bench_text.py": [],
    "bench_preview.py": [],
    "bench_queue.py": [],
}
QUICK = {
    "bench_offline.py": ["--companies", "2000", "--repeats", "1"],
    "bench_cycle.py": ["--companies", "5000"],
    "bench_llm.py": ["--pairs", "200", "--serial-pairs", "20", "--storm-pairs", "200"],
    "bench_import.py": ["--columns", "20000", "--naive-columns", "2000", "--rows", "5000"],
    "bench_text.py": ["--megabytes", "0.25"],
    "bench_preview.py": ["--sizes", "2000"],
    "bench_queue.py": ["--companies", "3000", "--queries", "20"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every benchmark")
    args = parser.parse_args()
    failed = []
    for script, extra in (QUICK if args.quick else FULL).items():
        print(f"\n=== {script} {' '.join(extra)}".rstrip(), flush=True)
        code = subprocess.call([sys.executable, str(HERE / script), *extra])
        if code:
            failed.append(script)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
