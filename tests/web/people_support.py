"""People in tests: accounts of each role and signing in through the real form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from wms.db import Database
from wms.services import brokers, people, unit_of_work

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def make_user(
    db: Database,
    username: str,
    role: str,
    *,
    broker: str | None = None,
    password: str = PASSWORD,
    locale: str | None = None,
) -> None:
    """A user; ``broker`` is the broker organisation's code (created when missing)."""

    def create(s: object) -> None:
        if broker is not None:
            try:
                brokers.broker_by_code(s, broker)  # type: ignore[arg-type]
            except Exception:
                brokers.create_broker(s, broker, f"{broker} Customs Brokerage")  # type: ignore[arg-type]
        people.create_user(s, username, password, role, broker_code=broker, locale=locale)  # type: ignore[arg-type]

    unit_of_work.run(db, create)


def csrf_of(client: FlaskClient, path: str = "/sign-in") -> str:
    """The session's CSRF token, as every page carries it in its <meta name=csrf-token>."""
    html = client.get(path).get_data(as_text=True)
    found = _CSRF.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the CSRF token of the new session."""
    token = csrf_of(client)
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-400:]
    return _fresh_csrf(client)


def _fresh_csrf(client: FlaskClient) -> str:
    # The session rotated at sign-in: read the new token from a page everyone may open.
    with client.session_transaction() as session:
        return str(session["csrf"])
