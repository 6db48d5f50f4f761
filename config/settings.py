"""Application settings, read once from environment variables.

Defaults give a working embedded set-up: a SQLite file under ``instance/`` and a
secret key generated on first start and kept in ``instance/secret_key``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("WMS_INSTANCE_DIR", PROJECT_ROOT / "instance"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    # Fernet key sealing personal data (consignee IDs, phones) in the database.
    data_key: str = ""
    environment: str = "development"
    # Echo SQL to the log; only for debugging.
    sql_echo: bool = False
    # How far a packed parcel's weight may stray from its expected weight, in percent
    # (never tighter than 50 g; see services.packing).
    pack_weight_tolerance_pct: Decimal = Decimal(5)
    # The couriers' services.json (its rate cards beside it) the planner chooses among;
    # None: the demo couriers shipped in routing/data.
    courier_services_path: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _default_database_url() -> str:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'wms.sqlite3'}"


def _default_secret_key() -> str:
    """A per-installation random key, so that no shared default ever signs sessions."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _default_data_key() -> str:
    """Generated once per installation; losing it makes sealed personal data unreadable,
    so production sets WMS_DATA_KEY from its secret store and backs it up."""
    from cryptography.fernet import Fernet

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "data_key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"WMS_PACK_TOLERANCE_PCT must be a number, not {text!r}") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError("WMS_PACK_TOLERANCE_PCT must be between 0 and 100")
    return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; ``overrides`` win (tests, tools)."""
    values: dict[str, object] = dict(overrides)
    if "database_url" not in values:
        values["database_url"] = os.environ.get("DATABASE_URL") or _default_database_url()
    if "secret_key" not in values:
        values["secret_key"] = os.environ.get("SECRET_KEY") or _default_secret_key()
    if "data_key" not in values:
        values["data_key"] = os.environ.get("WMS_DATA_KEY") or _default_data_key()
    values.setdefault("environment", os.environ.get("WMS_ENV", "development"))
    values.setdefault("sql_echo", os.environ.get("WMS_SQL_ECHO", "") == "1")
    if "pack_weight_tolerance_pct" not in values and os.environ.get("WMS_PACK_TOLERANCE_PCT"):
        values["pack_weight_tolerance_pct"] = _percent(os.environ["WMS_PACK_TOLERANCE_PCT"])
    if "courier_services_path" not in values:
        values["courier_services_path"] = os.environ.get("WMS_COURIER_SERVICES") or None
    return Settings(**values)  # type: ignore[arg-type]
