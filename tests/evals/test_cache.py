"""The response cache: a second identical LLM run makes no requests; recordings replay through the fake server."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from icp.evals import ResponseCache, load_suite, make_eval_evaluator, read_entries, run_suite
from icp.evals.runner import replay_server
from icp.settings import Settings
from icp.testing.fake_openai import ChatRequest, FakeOpenAI, grade_answer

CASES = """\
defaults: {labelled_by: tester}
cases:
  - id: fit
    segment: {name: S, requirements: ["200-2,000 employees", "Headquartered in Germany"]}
    company: {name: Acme, domain: acme.de, employees: 450, country: "DE"}
    expected: {verdicts: {R1: met, R2: met}}
    rationale: fits
  - id: small
    segment: {name: S, requirements: ["200-2,000 employees", "Headquartered in Germany"]}
    company: {name: Tiny, domain: tiny.de, employees: 12, country: "DE"}
    expected: {verdicts: {R1: not_met, R2: met}}
    rationale: too small
"""


def _respond(request: ChatRequest) -> dict[str, object]:
    company = request.company
    employees = company.get("employees", 0)
    return grade_answer(
        {
            "R1": ("met" if 200 <= employees <= 2000 else "not_met", f"employees: {employees}"),
            "R2": ("met", "country: DE"),
        },
        ids=list(request.criteria),
    )


def _settings(base_url: str) -> Settings:
    return Settings(
        openai_base_url=base_url, openai_api_key=SecretStr("test"), requests_per_minute=100_000, max_retries=0
    )


def _suite(tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "datasets" / "mini"
    folder.mkdir(parents=True)
    (folder / "cases.yaml").write_text(CASES, encoding="utf-8")
    return load_suite("mini", tmp_path)


def test_second_identical_run_makes_no_requests(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    cache_file = tmp_path / "cache.jsonl"
    with FakeOpenAI(responder=_respond) as fake:
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache(cache_file))
        first = run_suite(suite, evaluator, repeat=2, concurrency=2, transport=transport)
        assert transport is not None
        transport.close()
        assert len(fake.chat_requests) == 4  # 2 cases x 2 repeats: repeats are separate cache slots
        assert first.manifest.requests == 4 and first.manifest.cache_hits == 0
        assert first.metrics.accuracy.rate == 1.0
        assert first.metrics.stability.agreement_rate == 1.0

        # A fresh evaluator and cache object over the same file: everything is served from the cache.
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache(cache_file))
        second = run_suite(suite, evaluator, repeat=2, concurrency=2, transport=transport)
        assert transport is not None
        transport.close()
        assert len(fake.chat_requests) == 4
        assert second.manifest.requests == 0 and second.manifest.cache_hits == 4
        assert second.metrics.accuracy == first.metrics.accuracy
        assert second.metrics.cost_usd.total == first.metrics.cost_usd.total

        # A different prompt version is a different key: it must ask again.
        other = _settings(fake.base_url).model_copy(update={"prompt": "grade_company@v2"})
        evaluator, transport = make_eval_evaluator("llm", other, cache=ResponseCache(cache_file))
        run_suite(suite, evaluator, transport=transport)
        assert transport is not None
        transport.close()
        assert len(fake.chat_requests) == 6
    assert len(read_entries(cache_file)) == 6


def test_recording_replays_through_the_fake_server(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    recording = tmp_path / "recording.jsonl"
    with FakeOpenAI(responder=_respond) as fake:
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache(recording))
        recorded = run_suite(suite, evaluator, transport=transport)
        assert transport is not None
        transport.close()
    with replay_server(recording) as base_url:
        evaluator, transport = make_eval_evaluator("llm", _settings(base_url), cache=ResponseCache())
        replayed = run_suite(suite, evaluator, transport=transport)
        assert transport is not None
        transport.close()
    assert replayed.manifest.requests == 2
    assert [r.criteria for r in replayed.results] == [r.criteria for r in recorded.results]


def test_refusals_and_truncation_are_model_failures_and_server_errors_unmeasured(tmp_path: Path) -> None:
    from icp.testing.fake_openai import Reply

    suite = _suite(tmp_path)
    with FakeOpenAI(responder=_respond) as fake:
        fake.enqueue(Reply.refused(), Reply.truncated(), Reply.truncated())  # a cut-off answer is asked once more
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache())
        run = run_suite(suite, evaluator, transport=transport)
        assert transport is not None
        transport.close()
    assert run.metrics.unmeasured == 0
    assert run.metrics.model_failures_by_reason == {"refusal": 1, "truncation": 1}
    assert run.metrics.accuracy.total == 0
    assert (run.metrics.end_to_end_accuracy.hits, run.metrics.end_to_end_accuracy.total) == (0, 4)

    with FakeOpenAI(responder=_respond) as fake:
        fake.enqueue(Reply.server_error(503))
        evaluator, transport = make_eval_evaluator("llm", _settings(fake.base_url), cache=ResponseCache())
        run = run_suite(suite, evaluator, concurrency=1, transport=transport)
        assert transport is not None
        transport.close()
    assert (run.metrics.unmeasured, run.metrics.model_failures, run.metrics.measured) == (1, 0, 1)
    assert run.metrics.end_to_end_accuracy == run.metrics.accuracy  # the endpoint's failure is not the model's
