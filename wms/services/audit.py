"""The audit log: who did what, when, from where, and how it ended.

Entries are only ever added (the database refuses updates and deletes).  A business
operation's entry is written in the operation's own transaction, so the log never
claims what did not happen; refusals and sign-ins are written on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import AuditEntry
from wms.services.ledger import utcnow

OK = "ok"
REFUSED = "refused"
FAILED = "failed"


@dataclass(frozen=True)
class Context:
    """Who acts and from where, as the web layer or the CLI knows it."""

    actor: str
    role: str | None = None
    remote_addr: str | None = None
    request_id: str | None = None


def record(
    session: Session,
    context: Context,
    action: str,
    target: str,
    *,
    outcome: str = OK,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utcnow(),
        actor=context.actor[:64],
        role=context.role,
        action=action[:80],
        target=target[:200],
        outcome=outcome,
        remote_addr=(context.remote_addr or None) and context.remote_addr[:45],
        request_id=context.request_id,
        details=details or {},
    )
    session.add(entry)
    return entry


def recent(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first; ``before_id`` pages further back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "remote_addr": entry.remote_addr,
        "request_id": entry.request_id,
        "details": entry.details,
    }
