"""Throughput of the LLM evaluator against a rate-limited endpoint: how close to the limit, how much faster.

Run: ``.venv/bin/python bench/bench_llm.py [--pairs N] [--latency S] [--rpm R] [--concurrency C]``, or
``--storm-only`` for the fault-storm comparison alone (under a minute).

A local fake OpenAI server (``icp.testing.FakeOpenAI``) answers every request after ``--latency``
seconds and enforces ``--rpm`` requests per minute (429 with Retry-After beyond it, like the real API).
Five measurements:

1. **limited**: ``--pairs`` pairs through ``grade_pairs`` with ``--concurrency`` threads and the evaluator's
   client-side limiter set to the same rpm. Reports achieved requests/minute as a fraction of the limit
   (target >= 0.95), 429s seen, and lost pairs (target 0).
2. **naive**: a plain sequential loop with the same SDK (default SDK retries, no limiter) on a sample of
   pairs, extrapolated to all pairs. The speed-up is naive time / limited time (target >= 10x). With a
   600 rpm limit and 300 ms per call, a sequential loop already runs at 200 rpm, so no client can be more
   than 3x faster; the script says so rather than hide it.
3. **unthrottled**: the same concurrent path with no server limit, showing the speed-up the evaluator
   reaches when the provider's limit is not what binds.
4. **one at a time**: a server that generates one answer at a time (a local llama.cpp with one slot),
   ``--serial-latency`` to ``--serial-latency-max`` seconds per answer (2-20 s in real life, scaled down
   by ten), graded with the default ``ICP_CONCURRENCY=8`` and a timeout of four times the longest answer.
   Reports throughput as a share of that server's capacity (target >= 0.90) and pairs failed by timeout.
5. **fault storm**: ``--storm-pairs`` pairs against a server with a ``--storm-rpm`` limit, once without faults
   and once with 20% of requests failing in the ways providers fail (429 with Retry-After, 503, timeouts,
   truncated and invalid JSON, refusals), same settings otherwise. Reports the rate the server saw as a
   share of its limit for both, sustained (between the 10th and 90th percentile of request times; target
   >= 0.80 under faults) and over the whole run, graded pairs per minute, and lost pairs.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openai import OpenAI

from icp.criteria import CompiledSegment, compile_segment
from icp.domain import CompanyProfile
from icp.evaluators._response import GradeResponse
from icp.evaluators.base import grade_pairs
from icp.evaluators.llm import LLMEvaluator, response_format_for
from icp.settings import Settings
from icp.testing import FakeOpenAI, FaultRates
from icp.testing.synthetic import synthetic_companies, synthetic_segments

TARGET_RPM_FRACTION = 0.95
TARGET_SPEEDUP = 10.0
TARGET_CAPACITY_SHARE = 0.90
TARGET_STORM_FRACTION = 0.80
# 20% of requests fail, in every way a provider fails. "slow" answers take longer than the client waits.
STORM = FaultRates(
    rate_limit=0.04,
    retry_after_s=1.0,
    server_error=0.04,
    slow=0.04,
    slow_s=3.0,
    truncated_json=0.03,
    invalid_schema=0.03,
    refusal=0.02,
)
STORM_TIMEOUT_S = 1.5


def build_pairs(n: int, seed: int) -> list[tuple[str, CompanyProfile, CompiledSegment]]:
    """``n`` (key, company, segment) pairs: synthetic companies x five synthetic segments."""
    segments = [compile_segment(s["name"], s["requirements"], s["nice_to_haves"]) for s in synthetic_segments(5, seed)]
    companies = [CompanyProfile.model_validate(c) for c in synthetic_companies((n + len(segments) - 1) // 5, seed)]
    pairs = [(f"{c.domain}|{s.name}", c, s) for c in companies for s in segments]
    return pairs[:n]


def run_concurrent(
    pairs: list[tuple[str, CompanyProfile, CompiledSegment]],
    *,
    latency: float,
    server_rpm: int | None,
    client_rpm: int,
    concurrency: int,
    seed: int,
    faults: FaultRates | None = None,
    timeout_s: float = 30.0,
) -> dict[str, float]:
    """Grade ``pairs`` concurrently through the evaluator; return timing and accounting."""
    with FakeOpenAI(latency_s=latency, rpm_limit=server_rpm, seed=seed, faults=faults) as fake:
        settings = Settings(
            openai_base_url=fake.base_url,
            openai_api_key="bench",
            requests_per_minute=client_rpm,
            tokens_per_minute=100_000_000,
            request_timeout_s=timeout_s,
            concurrency=concurrency,
            max_retries=6,
        )
        with OpenAI(base_url=fake.base_url, api_key="bench", max_retries=0) as client:
            evaluator = LLMEvaluator(client, settings)
            started = time.perf_counter()
            ok = failed = refused = 0
            for done, (_, grade) in enumerate(grade_pairs(evaluator, pairs, concurrency=concurrency), start=1):
                if grade.status == "ok":
                    ok += 1
                else:
                    failed += 1
                    refused += "refused" in (grade.error or "")
                if done % 200 == 0:
                    print(f"  {done}/{len(pairs)} graded after {time.perf_counter() - started:.1f}s", flush=True)
            elapsed = time.perf_counter() - started
        requests = fake.chat_requests
    statuses = [r.status for r in requests]
    first = min(r.received_at for r in requests)
    last = max(r.received_at for r in requests)
    span = max(last - first, 1e-9)
    return {
        "pairs": len(pairs),
        "ok": ok,
        "failed": failed,
        "lost": len(pairs) - ok - refused,
        "refused": refused,
        "elapsed_s": elapsed,
        "requests": len(requests),
        "rate_limited": statuses.count(429),
        "faults": sum(1 for r in requests if r.kind not in ("", "ok", "completion")),
        # Requests that started per minute between the first and the last one: the rate the server saw.
        "achieved_rpm": (len(requests) - 1) / span * 60 if len(requests) > 1 else 0.0,
        "pairs_per_minute": ok / elapsed * 60,
        "sustained_rpm": _sustained_rpm(sorted(r.received_at for r in requests)),
    }


def _sustained_rpm(times: list[float]) -> float:
    """Requests per minute between the 10th and the 90th percentile of arrival times: the rate held once
    the client has found its concurrency, without the start (growing from 2 in flight) and the tail (the
    last pairs' retries waiting out their Retry-After with nothing else left to send)."""
    if len(times) < 10:
        return 0.0
    low, high = len(times) // 10, len(times) * 9 // 10
    return (high - low) / max(times[high] - times[low], 1e-9) * 60


def run_serial(
    pairs: list[tuple[str, CompanyProfile, CompiledSegment]],
    *,
    low: float,
    high: float,
    concurrency: int,
    seed: int,
    adaptive: bool = True,
) -> dict[str, float]:
    """Grade ``pairs`` against a one-at-a-time server; throughput as a share of what the server can do."""
    with FakeOpenAI(serial=True, latency_s=low, latency_jitter_s=high - low, seed=seed) as fake:
        settings = Settings(
            openai_base_url=fake.base_url,
            openai_api_key="bench",
            requests_per_minute=1_000_000,
            tokens_per_minute=100_000_000,
            request_timeout_s=4 * high,
            concurrency=concurrency,
            adaptive_concurrency=adaptive,
        )
        with OpenAI(base_url=fake.base_url, api_key="bench", max_retries=0) as client:
            evaluator = LLMEvaluator(client, settings)
            started = time.perf_counter()
            grades = [grade for _, grade in grade_pairs(evaluator, pairs, concurrency=concurrency)]
            elapsed = time.perf_counter() - started
        served = [r for r in fake.chat_requests if r.served_at is not None and r.responded_at is not None]
    ok = sum(1 for g in grades if g.status == "ok")
    timeouts = sum(1 for g in grades if g.status == "failed" and "did not answer within" in (g.error or ""))
    # The server's capacity: one answer per mean service time (measured in the server, abandoned ones included).
    mean_service = sum(cast(float, r.responded_at) - cast(float, r.served_at) for r in served) / max(1, len(served))
    return {
        "ok": ok,
        "timeouts": timeouts,
        "requests": len(served),
        "elapsed_s": elapsed,
        "share": ok * mean_service / elapsed if elapsed else 0.0,
        "limit": evaluator.adaptive.limit,
    }


def run_naive(
    pairs: list[tuple[str, CompanyProfile, CompiledSegment]], *, latency: float, server_rpm: int, seed: int
) -> float:
    """Seconds per pair for a plain sequential loop with the SDK (its default retries, no limiter)."""
    with FakeOpenAI(latency_s=latency, rpm_limit=server_rpm, seed=seed) as fake:
        settings = Settings(openai_base_url=fake.base_url, openai_api_key="bench")
        with OpenAI(base_url=fake.base_url, api_key="bench") as client:
            renderer = LLMEvaluator(client, settings)  # only to build the same messages
            started = time.perf_counter()
            for _, company, segment in pairs:
                completion = client.chat.completions.create(
                    model=settings.model,
                    messages=cast(Any, renderer.render_messages(company, segment)),
                    response_format=cast(Any, response_format_for(segment, "json_schema")),
                    temperature=0,
                )
                GradeResponse.model_validate(json.loads(completion.choices[0].message.content or "{}"))
            return (time.perf_counter() - started) / len(pairs)


def run_storm(args: argparse.Namespace) -> None:
    """Measurement 5: the same run without faults and with 20% of requests failing."""
    pairs = build_pairs(args.storm_pairs, args.seed)
    print(
        f"\n[5] fault storm: {len(pairs)} pairs, {args.storm_rpm} rpm limit, concurrency {args.storm_concurrency}, "
        f"{args.latency * 1000:.0f} ms latency; faults: "
        f"{STORM.rate_limit:.0%} 429 (Retry-After {STORM.retry_after_s:g} s), {STORM.server_error:.0%} 503, "
        f"{STORM.slow:.0%} timeouts ({STORM.slow_s:g} s answers, {STORM_TIMEOUT_S:g} s timeout), "
        f"{STORM.truncated_json:.0%} truncated JSON, {STORM.invalid_schema:.0%} invalid JSON, "
        f"{STORM.refusal:.0%} refusals"
    )
    figures: dict[str, dict[str, float]] = {}
    for label, faults in (("fault-free", None), ("20% faults", STORM)):
        run = run_concurrent(
            pairs,
            latency=args.latency,
            server_rpm=args.storm_rpm,
            client_rpm=args.storm_rpm,
            concurrency=args.storm_concurrency,
            seed=args.seed,
            faults=faults,
            timeout_s=STORM_TIMEOUT_S,
        )
        figures[label] = run
        share = run["achieved_rpm"] / args.storm_rpm
        print(
            f"  {label:<10}: sustained {run['sustained_rpm']:.0f} requests/minute = "
            f"{run['sustained_rpm'] / args.storm_rpm:.3f} of the limit; whole run {run['achieved_rpm']:.0f} = "
            f"{share:.3f}; "
            f"{run['pairs_per_minute']:.0f} pairs/minute, {int(run['requests'])} requests "
            f"({int(run['faults'])} faulted, {int(run['rate_limited'])} x 429), {run['elapsed_s']:.1f}s, "
            f"{int(run['refused'])} refused by the model (failed grades, retried by the next cycle), "
            f"lost {int(run['lost'])}"
        )
    storm, clean = figures["20% faults"], figures["fault-free"]
    share = storm["sustained_rpm"] / args.storm_rpm
    verdict = "PASS" if share >= TARGET_STORM_FRACTION and storm["lost"] == 0 else "MISS"
    print(
        f"  under faults: sustained {share:.3f} of the server's limit (target >= {TARGET_STORM_FRACTION}) "
        f"{verdict}, {storm['sustained_rpm'] / clean['sustained_rpm']:.2f}x the fault-free rate; "
        f"{storm['pairs_per_minute'] / clean['pairs_per_minute']:.2f}x the fault-free pairs/minute"
    )


def main() -> None:
    """Run the three measurements and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pairs", type=int, default=2000, help="pairs for the rate-limited run (default 2000)")
    parser.add_argument("--latency", type=float, default=0.3, help="server latency per request in seconds")
    parser.add_argument("--rpm", type=int, default=600, help="server requests-per-minute limit")
    parser.add_argument("--concurrency", type=int, default=16, help="threads grading at once")
    parser.add_argument("--naive-sample", type=int, default=30, help="pairs timed in the sequential loop")
    parser.add_argument("--unthrottled-pairs", type=int, default=500, help="pairs for the run without a limit")
    parser.add_argument("--serial-pairs", type=int, default=60, help="pairs for the one-at-a-time server")
    parser.add_argument("--serial-latency", type=float, default=0.2, help="its shortest answer in seconds")
    parser.add_argument("--serial-latency-max", type=float, default=2.0, help="its longest answer in seconds")
    parser.add_argument("--storm-pairs", type=int, default=600, help="pairs for the fault-storm comparison")
    parser.add_argument("--storm-rpm", type=int, default=2400, help="server limit for the fault-storm comparison")
    parser.add_argument("--storm-concurrency", type=int, default=32, help="ICP_CONCURRENCY for the fault storm")
    parser.add_argument("--storm-only", action="store_true", help="run only the fault-storm comparison (~40 s)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.storm_only:
        run_storm(args)
        return

    pairs = build_pairs(args.pairs, args.seed)
    print(f"LLM evaluator benchmark: {len(pairs)} pairs, {args.latency * 1000:.0f} ms latency, {args.rpm} rpm limit")

    print(f"\n[1] rate-limited run, concurrency {args.concurrency}, client limiter at {args.rpm} rpm")
    limited = run_concurrent(
        pairs,
        latency=args.latency,
        server_rpm=args.rpm,
        client_rpm=args.rpm,
        concurrency=args.concurrency,
        seed=args.seed,
    )
    fraction = limited["achieved_rpm"] / args.rpm
    print(
        f"  elapsed {limited['elapsed_s']:.1f}s, {int(limited['requests'])} requests, "
        f"{int(limited['rate_limited'])} x 429"
    )
    print(
        f"  achieved {limited['achieved_rpm']:.0f} requests/minute = {fraction:.3f} of the limit "
        f"(target >= {TARGET_RPM_FRACTION}) {'PASS' if fraction >= TARGET_RPM_FRACTION else 'MISS'}"
    )
    print(f"  lost pairs: {int(limited['lost'])} (target 0) {'PASS' if limited['lost'] == 0 else 'MISS'}")

    sample = pairs[: max(1, min(args.naive_sample, len(pairs)))]
    print(f"\n[2] naive sequential loop with the same SDK on {len(sample)} pairs")
    per_pair = run_naive(sample, latency=args.latency, server_rpm=args.rpm, seed=args.seed)
    naive_total = per_pair * len(pairs)
    speedup = naive_total / limited["elapsed_s"]
    naive_rpm = 60 / per_pair
    ceiling = args.rpm / naive_rpm
    print(
        f"  {per_pair * 1000:.0f} ms per pair ({naive_rpm:.0f} rpm); "
        f"extrapolated to {len(pairs)} pairs: {naive_total:.0f}s"
    )
    print(f"  speed-up over the naive loop: {speedup:.2f}x (target >= {TARGET_SPEEDUP:g}x)")
    if ceiling < TARGET_SPEEDUP:
        print(
            f"  note: the {TARGET_SPEEDUP:g}x target is unreachable here: the server allows {args.rpm} rpm and the "
            f"naive loop already makes {naive_rpm:.0f} rpm, so no client can beat it by more than {ceiling:.2f}x. "
            f"Achieved {speedup / ceiling:.0%} of that ceiling."
        )
    else:
        print(f"  {'PASS' if speedup >= TARGET_SPEEDUP else 'MISS'}")

    if args.unthrottled_pairs > 0:
        free_pairs = pairs[: args.unthrottled_pairs]
        free_concurrency = max(args.concurrency, 32)
        print(f"\n[3] no rate limit: {len(free_pairs)} pairs, concurrency {free_concurrency}")
        free = run_concurrent(
            free_pairs,
            latency=args.latency,
            server_rpm=None,
            client_rpm=1_000_000,
            concurrency=free_concurrency,
            seed=args.seed,
        )
        free_speedup = per_pair * len(free_pairs) / free["elapsed_s"]
        print(
            f"  elapsed {free['elapsed_s']:.1f}s ({free['pairs_per_minute']:.0f} pairs/minute), "
            f"lost {int(free['lost'])}; "
            f"speed-up over the naive loop: {free_speedup:.1f}x "
            f"{'PASS' if free_speedup >= TARGET_SPEEDUP else 'MISS'} (target >= {TARGET_SPEEDUP:g}x)"
        )
    if args.serial_pairs > 0:
        serial_pairs = pairs[: args.serial_pairs]
        print(
            f"\n[4] one-at-a-time server: {len(serial_pairs)} pairs, {args.serial_latency:g}-"
            f"{args.serial_latency_max:g} s per answer, ICP_CONCURRENCY=8 (adaptive)"
        )
        serial = run_serial(
            serial_pairs, low=args.serial_latency, high=args.serial_latency_max, concurrency=8, seed=args.seed
        )
        print(
            f"  elapsed {serial['elapsed_s']:.1f}s, {int(serial['requests'])} requests for {int(serial['ok'])} "
            f"graded pairs, {int(serial['timeouts'])} failed by timeout, final limit {int(serial['limit'])}"
        )
        print(
            f"  throughput {serial['share']:.3f} of the server's capacity (target >= {TARGET_CAPACITY_SHARE}) "
            f"{'PASS' if serial['share'] >= TARGET_CAPACITY_SHARE and serial['timeouts'] == 0 else 'MISS'}"
        )
        fixed = run_serial(
            serial_pairs,
            low=args.serial_latency,
            high=args.serial_latency_max,
            concurrency=8,
            seed=args.seed,
            adaptive=False,
        )
        print(
            f"  baseline, 8 requests always in flight: {fixed['share']:.3f} of capacity, "
            f"{int(fixed['requests'])} requests, {int(fixed['timeouts'])} pairs failed by timeout"
        )
    if args.storm_pairs > 0:
        run_storm(args)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: peak RSS {peak_mib:,.0f} MiB (client and server in one process)")


if __name__ == "__main__":
    main()
