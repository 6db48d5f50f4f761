"""Sign-in, sign-out, the language choice, the start page of each role, the audit log.

A failed sign-in answers the same whether the user name exists or not; attempts are
throttled in the database (``services.people``), so the limit holds across workers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from wms.services import audit, people, unit_of_work
from wms.services.errors import InvalidInput
from wms.web import auth
from wms.web.access import ADMIN, BROKER, PLANNER, STAFF, allow, public
from wms.web.context import database
from wms.web.i18n import LOCALE_KEY, LOCALES

people_pages = Blueprint("people", __name__, template_folder="templates")

ROLE_NAMES = {
    STAFF: lazy_gettext("Warehouse staff"),
    PLANNER: lazy_gettext("Planner"),
    BROKER: lazy_gettext("Customs broker"),
    ADMIN: lazy_gettext("Administrator"),
}
OUTCOME_NAMES = {
    audit.OK: lazy_gettext("done"),
    audit.REFUSED: lazy_gettext("refused"),
    audit.FAILED: lazy_gettext("failed"),
}
# Where each role starts, and what its menu holds: (endpoint, label, roles).
START = {
    STAFF: "scanner.menu",
    PLANNER: "dashboard.index",
    BROKER: "portal.declarations_list",
    ADMIN: "dashboard.index",
}
NAV: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("scanner.menu", lazy_gettext("Scanner"), frozenset({STAFF, ADMIN})),
    ("dashboard.index", lazy_gettext("Dashboard"), frozenset({PLANNER, ADMIN})),
    ("pages.overview", lazy_gettext("Stock and account book"), frozenset({STAFF, PLANNER, ADMIN})),
    (
        "portal.declarations_list",
        lazy_gettext("Declarations"),
        frozenset({BROKER, PLANNER, ADMIN}),
    ),
    ("people.audit_log", lazy_gettext("Audit log"), frozenset({ADMIN})),
)
AUDIT_PAGE = 100


def nav_items() -> list[dict[str, Any]]:
    principal = auth.current_principal()
    if principal is None:
        return []
    items = []
    for endpoint, label, roles in NAV:
        if principal.role in roles and endpoint in current_app.view_functions:
            items.append(
                {
                    "url": url_for(endpoint),
                    "label": label,
                    "current": request.endpoint == endpoint,
                }
            )
    return items


@people_pages.app_context_processor
def _layout() -> dict[str, Any]:
    return {
        "csrf_token": auth.csrf_token,
        "principal": auth.current_principal(),
        "nav_items": nav_items(),
        "role_names": ROLE_NAMES,
    }


@people_pages.get("/")
@allow(STAFF, PLANNER, BROKER)
def home() -> Response:
    principal = auth.require_principal()
    return redirect(url_for(start_endpoint(principal.role)))


def start_endpoint(role: str) -> str:
    endpoint = START[role]
    return endpoint if endpoint in current_app.view_functions else "pages.overview"


@people_pages.get("/sign-in")
@public
def sign_in_form() -> str | Response:
    if auth.current_principal() is not None:
        return redirect(url_for("people.home"))
    return render_template(
        "sign_in.html",
        next=request.args.get("next", ""),
        error=None,
        username="",
        ended=bool(session.pop(auth.ENDED_KEY, False)),
    )


@people_pages.post("/sign-in")
@public
def sign_in() -> Response | tuple[str, int, dict[str, str]]:
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")
    context = audit.Context("anonymous", None, request.remote_addr, g.get("request_id"))
    result = unit_of_work.run(database(), lambda s: people.sign_in(s, username, password, context))
    if result.principal is None:
        headers: dict[str, str] = {}
        if result.refusal == "throttled":
            minutes = max(1, -(-result.retry_after_s // 60))
            error = _(
                "Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes
            )
            status = 429
            headers["Retry-After"] = str(result.retry_after_s)
        else:
            error = _("The user name or the password is not right.")
            status = 422
        html = render_template(
            "sign_in.html",
            next=request.form.get("next", ""),
            error=error,
            username=username,
            ended=False,
        )
        return html, status, headers
    principal = result.principal
    with database().reading() as s:
        user = people.user_by_name(s, principal.name)
        version, locale = user.session_version, user.locale
    auth.start_session(principal, version, locale)
    default = url_for(start_endpoint(principal.role))
    return redirect(auth.safe_next(request.form.get("next"), default))


@people_pages.post("/sign-out")
@public
def sign_out() -> Response:
    principal = auth.current_principal()
    if principal is not None and principal.is_person:
        with database().transaction() as s:
            audit.record(s, auth.audit_context(), "sign_out", principal.name)
    auth.end_session(keep_locale=True)
    return redirect(url_for("people.sign_in_form"))


@people_pages.post("/language")
@public
def choose_language() -> Response:
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    session[LOCALE_KEY] = locale
    principal = auth.current_principal()
    if principal is not None and principal.user_id is not None:
        user_id = principal.user_id
        unit_of_work.run(database(), lambda s: people.set_locale(s, user_id, locale))
    return redirect(auth.safe_next(request.form.get("next"), url_for("people.sign_in_form")))


@people_pages.get("/audit")
@allow(ADMIN)
def audit_log() -> str:
    actor = request.args.get("actor", "").strip()[:64]
    action = request.args.get("action", "").strip()[:80]
    before = request.args.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 12 else None
    with database().reading() as s:
        entries = [
            audit.as_dict(e)
            for e in audit.recent(
                s,
                actor=actor or None,
                action=action or None,
                limit=AUDIT_PAGE,
                before_id=before_id,
            )
        ]
    more = {"actor": actor, "action": action, "before": entries[-1]["id"] if entries else ""}
    return render_template(
        "audit.html",
        entries=entries,
        actor=actor,
        action=action,
        page_size=AUDIT_PAGE,
        more_query=urlencode(more),
        outcome_names=OUTCOME_NAMES,
    )
