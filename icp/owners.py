"""Owners: who works an account and its tasks, and how a motion hands out new accounts.

A motion's assignment rule gives each account without an owner to a rep when its first task is made:

- ``round_robin``: among the named reps, the one with the fewest open tasks in the motion (ties by order);
- ``territory``: the first rule whose company field matches (country, region, city or industry, or a
  headcount range), else the fallback rep.

The rep becomes the account's owner, so every later task of that account goes to them; reassigning an
account or a task by hand changes the owner, and the next cycle keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from icp.checks import country_code
from icp.companies import get_company
from icp.errors import InputError, NotFoundError
from icp.store.tables import Company, Motion, ProspectingTask
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require

TerritoryField = Literal["country", "region", "city", "industry"]


class TerritoryRule(BaseModel):
    """``country=Germany → anna``, or a headcount band ``employees 1000+ → lee``."""

    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=200)
    field: TerritoryField | None = None
    value: str | None = None
    employees_min: int | None = Field(default=None, ge=0)
    employees_max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _says_something(self) -> TerritoryRule:
        if (self.field is None) != (self.value is None):
            raise ValueError("a territory rule names a field and a value together, e.g. country=Germany")
        if self.field is None and self.employees_min is None and self.employees_max is None:
            raise ValueError("a territory rule needs a field=value or a headcount range")
        return self

    def matches(self, company: Company) -> bool:
        """Whether the company falls in this territory."""
        if self.field is not None and self.value is not None:
            actual = getattr(company, self.field)
            if not actual:
                return False
            if self.field == "country":
                wanted, found = country_code(self.value), country_code(str(actual))
                if wanted is not None and found is not None:
                    if wanted != found:
                        return False
                elif str(actual).casefold() != self.value.casefold():
                    return False
            elif str(actual).strip().casefold() != self.value.strip().casefold():
                return False
        if self.employees_min is not None and (company.employees is None or company.employees < self.employees_min):
            return False
        return not (
            self.employees_max is not None and (company.employees is None or company.employees > self.employees_max)
        )


class Assignment(BaseModel):
    """How a motion gives its new accounts an owner."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["none", "round_robin", "territory"] = "none"
    reps: list[str] = Field(default_factory=list, description="Round-robin: the reps, in order.")
    rules: list[TerritoryRule] = Field(default_factory=list, description="Territory: first match wins.")
    fallback: str | None = Field(default=None, description="Territory: who gets an account no rule matches.")

    @model_validator(mode="after")
    def _complete(self) -> Assignment:
        if self.mode == "round_robin" and not self.reps:
            raise ValueError("round-robin needs at least one rep")
        if self.mode == "territory" and not self.rules and not self.fallback:
            raise ValueError("territory assignment needs rules or a fallback rep")
        return self

    def owner_for(self, company: Company, open_tasks: Mapping[str, int]) -> str | None:
        """The rep a new account goes to (None: no rule, the task stays unassigned)."""
        if self.mode == "round_robin":
            return min(self.reps, key=lambda rep: (open_tasks.get(rep, 0), self.reps.index(rep)))
        if self.mode == "territory":
            return next((rule.owner for rule in self.rules if rule.matches(company)), self.fallback)
        return None


def open_tasks_by_owner(session: Session, motion_id: int) -> dict[str, int]:
    """Open tasks per owner in one motion (the round-robin balance)."""
    counts: dict[str, int] = {}
    for owner in session.exec(
        select(ProspectingTask.owner).where(ProspectingTask.motion_id == motion_id, ProspectingTask.status == "open")
    ):
        if owner:
            counts[owner] = counts.get(owner, 0) + 1
    return counts


def set_assignment(
    session: Session, motion: str, assignment: Assignment, *, actor: Actor = LOCAL_OPERATOR
) -> Assignment:
    """Give a motion its assignment rule (replacing the one it had). Commits."""
    require(actor, Permission.EDIT_MOTIONS)
    row = session.exec(select(Motion).where(Motion.name == motion)).first()
    if row is None:
        raise NotFoundError(f"No motion named {motion!r}. See `icp motions list`.")
    before = row.assignment
    row.assignment = assignment.model_dump(mode="json")
    session.add(row)
    record(
        session,
        actor=actor,
        action="motion.assignment",
        object_type="motion",
        object_id=row.id,
        summary=f"changed who gets motion {motion!r}'s accounts",
        before=before,
        after=row.assignment,
    )
    session.commit()
    return assignment


def _clean_owner(owner: str) -> str:
    owner = " ".join(owner.split())
    if not owner or len(owner) > 200:
        raise InputError("Give the owner's name or e-mail (1 to 200 characters).")
    return owner


def assign_account(session: Session, domain: str, owner: str, *, actor: Actor = LOCAL_OPERATOR) -> int:
    """Make ``owner`` the account's owner and give them its open tasks; returns how many tasks moved. Commits."""
    require(actor, Permission.ASSIGN_ACCOUNTS)
    company = get_company(session, domain)
    before = company.owner
    company.owner = _clean_owner(owner)
    session.add(company)
    moved = 0
    for task in session.exec(
        select(ProspectingTask).where(ProspectingTask.company_id == company.id, ProspectingTask.status == "open")
    ):
        task.owner = company.owner
        session.add(task)
        moved += 1
    record(
        session,
        actor=actor,
        action="account.assign",
        object_type="company",
        object_id=company.domain,
        summary=f"gave {company.domain} to {company.owner} ({moved} open tasks moved)",
        before={"owner": before},
        after={"owner": company.owner},
    )
    session.commit()
    return moved


def reassign_task(session: Session, task_id: int, owner: str, *, actor: Actor = LOCAL_OPERATOR) -> ProspectingTask:
    """Give a task (and its account, for the cycles to come) to ``owner``. Commits. Leaders and admins only."""
    require(actor, Permission.WORK_ALL_TASKS)
    task = session.get(ProspectingTask, task_id)
    if task is None:
        raise NotFoundError(f"No task with id {task_id}. See `icp tasks list`.")
    before = task.owner
    task.owner = _clean_owner(owner)
    company = session.get(Company, task.company_id)
    if company is not None:
        company.owner = task.owner
        session.add(company)
    session.add(task)
    record(
        session,
        actor=actor,
        action="task.reassign",
        object_type="task",
        object_id=task_id,
        summary=f"reassigned task {task_id} ({task.company_domain}) from {before or '-'} to {task.owner}",
        before={"owner": before},
        after={"owner": task.owner},
    )
    session.commit()
    return task


def owned_company_ids(owner: str) -> SelectOfScalar[int | None]:
    """A subquery of the ids of the accounts ``owner`` owns (for filters)."""
    return select(col(Company.id)).where(col(Company.owner) == owner)


def known_owners(session: Session) -> list[str]:
    """Every owner of an account or a task, by name."""
    names = {o for o in session.exec(select(Company.owner).distinct()) if o}
    names |= {o for o in session.exec(select(ProspectingTask.owner).distinct()) if o}
    return sorted(names, key=str.casefold)
