"""Owners: round-robin balance, territory rules, manual reassignment that survives the next cycle, my queue."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from icp.cli import app
from icp.errors import ICPError
from icp.samples import COMPANIES_FILE, SEGMENTS_FILE


def run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    if isinstance(result.exception, ICPError):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "owners.db"
    run(path, "segments", "import", str(SEGMENTS_FILE))
    run(path, "companies", "import", str(COMPANIES_FILE))
    run(path, "motions", "add", "--name", "Outbound", "--segment", "Mid-Market B2B SaaS", "--segment",
        "EMEA Scale-ups", "--capacity", "9")  # fmt: skip
    return path


def test_round_robin_balances_open_tasks_and_reassignment_survives_the_next_cycle(db: Path) -> None:
    run(db, "motions", "assign", "Outbound", "--round-robin", "dana", "--round-robin", "lee", "--round-robin", "kim")
    run(db, "cycle", "run")
    tasks = json.loads(run(db, "tasks", "list", "-f", "json"))
    assert Counter(t["owner"] for t in tasks) == {"dana": 3, "lee": 3, "kim": 3}
    mine = json.loads(run(db, "tasks", "list", "--owner", "kim", "-f", "json"))
    assert len(mine) == 3 and all(t["owner"] == "kim" for t in mine)
    queue = json.loads(run(db, "queue", "--owner", "kim", "-n", "0", "-f", "json"))
    assert {e["domain"] for e in queue} >= {t["company_domain"] for t in mine}
    assert all(e["owner"] == "kim" for e in queue)

    # Dana takes one of Kim's tasks; Kim finishes two. The next cycle keeps Dana on that account.
    moved = mine[0]
    run(db, "tasks", "assign", str(moved["id"]), "--owner", "dana")
    run(db, "tasks", "done", str(mine[1]["id"]), str(mine[2]["id"]))
    run(db, "tasks", "done", *[str(t["id"]) for t in tasks if t["company_domain"] == moved["company_domain"]])
    run(db, "cycle", "run")
    new = [t for t in json.loads(run(db, "tasks", "list", "-f", "json")) if t["cycle_id"] == 2]
    assert any(t["company_domain"] == moved["company_domain"] and t["owner"] == "dana" for t in new)
    # Kim had the fewest open tasks, so the new accounts went to Kim first.
    fresh = [t for t in new if t["company_domain"] != moved["company_domain"]]
    assert fresh and fresh[0]["owner"] == "kim"


def test_territory_rules_and_a_fallback(db: Path) -> None:
    run(db, "motions", "assign", "Outbound", "-t", "country=United States:amy", "-t", "country=DE:bert",
        "-t", "employees=1000-:cara", "--fallback", "dev")  # fmt: skip
    run(db, "cycle", "run")
    tasks = json.loads(run(db, "tasks", "list", "-f", "json"))
    shown = {t["company_domain"]: t["owner"] for t in tasks}
    countries = {c["domain"]: c for c in json.loads(run(db, "companies", "list", "-n", "0", "-f", "json"))}
    for domain, owner in shown.items():
        company = countries[domain]
        if company["country"] in ("United States", "US"):
            assert owner == "amy"
        elif company["country"] in ("Germany", "DE"):
            assert owner == "bert"
        elif (company["employees"] or 0) >= 1000:
            assert owner == "cara"
        else:
            assert owner == "dev"
    assert len(set(shown.values())) >= 2


def test_assigning_an_account_moves_its_open_tasks(db: Path) -> None:
    run(db, "cycle", "run")
    task = json.loads(run(db, "tasks", "list", "-f", "json"))[0]
    assert task["owner"] is None  # no assignment rule: unassigned
    out = run(db, "companies", "assign", task["company_domain"], "--owner", "Sam Lee")
    assert "1 open task moved" in out
    assert json.loads(run(db, "tasks", "list", "--owner", "Sam Lee", "-f", "json"))[0]["id"] == task["id"]


def test_bad_assignment_rules_are_refused_with_what_to_write(db: Path) -> None:
    with pytest.raises(ICPError, match="country=Germany:anna"):
        run(db, "motions", "assign", "Outbound", "-t", "Germany")
    with pytest.raises(ICPError, match="Choose one"):
        run(db, "motions", "assign", "Outbound", "-r", "a", "-t", "country=DE:b")
