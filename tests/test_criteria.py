"""Splitting segment text into numbered criteria that keep the sales leader's words, with checks attached."""

from __future__ import annotations

import pytest

from icp.checks import GeoCheck, RangeCheck, TechCheck
from icp.criteria import CompiledSegment, compile_segment, split_criteria
from icp.domain import CriterionKind


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("- 200–2,000 employees\n- HQ in DACH", ["200–2,000 employees", "HQ in DACH"]),
        ("* uses Salesforce\n* Series B or later", ["uses Salesforce", "Series B or later"]),
        ("• fintech\n• not a consultancy", ["fintech", "not a consultancy"]),
        ("1. B2B SaaS\n2) over $10M ARR", ["B2B SaaS", "over $10M ARR"]),
        ("a) US or Canada\nb) 50+ employees", ["US or Canada", "50+ employees"]),
        ("fintech; HQ in Europe; 200+ employees", ["fintech", "HQ in Europe", "200+ employees"]),
        ("B2B SaaS. Based in the US. Over $1.5M ARR.", ["B2B SaaS", "Based in the US", "Over $1.5M ARR"]),
        ("Uses a call recorder, e.g. Gong. Series A+", ["Uses a call recorder, e.g. Gong", "Series A+"]),
        ("HubSpot or Salesforce, ideally both", ["HubSpot or Salesforce, ideally both"]),
        ("\n\n  - spaced out  \n\n", ["spaced out"]),
        ("line one\r\nline two", ["line one", "line two"]),
        ("", []),
    ],
)
def test_split_keeps_original_words(text: str, clauses: list[str]) -> None:
    assert split_criteria(text) == clauses


def test_compile_numbers_requirements_and_nice_to_haves() -> None:
    segment = compile_segment(
        "EU SaaS",
        "- 200–2,000 employees\n- HQ in DACH; uses Salesforce",
        "Series B or later. Has a great culture",
    )
    assert [c.id for c in segment.criteria] == ["R1", "R2", "R3", "N1", "N2"]
    assert [c.kind for c in segment.criteria] == [CriterionKind.REQUIREMENT] * 3 + [CriterionKind.NICE_TO_HAVE] * 2
    assert segment.criterion("R1") is not None and segment.criterion("R1").text == "200–2,000 employees"  # type: ignore[union-attr]
    assert isinstance(segment.criteria[0].check, RangeCheck)
    assert isinstance(segment.criteria[1].check, GeoCheck)
    assert isinstance(segment.criteria[2].check, TechCheck)
    assert segment.criteria[4].check is None
    assert len(segment.requirements) == 3 and len(segment.nice_to_haves) == 2


def test_compiled_segment_round_trips_through_json_with_checks() -> None:
    segment = compile_segment(
        "Mixed",
        "- North America or 500+ employees\n- B2B SaaS, no agencies\n- founded after 2015",
        "- uses Gong or similar",
    )
    restored = CompiledSegment.model_validate_json(segment.model_dump_json())
    assert restored == segment
    assert restored.fingerprint() == segment.fingerprint()


def test_fingerprint_changes_with_the_text() -> None:
    a = compile_segment("S", "200+ employees")
    b = compile_segment("S", "300+ employees")
    assert a.fingerprint() != b.fingerprint()
    assert compile_segment("S", "200+ employees").fingerprint() == a.fingerprint()


def test_empty_nice_to_haves_and_none_are_accepted() -> None:
    segment = compile_segment("S", "fintech", "")
    assert [c.id for c in segment.criteria] == ["R1"]


def test_reading_a_long_criterion_looks_back_a_bounded_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each industry named is checked for an audience cue before it ("software for banks"); reading from the
    # start of the text every time made a long criterion quadratic. The look-back must not grow with length.
    from icp.checks import _names
    from icp.checks._parser import _parse

    spans: list[int] = []
    real = _names._AUDIENCE

    class Recorder:
        def search(self, text: str, pos: int, endpos: int) -> object:
            spans.append(endpos - pos)
            return real.search(text, pos, endpos)

    monkeypatch.setattr(_names, "_AUDIENCE", Recorder())
    _parse.cache_clear()
    _parse(" ".join(["fintech, healthcare or retail companies in Germany"] * 200), 2026)
    assert len(spans) >= 200
    assert max(spans) <= 100
