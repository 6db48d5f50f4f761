"""Who may call what: every view declares its roles, and nothing else gets through.

``@allow("staff", "planner")`` under the route decorator lists the roles that may call a
view; an admin may call every view.  ``@public`` marks the few views anyone may open
(sign-in, display-tag links, static files).  A view that declares neither is refused to
everybody (``auth.guard``), and a test checks that no route is left undeclared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from wms.models import Role

F = TypeVar("F", bound=Callable[..., object])

STAFF = Role.STAFF.value
PLANNER = Role.PLANNER.value
BROKER = Role.BROKER.value
ADMIN = Role.ADMIN.value
# Shorthands for the usual sets (admin is always allowed on top).
WAREHOUSE = (STAFF, PLANNER)  # everyone inside the warehouse company
ROLES_ATTR = "allowed_roles"
PUBLIC_ATTR = "public"


def allow(*roles: str) -> Callable[[F], F]:
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(roles) | {ADMIN})
        return view

    return mark


def public(view: F) -> F:
    setattr(view, PUBLIC_ATTR, True)
    return view


def roles_of(view: Callable[..., object]) -> frozenset[str] | None:
    """The roles a view admits; None when it declared nothing (refused to all)."""
    return getattr(view, ROLES_ATTR, None)


def is_public(view: Callable[..., object]) -> bool:
    return bool(getattr(view, PUBLIC_ATTR, False))
