"""No route answers 500 to junk: every rule of the app, junk in each path value, junk
bodies.  Refusals are 4xx naming what is wrong; a 5xx here is a bug."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

VALUES = ["x", "0", "-1", "99999999999999999999999", "A" * 300, "%E4%BD%A0"]
BODIES: list[object] = [None, {}, [], "not json", {"unknown": 1}, {"warehouse": None}]
HEADERS = {"Idempotency-Key": "junk-1"}  # the client adds an admin token


def test_junk_never_gets_a_server_error(app: Flask, client: FlaskClient):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) > 100  # the whole app, not a handful of routes
    errors = []
    for rule in rules:
        for value in VALUES:
            path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", value, rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for body in BODIES if method in ("POST", "PUT") else [None]:
                    kwargs: dict[str, object] = {"headers": HEADERS}
                    if isinstance(body, str):
                        kwargs |= {"data": body, "content_type": "application/json"}
                    elif body is not None:
                        kwargs["json"] = body
                    response = client.open(path, method=method, **kwargs)
                    if response.status_code >= 500:
                        errors.append((method, path[:80], response.status_code))
    assert errors == []
