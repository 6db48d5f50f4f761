"""The JSON API (/api/v1): master data, inbound, stock and the account book."""

from flask import Blueprint

api = Blueprint("api", __name__)

from wms.web.api import inbound, ledger, master_data  # noqa: E402, F401  (register routes)
