"""Migration 0012: a database from before IDNA domains, with one company stored twice, comes out as one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

from icp.companies import get_company, profile_of
from icp.domain import CompanyProfile
from icp.store.db import SCHEMA_REVISION, _alembic_config, create_db_engine, open_engine, schema_revision
from icp.store.tables import (
    Company,
    ConfirmedVerdict,
    Cycle,
    Feedback,
    Grade,
    LLMBatch,
    Membership,
    Motion,
    Outcome,
    ProspectingTask,
    Segment,
    SegmentVersion,
    Signal,
)
from tests.conftest import BACKENDS, POSTGRES_URL, _drop_database

BEFORE_DOMAINS = "0011"  # the revision the domain migration (0012) revises; the seeds use today's tables

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def _migrate_before_domains(url: str) -> Engine:
    """An engine on ``url``, its database migrated up to the revision before domains were normalised."""
    engine = create_db_engine(url)
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, BEFORE_DOMAINS)
    return engine


@pytest.fixture(params=BACKENDS)
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated up to the revision before domains were normalised."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"icp_migration_{os.getpid()}_{tmp_path.name[-12:].replace('-', '_')}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _migrate_before_domains(url).dispose()
    yield url
    if request.param != "sqlite":
        _drop_database(admin, name)
        admin.dispose()


def _add(session: Session, table: type[SQLModel], /, **values: Any) -> Any:
    """A row validated by today's model, written with only the columns the table had at the seeded revision."""
    row = table.model_validate(values)
    present = {c["name"] for c in inspect(session.connection()).get_columns(table.__tablename__)}
    then = Table(
        table.__tablename__,
        MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key) for c in table.__table__.columns if c.name in present),  # type: ignore[attr-defined]
    )
    data = {c.name: getattr(row, c.name) for c in then.columns if not (c.primary_key and getattr(row, c.name) is None)}
    row.id = session.execute(insert(then).values(data)).inserted_primary_key[0]  # type: ignore[attr-defined]
    return row


def _company(session: Session, domain: str, created: datetime, **fields: Any) -> Company:
    owner = fields.pop("owner", None)
    data = {"name": fields.pop("name", domain), "domain": domain, **fields}
    content = CompanyProfile.model_construct(**data).content_hash()  # as stored before domains were normalised
    row = _add(session, Company, **data, owner=owner, content_hash=content, created_at=created, updated_at=created)
    return row  # type: ignore[no-any-return]


def _seed(engine: Engine) -> dict[str, int]:
    """Old-style rows: münchen.de and its punycode twin, Acme.com and acme.com., and rows pointing at each."""
    with Session(engine, expire_on_commit=False) as session:
        old = _company(session, "münchen.de", T0, name="Stadtwerke", employees=120, owner="ana")
        new = _company(session, "xn--mnchen-3ya.de", T0 + timedelta(days=30), name="Stadtwerke München", employees=150)
        upper = _company(session, "Acme.com", T0, name="Acme")
        dotted = _company(session, "acme.com.", T0 + timedelta(days=1), name="Acme Inc")
        single = _company(session, "Solo.IO", T0, name="Solo")
        plain = _company(session, "plain.com", T0, name="Plain")
        segment = _add(session, Segment, name="DACH", name_key="dach", requirements="In Germany")
        version = _add(session, SegmentVersion, segment_id=segment.id, version=1, name="DACH", content_hash="v1")
        cycle = _add(session, Cycle, evaluator="offline", status="completed")
        motion = _add(session, Motion, name="Outbound")
        grades = {}
        for company in (old, new, upper, dotted):
            grades[company.id] = _add(
                session,
                Grade,
                input_hash=f"h-{company.id}",
                company_id=company.id,
                segment_version_id=version.id,
                company_hash=company.content_hash,
                evaluator="offline",
            )
            _add(
                session,
                Membership,
                cycle_id=cycle.id,
                segment_id=segment.id,
                segment_version_id=version.id,
                company_id=company.id,
                grade_id=grades[company.id].id,
                tier="T2",
                tier_rank=1,
                score=70.0,
                rank_key=1.0,
            )
            _add(session, Signal, company_id=company.id, type="web_visit", observed_at=T0)
        _add(
            session,
            ProspectingTask,
            cycle_id=cycle.id,
            motion_id=motion.id,
            motion_name="Outbound",
            company_id=new.id,
            company_name=new.name,
            company_domain=new.domain,
            segment_name="DACH",
            segment_version=1,
            tier="T2",
            score=70.0,
            rank=1,
            due_date=date(2025, 2, 1),
        )
        _add(session, Outcome, deal_id="D-1", company_id=new.id, result="won")
        _add(
            session,
            ConfirmedVerdict,
            company_id=new.id,
            criterion_key="in germany",
            criterion_text="In Germany",
            verdict="met",
            author="ana",
            company_hash=new.content_hash,
        )
        _add(
            session,
            Feedback,
            grade_id=grades[new.id].id,
            company_id=new.id,
            segment_version_id=version.id,
            kind="agree",
            author="ana",
        )
        _add(
            session,
            LLMBatch,
            provider_batch_id="batch_1",
            status="in_progress",
            evaluator="llm",
            model="gpt-4o-mini",
            input_file_id="file_1",
            pairs={"h-x": [new.id, version.id, new.content_hash]},
        )
        session.commit()
        return {
            "old": old.id,
            "new": new.id,
            "upper": upper.id,
            "dotted": dotted.id,
            "single": single.id,
            "plain": plain.id,
            "plain_hash": plain.content_hash,
        }  # type: ignore[dict-item]


def test_an_old_database_gets_one_company_per_normalised_domain_with_every_reference_moved(old_database: str) -> None:
    old_engine = create_db_engine(old_database)
    ids = _seed(old_engine)
    old_engine.dispose()

    engine = open_engine(old_database)
    try:
        assert schema_revision(engine) == SCHEMA_REVISION
        with Session(engine) as session:
            companies = {c.domain: c for c in session.exec(select(Company))}
            assert sorted(companies) == ["acme.com", "plain.com", "solo.io", "xn--mnchen-3ya.de"]
            munich = companies["xn--mnchen-3ya.de"]
            # The older id is kept, with the profile of the latest import and the owner the old row had.
            assert munich.id == ids["old"] and munich.name == "Stadtwerke München" and munich.employees == 150
            assert munich.owner == "ana"
            assert munich.content_hash == profile_of(munich).content_hash()
            assert get_company(session, "münchen.de").id == ids["old"]  # found by either spelling
            assert companies["acme.com"].id == ids["upper"] and companies["acme.com"].name == "Acme Inc"
            assert companies["solo.io"].id == ids["single"]
            plain = companies["plain.com"]
            assert plain.id == ids["plain"] and plain.content_hash == ids["plain_hash"]

            def owners(model: type[SQLModel]) -> list[int]:
                return sorted(r.company_id for r in session.exec(select(model)))  # type: ignore[attr-defined]

            merged = [ids["old"], ids["upper"]]
            assert owners(Signal) == sorted(merged * 2)  # both companies' signals, on the kept ids
            assert owners(Grade) == sorted(merged * 2)  # grades keep their history (input hashes unchanged)
            assert owners(Membership) == sorted(merged)  # one standing per cycle and segment
            assert owners(ProspectingTask) == [ids["old"]]
            assert owners(Outcome) == [ids["old"]]
            assert owners(Feedback) == [ids["old"]]
            (confirmation,) = session.exec(select(ConfirmedVerdict))
            # Confirmed on the data that was kept: it still holds under the new content hash.
            assert confirmation.company_id == ids["old"] and confirmation.company_hash == munich.content_hash
            (batch,) = session.exec(select(LLMBatch))
            assert batch.pairs["h-x"][0] == ids["old"]
            assert session.get(Company, ids["new"]) is None and session.get(Company, ids["dotted"]) is None
    finally:
        engine.dispose()


def test_a_database_with_nothing_to_normalise_is_left_as_it_was(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    engine = _migrate_before_domains(url)
    with Session(engine, expire_on_commit=False) as session:
        before = _company(session, "acme.com", T0, name="Acme")
        session.commit()
    engine.dispose()
    engine = open_engine(url)
    with Session(engine) as session:
        (after,) = session.exec(select(Company))
    engine.dispose()
    assert (after.id, after.domain, after.content_hash, after.updated_at) == (
        before.id,
        before.domain,
        before.content_hash,
        before.updated_at,
    )


def test_companies_whose_references_cannot_be_merged_are_kept_apart_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'unsafe.db'}"
    engine = _migrate_before_domains(url)
    with Session(engine, expire_on_commit=False) as session:
        old = _company(session, "münchen.de", T0, name="Stadtwerke")
        new = _company(session, "xn--mnchen-3ya.de", T0 + timedelta(days=1), name="Stadtwerke München")
        fine = _company(session, "Acme.com", T0, name="Acme")
        session.commit()
    with engine.begin() as connection:  # a table (from an extension) allowing one row per company
        connection.execute(
            text("CREATE TABLE crm_link (company_id INTEGER NOT NULL UNIQUE REFERENCES company (id), ref TEXT)")
        )
        connection.execute(text(f"INSERT INTO crm_link VALUES ({old.id}, 'a'), ({new.id}, 'b')"))
    engine.dispose()
    with caplog.at_level("WARNING", logger="icp.store.migrations"):
        engine = open_engine(url)
    with Session(engine) as session:
        domains = {c.id: c.domain for c in session.exec(select(Company))}
    engine.dispose()
    assert domains == {old.id: "münchen.de", new.id: "xn--mnchen-3ya.de", fine.id: "acme.com"}
    assert "münchen.de, xn--mnchen-3ya.de are one company (xn--mnchen-3ya.de)" in caplog.text
    assert "merge them by hand" in caplog.text
