"""One exception hierarchy; the branch tells who fixes the problem.

``ConfigError`` and ``InputError`` are for the person running the tool (fix the setting, the file or
the command); ``RuntimeFailure`` subclasses are for things that went wrong while working
(provider down, model output unusable). Messages say what happened and what to do next.
"""

from __future__ import annotations

from datetime import datetime


class ICPError(Exception):
    """Base class for every error the library raises on purpose."""


class ConfigError(ICPError):
    """A setting, prompt version or endpoint is wrong; the operator fixes it."""


class InputError(ICPError):
    """A command, form or file the user gave cannot be used as it is."""


class NotFoundError(InputError):
    """A named thing (segment, company, motion, task, run) does not exist."""


class ConflictError(InputError):
    """The change would break a rule: a duplicate name, or an edit based on a stale version."""


class StaleEditError(ConflictError):
    """Someone saved the segment after the version this edit was based on."""

    def __init__(self, segment_name: str, based_on: int, current: int) -> None:
        self.segment_name = segment_name
        self.based_on = based_on
        self.current = current
        super().__init__(
            f"Segment {segment_name!r} was changed by someone else: your edit is based on version {based_on}, "
            f"but version {current} is now current. Nothing was saved. Reload the segment, re-apply your change, "
            f"and save again."
        )


class RuntimeFailure(ICPError):
    """Something failed while working; retrying later may succeed."""


class ProviderError(RuntimeFailure):
    """The LLM endpoint answered with an error (or not at all) after the retries it was allowed."""

    def __init__(self, message: str, *, status_code: int | None = None, request_id: str | None = None) -> None:
        self.status_code = status_code
        self.request_id = request_id
        super().__init__(message)


class LLMOutputError(RuntimeFailure):
    """The model's answer could not be used (invalid JSON, wrong shape, refusal, truncation) after N attempts."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        attempts: int = 1,
        prompt_id: str | None = None,
        last_completion: str | None = None,
    ) -> None:
        self.reason = reason
        self.attempts = attempts
        self.prompt_id = prompt_id
        self.last_completion = last_completion
        super().__init__(message)


class LeaseHeldError(ConflictError):
    """Another process holds the database's cycle lease: one cycle runs at a time per database."""

    def __init__(
        self,
        message: str,
        *,
        running: str,
        holder: str,
        host: str,
        pid: int,
        cycle_id: int | None,
        acquired_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.running = running
        self.holder = holder
        self.host = host
        self.pid = pid
        self.cycle_id = cycle_id
        self.acquired_at = acquired_at
        self.expires_at = expires_at
        super().__init__(message)


class LeaseLostError(RuntimeFailure):
    """This process's cycle lease expired and another process took it: the cycle stops."""


class CircuitOpenError(RuntimeFailure):
    """The LLM endpoint failed the same unfixable way several times in a row; the cycle stops."""

    def __init__(self, message: str, *, status: str, hint: str = "") -> None:
        self.status = status
        self.hint = hint
        super().__init__(message)


class PermissionDeniedError(ICPError):
    """The signed-in person's role does not allow the action; nothing was changed."""
