"""The shipped sample data end to end: `icp demo`, membership per segment, and `icp grade` explaining both sides."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.evaluators.offline import OfflineEvaluator
from icp.queue import ranked_queue
from icp.samples import load_expectations
from icp.tasks import list_tasks
from icp.trends import segment_stats

ICP = str(Path(sys.executable).parent / "icp")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = subprocess.run(
        [ICP, "--db", str(db), "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(db.parent), "COLUMNS": "160"},
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Work list" in result.stdout
        and "each once under its primary segment" in result.stdout
        and "Why is" in result.stdout
    )
    assert "streamlit run " in result.stdout and "ui/app.py`" in result.stdout
    return db


def icp_json(db: Path, *args: str) -> object:
    result = subprocess.run(
        [ICP, "--db", str(db), *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": str(Path(sys.executable).parent), "HOME": str(db.parent)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_is_idempotent(engine: Engine) -> None:
    with Session(engine) as session:
        first = load_samples(session)
        again = load_samples(session)
    assert first.companies.created >= 150 and first.companies.rejected == 0
    assert again.companies.created == 0 and again.companies.unchanged == first.companies.created
    assert again.signals == 0 and again.motions == []


def test_every_active_sample_segment_has_members_and_non_members(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
    report = run_cycle(engine, OfflineEvaluator())
    assert report.pairs_failed == 0
    with Session(engine) as session:
        stats = {s.segment: s for s in segment_stats(session).values()}
        tasks = list_tasks(session, status=None)
        disqualified = Counter(e.segment for e in ranked_queue(session, tier="disqualified", limit=None))
    for segment, expectation in load_expectations().items():
        assert stats[segment].members >= len(expectation["members"]) // 2, segment
        assert disqualified[segment] > 0, segment
    assert {t.tier for t in tasks} >= {"T1", "T2"}


def test_the_ranked_queue_has_one_order_with_ties_broken_by_company_then_segment(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
    run_cycle(engine, OfflineEvaluator())
    with Session(engine) as session:
        queue = ranked_queue(session, limit=None)
        pages = [e for offset in range(0, len(queue), 7) for e in ranked_queue(session, limit=7, offset=offset)]
    tiers = ["T1", "T2", "T3"]
    statuses = ["qualified", "unverified"]
    keys = [(tiers.index(e.tier), statuses.index(e.status), -e.fit_score, e.company_id, e.segment_id) for e in queue]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert any(a[:3] == b[:3] for a, b in zip(keys, keys[1:], strict=False))  # the samples do have such ties
    assert [(e.company_id, e.segment_id) for e in pages] == [(e.company_id, e.segment_id) for e in queue]


def test_queue_json_has_the_documented_fields(demo_db: Path) -> None:
    queue = icp_json(demo_db, "queue", "--segment", "Mid-Market B2B SaaS", "--limit", "5")
    assert isinstance(queue, list) and len(queue) == 5
    for field in ("company_name", "domain", "segment", "segment_version", "tier", "fit_score", "criteria", "summary"):
        assert field in queue[0]
    assert {"id", "text", "verdict", "evidence"} <= set(queue[0]["criteria"][0])
    scores = [(e["tier"], -e["fit_score"]) for e in queue]
    assert scores == sorted(scores)


@pytest.mark.parametrize("segment", sorted(load_expectations()))
def test_icp_grade_explains_a_member_and_a_non_member(demo_db: Path, segment: str) -> None:
    expectation = load_expectations()[segment]
    member = next(iter(expectation["members"]))
    non_member, why = next(iter(expectation["non_members"].items()))
    graded = icp_json(demo_db, "grade", "--segment", segment, "--company", member)
    assert isinstance(graded, dict)
    assert graded["breakdown"]["tier"] in ("T1", "T2", "T3"), graded["grade"]["summary"]
    assert all(r["evidence"] for r in graded["grade"]["results"] if r["verdict"] == "met")
    graded = icp_json(demo_db, "grade", "--segment", segment, "--company", non_member)
    assert isinstance(graded, dict)
    assert graded["breakdown"]["tier"] == "disqualified", why
    failed = [r for r in graded["grade"]["results"] if r["verdict"] == "not_met"]
    assert failed and all(r["evidence"] for r in failed)
    assert graded["breakdown"]["disqualified_by"] == [r["id"] for r in failed if r["kind"] == "requirement"]


def test_company_show_lists_signals_and_every_segment(demo_db: Path) -> None:
    shown = icp_json(demo_db, "companies", "show", "https://www.tessellate-analytics.de/")
    assert isinstance(shown, dict)
    assert shown["domain"] == "tessellate-analytics.de"
    assert shown["signals"] and {"type", "topic", "strength", "observed_at"} <= set(shown["signals"][0])
    tiers = {m["segment"]: m["tier"] for m in shown["memberships"]}
    assert len(tiers) == 4 and tiers["Mid-Market B2B SaaS"] in ("T1", "T2", "T3")


def test_demo_loads_whatever_part_of_the_samples_is_missing(tmp_path: Path) -> None:
    from icp.samples import COMPANIES_FILE, SEGMENTS_FILE

    db = tmp_path / "half.db"
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "COLUMNS": "160"}

    def icp(*args: str) -> str:
        result = subprocess.run([ICP, "--db", str(db), *args], capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    # A demo killed after loading segments and companies, before signals and motions:
    icp("segments", "import", str(SEGMENTS_FILE))
    icp("companies", "import", str(COMPANIES_FILE))
    out = icp("demo")
    assert "0 companies created" in out
    loaded = icp_json(db, "motions", "list")
    assert isinstance(loaded, list) and len(loaded) >= 1
    domain = "quillstack.io"  # has sample signals
    shown = icp_json(db, "companies", "show", domain)
    assert isinstance(shown, dict) and len(shown["signals"]) >= 1
    again = icp("demo")  # and a complete database gets nothing twice
    assert " 0 signals; 0 motions created" in again


def test_every_hint_of_the_demo_runs_as_written_without_the_venv_on_path(tmp_path: Path) -> None:
    """A newcomer after the quick start: `.venv/bin/icp demo` in the checkout, with no venv on PATH."""
    import re
    import shlex

    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / ".venv" / "bin" / "icp").is_file():
        pytest.skip("the quick start's .venv is not in this checkout")
    db = str(tmp_path / "demo.db")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "300"}

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, cwd=checkout)

    result = run([".venv/bin/icp", "--db", db, "demo"])
    assert result.returncode == 0, result.stderr
    hints = re.findall(r"`([^`]+)`", result.stdout.split("Next:", 1)[1])
    assert hints and all(h.startswith(".venv/bin/icp ") for h in hints[:-1]), hints
    assert hints[-1] == ".venv/bin/streamlit run ui/app.py"
    assert (checkout / ".venv/bin/streamlit").is_file() and (checkout / "ui/app.py").is_file()
    for hint in hints[:-1]:
        argv = shlex.split(hint)
        if "NAME" in argv:
            continue  # a placeholder to fill in
        ran = run([argv[0], "--db", db, *argv[1:]])
        assert ran.returncode == 0, f"{hint}: {ran.stderr}"
    # --help texts name commands the same way: `icp crm --help` points at this icp and this pip.
    helped = run([".venv/bin/icp", "crm", "--help"])
    text = " ".join(helped.stdout.split())
    assert helped.returncode == 0 and ".venv/bin/icp crm pull hubspot" in text
    assert ".venv/bin/pip install -e '.[crm]'" in text
    assert ".venv/bin/icp tasks list" in " ".join(run([".venv/bin/icp", "tasks", "done", "--help"]).stdout.split())
