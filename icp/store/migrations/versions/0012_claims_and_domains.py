"""grade claims; company domains in their normalised (IDNA) form, duplicates merged

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Databases created before domains were IDNA-normalised may hold ``münchen.de`` and ``xn--mnchen-3ya.de``
(or ``Acme.com`` and ``acme.com.``) as two companies. Every stored domain is normalised with the
function imports use (:func:`icp.domain.normalize_domain`). Where several rows share one normalised
domain they become one company: the oldest row's id is kept, with the profile of the most recently
updated row (its latest import), and every row that pointed at the others (signals, grades, memberships,
tasks, outcomes, confirmations, feedback, LLM batch pairs, and any other table with a foreign key to
``company.id``) now points at it. A membership the kept company already has in the same cycle and
segment is kept and the duplicate's is dropped (one company, one standing per cycle). When moving the
references would break another unique rule, the rows are left as they are and the migration logs which
domains still need merging by hand.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.exc import IntegrityError

import icp.store.tables
from icp.domain import CompanyProfile, normalize_domain

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("icp.store.migrations")

_PROFILE_FIELDS = (
    "name",
    "domain",
    "website",
    "industry",
    "employees",
    "revenue",
    "country",
    "region",
    "city",
    "description",
    "tags",
    "technologies",
    "funding_stage",
    "founded_year",
)


def upgrade() -> None:
    op.create_table(
        "grade_claim",
        sa.Column("input_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expires_at", icp.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("input_hash"),
    )
    op.create_index("ix_grade_claim_holder", "grade_claim", ["holder"])
    normalise_company_domains(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_grade_claim_holder", table_name="grade_claim")
    op.drop_table("grade_claim")


def normalise_company_domains(connection: sa.Connection) -> list[str]:
    """Normalise every company domain and merge rows that turn out to be one company.

    Returns the normalised domains whose rows could not be merged safely (left as they were).
    """
    metadata = sa.MetaData()
    company = sa.Table("company", metadata, autoload_with=connection)
    rows = connection.execute(sa.select(company)).mappings().all()
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        groups[normalize_domain(row["domain"])].append(row)
    changed = {key: group for key, group in groups.items() if len(group) > 1 or group[0]["domain"] != key}
    if not changed:
        return []
    references = _company_references(connection, metadata)
    kept_apart: list[str] = []
    for key, group in sorted(changed.items()):
        savepoint = connection.begin_nested()
        try:
            _merge(connection, company, references, key, group)
        except IntegrityError as exc:
            savepoint.rollback()
            kept_apart.append(key)
            logger.warning(
                "companies %s are one company (%s) but could not be merged (%s); merge them by hand",
                ", ".join(sorted(r["domain"] for r in group)),
                key,
                exc.orig,
            )
        else:
            savepoint.commit()
    merged = sum(len(g) - 1 for k, g in changed.items() if k not in kept_apart)
    logger.info("normalised %d company domains; merged %d duplicate companies", len(changed), merged)
    return kept_apart


def _company_references(connection: sa.Connection, metadata: sa.MetaData) -> list[sa.Column[Any]]:
    """Every column with a foreign key to ``company.id``, whichever tables exist."""
    inspector = sa.inspect(connection)
    columns: list[sa.Column[Any]] = []
    for name in inspector.get_table_names():
        for key in inspector.get_foreign_keys(name):
            if key["referred_table"] == "company" and key["referred_columns"] == ["id"]:
                table = sa.Table(name, metadata, autoload_with=connection)
                columns.extend(table.c[c] for c in key["constrained_columns"])
    return columns


def _merge(
    connection: sa.Connection, company: sa.Table, references: list[sa.Column[Any]], key: str, group: list[Any]
) -> None:
    survivor = min(group, key=lambda r: (r["created_at"], r["id"]))
    latest = max(group, key=lambda r: (r["updated_at"], r["id"]))
    others = [r["id"] for r in group if r["id"] != survivor["id"]]
    if others:
        _drop_duplicate_memberships(connection, survivor["id"], others)
        for column in references:
            connection.execute(
                sa.update(column.table).where(column.in_(others)).values({column.name: survivor["id"]})
            )
        _repoint_batches(connection, survivor["id"], others)
        connection.execute(sa.delete(company).where(company.c.id.in_(others)))
    profile = CompanyProfile.model_validate(
        {
            **{field: latest[field] for field in _PROFILE_FIELDS},
            "domain": key,
            "tags": tuple(latest["tags"] or ()),
            "technologies": tuple(latest["technologies"] or ()),
        }
    )
    values = {field: latest[field] for field in _PROFILE_FIELDS if field != "domain"}
    values.update(domain=key, content_hash=profile.content_hash())
    if survivor["owner"] is None:
        values["owner"] = next((r["owner"] for r in group if r["owner"]), None)
    connection.execute(sa.update(company).where(company.c.id == survivor["id"]).values(values))
    _restamp_confirmations(connection, survivor["id"], latest["content_hash"], values["content_hash"])


def _drop_duplicate_memberships(connection: sa.Connection, survivor: int, others: list[int]) -> None:
    """One standing per cycle and segment: the kept company's, where both companies have one."""
    membership = sa.table(
        "membership", sa.column("id"), sa.column("cycle_id"), sa.column("segment_id"), sa.column("company_id")
    )
    kept = sa.select(membership.c.cycle_id, membership.c.segment_id).where(membership.c.company_id == survivor)
    taken = {(c, s) for c, s in connection.execute(kept)}
    duplicates = connection.execute(
        sa.select(membership.c.id, membership.c.cycle_id, membership.c.segment_id).where(
            membership.c.company_id.in_(others)
        )
    ).all()
    drop = []
    for row_id, cycle_id, segment_id in duplicates:
        if (cycle_id, segment_id) in taken:
            drop.append(row_id)
        else:
            taken.add((cycle_id, segment_id))
    if drop:
        connection.execute(sa.delete(membership).where(membership.c.id.in_(drop)))


def _repoint_batches(connection: sa.Connection, survivor: int, others: list[int]) -> None:
    """LLM batches map each pair to ``[company_id, segment_version_id, company_hash]`` in JSON."""
    batch = sa.table("llm_batch", sa.column("id"), sa.column("pairs", sa.JSON()))
    for row_id, pairs in connection.execute(sa.select(batch.c.id, batch.c.pairs)).all():
        if not isinstance(pairs, dict):
            continue
        moved = {k: [survivor, *v[1:]] if v and v[0] in others else v for k, v in pairs.items()}
        if moved != pairs:
            connection.execute(sa.update(batch).where(batch.c.id == row_id).values(pairs=moved))


def _restamp_confirmations(connection: sa.Connection, company_id: int, old: str, new: str) -> None:
    """A person's confirmation made on the company's data still holds: only the domain's spelling changed.

    Confirmations made against an older version of the data stay stale, as they were.
    """
    confirmed = sa.table("confirmed_verdict", sa.column("company_id"), sa.column("company_hash"))
    connection.execute(
        sa.update(confirmed)
        .where(confirmed.c.company_id == company_id, confirmed.c.company_hash == old)
        .values(company_hash=new)
    )
