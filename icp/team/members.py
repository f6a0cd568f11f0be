"""Members: people and their roles, kept by admins, and who a signed-in person is (:func:`actor_for`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from icp.errors import InputError, NotFoundError
from icp.settings import Settings
from icp.store.tables import Member, utcnow
from icp.team.audit import record
from icp.team.roles import Actor, Permission, Role, clean_email, parse_role, require, role_for


class MemberInfo(BaseModel):
    """A member as listed."""

    model_config = ConfigDict(from_attributes=True)

    email: str
    role: str
    name: str
    added_by: str
    created_at: datetime
    updated_at: datetime


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > 200:
        raise InputError("A member's name is at most 200 characters.")
    return name


def add_member(session: Session, email: str, role: str | Role, *, name: str = "", actor: Actor) -> MemberInfo:
    """Give ``email`` a role (adding the member, or changing the role and name they had). Commits."""
    require(actor, Permission.MANAGE_MEMBERS)
    address = clean_email(email)
    chosen = parse_role(role) if isinstance(role, str) else role
    clean = _clean_name(name)
    row = session.exec(select(Member).where(Member.email == address)).first()
    before = None if row is None else MemberInfo.model_validate(row).model_dump(mode="json")
    if row is None:
        row = Member.model_validate({"email": address, "role": chosen.value, "name": clean, "added_by": actor.name})
    else:
        row.role, row.updated_at = chosen.value, utcnow()
        if name:
            row.name = clean
    session.add(row)
    session.flush()
    info = MemberInfo.model_validate(row)
    record(
        session,
        actor=actor,
        action="member.add" if before is None else "member.change",
        object_type="member",
        object_id=address,
        summary=f"{address} is {chosen.value}" + (f" ({info.name})" if info.name else ""),
        before=before,
        after=info.model_dump(mode="json"),
    )
    session.commit()
    return info


def remove_member(session: Session, email: str, *, actor: Actor) -> MemberInfo:
    """Remove a member (their role then comes from the settings alone). Commits."""
    require(actor, Permission.MANAGE_MEMBERS)
    address = clean_email(email)
    row = session.exec(select(Member).where(Member.email == address)).first()
    if row is None:
        raise NotFoundError(f"No member {address}. See `icp members list`.")
    info = MemberInfo.model_validate(row)
    session.delete(row)
    record(
        session,
        actor=actor,
        action="member.remove",
        object_type="member",
        object_id=address,
        summary=f"{address} is no longer a member (was {info.role})",
        before=info.model_dump(mode="json"),
    )
    session.commit()
    return info


def list_members(session: Session) -> list[MemberInfo]:
    """Every member, by e-mail address."""
    return [MemberInfo.model_validate(m) for m in session.exec(select(Member).order_by(col(Member.email)))]


def actor_for(session: Session, email: str, settings: Settings, *, display_name: str = "") -> Actor:
    """The signed-in person behind ``email``: their role (see :mod:`icp.team.roles`) and owner names."""
    address = email.strip().lower()
    member = session.exec(select(Member).where(Member.email == address)).first() if address else None
    role = (
        role_for(
            address,
            settings_roles=settings.roles,
            member_role=Role(member.role) if member else None,
            default_role=Role(settings.default_role) if settings.default_role else None,
        )
        if address
        else None
    )
    owner_names = {address} if address else set()
    if member and member.name:
        owner_names.add(member.name)
    return Actor(
        name=address or "unknown",
        role=role,
        email=address or None,
        display_name=display_name or (member.name if member else ""),
        owner_names=frozenset(owner_names),
        owner=(member.name if member and member.name else address),
    )
