"""The cycle lease: one running cycle per database, taken atomically, renewed, taken over only when dead."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from icp.cycle import run_cycle
from icp.errors import LeaseHeldError
from icp.lease import CLAIM_TTL_S, Lease, LeaseInfo, acquire_lease, current_lease, hold_lease, try_acquire
from icp.store import open_engine
from icp.store.tables import Cycle, CycleLease, GradeClaim, utcnow
from tests.scripted import ScriptedEvaluator
from tests.test_cycle import _seed


@pytest.fixture
def shared(engine: Engine, tmp_path: Path) -> Engine:
    """A database several connections share: a SQLite file (in-memory SQLite has a single connection)."""
    if engine.dialect.name == "sqlite":
        return open_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    return engine


def test_exactly_one_of_many_racing_processes_takes_a_free_lease(shared: Engine) -> None:
    engine = shared
    barrier = threading.Barrier(8)
    results: list[Lease | LeaseInfo] = []

    def race() -> None:
        barrier.wait()
        results.append(try_acquire(engine))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if isinstance(r, Lease)]
    assert len(winners) == 1
    losers = [r for r in results if isinstance(r, LeaseInfo)]
    assert len(losers) == 7 and {r.holder for r in losers} == {winners[0].holder}


def test_a_live_lease_is_not_taken_and_the_refusal_names_its_holder(engine: Engine) -> None:
    lease = acquire_lease(engine)
    lease.attach(41)
    with pytest.raises(LeaseHeldError) as refused:
        acquire_lease(engine)
    message = str(refused.value)
    assert "cycle 41" in message and "pid" in message and "since" in message and "--wait" in message
    assert refused.value.cycle_id == 41
    lease.release()
    assert current_lease(engine) is None
    acquire_lease(engine).release()


def test_an_expired_lease_is_taken_over_and_its_old_holder_learns_it_lost(engine: Engine) -> None:
    old = acquire_lease(engine, ttl_s=30)
    assert isinstance(try_acquire(engine, now=utcnow() + timedelta(seconds=29)), LeaseInfo)
    new = try_acquire(engine, now=utcnow() + timedelta(seconds=31))
    assert isinstance(new, Lease)
    assert not old.renew() and old.lost
    assert new.renew() and not new.lost
    old.release()  # releasing a lost lease leaves the new holder's alone
    info = current_lease(engine)
    assert info is not None and info.holder == new.holder


def test_renewing_keeps_a_lease_from_expiring(engine: Engine) -> None:
    lease = acquire_lease(engine, ttl_s=30)
    later = utcnow() + timedelta(seconds=25)
    assert lease.renew(now=later)
    assert isinstance(try_acquire(engine, now=later + timedelta(seconds=10)), LeaseInfo)


def test_the_lease_of_a_process_that_is_gone_is_taken_at_once(engine: Engine) -> None:
    lease = acquire_lease(engine)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with Session(engine) as session:
        session.execute(update(CycleLease).values(pid=int(gone.stdout)))
        session.commit()
    taken = try_acquire(engine)
    assert isinstance(taken, Lease) and taken.holder != lease.holder


def test_a_second_cycle_is_refused_and_leaves_the_running_one_alone(engine: Engine) -> None:
    _seed(engine)
    with hold_lease(engine) as lease:
        with Session(engine) as session:
            running = Cycle.model_validate({"evaluator": "scripted", "pinned": []})
            session.add(running)
            session.commit()
            assert running.id is not None
            lease.attach(running.id)
        evaluator = ScriptedEvaluator()
        with pytest.raises(LeaseHeldError, match=f"cycle {running.id}"):
            run_cycle(engine, evaluator)
        assert evaluator.calls == []
        with Session(engine) as session:
            assert [c.status for c in session.exec(select(Cycle))] == ["running"]
    # Once the first cycle's process is gone (its lease released or expired), the next cycle closes it.
    report = run_cycle(engine, ScriptedEvaluator())
    assert report.status == "completed"
    with Session(engine) as session:
        assert [c.status for c in session.exec(select(Cycle).order_by(Cycle.id))] == ["interrupted", "completed"]
    assert current_lease(engine) is None


def test_a_cycle_releases_its_lease_however_it_ends(engine: Engine) -> None:
    _seed(engine)
    from tests.scripted import Boom

    with pytest.raises(Boom):
        run_cycle(engine, ScriptedEvaluator(crash_after=3))
    assert current_lease(engine) is None


def test_a_pair_claimed_by_a_live_holder_is_not_claimed_by_another(shared: Engine) -> None:
    engine = shared
    first = acquire_lease(engine, ttl_s=30)
    assert first.claim("b2:pair") and first.claim("b2:pair")  # claiming again what it holds is fine
    second = try_acquire(engine, now=utcnow() + timedelta(seconds=31))  # took the expired lease over
    assert isinstance(second, Lease)
    assert not second.claim("b2:pair")  # the first may still be paying for it
    assert second.claim("b2:other")
    # Ten minutes after its holder stopped renewing, the claim is free again.
    assert second.claim("b2:pair", now=utcnow() + timedelta(seconds=CLAIM_TTL_S + 1))


def test_a_lost_lease_claims_nothing_and_a_released_one_frees_its_claims(shared: Engine) -> None:
    engine = shared
    first = acquire_lease(engine, ttl_s=30)
    assert first.claim("b2:pair")
    second = try_acquire(engine, now=utcnow() + timedelta(seconds=31))
    assert isinstance(second, Lease)
    assert not first.renew() and first.lost
    assert not first.claim("b2:new")  # a cycle that lost its lease sends nothing more
    first.release()  # its claims go with it
    assert second.claim("b2:pair")
    second.release()
    with Session(engine) as session:
        assert session.exec(select(GradeClaim)).all() == []


def test_renewing_the_lease_renews_its_claims(shared: Engine) -> None:
    engine = shared
    first = acquire_lease(engine, ttl_s=30)
    assert first.claim("b2:pair")
    later = utcnow() + timedelta(seconds=CLAIM_TTL_S - 5)
    assert first.renew(now=later)
    second = try_acquire(engine, now=later + timedelta(seconds=31))
    assert isinstance(second, Lease)
    assert not second.claim("b2:pair", now=later + timedelta(seconds=40))  # renewed: still the first's


def test_taking_over_from_a_process_that_is_gone_frees_its_claims(shared: Engine) -> None:
    engine = shared
    gone = acquire_lease(engine)
    assert gone.claim("b2:pair")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with Session(engine) as session:
        session.execute(update(CycleLease).values(pid=int(dead.stdout)))
        session.commit()
    taker = try_acquire(engine)
    assert isinstance(taker, Lease)
    assert taker.claim("b2:pair")  # nothing the dead process claimed is in flight any more
