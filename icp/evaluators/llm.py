"""The LLM evaluator: grades a company against a segment's criteria over the OpenAI chat completions API.

Works with OpenAI and with any OpenAI-compatible server (Ollama, vLLM, llama-cpp-python) through
``settings.openai_base_url``. One owner per kind of failure:

- **Transport failures** (connection errors, timeouts, 408/409/429/5xx) are retried here by tenacity,
  honouring ``Retry-After``; the SDK's own retries are switched off (``with_options(max_retries=0)``) so
  every 429 reaches the rate limiter and no attempt is hidden. ``insufficient_quota`` and
  400/401/403/404 are not retried: retrying cannot fix them.
- **Unusable output** (invalid JSON, wrong shape, missing or unknown criterion ids) is re-asked up to
  ``settings.max_output_retries`` times, with the validation message written to the model.
- **Refusals, truncation (finish_reason=length) and content filtering** end the pair as a recorded
  failure (``Grade.status == "failed"`` with a readable ``error``), never an exception.

Grounding: evidence for ``met``/``not_met`` must occur in the company's data, otherwise the verdict is
demoted to ``unknown`` and the demotion is written to the criterion's ``note``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import openai
from openai import OpenAI

from icp.criteria import CompiledSegment, Criterion
from icp.domain import CompanyProfile, CriterionResult, EvaluatorIdentity, Grade, Usage, Verdict
from icp.errors import ConfigError, LLMOutputError, ProviderError
from icp.evaluators._breaker import CircuitBreaker
from icp.evaluators._grounding import rests_on_description, ungrounded_reason
from icp.evaluators._ratelimit import RateLimiter
from icp.evaluators._response import (
    CriterionAnswer,
    GradeResponse,
    OutputProblem,
    parse_grade_response,
    response_format_for,
)
from icp.evaluators._retry import RetryPolicy, describe_api_error, is_quota_error, retry_after_seconds
from icp.evaluators.offline import decide_by_check
from icp.prompts import PromptTemplate, load_prompt
from icp.screening import screen_company
from icp.settings import Settings

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

    from icp.llm_check import EndpointDiagnosis

logger = logging.getLogger(__name__)

__all__ = [
    "CriterionAnswer",
    "GradeResponse",
    "LLMEvaluator",
    "OutputProblem",
    "RateLimiter",
    "RetryPolicy",
    "cost_usd",
    "describe_api_error",
    "make_openai_client",
    "parse_grade_response",
    "response_format_for",
]

_COMPANY_TAG = re.compile(r"<(/?)(company_data)", re.IGNORECASE)


# -- client construction ----------------------------------------------------------------------------


def make_openai_client(settings: Settings) -> OpenAI:
    """Build the OpenAI client from settings (base URL, key, timeout); the evaluator owns the retries.

    Raises:
        ConfigError: no API key is configured.
    """
    if settings.openai_api_key is None or not settings.openai_api_key.get_secret_value().strip():
        raise ConfigError(
            "No API key configured for the LLM evaluator: set ICP_OPENAI_API_KEY (in the environment or .env). "
            "For a local server without auth (Ollama, llama-cpp-python, vLLM) any value works, "
            "e.g. ICP_OPENAI_API_KEY=local, with ICP_OPENAI_BASE_URL=http://localhost:11434/v1. "
            "Or use the offline evaluator: --evaluator offline."
        )
    return OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.request_timeout_s,
        max_retries=0,
    )


# -- the evaluator ----------------------------------------------------------------------------------


@dataclass
class _Attempts:
    """Accounting for one grade: every HTTP attempt, tokens and cost."""

    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    request_ids: list[str] = field(default_factory=list)

    def usage(self, started: float) -> Usage:
        return Usage(
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            tokens_cached=self.tokens_cached,
            cost_usd=round(self.cost_usd, 10),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            attempts=self.attempts,
        )


class LLMEvaluator:
    """Grades companies with a chat model; safe to call from many threads at once.

    Args:
        client: an ``openai.OpenAI`` client (its own retries are switched off; this class owns them).
        settings: model, mode, limits, retries and prices.
        prompt: the prompt template; default ``load_prompt(settings.prompt, settings.prompts_dir)``.
        retry_policy: transport retry policy; default from settings.
        limiter: a shared :class:`RateLimiter`; default one built from the settings' rpm/tpm.
        sleep: how retries wait (tests may pass a recorder).
    """

    def __init__(
        self,
        client: OpenAI,
        settings: Settings,
        prompt: PromptTemplate | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client.with_options(max_retries=0)
        self.settings = settings
        self.prompt = prompt or load_prompt(settings.prompt, settings.prompts_dir)
        self.retry_policy = retry_policy or RetryPolicy.from_settings(settings)
        self.limiter = limiter or RateLimiter(settings.requests_per_minute, settings.tokens_per_minute)
        self._sleep = sleep
        self.breaker = CircuitBreaker(settings.circuit_breaker_failures, self._diagnose)
        self._identity = EvaluatorIdentity(
            evaluator="llm", model=settings.model, prompt_id=self.prompt.ref, prompt_hash=self.prompt.hash
        )

    @property
    def identity(self) -> EvaluatorIdentity:
        """evaluator="llm", the model, the prompt id and the prompt's content hash."""
        return self._identity

    def _diagnose(self, exc: openai.APIError) -> EndpointDiagnosis:
        from icp.llm_check import diagnose_error

        return diagnose_error(exc, self._client, self.settings)

    # -- public API --

    def estimate_usage(self, company: CompanyProfile, segment: CompiledSegment) -> tuple[int, int, float]:
        """``(tokens_in, tokens_out, cost_usd)`` expected for one pair, before any call.

        Input tokens from the rendered prompt's length (about four characters a token); output
        tokens from the number of criteria (about 60 each, plus the summary). Used by dry runs and
        budgets until this model has real history.
        """
        if not segment.criteria:
            return 0, 0, 0.0
        chars = sum(len(m["content"]) for m in self.render_messages(company, segment))
        tokens_in = chars // 4 + 16
        tokens_out = 60 * len(segment.criteria) + 40
        return tokens_in, tokens_out, cost_usd(self.settings, self.settings.model, tokens_in, tokens_out)

    def render_messages(self, company: CompanyProfile, segment: CompiledSegment) -> list[dict[str, str]]:
        """The chat messages for one pair: instructions and criteria first (cacheable), the company last."""
        criteria = "\n".join(
            f"{c.id}. ({'requirement' if c.kind.value == 'requirement' else 'nice-to-have'}) {c.text}"
            for c in segment.criteria
        )
        screened = screen_company(company).profile  # sentences addressed to the grader never reach the model
        company_json = _COMPANY_TAG.sub(lambda m: "\\u003c" + m.group(1) + m.group(2), screened.to_prompt_json())
        rendered = self.prompt.render(
            segment_name=segment.name,
            criteria=criteria,
            criterion_ids=", ".join(c.id for c in segment.criteria),
            company_json=company_json,
        )
        return [message.to_openai() for message in rendered]

    def request_body(self, company: CompanyProfile, segment: CompiledSegment) -> dict[str, Any]:
        """The chat-completions request for one pair, as sent live and as written into a batch file."""
        return {
            "model": self.settings.model,
            "messages": self.render_messages(company, segment),
            "temperature": self.prompt.temperature,
            "response_format": response_format_for(segment, self.settings.llm_mode),
        }

    def grade(self, company: CompanyProfile, segment: CompiledSegment) -> Grade:
        """Grade ``company`` against every criterion of ``segment``; failures come back as failed grades."""
        started = time.perf_counter()
        account = _Attempts()
        if not segment.criteria:
            return Grade(summary="The segment has no criteria.", identity=self.identity, usage=account.usage(started))
        body = self.request_body(company, segment)
        base_messages: list[dict[str, str]] = body["messages"]
        messages = list(base_messages)
        problem: OutputProblem | None = None
        content = ""
        output_attempts = self.settings.max_output_retries + 1
        for output_attempt in range(1, output_attempts + 1):
            try:
                completion = self._complete(messages, body["response_format"], account)
            except ProviderError as exc:
                return self._failed(str(exc), account, started)
            outcome = self._judge(completion, company, segment)
            if isinstance(outcome, str):
                return self._failed(outcome, account, started)
            if isinstance(outcome, GradeResponse):
                return self._graded(outcome, company, segment, account.usage(started))
            problem, content = outcome, outcome.content
            logger.info(
                "Unusable answer for %s (attempt %d of %d): %s",
                company.domain,
                output_attempt,
                output_attempts,
                outcome.message,
            )
            messages = [
                *base_messages,
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": f"Your answer could not be used: {outcome.message}. "
                    "Answer again with the corrected JSON object only.",
                },
            ]
        error = LLMOutputError(
            f"The model's answer was unusable after {output_attempts} attempt(s): "
            f"{problem.message if problem else 'no answer'}.",
            reason="invalid_output",
            attempts=output_attempts,
            prompt_id=self.prompt.ref,
            last_completion=content,
        )
        return self._failed(str(error), account, started)

    def grade_from_completion(
        self,
        completion: ChatCompletion,
        company: CompanyProfile,
        segment: CompiledSegment,
        *,
        price_factor: float = 1.0,
    ) -> Grade:
        """The grade one finished completion gives (a batch answer): no re-ask is possible, so an unusable
        answer is a failed grade that the next cycle retries. ``price_factor`` scales the cost (batch
        requests are billed at half price)."""
        account = _Attempts()
        account.attempts = 1
        self._account(completion, account, estimate=None)
        account.cost_usd *= price_factor
        started = time.perf_counter()
        outcome = self._judge(completion, company, segment)
        if isinstance(outcome, GradeResponse):
            return self._graded(outcome, company, segment, account.usage(started))
        error = outcome if isinstance(outcome, str) else f"The model's answer was unusable: {outcome.message}."
        return self._failed(error, account, started)

    # -- internals --

    def _judge(
        self, completion: ChatCompletion, company: CompanyProfile, segment: CompiledSegment
    ) -> GradeResponse | OutputProblem | str:
        """A usable answer, a problem worth re-asking about, or why the pair failed (refusal, cut-off, filter)."""
        choice = completion.choices[0] if completion.choices else None
        if choice is None:
            return OutputProblem("the answer had no choices; return the JSON object")
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            return f"The model refused to grade this company: {refusal.strip()[:300]}"
        if choice.finish_reason == "length":
            return (
                "The model's answer was cut off at its token limit (finish_reason=length), so it could not be "
                "used. Shorten the segment's criteria or use a model with a larger output limit."
            )
        if choice.finish_reason == "content_filter":
            return (
                "The provider's content filter blocked the answer (finish_reason=content_filter). "
                "Check the company's description for content the provider rejects."
            )
        content = choice.message.content or ""
        try:
            return parse_grade_response(content, [c.id for c in segment.criteria])
        except OutputProblem as exc:
            exc.content = content
            return exc

    def _graded(self, answer: GradeResponse, company: CompanyProfile, segment: CompiledSegment, usage: Usage) -> Grade:
        return Grade(
            results=self._results(answer, company, segment),
            summary=answer.summary.strip(),
            identity=self.identity,
            usage=usage,
        )

    def _failed(self, error: str, account: _Attempts, started: float) -> Grade:
        logger.warning(
            "LLM grade failed after %d attempt(s) (request ids %s): %s", account.attempts, account.request_ids, error
        )
        return Grade(status="failed", error=error, identity=self.identity, usage=account.usage(started))

    def _results(
        self, answer: GradeResponse, company: CompanyProfile, segment: CompiledSegment
    ) -> tuple[CriterionResult, ...]:
        screened = screen_company(company).profile
        by_id = {a.id: a for a in answer.criteria}
        return tuple(ground_answer(criterion, by_id[criterion.id], screened) for criterion in segment.criteria)

    def _estimate_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        prompt = sum(len(m.get("content") or "") for m in messages) // 4 + 4 * len(messages)
        return prompt + 400  # room for the answer

    def _complete(
        self, messages: list[dict[str, str]], response_format: dict[str, Any], account: _Attempts
    ) -> ChatCompletion:
        """One logical request: rate-limited, retried per the policy, every attempt accounted."""
        estimate = self._estimate_tokens(messages)

        def attempt() -> ChatCompletion:
            self.breaker.check()
            self.limiter.acquire(estimate)
            account.attempts += 1
            try:
                completion = self._client.chat.completions.create(
                    model=self.settings.model,
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    temperature=self.prompt.temperature,
                    response_format=cast(Any, response_format),
                    timeout=self.settings.request_timeout_s,
                )
            except openai.APIStatusError as exc:
                self.limiter.reconcile(estimate, 0)
                self.breaker.failed(exc)
                if exc.request_id:
                    account.request_ids.append(exc.request_id)
                if exc.status_code == 429 and not is_quota_error(exc):
                    self.limiter.on_rate_limited(retry_after_seconds(exc))
                raise
            except openai.APIError:
                self.limiter.reconcile(estimate, 0)
                raise
            self.limiter.on_success()
            self.breaker.succeeded()
            self._account(completion, account, estimate)
            return completion

        try:
            return self.retry_policy.retrying(self._sleep)(attempt)
        except openai.APIError as exc:
            raise ProviderError(
                describe_api_error(exc, self.settings, attempts=account.attempts),
                status_code=getattr(exc, "status_code", None),
                request_id=getattr(exc, "request_id", None),
            ) from exc

    def _account(self, completion: ChatCompletion, account: _Attempts, estimate: int | None) -> None:
        usage = completion.usage
        request_id = getattr(completion, "_request_id", None)
        if request_id:
            account.request_ids.append(request_id)
        if usage is None:
            return
        cached = 0
        if usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens:
            cached = usage.prompt_tokens_details.cached_tokens
        account.tokens_in += usage.prompt_tokens
        account.tokens_out += usage.completion_tokens
        account.tokens_cached += cached
        account.cost_usd += cost_usd(
            self.settings, self.settings.model, usage.prompt_tokens, usage.completion_tokens, cached
        )
        if estimate is not None:  # a live request holds a reservation on the rate limiter
            self.limiter.reconcile(estimate, usage.prompt_tokens + usage.completion_tokens)


# A claim the company makes about itself in its description is worth less than a field: it is self-reported.
DESCRIPTION_CONFIDENCE = 0.7


def ground_answer(criterion: Criterion, given: CriterionAnswer, company: CompanyProfile) -> CriterionResult:
    """The model's answer on one criterion, as far as the company's (screened) data supports it.

    1. Evidence must be in the data and carry substance (see :mod:`icp.evaluators._grounding`); otherwise
       the verdict is demoted to unknown, with the reason.
    2. A criterion a structured field settles is decided by that field: a verdict resting on description
       text that contradicts the field is replaced, and the note says what the description claimed.
    3. A verdict resting only on the description is self-reported: its confidence is capped.
    """
    verdict = Verdict(given.verdict)
    evidence = given.evidence.strip()
    confidence = given.confidence
    note = ""
    if verdict is Verdict.UNKNOWN:
        evidence = ""
    else:
        reason = ungrounded_reason(evidence, company)
        if reason is not None:
            note = f"demoted from {verdict.value}: {reason}"
            verdict, evidence, confidence = Verdict.UNKNOWN, "", 0.0
    decided = decide_by_check(company, criterion)
    if decided is not None and decided.verdict is not verdict:
        claim = f"the model answered {verdict.value}" + (f" from {evidence[:120]!r}" if evidence else "")
        if evidence and rests_on_description(evidence, company):
            claim = f"the description claims {evidence[:120]!r}"
        return decided.model_copy(update={"note": f"{claim}; {decided.evidence} decides"})
    if verdict is not Verdict.UNKNOWN and rests_on_description(evidence, company):
        confidence = min(confidence, DESCRIPTION_CONFIDENCE)
    return CriterionResult(
        id=criterion.id,
        kind=criterion.kind,
        text=criterion.text,
        verdict=verdict,
        evidence=evidence[:500],
        confidence=confidence,
        source="llm",
        note=note,
    )


def cost_usd(settings: Settings, model: str, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> float:
    """Cost in USD from per-million prices; cached input at its own price; unknown models cost 0."""
    price = settings.price_of(model)
    if price is None:
        return 0.0
    cached = min(tokens_cached, tokens_in)
    cached_price = price.cached_input if price.cached_input is not None else price.input
    return ((tokens_in - cached) * price.input + cached * cached_price + tokens_out * price.output) / 1_000_000
