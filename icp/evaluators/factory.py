"""Build the evaluator a command asks for from settings: offline (default), llm or hybrid."""

from __future__ import annotations

from typing import Literal

from icp.errors import ConfigError
from icp.evaluators.base import Evaluator
from icp.settings import Settings

EvaluatorName = Literal["offline", "llm", "hybrid"]
EVALUATOR_NAMES: tuple[EvaluatorName, ...] = ("offline", "llm", "hybrid")


def make_evaluator(name: str | None, settings: Settings) -> Evaluator:
    """The named evaluator; ``None`` means the settings' default (hybrid with an API key, else offline)."""
    chosen = name or settings.resolved_evaluator()
    if chosen == "offline":
        from icp.evaluators.offline import OfflineEvaluator

        return OfflineEvaluator()
    if chosen in ("llm", "hybrid"):
        from icp.evaluators.llm import LLMEvaluator, make_openai_client

        llm = LLMEvaluator(make_openai_client(settings), settings)
        if chosen == "llm":
            return llm
        from icp.evaluators.hybrid import HybridEvaluator

        return HybridEvaluator(llm)
    raise ConfigError(f"Unknown evaluator {chosen!r}: choose one of {', '.join(EVALUATOR_NAMES)}.")
