"""Roles, what each may do, and who holds which: the rules every page, command and service checks.

A person holds one role. What a role allows is a set of :class:`Permission`; services call
:func:`require` with the acting :class:`Actor` before they change anything, so a refused action is
refused wherever it comes from (a page, a crafted request, a script), not only hidden from view.

Who holds which role, in order of precedence (the first that names the person decides):

1. an exact e-mail address in the ``ICP_ROLES`` setting (the deployment's owner: an admin listed there
   cannot be locked out from the Members page);
2. the person's row in the ``Member`` table (set by an admin with ``icp members add`` or the Members page);
3. an ``@domain`` entry in ``ICP_ROLES``;
4. ``ICP_DEFAULT_ROLE``, when set; otherwise the person has no role and is let in nowhere.

Where one level names a person for several roles, the most powerful one counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from icp.errors import InputError, PermissionDeniedError
from icp.settings import RoleName


class Role(StrEnum):
    """The roles of a team, most powerful first."""

    ADMIN = "admin"
    LEADER = "leader"
    EVALUATOR = "evaluator"
    SDR = "sdr"
    VIEWER = "viewer"


class Permission(StrEnum):
    """Something a person may do. The value reads in messages: 'may not <value>'."""

    VIEW = "view the app"
    EDIT_SEGMENTS = "create, edit or delete segments"
    EDIT_MOTIONS = "create or change motions"
    RUN_CYCLES = "run cycles"
    IMPORT_DATA = "import companies or signals"
    IMPORT_OUTCOMES = "import outcomes"
    WORK_OWN_TASKS = "work on tasks"
    WORK_ALL_TASKS = "work on or reassign other people's tasks"
    ASSIGN_ACCOUNTS = "assign accounts"
    GIVE_FEEDBACK = "give feedback on grades"
    CONFIRM_VERDICTS = "confirm verdicts"
    RUN_EVALS = "run or bless evals"
    VIEW_AUDIT = "view the audit trail"
    MANAGE_MEMBERS = "manage members"
    CHANGE_SETTINGS = "change settings"


_SDR = frozenset(
    {
        Permission.VIEW,
        Permission.WORK_OWN_TASKS,
        Permission.GIVE_FEEDBACK,
        Permission.CONFIRM_VERDICTS,
    }
)
_LEADER = _SDR | {
    Permission.EDIT_SEGMENTS,
    Permission.EDIT_MOTIONS,
    Permission.RUN_CYCLES,
    Permission.IMPORT_DATA,
    Permission.IMPORT_OUTCOMES,
    Permission.WORK_ALL_TASKS,
    Permission.ASSIGN_ACCOUNTS,
    Permission.VIEW_AUDIT,
}

PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.LEADER: frozenset(_LEADER),
    Role.EVALUATOR: frozenset({Permission.VIEW, Permission.RUN_EVALS, Permission.GIVE_FEEDBACK}),
    Role.SDR: _SDR,
    Role.VIEWER: frozenset({Permission.VIEW}),
}
"""What each role may do. Admins may do everything; leaders what SDRs may and run the prospecting."""

ROLE_DUTIES: Mapping[Role, str] = {
    Role.ADMIN: "members and settings, and everything else",
    Role.LEADER: "segments, motions, cycles, imports, outcomes, everyone's tasks, the audit trail",
    Role.EVALUATOR: "evals, and feedback on grades",
    Role.SDR: "the queue, their own tasks, feedback and confirmed verdicts",
    Role.VIEWER: "reads every page, changes nothing",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: recorded on every audit event and checked by :func:`require`.

    ``name`` is what the audit trail and authors show (the signed-in e-mail address, or
    ``local operator`` for the CLI); ``owner_names`` are the names the person's tasks and accounts
    carry as their owner (the e-mail address and the name an admin gave them).
    """

    name: str
    role: Role | None
    email: str | None = None
    display_name: str = ""
    owner_names: frozenset[str] = field(default_factory=frozenset)
    owner: str = ""
    """The owner name 'My queue' filters on: the name an admin gave them, else their address."""

    def can(self, permission: Permission) -> bool:
        """Whether this person's role allows ``permission``."""
        return self.role is not None and permission in PERMISSIONS[self.role]

    def owns(self, owner: str | None) -> bool:
        """Whether a task or account with this ``owner`` is this person's own (case-insensitive)."""
        if not owner:
            return False
        key = owner.strip().casefold()
        return any(key == name.casefold() for name in self.owner_names)

    @property
    def label(self) -> str:
        """``name (role)``, for messages."""
        return f"{self.name} ({self.role.value if self.role else 'no role'})"


LOCAL_OPERATOR = Actor(name="local operator", role=Role.ADMIN)
"""The CLI and library calls made on the machine itself: an admin, recorded as 'local operator'."""

LOCAL_USER = Actor(name="local user", role=Role.ADMIN)
"""The app without sign-in configured: one person on their own machine, who may do everything."""


def require(actor: Actor, permission: Permission) -> None:
    """Raise :class:`PermissionDeniedError` unless ``actor`` may do ``permission``. Call before any change."""
    if actor.can(permission):
        return
    holders = [role.value for role in Role if permission in PERMISSIONS[role]]
    raise PermissionDeniedError(
        f"{actor.label} may not {permission.value}: that takes the role {' or '.join(holders)}. Ask an admin."
    )


def require_task_owner(actor: Actor, owner: str | None, task_id: int) -> None:
    """An SDR works only on their own tasks; leaders and admins on anyone's."""
    require(actor, Permission.WORK_OWN_TASKS)
    if actor.can(Permission.WORK_ALL_TASKS) or actor.owns(owner):
        return
    whose = f"{owner}'s" if owner else "an unassigned"
    raise PermissionDeniedError(
        f"Task {task_id} is {whose} task; {actor.label} works only on their own tasks. Ask a leader to reassign it."
    )


def author_of(actor: Actor, typed: str = "") -> str:
    """Who to show as the author of a version, feedback or confirmation.

    A signed-in person is always the author of what they do (a typed name is ignored, so nobody writes
    under someone else's name); without sign-in the typed name stands, as on a single-user install.
    """
    if actor.email:
        return actor.name
    return typed.strip()


def parse_role(value: str) -> Role:
    """A role from its name, with the valid names in the error."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InputError(f"No role {value!r}; the roles are {', '.join(r.value for r in Role)}.") from None


def clean_email(value: str) -> str:
    """A lower-cased e-mail address, or an InputError saying what is wrong."""
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 320:
        raise InputError(f"{value!r} is not an e-mail address (name@example.com).")
    return email


def _strongest(roles: Iterable[Role]) -> Role | None:
    ranked = list(Role)
    found = sorted(set(roles), key=ranked.index)
    return found[0] if found else None


def role_for(
    email: str,
    *,
    settings_roles: Mapping[str, list[str]] | Mapping[RoleName, list[str]],
    member_role: Role | None = None,
    default_role: Role | None = None,
) -> Role | None:
    """The role ``email`` holds, by the precedence in the module docstring; None when nothing names it."""
    address = email.strip().lower()
    domain = address.rpartition("@")[2]
    exact: list[Role] = []
    by_domain: list[Role] = []
    for role_name, entries in settings_roles.items():
        role = Role(role_name)
        for entry in entries:
            entry = entry.strip().lower()
            if entry == address:
                exact.append(role)
            elif entry.startswith("@") and entry[1:] == domain:
                by_domain.append(role)
    return _strongest(exact) or member_role or _strongest(by_domain) or default_role
