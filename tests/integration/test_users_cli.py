"""`flask users ...` and `flask tokens issue --role`: the first admin, passwords, roles."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from tests.web.people_support import sign_in
from wms.db import Database
from wms.models import AuditEntry, User
from wms.services import brokers


def run(app: Flask, *args: str, password: str | None = None) -> tuple[int, str]:
    stdin = f"{password}\n" if password is not None else None
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    return result.exit_code, result.output


def test_the_first_admin_is_made_on_the_command_line_and_can_sign_in(app: Flask, db: Database):
    code, out = run(
        app,
        "users",
        "create",
        "Root",
        "--role",
        "admin",
        "--password-stdin",
        password="a long admin password",
    )
    assert code == 0 and "user root created (admin)" in out
    client = app.test_client()
    sign_in(client, "root", "a long admin password")
    assert client.get("/audit").status_code == 200
    with db.reading() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "users.create")).one()
        assert entry.actor.startswith("cli:") and entry.target == "Root"


def test_the_password_can_be_typed_at_a_hidden_prompt(app: Flask, db: Database):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "pat", "--role", "planner"],
        input="planner password 1\nplanner password 1\n",
    )
    assert result.exit_code == 0, result.output
    assert "planner password 1" not in result.output


def test_bad_users_are_refused_with_one_line_naming_the_problem(app: Flask, db: Database):
    assert (
        run(
            app,
            "users",
            "create",
            "x",
            "--role",
            "staff",
            "--password-stdin",
            password="long enough pw",
        )[0]
        == 1
    )
    code, out = run(
        app, "users", "create", "sam", "--role", "staff", "--password-stdin", password="short"
    )
    assert code == 1 and "10 to 256 characters" in out
    code, out = run(
        app,
        "users",
        "create",
        "bea",
        "--role",
        "broker",
        "--password-stdin",
        password="long enough pw",
    )
    assert code == 1 and "broker organisation" in out
    code, out = run(
        app,
        "users",
        "create",
        "bea",
        "--role",
        "broker",
        "--broker",
        "NOPE",
        "--password-stdin",
        password="long enough pw",
    )
    assert code == 1 and "no broker NOPE" in out
    with db.reading() as s:
        assert s.scalars(select(User)).all() == []


def test_a_broker_user_belongs_to_its_organisation(app: Flask, db: Database):
    with db.transaction() as s:
        brokers.create_broker(s, "EASTPORT", "Eastport")
    code, _ = run(
        app,
        "users",
        "create",
        "bea",
        "--role",
        "broker",
        "--broker",
        "EASTPORT",
        "--password-stdin",
        password="long enough pw",
    )
    assert code == 0
    code, out = run(app, "users", "list")
    assert out.split("\t")[:3] == ["bea", "broker", "EASTPORT"]


def test_disable_enable_and_set_password(app: Flask, db: Database):
    run(
        app,
        "users",
        "create",
        "sam",
        "--role",
        "staff",
        "--password-stdin",
        password="first password",
    )
    client = app.test_client()
    sign_in(client, "sam", "first password")
    assert run(app, "users", "disable", "sam")[0] == 0
    assert client.get("/overview").status_code == 302  # the open session ended
    assert "disabled" in run(app, "users", "list")[1]
    assert run(app, "users", "enable", "sam")[0] == 0
    code, out = run(
        app, "users", "set-password", "sam", "--password-stdin", password="second password"
    )
    assert code == 0 and "sessions ended" in out
    sign_in(client, "sam", "second password")
    assert run(app, "users", "disable", "nobody")[0] == 1


def test_tokens_are_issued_with_a_role(app: Flask, db: Database):
    code, out = run(app, "tokens", "issue", "gun-7", "--role", "staff")
    assert code == 0 and "role staff" in out
    token = out.splitlines()[1]
    with db.reading() as s:
        principal = brokers.authenticate(s, token)
    assert principal is not None and principal.role == "staff"
    assert "\tgun-7\tstaff\t-\tactive" in run(app, "tokens", "list")[1]
    code, out = run(app, "tokens", "issue", "x", "--role", "broker")
    assert code == 1 and "broker token names its broker" in out
