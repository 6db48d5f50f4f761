"""Declarative base: one naming convention (stable autogenerate) and one type map."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from wms.models.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        Decimal: Money(),
    }
