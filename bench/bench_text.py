"""Time to read long criteria text: compile, lint, and the segment service's size check, growing the text.

Run: ``.venv/bin/python bench/bench_text.py [--megabytes 1.0]``

A sales leader may paste a page of notes, or a script may send a whole document, into a segment's
Requirements. The service refuses text over its limit with a clear error (checked first, so the
refusal is instant); compile and lint must stay linear in the length of the text whatever reaches them.
Each step is timed at a quarter, a half and the full size, so a quadratic step shows as a time that
quadruples when the text doubles; each time is the best of ``--repeat`` cold runs (all runs are
printed), as ``timeit`` reports, because other work on a shared machine only ever adds time. Nothing
here is a test: targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from icp import segments
from icp.checks._parser import clear_memos
from icp.criteria import _compile, compile_segment
from icp.errors import InputError
from icp.lint import lint_segment

TARGET_SECONDS = 1.0
_LINES = (
    "B2B SaaS companies in Germany, Austria or Switzerland",
    "200-2,000 employees, not agencies or consultancies",
    "Uses Salesforce or HubSpot and runs on AWS",
    "Series B or later, founded after 2012",
    "Fintech, insurance or healthcare software for banks and hospitals",
)


def _text(size: int, *, one_line: bool) -> str:
    words: list[str] = []
    total = index = 0
    while total < size:
        line = f"{_LINES[index % len(_LINES)]} {index}"
        words.append(line)
        total += len(line) + 1
        index += 1
    return (" " if one_line else "\n").join(words)[:size]


def _numbers_after_a_range(size: int) -> str:
    return ("200+ employees " + "x 1 " * (size // 4))[:size]


def _timed(label: str, run: Callable[[], object], size: int, repeat: int) -> float:
    """The best of ``repeat`` cold runs (caches cleared): other work on a shared machine only ever adds time."""
    times = []
    for _ in range(repeat):
        clear_memos()
        _compile.cache_clear()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    spread = f"  (runs {' '.join(f'{t:.2f}' for t in times)})" if repeat > 1 else ""
    print(f"  {label:<44} {size / 1e6:5.2f} MB  {min(times):7.3f} s{spread}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0, help="largest text, in MB (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per size, the best reported (default 3)")
    args = parser.parse_args()
    full = int(args.megabytes * 1_000_000)
    sizes = [full // 4, full // 2, full]
    results: dict[str, list[float]] = {}
    steps: tuple[tuple[str, Callable[[str], object]], ...] = (
        ("service size check (refusal)", _refuse),
        ("compile, one criterion per line", lambda t: compile_segment("bench", t)),
        ("compile, one line", lambda t: compile_segment("bench", t.replace("\n", " "))),
        # One headcount, then a page of bare numbers: each is read against the fact before it.
        ("compile, numbers after one range", lambda t: compile_segment("bench", _numbers_after_a_range(len(t)))),
    )
    for label, step in steps:
        print(label)
        texts = {size: _text(size, one_line=False) for size in sizes}
        results[label] = [_timed(label, partial(step, texts[size]), size, args.repeat) for size in sizes]
    print("lint, 1,000 similar lines")
    similar = "\n".join(f"At least {500 + i % 3} employees, option {i}" for i in range(1000))
    start = time.perf_counter()
    findings = lint_segment(similar)
    print(f"  {len(findings)} findings in {time.perf_counter() - start:.3f} s")
    print()
    for label, times in results.items():
        growth = times[-1] / times[-2] if times[-2] > 0 else float("nan")
        verdict = "OK" if times[-1] < TARGET_SECONDS else "ABOVE"
        print(
            f"{label}: {times[-1]:.3f} s at {args.megabytes:g} MB (target {TARGET_SECONDS:g} s: {verdict}); "
            f"x{growth:.1f} when the text doubles (2 is linear, 4 quadratic)"
        )


def _refuse(text: str) -> None:
    try:
        segments._clean_text(text, "requirements")
    except InputError:
        return
    raise SystemExit("the service accepted text over its limit")


if __name__ == "__main__":
    main()
