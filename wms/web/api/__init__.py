"""The JSON API (/api/v1): master data, inbound, stock and the account book, loans,
orders, picking and packing, the other outbound flows, release batches and returns,
courier plans."""

from flask import Blueprint, request

from wms.services.errors import InvalidInput

api = Blueprint("api", __name__)


@api.before_request
def _refuse_nul_characters() -> None:
    # Path and query text never holds NUL; PostgreSQL could not even compare it.
    for source in (request.view_args or {}, request.args):
        for name, value in source.items():
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput("must not contain NUL characters", field=name)


from wms.web.api import (  # noqa: E402, F401
    counts,
    customs,
    flows,
    inbound,
    labels,
    ledger,
    loans,
    master_data,
    orders,
    picking,
    planning,
    releases,
)
