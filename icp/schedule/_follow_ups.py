"""Follow-ups: what a scheduled cycle does after it finishes (tier-change alerts, the CRM push).

``ICP_CYCLE_FOLLOW_UPS="alerts,crm:hubspot"`` names them in order; the part after a colon is the follow-up's
option (the CRM provider). Each is a function ``(FollowUpContext) -> str`` that returns a one-line summary,
raises :class:`FollowUpSkipped` when it has nothing to do or is not configured, and is looked up in the
registry below: the built-in ones (alerts, crm) by module path, imported only when named, others through
:func:`register_follow_up`. One that is not installed or not configured is skipped with the reason.

A follow-up never fails the cycle or stops the worker: whatever it raises is logged and recorded on the run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from icp.cycle import CycleReport
from icp.errors import ICPError
from icp.redact import redact
from icp.settings import Settings

__all__ = [
    "FollowUp",
    "FollowUpContext",
    "FollowUpResult",
    "FollowUpSkipped",
    "register_follow_up",
    "run_follow_ups",
    "push_to_crm",
    "send_alerts",
]

logger = logging.getLogger(__name__)


class FollowUpSkipped(ICPError):
    """A follow-up has nothing to do (not configured, nothing changed); the message says why."""


@dataclass(frozen=True)
class FollowUpContext:
    """What a follow-up gets: the database, the settings, the finished cycle and its option ('hubspot')."""

    engine: Engine
    settings: Settings
    report: CycleReport
    option: str | None = None


FollowUp = Callable[[FollowUpContext], str]


class FollowUpResult(BaseModel):
    """How one follow-up went, as the scheduled run records it."""

    name: str
    status: Literal["ok", "skipped", "failed"]
    detail: str = ""


_BUILT_IN: dict[str, str] = {
    "alerts": "icp.schedule._follow_ups:send_alerts",
    "crm": "icp.schedule._follow_ups:push_to_crm",
}
"""Follow-ups shipped with icp, as 'module:function', imported when a schedule names them."""

_REGISTERED: dict[str, FollowUp] = {}


def register_follow_up(name: str, follow_up: FollowUp) -> None:
    """Make ``name`` available to ``ICP_CYCLE_FOLLOW_UPS`` (replaces a follow-up of that name)."""
    _REGISTERED[name] = follow_up


def send_alerts(context: FollowUpContext) -> str:
    """Tier-change digests to ICP_ALERT_WEBHOOKS, as `icp cycle run` sends them."""
    from icp.alerts import alert_cycle, delivery_summary

    if not context.settings.alert_webhooks:
        raise FollowUpSkipped("no webhooks configured (ICP_ALERT_WEBHOOKS)")
    deliveries = alert_cycle(context.engine, context.report.cycle_id, context.settings.alert_webhooks)
    if not deliveries:
        raise FollowUpSkipped("no tier or status changes to alert on")
    return delivery_summary(deliveries)


def push_to_crm(context: FollowUpContext) -> str:
    """Tiers, scores and tasks to the CRM, as `icp crm push` and `icp cycle run` write them.

    ``crm:hubspot`` names the CRM; a bare ``crm`` pushes to ICP_CRM_PUSH_AFTER_CYCLE's, and is skipped when
    that is unset. A CRM whose client is not installed or whose token is missing is skipped with the reason.
    """
    from icp.crm import push_after_cycle
    from icp.errors import ConfigError, InputError

    name = context.option or context.settings.crm_push_after_cycle
    if not name:
        raise FollowUpSkipped("no CRM named (crm:hubspot, or ICP_CRM_PUSH_AFTER_CYCLE)")
    settings = context.settings.model_copy(update={"crm_push_after_cycle": name})
    try:
        report = push_after_cycle(context.engine, settings)
    except (ConfigError, InputError) as exc:  # no such CRM, its extra or its token missing: not set up
        raise FollowUpSkipped(str(exc)) from exc
    if report is None:
        raise FollowUpSkipped("no CRM named")
    failed = len(report.account_failures) + len(report.task_failures)
    return f"{report.accounts_written} accounts and {report.tasks_written} tasks written to {name}" + (
        f", {failed} not written (see `icp crm push {name}`)" if failed else ""
    )


def _resolve(name: str) -> FollowUp:
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _BUILT_IN:
        known = ", ".join(sorted({*_BUILT_IN, *_REGISTERED}))
        raise FollowUpSkipped(f"unknown follow-up {name!r} (known: {known})")
    module_name, function = _BUILT_IN[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise FollowUpSkipped(f"not installed in this icp ({exc})") from exc
    found: FollowUp | None = getattr(module, function, None)
    if found is None:
        raise FollowUpSkipped(f"not installed in this icp ({module_name} has no {function})")
    return found


def run_follow_ups(
    names: Sequence[str], engine: Engine, settings: Settings, report: CycleReport
) -> list[FollowUpResult]:
    """Run the named follow-ups in order after a finished cycle; each one's outcome, none raised."""
    results: list[FollowUpResult] = []
    for entry in names:
        name, _, option = entry.partition(":")
        context = FollowUpContext(engine, settings, report, option or None)
        try:
            detail = _resolve(name.strip())(context)
            result = FollowUpResult(name=entry, status="ok", detail=redact(detail))
        except FollowUpSkipped as exc:
            result = FollowUpResult(name=entry, status="skipped", detail=redact(str(exc)))
        except Exception as exc:  # a follow-up is a plug-in: its failure is recorded, never fatal
            result = FollowUpResult(name=entry, status="failed", detail=redact(f"{type(exc).__name__}: {exc}"))
        log = logger.warning if result.status == "failed" else logger.info
        log("follow-up %s after cycle %s: %s%s", entry, report.cycle_id, result.status, f" ({result.detail})")
        results.append(result)
    return results
