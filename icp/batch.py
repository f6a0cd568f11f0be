"""Grading through the provider's Batch API: half the price, answers within 24 hours.

A cycle grades live. For a large LLM cycle, send the pairs it would grade as one batch instead:

1. :func:`submit_batch` plans like a cycle (the versions of the active segments in force now; stored
   grades reused) and writes one request per pair to a JSONL file — exactly the request a live cycle
   sends — then uploads it and creates the batch. While the batch is open its pairs *wait*: a cycle
   neither grades nor pays for them.
2. :func:`refresh_batches` asks the provider how each open batch is doing.
3. :func:`collect_batches` stores every answer of a finished batch as a grade, validated line by line
   through the same parsing and grounding as a live answer. A refusal, a cut-off or an unusable
   answer is a failed grade (the next cycle retries it live); an answer is priced at the batch rate.
4. The next ``icp cycle run --evaluator llm`` finds those grades by input hash and reuses them:
   nothing is paid twice, and memberships and tasks are written as usual.

Pairs a batch never answered (it expired or was cancelled) are graded by the next cycle.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.companies import profile_of
from icp.criteria import CompiledSegment, compile_segment
from icp.domain import Grade
from icp.errors import ConfigError, ProviderError
from icp.grading import GradeWriter, grade_columns
from icp.lease import hold_lease
from icp.planning import plan_cycle, policy_hash, sampled_usage, with_profiles
from icp.redact import redact
from icp.scoring import DEFAULT_POLICY, ScoringPolicy
from icp.store import rows_by_id
from icp.store.tables import Company, LLMBatch, SegmentVersion, utcnow
from icp.store.tables import Grade as GradeRow

if TYPE_CHECKING:
    from openai import OpenAI

    from icp.evaluators.llm import LLMEvaluator

logger = logging.getLogger(__name__)

BATCH_PRICE_FACTOR = 0.5
"""Batch requests are billed at half the live price (OpenAI's Batch API)."""
FINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


class BatchInfo(BaseModel):
    """One batch as stored: the provider's status and what collecting it stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    provider_batch_id: str
    status: str
    collected: bool
    model: str | None
    prompt_id: str | None
    pairs: int = Field(description="Pairs sent in the batch.")
    requests_completed: int
    requests_failed: int
    grades_ok: int
    grades_failed: int
    unanswered: int
    cost_usd: float
    created_at: Any
    collected_at: Any = None

    @classmethod
    def of(cls, row: LLMBatch) -> BatchInfo:
        """The info for a stored batch row."""
        return cls.model_validate({**row.model_dump(), "pairs": len(row.pairs)})


class BatchPlan(BaseModel):
    """What submitting would send, before anything is sent (``--dry-run``)."""

    model: str
    prompt_id: str | None
    pairs_total: int
    pairs_reused: int
    pairs_waiting: int = Field(description="Already in an open batch.")
    pairs_to_submit: int
    estimated_cost_usd: float = Field(description="At the batch price.")


def _provider_error(exc: Exception, evaluator: LLMEvaluator) -> ProviderError:
    import openai

    from icp.evaluators._retry import describe_api_error

    if isinstance(exc, openai.APIError):
        return ProviderError(describe_api_error(exc, evaluator.settings), status_code=getattr(exc, "status_code", None))
    return ProviderError(redact(str(exc)))


def submit_batch(
    engine: Engine,
    evaluator: LLMEvaluator,
    client: OpenAI,
    *,
    dry_run: bool = False,
    max_pairs: int | None = None,
) -> BatchPlan | BatchInfo:
    """Send every pair a cycle would grade now (at most ``max_pairs``) as one batch.

    Returns the plan when ``dry_run`` or when there is nothing to send; else the stored batch. Sending
    holds the database's cycle lease from planning until the batch is stored, as a cycle does, so no pair
    is sent by two submits at once, or by a submit and a cycle (:class:`~icp.errors.LeaseHeldError`
    names the holder otherwise).
    """
    import openai

    identity = evaluator.identity
    holding = nullcontext() if dry_run else hold_lease(engine)
    with holding, Session(engine, expire_on_commit=False) as session:
        plan = plan_cycle(session, identity)
        # A segment without criteria needs no model call: the next cycle grades it for free.
        pairs = [p for p in plan.to_grade if plan.compiled[p.pinned.version_id].criteria][:max_pairs]
        estimate = 0.0
        if pairs:
            per_pair = sampled_usage(session, plan, pairs, evaluator.estimate_usage, sample=50)[2]
            estimate = per_pair * len(pairs) * BATCH_PRICE_FACTOR
        summary = BatchPlan(
            model=evaluator.settings.model,
            prompt_id=identity.prompt_id,
            pairs_total=plan.total,
            pairs_reused=len(plan.reuse),
            pairs_waiting=plan.waiting,
            pairs_to_submit=len(pairs),
            estimated_cost_usd=round(estimate, 4),
        )
        if dry_run or not pairs:
            return summary
        lines: list[str] = []
        mapping: dict[str, list[Any]] = {}
        for pair, profile in with_profiles(session, pairs):
            body = evaluator.request_body(profile, plan.compiled[pair.pinned.version_id])
            request = {"custom_id": pair.input_hash, "method": "POST", "url": "/v1/chat/completions", "body": body}
            lines.append(json.dumps(request, ensure_ascii=False, separators=(",", ":")))
            mapping[pair.input_hash] = [pair.company_id, pair.pinned.version_id, pair.company_hash]
        try:
            uploaded = client.files.create(file=("icp-batch.jsonl", "\n".join(lines).encode("utf-8")), purpose="batch")
        except openai.NotFoundError as exc:
            raise ProviderError(
                "This endpoint has no Batch API (404 on /v1/files): nothing was sent. "
                "Grade live instead with `icp cycle run --evaluator llm`.",
                status_code=404,
            ) from exc
        except openai.APIError as exc:
            raise _provider_error(exc, evaluator) from exc
        try:
            batch = client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"source": "icp", "pairs": str(len(lines))},
            )
        except openai.APIError as exc:
            raise _provider_error(exc, evaluator) from exc
        row = LLMBatch.model_validate(
            {
                "provider_batch_id": batch.id,
                "status": batch.status,
                "evaluator": identity.evaluator,
                "model": identity.model,
                "prompt_id": identity.prompt_id,
                "prompt_hash": identity.prompt_hash,
                "input_file_id": uploaded.id,
                "pairs": mapping,
                "requests_total": len(lines),
            }
        )
        session.add(row)
        session.commit()
        logger.info("submitted batch %s with %d requests", batch.id, len(lines))
        return BatchInfo.of(row)


def list_batches(session: Session, *, limit: int = 50) -> list[BatchInfo]:
    """Stored batches, newest first."""
    rows = session.exec(select(LLMBatch).order_by(col(LLMBatch.id).desc()).limit(limit))
    return [BatchInfo.of(row) for row in rows]


def refresh_batches(engine: Engine, evaluator: LLMEvaluator, client: OpenAI) -> list[BatchInfo]:
    """Ask the provider for the status of every batch not yet collected; store and return it."""
    import openai

    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(select(LLMBatch).where(col(LLMBatch.collected).is_(False))).all()
        for row in rows:
            try:
                batch = client.batches.retrieve(row.provider_batch_id)
            except openai.APIError as exc:
                raise _provider_error(exc, evaluator) from exc
            row.status = batch.status
            row.output_file_id = batch.output_file_id
            row.error_file_id = batch.error_file_id
            if batch.request_counts is not None:
                row.requests_completed = batch.request_counts.completed
                row.requests_failed = batch.request_counts.failed
            row.updated_at = utcnow()
            session.add(row)
        session.commit()
        return [BatchInfo.of(row) for row in rows]


def cancel_batch(engine: Engine, evaluator: LLMEvaluator, client: OpenAI, batch_id: int) -> BatchInfo:
    """Ask the provider to stop a batch; what it already answered is still collected."""
    import openai

    with Session(engine, expire_on_commit=False) as session:
        row = session.get(LLMBatch, batch_id)
        if row is None:
            raise ConfigError(f"No batch #{batch_id}. See `icp batch status` for the batches.")
        try:
            row.status = client.batches.cancel(row.provider_batch_id).status
        except openai.APIError as exc:
            raise _provider_error(exc, evaluator) from exc
        session.add(row)
        session.commit()
        return BatchInfo.of(row)


def _read_jsonl(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if not file_id:
        return []
    items: list[dict[str, Any]] = []
    for number, line in enumerate(client.files.content(file_id).text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("batch file %s line %d is not JSON; its pair is graded by the next cycle", file_id, number)
            continue
        if isinstance(item, dict) and isinstance(item.get("custom_id"), str):
            items.append(item)
        else:
            logger.warning(
                "batch file %s line %d has no custom_id; its pair is graded by the next cycle", file_id, number
            )
    return items


def _never_ran(item: dict[str, Any]) -> bool:
    """A request the batch expired or was cancelled before running: unanswered, not failed."""
    error = item.get("error")
    return isinstance(error, dict) and error.get("code") in ("batch_expired", "batch_cancelled")


def _failed(evaluator: LLMEvaluator, error: str) -> Grade:
    return Grade.model_validate({"status": "failed", "error": error, "identity": evaluator.identity})


def _grade_line(item: dict[str, Any], evaluator: LLMEvaluator, company: Company, segment: CompiledSegment) -> Grade:
    """One output or error line as a grade, validated like a live answer."""
    from openai.types.chat import ChatCompletion

    response = item.get("response")
    if not isinstance(response, dict):
        error = item.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        return _failed(evaluator, f"The batch could not run this request: {message or 'no reason given'}.")
    body = response.get("body")
    status = response.get("status_code")
    if status != 200:
        detail = body.get("error", {}).get("message") if isinstance(body, dict) else None
        return _failed(evaluator, f"The batch request failed with HTTP {status}: {detail or 'no reason given'}.")
    try:
        completion = ChatCompletion.model_validate(body)
    except ValidationError as exc:
        return _failed(evaluator, f"The batch answer is not a chat completion: {exc.error_count()} problem(s).")
    return evaluator.grade_from_completion(completion, profile_of(company), segment, price_factor=BATCH_PRICE_FACTOR)


def collect_batches(
    engine: Engine, evaluator: LLMEvaluator, client: OpenAI, *, policy: ScoringPolicy = DEFAULT_POLICY
) -> list[BatchInfo]:
    """Store the answers of every finished batch as grades; returns the batches collected now."""
    refresh_batches(engine, evaluator, client)
    phash = policy_hash(policy)
    collected: list[BatchInfo] = []
    with Session(engine, expire_on_commit=False) as session:
        rows = session.exec(
            select(LLMBatch).where(col(LLMBatch.collected).is_(False), col(LLMBatch.status).in_(FINAL_STATUSES))
        ).all()
        for row in rows:
            items = _read_jsonl(client, row.output_file_id) + _read_jsonl(client, row.error_file_id)
            answers = {
                item["custom_id"]: item for item in items if item["custom_id"] in row.pairs and not _never_ran(item)
            }
            companies = rows_by_id(session, Company, (row.pairs[h][0] for h in answers))
            versions = rows_by_id(session, SegmentVersion, (row.pairs[h][1] for h in answers))
            segments = {vid: compile_segment(v.name, v.requirements, v.nice_to_haves) for vid, v in versions.items()}
            stored = dict(
                session.exec(
                    select(GradeRow.input_hash, GradeRow.status).where(col(GradeRow.input_hash).in_(list(answers)))
                ).all()
            )
            writer = GradeWriter(session)
            ok = failed = 0
            cost = 0.0
            for input_hash, item in answers.items():
                company_id, version_id, company_hash = row.pairs[input_hash]
                if stored.get(input_hash) == "ok" or company_id not in companies or version_id not in segments:
                    continue  # graded live meanwhile, or the company was deleted
                grade = _grade_line(item, evaluator, companies[company_id], segments[version_id])
                columns = grade_columns(grade, policy, phash)
                columns.update(
                    input_hash=input_hash,
                    company_id=company_id,
                    segment_version_id=version_id,
                    company_hash=company_hash,
                    attempts=max(1, columns["attempts"]),
                )
                writer.add(columns, replace=input_hash in stored, paid=False)
                ok += grade.status == "ok"
                failed += grade.status != "ok"
                cost += columns["cost_usd"]
            writer.flush()
            row.grades_ok, row.grades_failed = ok, failed
            row.unanswered = len(row.pairs) - len(answers)
            row.cost_usd = round(cost, 6)
            row.collected, row.collected_at, row.updated_at = True, utcnow(), utcnow()
            session.add(row)
            session.commit()
            collected.append(BatchInfo.of(row))
    return collected
