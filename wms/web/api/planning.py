"""Courier plans: run the planner (or a what-if), list and show plans, commit one."""

from __future__ import annotations

from typing import Annotated, Any

from flask import current_app, request
from pydantic import Field

from wms.services import planning
from wms.services.errors import InvalidInput
from wms.web.access import PLANNER, allow
from wms.web.api import api
from wms.web.context import actor, database, write
from wms.web.openapi import JsonObject, PlansQuery, doc
from wms.web.schemas import Input, chars, parse_json

Reply = tuple[dict[str, Any], int] | dict[str, Any]
Capacity = Annotated[int, Field(strict=True, ge=0, le=10**12)]
MAX_LISTED = 200


class CapacityIn(Input):
    service: chars(32)
    capacity_parcels: Capacity | None = None
    capacity_g: Capacity | None = None


class WhatIfIn(Input):
    remove_service: chars(32) | None = None
    capacity: CapacityIn | None = None


class PlanIn(Input):
    warehouse: chars(16)
    time_limit_s: Annotated[
        float,
        Field(
            strict=True,
            ge=planning.MIN_TIME_LIMIT_S,
            le=planning.MAX_TIME_LIMIT_S,
            allow_inf_nan=False,
        ),
    ] = 10.0
    what_if: WhatIfIn | None = None


def _view(number: str) -> dict[str, Any]:
    with database().reading() as s:
        return planning.plan_view(s, planning.plan_by_number(s, number))


@api.post("/plans")
@doc(json=PlanIn, created=JsonObject)
@allow(PLANNER)
def run_plan() -> Reply:
    data, who = parse_json(PlanIn), actor()
    what_if = None
    if data.what_if is not None:
        change = data.what_if.capacity
        what_if = planning.WhatIf(
            remove_service=data.what_if.remove_service,
            capacity=planning.CapacityChange(**change.model_dump()) if change else None,
        )
    services = planning.courier_services(
        current_app.extensions["wms.settings"].courier_services_path
    )
    # Solves outside any write transaction, then stores in one (see plan_warehouse).
    number = planning.plan_warehouse(
        database(),
        data.warehouse,
        actor=who,
        time_limit_s=data.time_limit_s,
        what_if=what_if,
        services=services,
        writer=write,
    )
    return _view(number), 201


@api.get("/plans")
@doc(query=PlansQuery)
@allow(PLANNER)
def list_plans() -> Reply:
    warehouse = request.args.get("warehouse") or None
    limit_text = request.args.get("limit", "50")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LISTED:
        raise InvalidInput(f"limit is a whole number from 1 to {MAX_LISTED}", field="limit")
    with database().reading() as s:
        runs = planning.plans_of(s, warehouse, limit=int(limit_text))
        return {"plans": [planning.plan_view(s, run, lines=False) for run in runs]}


@api.get("/plans/<number>")
@doc()
@allow(PLANNER)
def get_plan(number: str) -> Reply:
    return _view(number)


@api.post("/plans/<number>/commit")
@doc()
@allow(PLANNER)
def commit_plan(number: str) -> Reply:
    who = actor()
    write(lambda s: planning.commit_plan(s, number, actor=who))
    return _view(number)
