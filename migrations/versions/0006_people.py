"""People: users with roles, token roles, and the append-only audit log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 01:18:57.540738
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from wms.models import append_only
from wms.models.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_action_remote_addr_at", ["action", "remote_addr", "at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_log_action_target_at", ["action", "target", "at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in append_only.create_statements(dialect, "audit_log"):
        op.execute(statement)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("broker_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_sign_in_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "(role = 'broker') = (broker_id IS NOT NULL)", name=op.f("ck_users_broker")
        ),
        sa.CheckConstraint(
            "role IN ('staff', 'planner', 'broker', 'admin')", name=op.f("ck_users_role")
        ),
        sa.ForeignKeyConstraint(
            ["broker_id"],
            ["broker_organisations.id"],
            name=op.f("fk_users_broker_id_broker_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )

    # Existing tokens keep what they could do: a broker's stays a broker's, an internal
    # integration's becomes an admin token.
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="admin")
        )
    op.execute("UPDATE api_tokens SET role = 'broker' WHERE broker_id IS NOT NULL")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)
        batch_op.create_check_constraint("role", "role IN ('staff', 'planner', 'broker', 'admin')")
        batch_op.create_check_constraint("broker", "(role = 'broker') = (broker_id IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("broker", type_="check")
        batch_op.drop_constraint("role", type_="check")
        batch_op.drop_column("role")
    op.drop_table("users")
    for statement in append_only.drop_statements(op.get_bind().dialect.name, "audit_log"):
        op.execute(statement)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index("ix_audit_log_action_target_at")
        batch_op.drop_index("ix_audit_log_action_remote_addr_at")
    op.drop_table("audit_log")
