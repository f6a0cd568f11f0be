"""Which response mode the LLM evaluator asks in, and falling back when the server rejects it.

``ICP_LLM_MODE=auto`` (the default) starts with strict ``json_schema``. A server that cannot honour it
answers 400 (vLLM, Ollama with older versions) or 500 (llama.cpp's server) with a body naming
``response_format``, ``json_schema`` or ``schema``; that answer moves every thread of the run to the
next mode (``json_object_schema``, then ``json_object``) at once, without retrying the failed mode.
"""

from __future__ import annotations

import logging
import threading

import openai

from icp.evaluators._response import RESPONSE_MODES, ResponseMode
from icp.settings import Settings

logger = logging.getLogger(__name__)

_FORMAT_WORDS = ("response_format", "json_schema", "schema")


def is_format_rejection(exc: BaseException) -> bool:
    """True for a 400/500 whose body names the response format: the server cannot answer in this mode."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422, 500):
        return False
    text = " ".join(str(part) for part in (exc.message, exc.body, exc.param if hasattr(exc, "param") else ""))
    return any(word in text.lower() for word in _FORMAT_WORDS)


class ModeSelector:
    """The response mode for the next request; shared by every grading thread of a run.

    Args:
        configured: the setting (``auto`` or one fixed mode).
    """

    def __init__(self, configured: str) -> None:
        self.auto = configured == "auto"
        self._order: tuple[ResponseMode, ...] = (
            RESPONSE_MODES if self.auto else tuple(m for m in RESPONSE_MODES if m == configured)
        )
        self._index = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ModeSelector:
        """The selector for ``settings.llm_mode``."""
        return cls(settings.llm_mode)

    @property
    def current(self) -> ResponseMode:
        """The mode to ask in now."""
        with self._lock:
            return self._order[self._index]

    def fall_back(self, failed: ResponseMode) -> bool:
        """``failed`` was rejected: move past it (once, whichever thread saw it first).

        Returns:
            True when another mode is left to try (auto mode), False when ``failed`` was the last.
        """
        with self._lock:
            position = self._order.index(failed) if failed in self._order else len(self._order) - 1
            if position + 1 >= len(self._order):
                return False
            if self._index <= position:
                self._index = position + 1
                logger.warning(
                    "The endpoint rejected response mode %s; using %s for the rest of this run "
                    "(set ICP_LLM_MODE=%s to skip the first attempt).",
                    failed,
                    self._order[self._index],
                    self._order[self._index],
                )
            return True


def merge_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The system message(s) moved to the start of the first user turn (``ICP_LLM_SYSTEM_ROLE=merge``).

    Some chat templates (llama.cpp's built-in gemma format, for one) drop the system role, and with it
    every instruction; the same text at the top of the first user turn survives them.
    """
    system = "\n\n".join(m["content"] for m in messages if m.get("role") == "system")
    rest = [m for m in messages if m.get("role") != "system"]
    if not system:
        return rest
    for position, message in enumerate(rest):
        if message.get("role") == "user":
            merged = {**message, "content": f"{system}\n\n{message['content']}"}
            return [*rest[:position], merged, *rest[position + 1 :]]
    return [{"role": "user", "content": system}, *rest]


def append_to_last_user(messages: list[dict[str, str]], text: str) -> list[dict[str, str]]:
    """``text`` added to the last user turn (not a new turn: strict templates require alternating roles)."""
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].get("role") == "user":
            merged = {**messages[position], "content": f"{messages[position]['content']}\n\n{text}"}
            return [*messages[:position], merged, *messages[position + 1 :]]
    return [*messages, {"role": "user", "content": text}]
