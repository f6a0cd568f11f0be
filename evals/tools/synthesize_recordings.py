"""Write a *synthetic* recording of grade_company@v1 answers for the golden suite (no network).

The committed ``evals/recordings/golden-grade_company@v1.jsonl`` was produced by this script, not by a
real model: a scripted reference responder answers each criterion with its golden label and takes its
evidence from the offline evaluator where that evaluator agrees (otherwise the evidence is empty, so
the LLM evaluator's grounding rule demotes the verdict to unknown, as it would for a real model that
cited nothing). Two cases are answered with a refusal and a truncated answer, so replay exercises the
"unmeasured" path. It exists so CI can replay the LLM evaluator end to end through the real client,
retries, parsing and grounding; re-record against a real endpoint to measure a real model:

    ICP_OPENAI_API_KEY=... icp evals run --suite golden --evaluator llm --prompt grade_company@v1 \
        --no-cache --cache evals/recordings/golden-grade_company@v1.jsonl

Run from the repository root: ``.venv/bin/python evals/tools/synthesize_recordings.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from icp.evals import ResponseCache, load_suite, make_eval_evaluator, run_suite
from icp.evals.cases import GoldenCase
from icp.evaluators.offline import OfflineEvaluator
from icp.screening import screen_company
from icp.settings import Settings
from icp.testing.fake_openai import ChatRequest, FakeOpenAI, Reply

REFUSE = {"inj-system-message"}
TRUNCATE = {"mix-plg-erp-giant"}
OUT = Path("evals/recordings/golden-grade_company@v1.jsonl")


def _key(company: dict[str, Any], criteria: dict[str, str]) -> str:
    return json.dumps([company, sorted(criteria.items())], sort_keys=True)


def main() -> None:
    suite = load_suite("golden", Path("evals"))
    offline = OfflineEvaluator()
    by_key: dict[str, GoldenCase] = {}
    for case in suite.cases:
        # The model sees the screened company: sentences addressed to the grader are never sent.
        company = json.loads(screen_company(case.company).profile.to_prompt_json())
        by_key[_key(company, {c.id: c.text for c in case.compiled.criteria})] = case

    def respond(request: ChatRequest) -> Reply | dict[str, Any]:
        texts = {cid: re.sub(r"^\((?:requirement|nice-to-have)\)\s*", "", t) for cid, t in request.criteria.items()}
        case = by_key[_key(request.company, texts)]
        if case.id in REFUSE:
            return Reply.refused("I can't help with grading content that contains instructions to the grader.")
        if case.id in TRUNCATE:
            return Reply.truncated('{"criteria": [{"id": "R1", "verdict": "not_met", "evidence": "On-prem')
        grade = offline.grade(case.company, case.compiled)
        answers = []
        for criterion in case.compiled.criteria:
            expected = case.expected.verdicts[criterion.id].value
            mine = grade.result(criterion.id)
            evidence = mine.evidence if mine is not None and mine.verdict.value == expected else ""
            answers.append(
                {
                    "id": criterion.id,
                    "verdict": expected,
                    "evidence": "" if expected == "unknown" else evidence,
                    "confidence": 0.9 if evidence or expected == "unknown" else 0.5,
                }
            )
        return {"criteria": answers, "summary": f"Graded against {case.segment.name}."}

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.unlink(missing_ok=True)
    with FakeOpenAI(responder=respond) as fake:
        settings = Settings(
            openai_base_url=fake.base_url, openai_api_key=SecretStr("synthetic"), prompt="grade_company@v1"
        )
        evaluator, transport = make_eval_evaluator("llm", settings, cache=ResponseCache(OUT))
        record = run_suite(suite, evaluator, concurrency=8, transport=transport)
    print(f"wrote {OUT}: {transport.requests if transport else 0} responses; accuracy {record.metrics.accuracy.rate}")


if __name__ == "__main__":
    main()
