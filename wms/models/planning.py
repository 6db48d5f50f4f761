"""Courier plans: one run of the planner over a warehouse's allocated orders, and its
line per order (the service chosen and its price, or why no service took the order)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.models.base import Base
from wms.models.warehouse import enum_column


class PlanKind(StrEnum):
    PLAN = "plan"  # may be committed: its orders get their courier and tracking number
    WHAT_IF = "what_if"  # a changed set of services, compared with the plan it is based on


class PlanRun(Base):
    __tablename__ = "plan_runs"
    __table_args__ = (
        CheckConstraint("parcels >= 0 AND rate_shopping_unassigned >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # PL<yyyymmdd>-<n>
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    kind: Mapped[PlanKind] = mapped_column(enum_column(PlanKind, "plan_kind"))
    # What the run changed: {"remove_service": ...} and/or {"capacity": {...}}; {} for a plan.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The plan a what-if re-planned and is compared with.
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("plan_runs.id"))
    status: Mapped[str] = mapped_column(String(16))  # the solver's: optimal, feasible, greedy
    currency: Mapped[str] = mapped_column(String(3))
    cost: Mapped[Decimal]
    objective: Mapped[Decimal]  # cost + the penalty of each parcel left for lack of capacity
    bound: Mapped[Decimal]  # the solver's proven lower bound on the objective
    penalty: Mapped[Decimal]
    gap_pct: Mapped[float]
    seconds: Mapped[float]
    rate_shopping_cost: Mapped[Decimal]
    rate_shopping_unassigned: Mapped[int]
    parcels: Mapped[int]
    loads: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[list[str]] = mapped_column(JSON)
    comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    committed_by: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[datetime | None]

    lines: Mapped[list[PlanLine]] = relationship(back_populates="plan", order_by="PlanLine.id")


class PlanLine(Base):
    """One order of a plan: its service and price, or the reason no service took it."""

    __tablename__ = "plan_lines"
    __table_args__ = (
        UniqueConstraint("plan_id", "order_id"),
        CheckConstraint(
            "(service_code IS NULL) = (price IS NULL) AND (service_code IS NULL) <> "
            "(reason IS NULL)",
            name="assigned_or_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan_runs.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    weight_g: Mapped[int]  # the parcel as planned: goods plus the box's tare
    service_code: Mapped[str | None] = mapped_column(String(32))
    price: Mapped[Decimal | None]
    # Unassigned: no_coverage, remote_not_served, over_limits, restricted, too_slow,
    # no_capacity; and each service's own reason in `refusals`.
    reason: Mapped[str | None] = mapped_column(String(24))
    refusals: Mapped[dict[str, str] | None] = mapped_column(JSON)

    plan: Mapped[PlanRun] = relationship(back_populates="lines")
