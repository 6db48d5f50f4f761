"""The order state machine: which status follows which, for each flow.

Pure rules.  ``services.orders.transition`` is the one place that changes an order's
status; it asks ``check`` first and records every change as an ``OrderEvent``.

Bonded import (1210):   received -> allocated -> planned -> declared -> cleared -> picked
                        -> packed -> labelled -> loaded -> released -> handed_over
Export:                 the same; the export list is declared and cleared before picking
Domestic duty-paid:     received -> allocated -> planned -> picked -> ... (no declaration)
Direct mail (9610):     received (parcel registered) -> planned (domestic courier)
                        -> declared -> cleared -> labelled (re-labelled) -> loaded -> ...

Holds: an order short of stock waits in on_hold until allocation succeeds (also after
a short pick, which re-allocates the missing units and keeps the order's customs status:
the declaration names goods and quantities, not bins); customs may hold a declared
order (inspection) and then clear or reject it.  A rejected declaration
can be corrected and declared again, or the order cancelled.
"""

from __future__ import annotations

from wms.models import Flow, OrderStatus
from wms.services.errors import Conflict

S = OrderStatus


def _path(names: str) -> tuple[OrderStatus, ...]:
    return tuple(OrderStatus(name) for name in names.split())


_DECLARED_PATH = _path(
    "received allocated planned declared cleared picked packed labelled loaded released handed_over"
)
_MAIN: dict[Flow, tuple[OrderStatus, ...]] = {
    Flow.BONDED_IMPORT: _DECLARED_PATH,
    Flow.EXPORT: _DECLARED_PATH,
    Flow.DOMESTIC: _path(
        "received allocated planned picked packed labelled loaded released handed_over"
    ),
    Flow.DIRECT_MAIL: _path(
        "received planned declared cleared labelled loaded released handed_over"
    ),
}

# Goods that have left the zone cannot be called back by a cancellation: a consumer
# return is the way back.  Loaded parcels are unloaded (batch re-opened) first.
CANCELLABLE = frozenset(
    _path("received on_hold allocated planned declared cleared rejected picked packed labelled")
)

# Statuses that hold reserved stock or picked goods, so a cancellation has work to undo.
HOLDS_RESERVATIONS = frozenset({S.ALLOCATED, S.PLANNED, S.DECLARED, S.CLEARED, S.REJECTED})
HOLDS_PICKED_GOODS = frozenset({S.PICKED, S.PACKED, S.LABELLED})


def main_path(flow: Flow) -> tuple[OrderStatus, ...]:
    return _MAIN[flow]


def declares(flow: Flow) -> bool:
    """Whether customs clears each order of this flow before it may leave."""
    return S.DECLARED in _MAIN[flow]


def ready_to_pick(flow: Flow) -> OrderStatus:
    """The status an order must have reached before it may be picked in a wave."""
    return S.CLEARED if declares(flow) else S.PLANNED


def allowed(flow: Flow, current: OrderStatus, target: OrderStatus) -> bool:
    if target is S.CANCELLED:
        return current in CANCELLABLE
    path = _MAIN[flow]
    if target is S.ON_HOLD:
        # Short of stock before allocation, or held by customs after declaring.
        return current in {S.RECEIVED, S.DECLARED} or (
            current in path and S.ALLOCATED in path and _before(path, current, S.PICKED)
        )
    if current is S.ON_HOLD:
        # Resumes where services.orders says (resume_status); customs may reject a held one.
        return target in path or target is S.REJECTED
    if target is S.REJECTED:
        return current in {S.DECLARED, S.ON_HOLD}
    if current is S.REJECTED:
        return target is S.DECLARED  # corrected and declared again
    if current in path and target in path:
        i, j = path.index(current), path.index(target)
        if j == i + 1:
            return True
        # A parcel taken off a vehicle before gate-out is labelled again.
        return current is S.LOADED and target is S.LABELLED
    return False


def resumptions(flow: Flow, resume: OrderStatus) -> frozenset[OrderStatus]:
    """Where an order held at ``resume`` may go: back there, on to the next step (customs
    clears a held declaration), rejected by customs, or cancelled."""
    path = _MAIN[flow]
    nxt = path[path.index(resume) + 1 : path.index(resume) + 2] if resume in path else ()
    extra = {S.REJECTED} if resume is S.DECLARED else set()
    return frozenset({resume, *nxt, S.CANCELLED, *extra})


def check(flow: Flow, current: OrderStatus, target: OrderStatus, number: str) -> None:
    if not allowed(flow, current, target):
        raise Conflict(
            f"order {number} is {current.value}; it cannot become {target.value}"
            + (f" ({flow.value} orders go {' -> '.join(s.value for s in _MAIN[flow])})"),
            field="status",
            status=current.value,
            requested=target.value,
        )


def _before(path: tuple[OrderStatus, ...], a: OrderStatus, b: OrderStatus) -> bool:
    return b in path and path.index(a) < path.index(b)
