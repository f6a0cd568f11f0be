"""The answer the LLM evaluator asks for, and how it is parsed and checked.

Validation messages are addressed to the model: they are sent back to it when the evaluator re-asks
after an unusable answer ("criterion R3 is missing; return one entry per criterion id R1..R5").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from icp.criteria import CompiledSegment


class CriterionAnswer(BaseModel):
    """The verdict on one criterion."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The criterion id exactly as numbered in the instructions, e.g. R1 or N2.")
    verdict: Literal["met", "not_met", "unknown"] = Field(
        description="met / not_met only when the company data clearly says so; unknown when it is silent."
    )
    evidence: str = Field(
        description="An exact short quote from the company data, or 'field: value'. Empty for unknown."
    )
    confidence: float = Field(ge=0, le=1, description="0 to 1: how sure the verdict is, given the evidence.")


class GradeResponse(BaseModel):
    """The whole answer: one entry per criterion id plus a short summary."""

    # Validate with context={"criterion_ids": [...]} to check the ids against the segment. The docstrings
    # and descriptions here are read by the model (they go into the JSON schema), so they speak to it.

    model_config = ConfigDict(extra="forbid")

    criteria: list[CriterionAnswer] = Field(description="Exactly one entry per criterion id, in order.")
    summary: str = Field(description="One or two sentences a sales rep can read: why the company fits or not.")

    @model_validator(mode="after")
    def _one_entry_per_criterion(self, info: ValidationInfo) -> GradeResponse:
        expected: Sequence[str] = (info.context or {}).get("criterion_ids") or ()
        if not expected:
            return self
        seen: list[str] = [answer.id for answer in self.criteria]
        problems: list[str] = []
        unknown_ids = [cid for cid in seen if cid not in expected]
        if unknown_ids:
            problems.append(
                f"criterion id(s) {', '.join(unknown_ids)} do not exist; the only ids are {', '.join(expected)}"
            )
        duplicates = sorted({cid for cid in seen if seen.count(cid) > 1})
        if duplicates:
            problems.append(f"criterion id(s) {', '.join(duplicates)} appear more than once; give each id once")
        missing = [cid for cid in expected if cid not in seen]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            problems.append(f"criterion {', '.join(missing)} {verb} missing")
        if problems:
            raise ValueError(f"{'; '.join(problems)}; return one entry per criterion id {_id_span(expected)}")
        return self


def _id_span(ids: Sequence[str]) -> str:
    """``R1..R5, N1..N2`` when the ids are contiguous per prefix, else the full list."""
    groups: dict[str, list[int]] = {}
    for cid in ids:
        match = re.fullmatch(r"([A-Z]+)(\d+)", cid)
        if not match:
            return ", ".join(ids)
        groups.setdefault(match.group(1), []).append(int(match.group(2)))
    parts = []
    for prefix, numbers in groups.items():
        if numbers == list(range(numbers[0], numbers[0] + len(numbers))) and len(numbers) > 1:
            parts.append(f"{prefix}{numbers[0]}..{prefix}{numbers[-1]}")
        else:
            parts.extend(f"{prefix}{n}" for n in numbers)
    return ", ".join(parts)


def _strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Adapt a pydantic JSON schema to OpenAI strict mode: every property required, no extras, no defaults."""
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("default", "title"):
            continue
        if isinstance(value, dict):
            result[key] = (
                _strict_schema(value) if key != "properties" else {k: _strict_schema(v) for k, v in value.items()}
            )
        elif isinstance(value, list):
            result[key] = [_strict_schema(v) if isinstance(v, dict) else v for v in value]
        else:
            result[key] = value
    if result.get("type") == "object" and "properties" in result:
        result["additionalProperties"] = False
        result["required"] = list(result["properties"])
    return result


ResponseMode = Literal["json_schema", "json_object_schema", "json_object"]
"""A concrete way to ask for JSON (``auto`` in the settings resolves to one of these, strongest first)."""

RESPONSE_MODES: tuple[ResponseMode, ...] = ("json_schema", "json_object_schema", "json_object")

# Tokens an answer needs: about 60-90 per criterion (id, verdict, a short quote, confidence) plus the summary.
TOKENS_PER_CRITERION = 90
SUMMARY_TOKENS = 120
MIN_OUTPUT_TOKENS = 256
MAX_OUTPUT_TOKENS = 4096


def output_token_cap(criteria: int, override: int | None = None) -> int:
    """``max_tokens`` for a grading request: sized from the number of criteria, with a floor and a cap.

    A runaway answer (a small model repeating itself) then ends at the cap in seconds instead of running
    until the client's timeout; ``override`` (``ICP_MAX_OUTPUT_TOKENS``) wins when set.
    """
    if override is not None:
        return override
    return max(MIN_OUTPUT_TOKENS, min(MAX_OUTPUT_TOKENS, TOKENS_PER_CRITERION * criteria + SUMMARY_TOKENS))


def grade_schema(segment: CompiledSegment) -> dict[str, Any]:
    """The answer's JSON schema in strict form, with criterion ids pinned to the segment's."""
    schema = _strict_schema(GradeResponse.model_json_schema())
    schema["$defs"]["CriterionAnswer"]["properties"]["id"]["enum"] = [c.id for c in segment.criteria]
    return schema


def response_format_for(segment: CompiledSegment, mode: ResponseMode) -> dict[str, Any]:
    """The ``response_format`` request parameter for ``mode``.

    ``json_schema``: OpenAI's strict structured outputs. ``json_object_schema``: JSON mode carrying the
    schema (``{"type": "json_object", "schema": ...}``), which llama.cpp's server turns into a grammar.
    ``json_object``: plain JSON mode; icp validates the shape and re-asks.
    """
    if mode == "json_object":
        return {"type": "json_object"}
    if mode == "json_object_schema":
        # The server turns the schema into a grammar: fixing the number of entries keeps a small model from
        # stopping after the first criterion (strict json_schema providers reject minItems, so only here).
        schema = grade_schema(segment)
        n = len(segment.criteria)
        properties = {**schema["properties"], "criteria": {**schema["properties"]["criteria"], "minItems": n,
                                                            "maxItems": n}}  # fmt: skip
        return {"type": "json_object", "schema": {**schema, "properties": properties}}
    return {
        "type": "json_schema",
        "json_schema": {"name": "grade_company", "strict": True, "schema": grade_schema(segment)},
    }


class OutputProblem(Exception):
    """The model's answer could not be used; ``message`` is written to the model for the re-ask."""

    def __init__(self, message: str, content: str = "") -> None:
        self.message = message
        self.content = content  # the unusable answer, echoed back to the model when re-asking
        super().__init__(message)


def parse_grade_response(content: str, criterion_ids: Sequence[str]) -> GradeResponse:
    """Parse and validate the model's answer.

    Raises:
        OutputProblem: with a message addressed to the model (fed back on re-ask).
    """
    text = content.strip()
    if text.startswith("```"):  # some local models wrap JSON in a code fence despite instructions
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    if not text:
        raise OutputProblem("your answer was empty; return the JSON object")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputProblem(
            f"your answer is not valid JSON ({exc.msg} at position {exc.pos}); return only the JSON object"
        ) from exc
    try:
        return GradeResponse.model_validate(data, context={"criterion_ids": list(criterion_ids)})
    except ValidationError as exc:
        raise OutputProblem(_describe_validation(exc, data)) from exc


def _describe_validation(exc: ValidationError, data: Any) -> str:
    messages = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "this key is not allowed"
        returned = error.get("input")
        suffix = ""
        if returned is not None and not isinstance(returned, (dict, list)) and error["type"] != "missing":
            suffix = f" (you returned {json.dumps(returned)[:60]})"
        messages.append(f"{location}: {message}{suffix}" if location else f"{message}{suffix}")
    return "; ".join(messages)
