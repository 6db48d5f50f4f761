"""Typed ORM models, one module per aggregate; importing this registers them all."""

from wms.models.base import Base
from wms.models.inbound import (
    DeclarationStatus,
    DiscrepancyKind,
    EntryDeclaration,
    EntryDeclarationLine,
    ReceiptDiscrepancy,
)
from wms.models.ledger import (
    BOOK_COLUMNS,
    AccountBookLine,
    Move,
    MoveReason,
    Quant,
    StockOperation,
)
from wms.models.loans import (
    OPEN_STATUSES,
    ItemCondition,
    Loan,
    LoanEvent,
    LoanItem,
    LoanStatus,
    Notice,
    TagScan,
)
from wms.models.product import Lot, Product
from wms.models.warehouse import PHYSICAL_KINDS, Location, LocationKind, Warehouse, Zone

__all__ = [
    "BOOK_COLUMNS",
    "OPEN_STATUSES",
    "PHYSICAL_KINDS",
    "AccountBookLine",
    "Base",
    "DeclarationStatus",
    "DiscrepancyKind",
    "EntryDeclaration",
    "EntryDeclarationLine",
    "ItemCondition",
    "Loan",
    "LoanEvent",
    "LoanItem",
    "LoanStatus",
    "Location",
    "LocationKind",
    "Lot",
    "Move",
    "MoveReason",
    "Notice",
    "Product",
    "Quant",
    "ReceiptDiscrepancy",
    "StockOperation",
    "TagScan",
    "Warehouse",
    "Zone",
]
