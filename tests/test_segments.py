"""Segment service: versioning, optimistic edits, soft delete, import."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from icp import segments as svc
from icp.errors import ConflictError, InputError, NotFoundError, StaleEditError
from icp.store.tables import SegmentVersion


def test_create_makes_version_one_with_content_hash(session: Session) -> None:
    info = svc.create_segment(session, "  Mid-Market   SaaS ", "B2B SaaS\n200-2000 employees", "Series B")
    assert info.name == "Mid-Market SaaS"
    assert info.version == 1
    (version,) = svc.segment_history(session, "mid-market saas")
    assert version.version == 1
    assert version.requirements == "B2B SaaS\n200-2000 employees"
    assert version.content_hash == svc.version_hash("Mid-Market SaaS", "B2B SaaS\n200-2000 employees", "Series B")


@pytest.mark.parametrize("name", ["", "   ", "\n"])
def test_name_is_required(session: Session, name: str) -> None:
    with pytest.raises(InputError, match="name is required"):
        svc.create_segment(session, name, "B2B")


def test_names_are_unique_among_live_segments_case_insensitively(session: Session) -> None:
    svc.create_segment(session, "EMEA", "HQ in EMEA")
    with pytest.raises(ConflictError, match="already exists"):
        svc.create_segment(session, "emea", "HQ in Europe")


def test_every_text_edit_creates_a_new_immutable_version(session: Session) -> None:
    svc.create_segment(session, "Health", "Healthcare")
    svc.edit_segment(session, "Health", requirements="Healthcare\n100-1000 employees")
    svc.edit_segment(session, "Health", name="Healthcare Providers")
    svc.edit_segment(session, "Healthcare Providers", nice_to_haves="Uses Epic")
    history = svc.segment_history(session, "Healthcare Providers")
    assert [v.version for v in history] == [4, 3, 2, 1]
    assert history[-1].requirements == "Healthcare"
    assert history[-1].name == "Health"
    assert len({v.content_hash for v in history}) == 4


def test_activation_and_priority_do_not_create_versions(session: Session) -> None:
    svc.create_segment(session, "X", "B2B")
    info = svc.edit_segment(session, "X", active=False, priority=7)
    assert (info.active, info.priority, info.version) == (False, 7, 1)
    assert len(svc.segment_history(session, "X")) == 1


def test_unchanged_text_is_not_a_new_version(session: Session) -> None:
    svc.create_segment(session, "X", "B2B")
    info = svc.edit_segment(session, "X", requirements="B2B")
    assert info.version == 1


def test_stale_edit_is_refused_and_loses_nothing(session: Session) -> None:
    svc.create_segment(session, "Fintech", "Fintech")
    svc.edit_segment(session, "Fintech", based_on_version=1, requirements="Fintech\nUS-based")  # saved first
    with pytest.raises(StaleEditError) as caught:
        svc.edit_segment(session, "Fintech", based_on_version=1, requirements="Fintech\nEurope")
    assert "version 1" in str(caught.value) and "version 2" in str(caught.value)
    assert svc.get_segment(session, "Fintech").requirements == "Fintech\nUS-based"
    assert len(svc.segment_history(session, "Fintech")) == 2


def test_concurrent_writer_between_read_and_write_is_detected(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as first, Session(engine) as second:
        svc.create_segment(first, "Race", "B2B")
        seen = svc.get_segment(second, "Race").version
        svc.edit_segment(first, "Race", requirements="B2B SaaS")
        with pytest.raises(StaleEditError):
            svc.edit_segment(second, "Race", based_on_version=seen, requirements="B2C")


def test_soft_delete_hides_the_segment_but_keeps_versions_and_frees_the_name(session: Session) -> None:
    info = svc.create_segment(session, "Old", "B2B")
    svc.delete_segment(session, "Old")
    assert svc.list_segments(session) == []
    assert [s.name for s in svc.list_segments(session, include_deleted=True)] == ["Old"]
    with pytest.raises(NotFoundError):
        svc.get_segment(session, "Old")
    assert session.exec(select(SegmentVersion).where(SegmentVersion.segment_id == info.id)).all()
    again = svc.create_segment(session, "Old", "B2C")
    assert again.id != info.id


def test_list_orders_by_priority_then_name(session: Session) -> None:
    svc.create_segment(session, "b", priority=1)
    svc.create_segment(session, "a", priority=1)
    svc.create_segment(session, "z", priority=5)
    assert [s.name for s in svc.list_segments(session)] == ["z", "a", "b"]


def test_import_creates_updates_and_reports_bad_entries(session: Session) -> None:
    svc.create_segment(session, "Existing", "B2B")
    report = svc.import_segments(
        session,
        [
            {"name": "New", "requirements": "SaaS", "priority": 2},
            {"name": "Existing", "requirements": "B2B SaaS"},
            {"name": "", "requirements": "nameless"},
            {"name": "Typo", "requirement": "x"},
        ],
    )
    assert report.created == ["New"]
    assert report.updated == ["Existing"]
    assert len(report.rejected) == 2
    assert report.rejected[0].startswith("item 3: name")
    assert "item 4" in report.rejected[1] and "requirement" in report.rejected[1]
    again = svc.import_segments(session, [{"name": "New", "requirements": "SaaS", "priority": 2}])
    assert again.unchanged == ["New"]


def test_criteria_text_over_the_limit_is_refused_with_the_limit(session: Session) -> None:
    long_text = "B2B SaaS companies in Europe " * (svc.MAX_CRITERIA_CHARS // 20)
    with pytest.raises(InputError, match="too long: 28,999 characters, 20,000 at most"):
        svc.create_segment(session, "Long", long_text)
    many = "\n".join(f"Uses tool number {i}" for i in range(svc.MAX_CRITERIA + 1))
    with pytest.raises(InputError, match=f"{svc.MAX_CRITERIA} at most"):
        svc.create_segment(session, "Many", "B2B", many)
    svc.create_segment(session, "Fine", "\n".join(f"Uses tool number {i}" for i in range(svc.MAX_CRITERIA)))
