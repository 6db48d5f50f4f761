"""What the planner returns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from routing.eligibility import Reason


@dataclass(frozen=True)
class Assignment:
    parcel_id: str
    service_code: str
    price: Decimal  # in the plan's currency


@dataclass(frozen=True)
class Unassigned:
    """A parcel no service took: the summary reason, and each service's own reason."""

    parcel_id: str
    reason: Reason
    by_service: tuple[tuple[str, Reason], ...]


@dataclass(frozen=True)
class ServiceLoad:
    service_code: str
    parcels: int
    grams: int
    capacity_parcels: int | None
    capacity_g: int | None


@dataclass(frozen=True)
class CourierPlan:
    """Every parcel is either in `assignments` or in `unassigned`, never dropped.

    `objective` = `cost` + `penalty` for each parcel left for lack of capacity; `bound`
    is the solver's proven lower bound on the objective and `gap_pct` the distance to it.
    `rate_shopping_cost` is what plain rate shopping pays on the same input (each parcel
    in turn to its cheapest service with room left), leaving `rate_shopping_unassigned`.
    """

    currency: str
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    loads: tuple[ServiceLoad, ...]
    cost: Decimal
    objective: Decimal
    bound: Decimal
    gap_pct: float
    penalty: Decimal
    seconds: float
    status: str  # "optimal", "feasible", "greedy" (the solver's time ran out) or "empty"
    rate_shopping_cost: Decimal
    rate_shopping_unassigned: int

    @property
    def saving(self) -> Decimal:
        return self.rate_shopping_cost - self.cost

    def service_of(self, parcel_id: str) -> str | None:
        for assignment in self.assignments:
            if assignment.parcel_id == parcel_id:
                return assignment.service_code
        return None


@dataclass(frozen=True)
class PlanComparison:
    """A what-if plan against the committed one (what_if minus committed)."""

    cost_delta: Decimal
    objective_delta: Decimal
    moved_parcels: int  # assigned in both, to a different service
    newly_unassigned: tuple[str, ...]
    newly_assigned: tuple[str, ...]
    load_delta: tuple[tuple[str, int], ...]  # (service, parcels) where it changed
