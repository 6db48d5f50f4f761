"""The planner dashboard (/dashboard): planners and admins only.

One page reads what ``services.dashboard`` gathers (the pipeline, the orders stuck
longest, courier plans and their capacity, overdue loans, showroom traffic, the account
book's reconciliation, the scheduled jobs) and formats it for the reader's language.
Two forms act: running the courier planner (``services.planning``, the same steps as
``POST /api/v1/plans``: read, solve outside any transaction, store) and committing a
plan (``planning.commit_plan``, as ``POST /api/v1/plans/<n>/commit``).  Both are
same-site POSTs with the session's CSRF token (checked by ``auth.guard``), both write
through ``context.write`` (one transaction with its audit entry), and both answer with a
redirect back to the page and a message; a refusal is a message naming the field, never
a 500.  The capacity charts are inline SVG drawn here (``charts``): no script.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_percent, format_timedelta, lazy_gettext
from flask_babel import gettext as _
from markupsafe import Markup

from wms.models import Flow, OrderStatus
from wms.services import dashboard as board
from wms.services import order_queries, planning
from wms.services.errors import InvalidInput, NotFound, ServiceError
from wms.web.access import PLANNER, allow
from wms.web.charts import Bar, bar_chart
from wms.web.context import actor, database, write
from wms.web.i18n import number

dashboard = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")

STUCK_LISTED = 10
PLANS_LISTED = 10
UNASSIGNED_LISTED = 50
DEFAULT_TIME_LIMIT_S = 10.0
MAX_PLAN_NUMBER = 32
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL

STATUS_NAMES: dict[str, Any] = {
    OrderStatus.RECEIVED.value: lazy_gettext("received"),
    OrderStatus.ON_HOLD.value: lazy_gettext("on hold"),
    OrderStatus.ALLOCATED.value: lazy_gettext("allocated"),
    OrderStatus.PLANNED.value: lazy_gettext("planned"),
    OrderStatus.DECLARED.value: lazy_gettext("declared"),
    OrderStatus.CLEARED.value: lazy_gettext("cleared"),
    OrderStatus.REJECTED.value: lazy_gettext("rejected"),
    OrderStatus.PICKED.value: lazy_gettext("picked"),
    OrderStatus.PACKED.value: lazy_gettext("packed"),
    OrderStatus.LABELLED.value: lazy_gettext("labelled"),
    OrderStatus.LOADED.value: lazy_gettext("loaded"),
    OrderStatus.RELEASED.value: lazy_gettext("released"),
    OrderStatus.HANDED_OVER.value: lazy_gettext("handed over"),
    OrderStatus.CANCELLED.value: lazy_gettext("cancelled"),
}
FLOW_NAMES: dict[str, Any] = {
    Flow.BONDED_IMPORT.value: lazy_gettext("bonded import (1210)"),
    Flow.DIRECT_MAIL.value: lazy_gettext("direct mail (9610)"),
    Flow.EXPORT.value: lazy_gettext("export"),
    Flow.DOMESTIC.value: lazy_gettext("domestic duty-paid"),
}
# planning.reason_code of each routing.Reason
REASON_NAMES: dict[str, Any] = {
    "no_coverage": lazy_gettext("no service covers the destination"),
    "remote_not_served": lazy_gettext("remote area not served"),
    "over_limits": lazy_gettext("over the per-parcel limits"),
    "restricted": lazy_gettext("restricted contents"),
    "too_slow": lazy_gettext("misses the promised delivery date"),
    "no_capacity": lazy_gettext("no capacity left"),
}
SOLVER_STATUS_NAMES: dict[str, Any] = {
    "optimal": lazy_gettext("optimal"),
    "feasible": lazy_gettext("feasible, not proven optimal"),
    "greedy": lazy_gettext("greedy (no solver result)"),
}
KIND_NAMES: dict[str, Any] = {
    "plan": lazy_gettext("plan"),
    "what_if": lazy_gettext("what-if"),
}
JOB_NAMES: dict[str, Any] = {
    "overdue_loans": lazy_gettext("Flag display loans past their due date and notify planners"),
    "expired_reservations": lazy_gettext(
        "Re-allocate reservations on lots too short-dated for their channel"
    ),
    "reconcile_book": lazy_gettext(
        "Rebuild the account book and quants from the moves and report drift"
    ),
    "chase_declarations": lazy_gettext("Chase customs lists left unanswered"),
    "plan_cutoffs": lazy_gettext("Run the courier planner at the cut-off times"),
    "purge_job_runs": lazy_gettext("Purge old job run records"),
}
NOTICE_NAMES: dict[str, Any] = {
    "loan_overdue": lazy_gettext("Display loan overdue"),
    "lot_short_dated": lazy_gettext("Lot too short-dated for its orders"),
    "declaration_waiting": lazy_gettext("Customs list waiting for an answer"),
    "book_drift": lazy_gettext("Account book drift"),
    "plan_cutoff": lazy_gettext("Plan ready at the cut-off: commit it"),
}
OUTCOME_NAMES: dict[str, Any] = {
    "running": lazy_gettext("running"),
    "ok": lazy_gettext("ok"),
    "warning": lazy_gettext("warning"),
    "failed": lazy_gettext("failed"),
    "abandoned": lazy_gettext("abandoned"),
}
CSS = "dashboard.css"
NO_FIGURE = "-"


def _name(names: dict[str, Any], code: str | None) -> str:
    return str(names.get(code or "", code or ""))


def _age(delta: timedelta) -> str:
    return str(format_timedelta(delta, granularity="minute", threshold=1.5))


def _day(value: date) -> str:
    return str(format_date(value, "medium"))


def _pct(part: float | Decimal | None, whole: float | Decimal | None) -> str:
    """``part`` of ``whole`` as a percentage for the reader's locale; "" without a whole."""
    if part is None or not whole:
        return ""
    return str(format_percent(float(part) / float(whole), format="#,##0.##%"))


# --- the page ----------------------------------------------------------------------------------


@dashboard.get("/")
@allow(PLANNER)
def index() -> str:
    wanted = request.args.get("plan", "").strip()
    if len(wanted) > MAX_PLAN_NUMBER:
        raise InvalidInput(
            _("plan numbers have at most %(n)d characters", n=MAX_PLAN_NUMBER), field="plan"
        )
    with database().reading() as s:
        pipeline = board.pipeline(s)
        stuck = board.stuck_orders(s, limit=STUCK_LISTED)
        warehouses = board.plannable_warehouses(s)
        plans = board.recent_plans(s, limit=PLANS_LISTED)
        shown = wanted or board.latest_plan_number(s)
        detail = board.plan_detail(s, shown, limit=UNASSIGNED_LISTED) if shown else None
        loans, loans_total = board.overdue_loans(s)
        notices = board.open_notices(s)
        traffic = board.showroom_traffic(s)
        reconciliation = board.reconciliation(s)
        jobs = board.scheduled_jobs(s)
    loads = board.capacity(detail.view) if detail else []
    return render_template(
        "dashboard/index.html",
        css=CSS,
        pipeline=pipeline,
        stuck=stuck,
        warehouses=warehouses,
        plans=plans,
        detail=detail,
        loads=loads,
        charts=_charts(detail.view["number"], loads) if detail else None,
        loans=loans,
        loans_total=loans_total,
        notices=notices,
        traffic=traffic,
        reconciliation=reconciliation,
        jobs=jobs,
        default_time_limit=DEFAULT_TIME_LIMIT_S,
        min_time_limit=planning.MIN_TIME_LIMIT_S,
        max_time_limit=planning.MAX_TIME_LIMIT_S,
        status_names=STATUS_NAMES,
        flow_names=FLOW_NAMES,
        reason_names=REASON_NAMES,
        solver_names=SOLVER_STATUS_NAMES,
        kind_names=KIND_NAMES,
        job_names=JOB_NAMES,
        notice_names=NOTICE_NAMES,
        outcome_names=OUTCOME_NAMES,
        name=_name,
        age=_age,
        day=_day,
        pct=_pct,
    )


def _charts(plan_number: str, loads: list[board.ServiceCapacity]) -> dict[str, Markup]:
    """Parcels and kilograms per courier service against its daily capacity."""
    parcel_bars = [
        Bar(
            load.service,
            load.parcels,
            load.capacity_parcels,
            _(
                "%(used)s of %(capacity)s parcels (%(pct)s)",
                used=number(load.parcels),
                capacity=number(load.capacity_parcels),
                pct=_pct(load.parcels, load.capacity_parcels) or NO_FIGURE,
            )
            if load.capacity_parcels is not None
            else _("%(used)s parcels, no daily limit", used=number(load.parcels)),
        )
        for load in loads
    ]
    kg_bars = [
        Bar(
            load.service,
            load.kg,
            load.capacity_kg,
            _(
                "%(used)s of %(capacity)s kg (%(pct)s)",
                used=number(load.kg, 1),
                capacity=number(load.capacity_kg, 1),
                pct=_pct(load.kg, load.capacity_kg) or NO_FIGURE,
            )
            if load.capacity_kg is not None
            else _("%(used)s kg, no daily limit", used=number(load.kg, 1)),
        )
        for load in loads
    ]
    empty = _("No courier service is configured.")
    return {
        "parcels": bar_chart(
            parcel_bars,
            chart_id="chart-parcels",
            title=_("Parcels per courier service in plan %(number)s", number=plan_number),
            description=_(
                "Parcels planned for each courier service against its daily capacity: %(figures)s.",
                figures="; ".join(f"{b.label}: {b.value_text}" for b in parcel_bars) or NO_FIGURE,
            ),
            empty_text=empty,
        ),
        "kg": bar_chart(
            kg_bars,
            chart_id="chart-kg",
            title=_("Weight per courier service in plan %(number)s", number=plan_number),
            description=_(
                "Kilograms planned for each courier service against its daily capacity: "
                "%(figures)s.",
                figures="; ".join(f"{b.label}: {b.value_text}" for b in kg_bars) or NO_FIGURE,
            ),
            empty_text=empty,
        ),
    }


# --- running and committing plans -----------------------------------------------------------


def _time_limit(text: str) -> float:
    try:
        value = float(text.replace(",", ".")) if text.strip() else DEFAULT_TIME_LIMIT_S
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(
            _(
                "the time limit is a number of seconds from %(low)s to %(high)s",
                low=number(planning.MIN_TIME_LIMIT_S),
                high=number(planning.MAX_TIME_LIMIT_S),
            ),
            field="time_limit_s",
        )
    return planning.check_time_limit(value)


def _refusal(exc: ServiceError) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


@dashboard.post("/plans")
@allow(PLANNER)
def run_plan() -> Response:
    """Plan the warehouse's allocated orders, as POST /api/v1/plans does; then show it."""
    who = actor()
    try:
        code = request.form.get("warehouse", "").strip()
        if not code or len(code) > 16:
            raise InvalidInput(_("choose a warehouse"), field="warehouse")
        limit = _time_limit(request.form.get("time_limit_s", ""))
        services = planning.courier_services(
            current_app.extensions["wms.settings"].courier_services_path
        )
        with database().reading() as s:
            plan_input = planning.prepare_plan(s, code, services=services)
        # The solver runs outside any transaction (it may take up to a minute); the run is
        # stored with its audit entry in one.
        plan = planning.solve(plan_input, time_limit_s=limit)
        plan_number = write(lambda s: planning.store_plan(s, plan_input, plan, actor=who).number)
    except ServiceError as exc:
        flash(_("The planner did not run. %(reason)s", reason=_refusal(exc)), "error")
        return redirect(url_for(".index", _anchor="planner"), code=303)
    flash(
        _(
            "Plan %(number)s is ready: %(assigned)s of %(parcels)s parcels assigned.",
            number=plan_number,
            assigned=number(len(plan.assignments)),
            parcels=number(len(plan_input.parcels)),
        ),
        "success",
    )
    return redirect(url_for(".index", plan=plan_number, _anchor="plan"), code=303)


@dashboard.post("/plans/<plan_number>/commit")
@allow(PLANNER)
def commit_plan(plan_number: str) -> Response:
    """Give the plan's orders their courier and tracking number (audited)."""
    who = actor()

    def commit(s: Any) -> int:
        if len(plan_number) > MAX_PLAN_NUMBER:
            raise NotFound(
                _("no plan %(number)s", number=plan_number[:MAX_PLAN_NUMBER]), field="plan_number"
            )
        run = planning.commit_plan(s, plan_number, actor=who)
        return sum(1 for line in run.lines if line.service_code is not None)

    try:
        planned = write(commit)
    except ServiceError as exc:
        flash(_("The plan was not committed. %(reason)s", reason=_refusal(exc)), "error")
        shown = None if isinstance(exc, NotFound) else plan_number
        return redirect(url_for(".index", plan=shown, _anchor="planner"), code=303)
    flash(
        _(
            "Plan %(number)s is committed: %(orders)s orders have their courier and "
            "tracking number.",
            number=plan_number,
            orders=number(planned),
        ),
        "success",
    )
    return redirect(url_for(".index", plan=plan_number, _anchor="plan"), code=303)


# --- one order -------------------------------------------------------------------------------


@dashboard.get("/orders/<int:order_id>")
@allow(PLANNER)
def order(order_id: int) -> str:
    """One order as the API shows it (personal data masked) with its history."""
    if order_id > MAX_ID:
        raise NotFound(_("order %(id)s does not exist", id=order_id), field="order_id")
    with database().reading() as s:
        detail = order_queries.order_detail(s, order_id)
    return render_template(
        "dashboard/order.html",
        css=CSS,
        order=detail,
        status_names=STATUS_NAMES,
        flow_names=FLOW_NAMES,
        name=_name,
    )
