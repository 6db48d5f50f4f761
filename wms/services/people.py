"""People who sign in: accounts, Argon2id passwords, sign-in throttling, roles.

Failed sign-ins are counted from the audit log in the database, so the limit holds
across every web worker and server: five failures for one user name, or thirty from
one address, within fifteen minutes lock further attempts until the window passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.models import ROLE_VALUES, AuditEntry, Role, User
from wms.services import audit
from wms.services.brokers import Principal, broker_by_code, mandated_merchants
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

SIGN_IN = "sign_in"
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 30
MIN_PASSWORD = 10
MAX_PASSWORD = 256
LOCALES = ("en", "zh")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) defaults
# Verified against when the user name is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class SignIn:
    """How a sign-in ended: a principal, or why not (and for how long to wait)."""

    principal: Principal | None
    refusal: str | None = None  # "invalid" or "throttled"
    retry_after_s: int = 0


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    broker_code: str | None = None,
    locale: str | None = None,
) -> User:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InvalidInput(
            "a user name has 2 to 64 letters, digits, dots, dashes or underscores",
            field="username",
        )
    if role not in ROLE_VALUES:
        raise InvalidInput(f"role must be one of {', '.join(ROLE_VALUES)}", field="role")
    if (role == Role.BROKER) != bool(broker_code):
        raise InvalidInput(
            "a customs broker belongs to a broker organisation, and nobody else does",
            field="broker",
        )
    if locale is not None and locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == name)):
        raise Conflict(f"user {name} already exists", field="username")
    broker = broker_by_code(session, broker_code) if broker_code else None
    user = User(
        username=name,
        display_name=(display_name or name).strip()[:120] or name,
        password_hash=_hasher.hash(password),
        role=role,
        broker_id=broker.id if broker else None,
        locale=locale,
        active=True,
        session_version=1,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"no user {username}", field="username")
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """A new password ends every session the user has open."""
    _check_password(password)
    user = user_by_name(session, username)
    user.password_hash = _hasher.hash(password)
    user.session_version += 1
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    user = user_by_name(session, username)
    if user.active != active:
        user.active = active
        user.session_version += 1
    return user


def set_locale(session: Session, user_id: int, locale: str | None) -> None:
    if locale is not None and locale not in LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user")
    user.locale = locale


def principal_of(session: Session, user: User) -> Principal:
    if user.broker_id is None:
        return Principal(None, user.username, None, None, None, role=user.role, user_id=user.id)
    assert user.broker is not None
    return Principal(
        None,
        user.username,
        user.broker_id,
        user.broker.code,
        mandated_merchants(session, user.broker_id),
        role=user.role,
        user_id=user.id,
    )


def session_principal(session: Session, user_id: int, version: int) -> Principal | None:
    """The person a session cookie names, unless disabled or the session is outdated."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return principal_of(session, user)


def _failures_since(session: Session, column: object, value: str, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == SIGN_IN,
                column == value,  # type: ignore[operator]
                AuditEntry.outcome != audit.OK,
                AuditEntry.at >= since,
            )
        )
        or 0
    )


def _retry_after(session: Session, column: object, value: str, now: datetime) -> int:
    oldest = session.scalar(
        select(func.min(AuditEntry.at)).where(
            AuditEntry.action == SIGN_IN,
            column == value,  # type: ignore[operator]
            AuditEntry.outcome != audit.OK,
            AuditEntry.at >= now - WINDOW,
        )
    )
    if oldest is None:
        return 0
    return max(1, int((oldest + WINDOW - now).total_seconds()) + 1)


def sign_in(session: Session, username: str, password: str, context: audit.Context) -> SignIn:
    """Check a user name and password; every attempt is written to the audit log.

    Returns rather than raises on refusal, so that the failed attempt is committed
    (it is what later throttling counts)."""
    name = normalise_username(username)[:64]
    now = utcnow()
    since = now - WINDOW
    addr = context.remote_addr or ""
    throttled_by = None
    if _failures_since(session, AuditEntry.target, name, since) >= MAX_FAILURES_PER_USER:
        throttled_by = (AuditEntry.target, name)
    elif addr and (
        _failures_since(session, AuditEntry.remote_addr, addr, since) >= MAX_FAILURES_PER_ADDRESS
    ):
        throttled_by = (AuditEntry.remote_addr, addr)
    who = audit.Context(name, None, context.remote_addr, context.request_id)
    if throttled_by is not None:
        wait = _retry_after(session, throttled_by[0], throttled_by[1], now)
        audit.record(
            session,
            who,
            SIGN_IN,
            name,
            outcome=audit.REFUSED,
            at=now,
            details={"reason": "throttled"},
        )
        return SignIn(None, "throttled", wait)
    user = session.scalar(select(User).where(User.username == name))
    if not _verify(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        audit.record(
            session, who, SIGN_IN, name, outcome=audit.FAILED, at=now, details={"reason": "invalid"}
        )
        return SignIn(None, "invalid")
    if not user.active:
        audit.record(
            session,
            who,
            SIGN_IN,
            name,
            outcome=audit.FAILED,
            at=now,
            details={"reason": "disabled"},
        )
        return SignIn(None, "invalid")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = now
    audit.record(
        session,
        audit.Context(name, user.role, context.remote_addr, context.request_id),
        SIGN_IN,
        name,
        at=now,
    )
    return SignIn(principal_of(session, user))


def _verify(password_hash: str, password: str) -> bool:
    if not password or len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
