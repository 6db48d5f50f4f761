"""Merchants, the customs brokers acting for them, and the API tokens that say who calls.

A token is shown once, when it is issued; only its SHA-256 is stored (tokens are long
random strings, so a plain hash is enough: nothing to brute-force).  A broker's token
sees the declarations of the merchants the broker holds a mandate for and nothing else;
a token without a broker is an internal integration and sees everything.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import (
    ROLE_VALUES,
    ApiToken,
    BrokerMandate,
    BrokerOrganisation,
    Channel,
    Merchant,
)
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

TOKEN_PREFIX = "wms_"


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a signed-in person or an API token."""

    token_id: int | None  # None: a person signed in (user_id says who)
    name: str
    broker_id: int | None  # None: not a broker, sees every merchant
    broker_code: str | None
    merchant_ids: frozenset[int] | None  # None: every merchant
    role: str = "admin"
    user_id: int | None = None

    @property
    def actor(self) -> str:
        """Who to record (actor columns hold 64 characters)."""
        return (f"{self.broker_code}:{self.name}" if self.broker_code else self.name)[:64]

    @property
    def is_person(self) -> bool:
        return self.user_id is not None

    def may_see(self, merchant_id: int | None) -> bool:
        return self.merchant_ids is None or merchant_id in self.merchant_ids


def create_merchant(
    session: Session, code: str, name: str, *, customs_code: str | None = None
) -> Merchant:
    code = code.strip()
    if not code or not name.strip():
        raise InvalidInput("a merchant needs a code and a name", field="code")
    if session.scalar(select(Merchant.id).where(Merchant.code == code)):
        raise Conflict(f"merchant {code} already exists", field="code")
    merchant = Merchant(
        code=code, name=name.strip(), customs_code=customs_code, created_at=utcnow()
    )
    session.add(merchant)
    session.flush()
    return merchant


def merchant_by_code(session: Session, code: str, *, field: str = "merchant") -> Merchant:
    merchant = session.scalar(select(Merchant).where(Merchant.code == code))
    if merchant is None:
        raise NotFound(f"no merchant {code}", field=field)
    return merchant


def assign_channel(session: Session, channel_code: str, merchant_code: str) -> Channel:
    channel = session.scalar(select(Channel).where(Channel.code == channel_code))
    if channel is None:
        raise NotFound(f"no channel {channel_code}", field="channel")
    channel.merchant_id = merchant_by_code(session, merchant_code).id
    return channel


def create_broker(
    session: Session, code: str, name: str, *, customs_code: str | None = None
) -> BrokerOrganisation:
    code = code.strip()
    if not code or not name.strip():
        raise InvalidInput("a broker needs a code and a name", field="code")
    if session.scalar(select(BrokerOrganisation.id).where(BrokerOrganisation.code == code)):
        raise Conflict(f"broker {code} already exists", field="code")
    broker = BrokerOrganisation(
        code=code, name=name.strip(), customs_code=customs_code, created_at=utcnow()
    )
    session.add(broker)
    session.flush()
    return broker


def broker_by_code(session: Session, code: str) -> BrokerOrganisation:
    broker = session.scalar(select(BrokerOrganisation).where(BrokerOrganisation.code == code))
    if broker is None:
        raise NotFound(f"no broker {code}", field="broker")
    return broker


def grant_mandate(session: Session, broker_code: str, merchant_code: str) -> BrokerMandate:
    broker = broker_by_code(session, broker_code)
    merchant = merchant_by_code(session, merchant_code)
    existing = session.scalar(
        select(BrokerMandate).where(
            BrokerMandate.broker_id == broker.id, BrokerMandate.merchant_id == merchant.id
        )
    )
    if existing is not None:
        return existing
    mandate = BrokerMandate(broker_id=broker.id, merchant_id=merchant.id, created_at=utcnow())
    session.add(mandate)
    session.flush()
    return mandate


def issue_token(
    session: Session,
    name: str,
    *,
    broker_code: str | None = None,
    role: str | None = None,
    at: datetime | None = None,
) -> str:
    """A new token; the only time its text is known.  Keep it in a secret store.

    A broker's token has the broker role; any other has the role given: ``staff`` for
    scanners, ``planner``, or ``admin`` (the default) for integrations."""
    if not name.strip() or len(name) > 80:
        raise InvalidInput("a token needs a name of 1 to 80 characters", field="name")
    broker = broker_by_code(session, broker_code) if broker_code else None
    role = role or ("broker" if broker else "admin")
    if role not in ROLE_VALUES:
        raise InvalidInput(f"role must be one of {', '.join(ROLE_VALUES)}", field="role")
    if (role == "broker") != (broker is not None):
        raise InvalidInput("a broker token names its broker, and only it", field="role")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            name=name.strip(),
            token_hash=_hash(token),
            broker_id=broker.id if broker else None,
            role=role,
            created_at=at or utcnow(),
        )
    )
    session.flush()
    return token


def revoke_token(session: Session, token_id: int, *, at: datetime | None = None) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}", field="token_id")
    row.revoked_at = row.revoked_at or at or utcnow()


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal a bearer token stands for; None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.broker_id is None:
        return Principal(row.id, row.name, None, None, None, role=row.role)
    assert row.broker is not None
    return Principal(
        row.id,
        row.name,
        row.broker_id,
        row.broker.code,
        mandated_merchants(session, row.broker_id),
        role=row.role,
    )


def mandated_merchants(session: Session, broker_id: int) -> frozenset[int]:
    return frozenset(
        session.scalars(
            select(BrokerMandate.merchant_id).where(BrokerMandate.broker_id == broker_id)
        )
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
