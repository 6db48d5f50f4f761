"""Health and readiness checks, request ids and the structured request log (in-process)."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from config import load_settings
from tests.conftest import PG_ENV, ApiClient
from tests.web.people_support import csrf_of, make_user
from wms import logging_setup, migrate
from wms.db import Database
from wms.models import AuditEntry
from wms.web import health
from wms.web.app import create_app

API = "/api/v1"
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def make_app(url: str, **settings: object) -> Flask:
    settings.setdefault("secret_key", "test")
    settings.setdefault("environment", "test")
    app = create_app(load_settings(database_url=url, **settings))
    app.config["TESTING"] = True
    return app


def close(app: Flask) -> None:
    app.extensions["wms.db"].dispose()
    probe = app.extensions.get("wms.health.probe")
    if probe is not None:
        probe.dispose()


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (a private PostgreSQL schema), to move its schema."""
    base = os.environ.get(PG_ENV)
    if not base:
        (tmp_path / "scratch.sqlite3").touch()  # an empty database, as a new schema is
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    schema = f"wms_health_{os.getpid()}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """WMS_LOG_FORMAT=json for apps made in the test; the root logger put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setenv("WMS_LOG_FORMAT", "json")
    yield
    logging_setup.unconfigure()
    root.handlers[:] = handlers
    root.setLevel(level)


def log_lines(err: str) -> list[dict[str, object]]:
    """Every line written to stderr, each parsed as JSON (a line that is not fails)."""
    return [json.loads(line) for line in err.splitlines() if line.strip()]


# --- liveness and readiness ------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database():
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    close(app)


def test_readyz_is_ready_on_a_migrated_database(app: Flask):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
    head = migrate.head_revision(app.extensions["wms.settings"].database_url)
    assert response.json == {
        "status": "ready",
        "checks": {
            "database": {"ok": True},
            "schema": {"ok": True, "revision": head, "head": head},
        },
    }


def test_readyz_names_the_revision_when_the_database_is_one_migration_behind(scratch_url: str):
    migrate.upgrade(scratch_url)
    head = migrate.head_revision(scratch_url)
    migrate.downgrade(scratch_url, "-1")
    behind = migrate.current_revision(scratch_url)
    assert behind is not None and behind != head
    app = make_app(scratch_url)
    client = app.test_client()

    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": True}
    schema = body["checks"]["schema"]
    assert (schema["ok"], schema["revision"], schema["head"]) == (False, behind, head)
    assert body["message"] == (
        f"the database schema is at {behind}, this release needs {head}: "
        "run `flask --app wsgi db upgrade`"
    )

    migrate.upgrade(scratch_url)  # the explicit upgrade step: ready at once, no restart
    assert client.get("/readyz").status_code == 200
    close(app)


def test_readyz_refuses_an_empty_database_and_one_upgraded_by_a_newer_release(scratch_url: str):
    app = make_app(scratch_url)
    client = app.test_client()
    empty = client.get("/readyz")
    assert empty.status_code == 503
    assert empty.json["checks"]["schema"]["revision"] is None
    assert "the database has no schema" in empty.json["message"]

    migrate.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    newer = client.get("/readyz")
    assert newer.status_code == 503
    assert newer.json["checks"]["schema"]["revision"] == "9999"
    assert "which this release does not know" in newer.json["message"]
    close(app)


def _silent_listener() -> socket.socket:
    """A port that accepts connections and never says a word (a hung database)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener


@pytest.mark.parametrize("where", ["refused", "silent", "missing-file"])
def test_readyz_answers_503_quickly_when_the_database_is_unreachable(where: str, tmp_path: Path):
    listener = None
    if where == "refused":
        url = "postgresql+psycopg://postgres@127.0.0.1:1/wms"
    elif where == "silent":
        listener = _silent_listener()
        url = f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/wms"
    else:
        url = f"sqlite:///{tmp_path / 'nowhere' / 'wms.sqlite3'}"
    app = make_app(url)
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    elapsed = time.monotonic() - started
    if listener is not None:
        listener.close()
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["schema"]["checked"] is False
    expected = (
        "the SQLite database file does not exist"
        if where == "missing-file"
        else ("the database is unreachable (OperationalError; waited at most 2 s)")
    )
    assert body["message"] == expected
    assert "postgres@" not in response.get_data(as_text=True)  # no account or host leaks
    assert elapsed < health.READY_TIMEOUT_S + 1.5
    assert not (tmp_path / "nowhere").exists()  # the probe created nothing
    close(app)


# --- request ids and the request log --------------------------------------------------------


def test_every_answer_carries_a_request_id_its_own_or_a_new_one(
    db: Database, client: FlaskClient, page_client: FlaskClient
):
    sent = client.get(f"{API}/warehouses", headers={"X-Request-Id": "lb-7f3a9c21"})
    assert sent.headers["X-Request-Id"] == "lb-7f3a9c21"
    for response in (
        page_client.get("/healthz"),
        page_client.get(f"{API}/warehouses"),  # refused: 401
        page_client.get("/no-such-page"),  # 404
        client.get("/healthz", headers={"X-Request-Id": "spaces are not allowed"}),
    ):
        assert HEX_ID.match(response.headers["X-Request-Id"]), response.status_code
    first, second = (page_client.get("/healthz").headers["X-Request-Id"] for _ in range(2))
    assert first != second


def test_request_log_lines_are_json_and_carry_the_request_id_of_the_response(
    db: Database, json_logs: None, capsys: pytest.CaptureFixture[str]
):
    app = make_app(db.url)
    app.test_client_class = ApiClient
    client = app.test_client()
    client.get(f"{API}/warehouses")  # the token is issued (its own log lines, if any)
    capsys.readouterr()

    ok = client.get(f"{API}/warehouses?consignee=13800138000", headers={"X-Actor": "scanner-7"})
    refused = client.get(f"{API}/warehouses", headers={"Authorization": "Bearer nope"})
    err = capsys.readouterr().err
    lines = log_lines(err)
    requests = {line["request_id"]: line for line in lines if line["logger"] == "wms.request"}

    line = requests[ok.headers["X-Request-Id"]]
    assert line["level"] == "INFO"
    assert line["message"] == f"GET {API}/warehouses 200"
    assert (line["method"], line["path"], line["status"]) == ("GET", f"{API}/warehouses", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["actor"] == "scanner-7"
    assert str(line["time"]).endswith("Z")
    assert datetime.fromisoformat(str(line["time"])).utcoffset().total_seconds() == 0  # type: ignore[union-attr]

    denied = requests[refused.headers["X-Request-Id"]]
    assert (denied["status"], "actor" in denied) == (401, False)
    assert "13800138000" not in err  # no query strings: they may carry personal data
    assert "nope" not in err  # nor what the caller sent as credentials
    close(app)


def test_a_log_line_written_during_a_request_carries_its_id(
    scratch_url: str, json_logs: None, capsys: pytest.CaptureFixture[str]
):
    app = make_app(scratch_url)  # never migrated: not ready
    response = app.test_client().get("/readyz", headers={"X-Request-Id": "probe-0001"})
    assert response.status_code == 503
    lines = log_lines(capsys.readouterr().err)
    warning = next(line for line in lines if line["logger"] == "wms.web.health")
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == "probe-0001"
    assert warning["path"] == "/readyz"
    assert "the database has no schema" in str(warning["message"])
    request = next(line for line in lines if line["logger"] == "wms.request")
    assert (request["status"], request["level"]) == (503, "WARNING")
    close(app)


def test_passing_health_checks_are_logged_only_at_debug(
    db: Database, json_logs: None, capsys: pytest.CaptureFixture[str], monkeypatch
):
    app = make_app(db.url)
    client = app.test_client()
    assert client.get("/healthz").status_code == client.get("/readyz").status_code == 200
    assert [
        line for line in log_lines(capsys.readouterr().err) if line["logger"] == "wms.request"
    ] == []

    monkeypatch.setenv("WMS_LOG_LEVEL", "DEBUG")
    debug_app = make_app(db.url)
    debug_app.test_client().get("/healthz")
    [line] = [
        line for line in log_lines(capsys.readouterr().err) if line["logger"] == "wms.request"
    ]
    assert (line["level"], line["path"], line["status"]) == ("DEBUG", "/healthz", 200)
    close(app)
    close(debug_app)


def test_development_logs_text_and_a_bad_setting_names_itself(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch
):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        monkeypatch.delenv("WMS_LOG_FORMAT", raising=False)
        assert logging_setup.log_format(development=True) == "text"
        assert logging_setup.log_format(development=False) == "json"
        app = make_app(db.url, environment="development")
        response = app.test_client().get(f"{API}/warehouses")
        err = capsys.readouterr().err
        [line] = [line for line in err.splitlines() if "wms.request" in line]
        assert f"GET {API}/warehouses 401" in line
        assert f"request_id={response.headers['X-Request-Id']}" in line
        assert not line.startswith("{")
        close(app)
        monkeypatch.setenv("WMS_LOG_FORMAT", "xml")
        with pytest.raises(ValueError, match="WMS_LOG_FORMAT must be json or text"):
            make_app(db.url)
        monkeypatch.setenv("WMS_LOG_FORMAT", "json")
        monkeypatch.setenv("WMS_LOG_LEVEL", "LOUD")
        with pytest.raises(ValueError, match="WMS_LOG_LEVEL must be one of"):
            make_app(db.url)
    finally:
        logging_setup.unconfigure()
        root.handlers[:] = handlers
        root.setLevel(level)


# --- secrets and proxies ---------------------------------------------------------------------


def test_secret_key_is_required_outside_development(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("config.settings.INSTANCE_DIR", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("WMS_ENV", "production")
    monkeypatch.setenv("WMS_LOG_FORMAT", "text")  # (and leave the root logger as it was)
    monkeypatch.setattr(logging_setup, "configure", lambda *a, **k: None)
    monkeypatch.setenv("WMS_DATA_KEY", "d" * 44)
    with pytest.raises(RuntimeError, match=r"SECRET_KEY must be set \(32 characters or more\)"):
        create_app(load_settings(database_url=db.url))

    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = create_app(load_settings(database_url=db.url))
    assert app.config["SECRET_KEY"] == "k" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    close(app)
    monkeypatch.setenv("WMS_ENV", "development")  # development: a generated key will do
    monkeypatch.delenv("SECRET_KEY")
    close(create_app(load_settings(database_url=db.url)))
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_behind_a_proxy_the_client_address_and_scheme_come_from_its_headers(
    db: Database, monkeypatch: pytest.MonkeyPatch
):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    direct = make_app(db.url)
    assert (
        "Strict-Transport-Security"
        not in direct.test_client().get("/healthz", headers=forwarded).headers
    )  # nobody said there is a proxy: the headers are anyone's to forge
    monkeypatch.setenv("WMS_PROXIES", "1")
    proxied = make_app(db.url)
    client = proxied.test_client()
    assert client.get("/healthz", headers=forwarded).headers["Strict-Transport-Security"]

    # The per-address sign-in throttle and the audit log see the client, not the proxy.
    make_user(db, "pat", "planner")
    token = csrf_of(client)
    response = client.post(
        "/sign-in",
        data={"username": "pat", "password": "wrong wrong wrong", "csrf_token": token},
        headers=forwarded,
    )
    assert response.status_code == 422
    with db.reading() as s:
        addresses = s.scalars(select(AuditEntry.remote_addr)).all()
    assert addresses == ["203.0.113.9"]
    close(direct)
    close(proxied)

    monkeypatch.setenv("WMS_PROXIES", "many")
    with pytest.raises(ValueError, match="WMS_PROXIES must be a whole number from 0 to 5"):
        make_app(db.url)
