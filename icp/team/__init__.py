"""Team use: who may do what (roles), who they are (members), and what everyone did (the audit trail).

- :mod:`icp.team.roles`: :class:`Role`, :class:`Permission`, :class:`Actor` and :func:`require`, which
  every service calls before it changes anything.
- :mod:`icp.team.members`: the ``Member`` table and :func:`actor_for` (a signed-in e-mail -> an Actor).
- :mod:`icp.team.audit`: :func:`record` and :func:`list_events` over the append-only ``AuditEvent`` table.
"""

from icp.team.audit import AuditEventInfo, known_actors, list_events, record
from icp.team.members import MemberInfo, actor_for, add_member, list_members, remove_member
from icp.team.roles import (
    LOCAL_OPERATOR,
    LOCAL_USER,
    PERMISSIONS,
    ROLE_DUTIES,
    Actor,
    Permission,
    Role,
    require,
    require_task_owner,
    role_for,
)

__all__ = [
    "LOCAL_OPERATOR",
    "LOCAL_USER",
    "PERMISSIONS",
    "ROLE_DUTIES",
    "Actor",
    "AuditEventInfo",
    "MemberInfo",
    "Permission",
    "Role",
    "actor_for",
    "add_member",
    "known_actors",
    "list_events",
    "list_members",
    "record",
    "remove_member",
    "require",
    "require_task_owner",
    "role_for",
]
