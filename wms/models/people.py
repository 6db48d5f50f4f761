"""People who sign in, their roles, and the append-only audit log of who did what."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.customs import BrokerOrganisation


class Role(StrEnum):
    STAFF = "staff"  # warehouse staff on handhelds
    PLANNER = "planner"
    BROKER = "broker"  # a customs broker, always of one broker organisation
    ADMIN = "admin"


ROLE_VALUES = tuple(r.value for r in Role)
_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLE_VALUES) + ")"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="role"),
        # A broker acts for one organisation; nobody else belongs to one.
        CheckConstraint("(role = 'broker') = (broker_id IS NOT NULL)", name="broker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("broker_organisations.id"))
    locale: Mapped[str | None] = mapped_column(String(8))  # None: the browser's language
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the password changes or the user is disabled: older sessions end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]

    broker: Mapped[BrokerOrganisation | None] = relationship()


class AuditEntry(Base):
    """One line per sign-in, failed sign-in and business operation; never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # Throttling counts recent failed sign-ins per user name and per address.
        Index("ix_audit_log_action_target_at", "action", "target", "at"),
        Index("ix_audit_log_action_remote_addr_at", "action", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # ok, refused, failed
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
