"""Document numbers that people read aloud and type: a prefix, the day, a sequence.

``WAVE``-style numbers (W20261122-001) restart every UTC day.  Two writers taking the
same next number collide on the column's unique index; ``unit_of_work.run`` retries
that transaction, which then takes the following number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session


def daily_number(
    session: Session, column: InstrumentedAttribute[Any], prefix: str, at: datetime, width: int = 3
) -> str:
    """The next ``<prefix><yyyymmdd>-<n>`` for ``column`` (n zero-padded to ``width``)."""
    day = f"{prefix}{at:%Y%m%d}-"
    taken = session.scalar(select(func.count()).where(column.like(f"{day}%")))
    return f"{day}{(taken or 0) + 1:0{width}d}"
