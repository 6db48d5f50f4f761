"""The building blocks of every input model at the edge (API bodies, import files).

Flask-free, so that the CLI import validates with exactly the rules the API uses;
``wms/web/schemas.py`` builds the API's models from these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

MAX_ID = 2**63 - 1  # the largest id the database can hold


def chars(max_length: int) -> Any:
    """Trimmed, non-empty text that fits a column of ``max_length``."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    ]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; no scanner or integration means one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def field_path(loc: Iterable[Any]) -> str:
    """("lines", 0, "quantity") -> "lines[0].quantity"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
