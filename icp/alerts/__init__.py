"""Tier-change alerts: after each cycle, who entered T1, who left a tier and whose status changed, posted to
the webhooks in ``ICP_ALERT_WEBHOOKS`` (Slack incoming webhooks, or a generic JSON body) as one digest per
motion and owner, with the criterion that flipped. Delivery retries with backoff and never fails a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from icp.alerts._deliver import Delivery, deliver, webhook_label
from icp.alerts._digest import AlertChange, Digest, build_digests, classify, json_body, slack_body
from icp.settings import Webhook
from icp.store.tables import Company, Motion, MotionSegment, Segment
from icp.trends import tier_changes

__all__ = [
    "AlertChange",
    "alert_cycle",
    "delivery_summary",
    "Delivery",
    "Digest",
    "build_digests",
    "classify",
    "cycle_digests",
    "deliver",
    "json_body",
    "sample_digest",
    "slack_body",
    "webhook_label",
]


def _motions_by_segment(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = session.exec(
        select(Segment.name, Motion.name)
        .join(MotionSegment, col(MotionSegment.segment_id) == col(Segment.id))
        .join(Motion, col(Motion.id) == col(MotionSegment.motion_id))
        .where(col(Motion.active).is_(True), col(Segment.deleted_at).is_(None))
        .order_by(Motion.name)
    )
    for segment, motion in rows:
        found.setdefault(segment, []).append(motion)
    return found


def cycle_digests(session: Session, cycle_id: int) -> list[Digest]:
    """The digests of one finished cycle's tier and status changes (against the cycle before it)."""
    changes = []
    for change in tier_changes(session, cycle_id=cycle_id, limit=5000):
        kind = classify(change.from_tier, change.to_tier, change.from_status, change.to_status)
        if kind is None:
            continue
        changes.append(
            AlertChange(
                kind=kind,
                segment=change.segment,
                company_name=change.company_name,
                domain=change.domain,
                from_tier=change.from_tier,
                to_tier=change.to_tier,
                from_status=change.from_status,
                to_status=change.to_status,
                score=change.to_score,
                why=change.reasons[0] if change.reasons else "",
            )
        )
    rows = session.exec(
        select(Company.domain, Company.owner).where(
            col(Company.domain).in_({c.domain for c in changes}), col(Company.owner).is_not(None)
        )
    )
    owners = {domain: owner for domain, owner in rows if owner}
    return build_digests(cycle_id, changes, _motions_by_segment(session), owners)


def alert_cycle(engine: Engine, cycle_id: int, webhooks: Sequence[Webhook]) -> list[Delivery]:
    """Post a finished cycle's digests to ``webhooks``: what ``icp cycle run`` and the scheduled worker do.

    Nothing is sent without webhooks or without changes. Delivery failures are in the returned list, never
    raised: an alert never fails a cycle.
    """
    if not webhooks:
        return []
    with Session(engine) as session:
        digests = cycle_digests(session, cycle_id)
    return deliver(digests, list(webhooks)) if digests else []


def delivery_summary(deliveries: Sequence[Delivery]) -> str:
    """'2 of 3 digests delivered; https://hooks.example failed (HTTP 500, 3 attempts)', without secrets."""
    failed = [d for d in deliveries if not d.ok]
    return f"{len(deliveries) - len(failed)} of {len(deliveries)} digests delivered" + "".join(
        f"; {d.webhook} failed ({d.error}, {d.attempts} attempts)" for d in failed
    )


def sample_digest() -> Digest:
    """What `icp alerts test` sends: a digest that looks like a real one and says it is a test."""
    now = datetime.now(UTC) - timedelta(minutes=1)
    return Digest(
        cycle_id=0,
        motion="(test)",
        owner="unassigned",
        changes=[
            AlertChange(
                kind="entered T1",
                segment="Mid-Market B2B SaaS",
                company_name="Example Co (test alert)",
                domain="example.com",
                from_tier="T2",
                to_tier="T1",
                from_status="qualified",
                to_status="qualified",
                score=86.0,
                why=f"R4 Uses Salesforce as CRM: unknown → met — sent by `icp alerts test` at {now:%H:%M} UTC",
            )
        ],
    )
