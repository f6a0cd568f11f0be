"""The LLM evaluator: grades a company against a segment's criteria over the OpenAI chat completions API.

Works with OpenAI and with any OpenAI-compatible server (Ollama, vLLM, llama-cpp-python) through
``settings.openai_base_url``. One owner per kind of failure:

- **Transport failures** (connection errors, timeouts, 408/409/429/5xx) are retried here by tenacity,
  honouring ``Retry-After``; the SDK's own retries are switched off (``with_options(max_retries=0)``) so
  every 429 reaches the rate limiter and no attempt is hidden. ``insufficient_quota`` and
  400/401/403/404 are not retried: retrying cannot fix them.
- **Unusable output** (invalid JSON, wrong shape, missing or unknown criterion ids) is re-asked up to
  ``settings.max_output_retries`` times, with the validation message written to the model.
- **Runaway answers**: every request carries ``max_tokens`` sized from the number of criteria; an answer
  cut off there (finish_reason=length) is asked once more for a shorter answer, then is a failed pair.
- **Refusals and content filtering** end the pair as a recorded failure (``Grade.status == "failed"`` with
  a readable ``error``), never an exception.
- **Adaptive concurrency**: requests in flight start at 2, grow while latency is stable and halve on
  timeouts, 5xx and 429 (see ``_adaptive``), never above ``ICP_CONCURRENCY``.
- **Response modes**: ``ICP_LLM_MODE=auto`` falls back from strict ``json_schema`` to the schema inside
  ``json_object`` and then plain ``json_object`` when the server rejects the format (see ``_modes``).

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

from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, CriterionResult, EvaluatorIdentity, Grade, GradeFailure, Usage
from icp.errors import ConfigError, LLMOutputError, ProviderError
from icp.evaluators._adaptive import AdaptiveLimit
from icp.evaluators._breaker import CircuitBreaker
from icp.evaluators._grounding import checked_summary, ground_answer
from icp.evaluators._modes import ModeSelector, append_to_last_user, is_format_rejection, merge_system
from icp.evaluators._ratelimit import RateLimiter
from icp.evaluators._response import (
    CriterionAnswer,
    GradeResponse,
    OutputProblem,
    ResponseMode,
    output_token_cap,
    parse_grade_response,
    response_format_for,
)
from icp.evaluators._retry import (
    RetryPolicy,
    describe_api_error,
    is_quota_error,
    limit_exhausted,
    retry_after_seconds,
)
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
    "ground_answer",
    "make_openai_client",
    "output_token_cap",
    "parse_grade_response",
    "response_format_for",
]

_COMPANY_TAG = re.compile(r"<(/?)(company_data)", re.IGNORECASE)

SHORTER_ANSWER = (
    "Your previous answer was cut off at the length limit. Answer again, shorter: "
    "evidence at most 12 words, summary one sentence."
)


CUT_OFF = "The model's answer was cut off at its token limit (finish_reason=length)"


class _CutOff(OutputProblem):
    """The answer hit ``max_tokens`` (finish_reason=length): worth one re-ask for a shorter answer."""


class _ModeRejected(Exception):
    """The server rejected the response mode; the request is sent again in the next mode."""


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
        self.modes = ModeSelector.from_settings(settings)
        self.adaptive = AdaptiveLimit(
            settings.concurrency, start=2 if settings.adaptive_concurrency else settings.concurrency
        )
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
        messages = [message.to_openai() for message in rendered]
        return merge_system(messages) if self.settings.llm_system_role == "merge" else messages

    def max_tokens(self, segment: CompiledSegment) -> int:
        """The answer's token cap for ``segment`` (``ICP_MAX_OUTPUT_TOKENS`` or sized from its criteria)."""
        return output_token_cap(len(segment.criteria), self.settings.max_output_tokens)

    def request_body(self, company: CompanyProfile, segment: CompiledSegment) -> dict[str, Any]:
        """The chat-completions request for one pair, as sent live and as written into a batch file."""
        return {
            "model": self.settings.model,
            "messages": self.render_messages(company, segment),
            "temperature": self.prompt.temperature,
            "max_tokens": self.max_tokens(segment),
            "response_format": response_format_for(segment, self.modes.current),
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
        output_attempt = 0
        shortened = False
        while output_attempt < output_attempts:
            try:
                completion = self._complete(messages, segment, body["max_tokens"], account)
            except ProviderError as exc:
                if shortened:  # the cut-off answer is the root problem (the model's): say so first
                    return self._failed(
                        f"{CUT_OFF}; asking again for a shorter answer failed: {exc}", account, started, "truncation"
                    )
                return self._failed(str(exc), account, started, "endpoint")
            outcome = self._judge(completion, company, segment)
            if isinstance(outcome, str):
                return self._failed(outcome, account, started, "refusal")
            if isinstance(outcome, GradeResponse):
                return self._graded(outcome, company, segment, account.usage(started))
            if isinstance(outcome, _CutOff):
                if shortened:
                    return self._failed(
                        f"{outcome.message}, also when asked for a shorter answer (max_tokens={body['max_tokens']}). "
                        "Raise ICP_MAX_OUTPUT_TOKENS, shorten the segment's criteria, or use a model that keeps "
                        "to the answer format.",
                        account,
                        started,
                        "truncation",
                    )
                logger.info("Answer for %s cut off at max_tokens; asking for a shorter one", company.domain)
                shortened = True
                base_messages = append_to_last_user(base_messages, SHORTER_ANSWER)
                messages = base_messages
                continue
            output_attempt += 1
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
        return self._failed(str(error), account, started, "unusable_output")

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
        failure: GradeFailure
        if isinstance(outcome, _CutOff):
            error = f"{outcome.message}. Raise ICP_MAX_OUTPUT_TOKENS or shorten the segment's criteria."
            failure = "truncation"
        elif isinstance(outcome, str):
            error, failure = outcome, "refusal"
        else:
            error = f"The model's answer was unusable: {outcome.message}."
            failure = "unusable_output"
        return self._failed(error, account, started, failure)

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
            return _CutOff(CUT_OFF, choice.message.content or "")
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
        results = self._results(answer, company, segment)
        summary, note = checked_summary(answer.summary.strip(), screen_company(company).profile, results)
        return Grade(results=results, summary=summary, note=note, identity=self.identity, usage=usage)

    def _failed(self, error: str, account: _Attempts, started: float, failure: GradeFailure) -> Grade:
        logger.warning(
            "LLM grade failed after %d attempt(s) (request ids %s): %s", account.attempts, account.request_ids, error
        )
        return Grade(
            status="failed", error=error, failure=failure, identity=self.identity, usage=account.usage(started)
        )

    def _results(
        self, answer: GradeResponse, company: CompanyProfile, segment: CompiledSegment
    ) -> tuple[CriterionResult, ...]:
        screened = screen_company(company).profile
        by_id = {a.id: a for a in answer.criteria}
        return tuple(ground_answer(criterion, by_id[criterion.id], screened) for criterion in segment.criteria)

    def _estimate_tokens(self, messages: Sequence[dict[str, str]], max_tokens: int) -> int:
        prompt = sum(len(m.get("content") or "") for m in messages) // 4 + 4 * len(messages)
        return prompt + min(max_tokens, 400)  # room for the answer

    def _complete(
        self, messages: list[dict[str, str]], segment: CompiledSegment, max_tokens: int, account: _Attempts
    ) -> ChatCompletion:
        """One logical request: rate-limited, retried per the policy, every attempt accounted.

        A response mode the server rejects is not retried: the request goes again in the next mode.
        """
        estimate = self._estimate_tokens(messages, max_tokens)

        def attempt(mode: ResponseMode) -> ChatCompletion:
            self.breaker.check()
            # The rate limiter's wait comes before the slot: a slot is held only while a request is out.
            self.limiter.acquire(estimate)
            sent_at = time.monotonic()
            try:
                with self.adaptive.slot():
                    sent_at = time.monotonic()
                    account.attempts += 1
                    completion = self._send(messages, segment, max_tokens, mode)
            except openai.APIStatusError as exc:
                self.limiter.reconcile(estimate, 0)
                if is_format_rejection(exc) and self.modes.fall_back(mode):
                    raise _ModeRejected(mode) from exc
                self.breaker.failed(exc)
                if exc.request_id:
                    account.request_ids.append(exc.request_id)
                if exc.status_code == 429 and not is_quota_error(exc):
                    self.limiter.on_rate_limited(
                        retry_after_seconds(exc), sent_at=sent_at, exhausted=limit_exhausted(exc)
                    )
                raise
            except openai.APIError:
                self.limiter.reconcile(estimate, 0)
                raise
            self.limiter.on_success()
            self.breaker.succeeded()
            self._account(completion, account, estimate)
            return completion

        while True:
            mode = self.modes.current
            try:
                return self.retry_policy.retrying(self._sleep)(attempt, mode)
            except _ModeRejected:
                continue
            except openai.APIError as exc:
                raise ProviderError(
                    describe_api_error(exc, self.settings, attempts=account.attempts),
                    status_code=getattr(exc, "status_code", None),
                    request_id=getattr(exc, "request_id", None),
                ) from exc

    def _send(
        self, messages: list[dict[str, str]], segment: CompiledSegment, max_tokens: int, mode: ResponseMode
    ) -> ChatCompletion:
        """One HTTP request, its outcome fed to the adaptive concurrency limit."""
        started = time.monotonic()
        try:
            completion = self._client.chat.completions.create(
                model=self.settings.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                temperature=self.prompt.temperature,
                max_tokens=max_tokens,
                response_format=cast(Any, response_format_for(segment, mode)),
                timeout=self.settings.request_timeout_s,
            )
        except openai.APITimeoutError:
            # The server may still be working on the abandoned request: pause before sending more.
            self.adaptive.overloaded(pause_s=min(self.settings.request_timeout_s / 2, 30.0), sent_at=started)
            raise
        except openai.APIStatusError as exc:
            rate_limited = exc.status_code == 429 and not is_quota_error(exc) and limit_exhausted(exc)
            if rate_limited or (exc.status_code >= 500 and not is_format_rejection(exc)):
                self.adaptive.overloaded(sent_at=started)
            raise
        self.adaptive.succeeded(time.monotonic() - started)
        return completion

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


def cost_usd(settings: Settings, model: str, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> float:
    """Cost in USD from per-million prices; cached input at its own price; unknown models cost 0."""
    price = settings.price_of(model)
    if price is None:
        return 0.0
    cached = min(tokens_cached, tokens_in)
    cached_price = price.cached_input if price.cached_input is not None else price.input
    return ((tokens_in - cached) * price.input + cached * cached_price + tokens_out * price.output) / 1_000_000
