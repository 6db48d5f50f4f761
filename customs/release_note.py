"""The release note (核放单) of a batch release: the gate pass of one vehicle leaving the
bonded zone with the parcels of many inventory lists, and the weight check at the gate.

The XML is SAS121-like, not SAS121: the ``PassPortMessage`` body (PassportHead and one
PassportAcmp per inventory list) with the element names of the public Go models in
ronannnn/gx-customs-bridge (pkg/customs/sasmodels/sas121_models.go).  The envelope
(Signature / Object / Package / EnvelopInfo) and the signature are the customs client's
job.  Type codes (passport type, bind type, related document type) are passed through as
the caller gives them: their code tables are customs', not verified here.

The gate check: the scale weighs the whole vehicle, so the expected weight is the
vehicle's own weight + frame + container + the goods' gross weight (in the public sample,
totalWt 15130.98 = vehicleWt 13000 + vehicleFrameWt 1000 + totalGrossWt 1130.98), and the
tolerance is a fraction of that expected total with a floor for the scale's resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from customs.inventory_list import Company
from customs.inventory_pdf import LEFT_MM, RIGHT_MM, kg, x, y
from customs.messages import kg_text
from labels.pdf_draw import CJK, RIGHT, PageText, code128, draw_bars, register_fonts, use_form


def _grams_ok(value: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass(frozen=True)
class Vehicle:
    plate: str  # VehicleNo
    weight_g: int  # VehicleWt: the vehicle's own weight
    frame_weight_g: int = 0  # VehicleFrameWt: a trailer's frame
    frame_no: str = ""  # VehicleFrameNo
    ic_no: str = ""  # VehicleIcNo: the electronic plate

    def __post_init__(self) -> None:
        if not self.plate.strip():
            raise ValueError("a vehicle needs its plate")
        if not (_grams_ok(self.weight_g) and _grams_ok(self.frame_weight_g)):
            raise ValueError("vehicle weights are whole grams, 0 or more")


@dataclass(frozen=True)
class Container:
    number: str  # ContainerNo
    weight_g: int  # ContainerWt: tare
    type: str = ""  # ContainerType

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValueError("a container needs its number")
        if not _grams_ok(self.weight_g):
            raise ValueError("the container's weight is whole grams, 0 or more")


@dataclass(frozen=True)
class ReleasedList:
    """One inventory list whose parcels are on the vehicle."""

    number: str  # the inventory list number (invtNo)
    gross_weight_g: int
    net_weight_g: int
    packages: int = 1

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValueError("a released list needs its number")
        if not (_grams_ok(self.gross_weight_g) and _grams_ok(self.net_weight_g)):
            raise ValueError(f"list {self.number}: weights are whole grams, 0 or more")
        if self.gross_weight_g < self.net_weight_g:
            raise ValueError(f"list {self.number}: gross weight below net weight")
        if self.packages < 1:
            raise ValueError(f"list {self.number}: at least one package")


@dataclass(frozen=True)
class ReleaseNote:
    cop_no: str  # EtpsPreentNo: our own number for the note
    io_flag: Literal["I", "E"]  # IoTypecd: into or out of the zone
    master_customs: str  # MasterCuscd: 4-digit customs area code
    zone_company: Company  # AreainEtpsno / AreainEtpsNm
    declarant: Company  # DclEtpsno / DclEtpsNm
    ems_no: str  # AreainOriactNo: the zone company's account book
    vehicle: Vehicle
    lists: tuple[ReleasedList, ...]
    day: date
    applicant: str  # DclErConc: who applies and how to reach them
    container: Container | None = None
    passport_no: str | None = None  # PassportNo: given by customs
    seq_no: str | None = None  # SeqNo: the pre-entry number, once there is one
    passport_type: str = ""  # PassportTypecd, passed through
    bind_type: str = ""  # BindTypecd, passed through
    related_type: str = ""  # RltTbTypecd / RtlBillTypecd of the related documents
    zone_company_sccd: str = ""  # unified social credit codes, when known
    declarant_sccd: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not self.cop_no.strip() or not self.ems_no.strip() or not self.applicant.strip():
            raise ValueError("a release note needs its own number, account book and applicant")
        if self.io_flag not in ("I", "E"):
            raise ValueError(f"io flag {self.io_flag!r} is not I or E")
        if not (len(self.master_customs) == 4 and self.master_customs.isdigit()):
            raise ValueError(f"customs code {self.master_customs!r} is not 4 digits")
        if not isinstance(self.lists, tuple) or not self.lists:
            raise ValueError("a release note covers a tuple of at least one list")
        numbers = [released.number for released in self.lists]
        if len(set(numbers)) != len(numbers):
            raise ValueError("a list appears twice on the release note")

    @property
    def number(self) -> str:
        return self.passport_no or self.cop_no

    @property
    def total_gross_g(self) -> int:
        return sum(released.gross_weight_g for released in self.lists)

    @property
    def total_net_g(self) -> int:
        return sum(released.net_weight_g for released in self.lists)

    @property
    def packages(self) -> int:
        return sum(released.packages for released in self.lists)

    @property
    def total_weight_g(self) -> int:
        """What the gate scale should read: vehicle, frame, container and goods."""
        tare = self.vehicle.weight_g + self.vehicle.frame_weight_g
        tare += self.container.weight_g if self.container else 0
        return tare + self.total_gross_g


# -- the gate weight check ------------------------------------------------------------------


@dataclass(frozen=True)
class WeightTolerance:
    fraction: Decimal  # of the expected total weight, e.g. Decimal("0.03")
    minimum_g: int = 0  # never tighter than the scale can tell, e.g. 20 kg

    def __post_init__(self) -> None:
        if not isinstance(self.fraction, Decimal) or not 0 <= self.fraction < 1:
            raise ValueError(f"tolerance {self.fraction!r} must be a Decimal from 0 below 1")
        if not _grams_ok(self.minimum_g):
            raise ValueError("the minimum tolerance is whole grams, 0 or more")

    def allowed_g(self, expected_g: int) -> int:
        share = (self.fraction * expected_g).to_integral_value(rounding=ROUND_HALF_UP)
        return max(self.minimum_g, int(share))


@dataclass(frozen=True)
class GateWeighing:
    expected_g: int
    measured_g: int
    allowed_g: int

    @property
    def difference_g(self) -> int:
        return self.measured_g - self.expected_g

    @property
    def passed(self) -> bool:
        return abs(self.difference_g) <= self.allowed_g


def check_gate_weight(
    note: ReleaseNote, measured_g: int, tolerance: WeightTolerance
) -> GateWeighing:
    """The scale's reading against the note: passed when within the tolerance."""
    if not _grams_ok(measured_g):
        raise ValueError(f"scale reading {measured_g!r} must be whole grams, 0 or more")
    expected = note.total_weight_g
    return GateWeighing(expected, measured_g, tolerance.allowed_g(expected))


# -- XML ------------------------------------------------------------------------------------


def _elements(pairs: list[tuple[str, str | None]], indent: str) -> list[str]:
    return [
        f"{indent}<{name}>{escape(value)}</{name}>"
        for name, value in pairs
        if value not in ("", None)
    ]


def release_note_xml(note: ReleaseNote, oper_cus_reg_code: str = "") -> bytes:
    """The SAS121-like PassPortMessage of the note (unsigned, without envelope)."""
    vehicle, container = note.vehicle, note.container
    related = note.lists[0].number if len(note.lists) == 1 else ""
    head = _elements(
        [
            ("SeqNo", note.seq_no),
            ("PassportNo", note.passport_no),
            ("EtpsPreentNo", note.cop_no),
            ("RltTbTypecd", note.related_type),
            ("RltNo", related),
            ("IoTypecd", note.io_flag),
            ("PassportTypecd", note.passport_type),
            ("BindTypecd", note.bind_type),
            ("MasterCuscd", note.master_customs),
            ("AreainOriactNo", note.ems_no),
            ("AreainEtpsSccd", note.zone_company_sccd),
            ("AreainEtpsno", note.zone_company.code),
            ("AreainEtpsNm", note.zone_company.name),
            ("DclEtpsSccd", note.declarant_sccd),
            ("DclEtpsno", note.declarant.code),
            ("DclEtpsNm", note.declarant.name),
            ("VehicleNo", vehicle.plate),
            ("VehicleIcNo", vehicle.ic_no),
            ("VehicleWt", kg_text(vehicle.weight_g)),
            ("VehicleFrameWt", kg_text(vehicle.frame_weight_g)),
            ("VehicleFrameNo", vehicle.frame_no),
            ("ContainerNo", container.number if container else None),
            ("ContainerWt", kg_text(container.weight_g) if container else None),
            ("ContainerType", container.type if container else None),
            ("TotalGrossWt", kg_text(note.total_gross_g)),
            ("TotalNetWt", kg_text(note.total_net_g)),
            ("TotalWt", kg_text(note.total_weight_g)),
            ("DclErConc", note.applicant),
            ("Rmk", note.note),
        ],
        "    ",
    )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<PassPortMessage>"]
    lines += _elements([("OperCusRegCode", oper_cus_reg_code)], "  ")
    lines += ["  <PassportHead>", *head, "  </PassportHead>"]
    for released in note.lists:
        lines.append("  <PassportAcmp>")
        lines += _elements(
            [
                ("SeqNo", note.seq_no),
                ("PassPortNo", note.passport_no),  # sic: "PassPortNo" in the Acmp block
                ("RtlBillTypecd", note.related_type),
                ("RtlBillNo", released.number),
            ],
            "    ",
        )
        lines.append("  </PassportAcmp>")
    lines.append("</PassPortMessage>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- PDF ------------------------------------------------------------------------------------

TITLE = "核放单  Release note (gate pass)"
FIELDS_TOP = 30.0
ROW_MM = 9.0
COLUMN_MM = (RIGHT_MM - LEFT_MM) / 4
HEAD_CELLS = (
    ("核放单编号 Release note no.", 0),
    ("企业内部编号 Our reference", 1),
    ("日期 Date", 2),
    ("进出标志 In / out", 3),
    ("主管关区 Customs", 0),
    ("账册编号 Account book", 1),
    ("区内企业 Zone company", 2),
    ("申报企业 Declared by", 3),
    ("车牌号 Vehicle plate", 0),
    ("车自重 Vehicle weight", 1),
    ("车架重 Frame weight", 2),
    ("集装箱 Container / tare", 3),
    ("清单票数 Lists", 0),
    ("总件数 Packages", 1),
    ("货物总毛重 Total gross", 2),
    ("货物总净重 Total net", 3),
    ("应称总重 Expected total", 0),
    ("过磅重量 Weighed", 1),
    ("差额 / 允许 Difference / allowed", 2),
    ("称重结果 Weight check", 3),
)
TABLE_TOP = FIELDS_TOP + ROW_MM * 5 + 5
TABLE_ROW_MM = 5.6
ROWS_PER_PAGE = 30
TABLE_COLUMNS = (  # caption, left mm, right mm, numeric
    ("序号 No.", LEFT_MM, 30.0, False),
    ("清单编号 Inventory list", 30.0, 110.0, False),
    ("件数 Packages", 110.0, 140.0, True),
    ("毛重 Gross kg", 140.0, 170.0, True),
    ("净重 Net kg", 170.0, RIGHT_MM, True),
)
SIGNATURE_TOP = TABLE_TOP + TABLE_ROW_MM * (ROWS_PER_PAGE + 1) + 5
FOOTER = 289.0


def _static(canvas: Canvas) -> None:
    canvas.setFont(CJK, 15)
    canvas.drawString(x(LEFT_MM), y(16), TITLE)
    canvas.setLineWidth(0.4)
    canvas.setStrokeGray(0.35)
    canvas.setFont(CJK, 5.8)
    for index, (caption, column) in enumerate(HEAD_CELLS):
        top = FIELDS_TOP + (index // 4) * ROW_MM
        left = LEFT_MM + column * COLUMN_MM
        canvas.rect(x(left), y(top + ROW_MM), x(COLUMN_MM), ROW_MM * mm)
        canvas.drawString(x(left + 1), y(top + 2.6), caption)
    bottom = TABLE_TOP + TABLE_ROW_MM * (ROWS_PER_PAGE + 1)
    canvas.setFillGray(0.9)
    canvas.rect(
        x(LEFT_MM), y(TABLE_TOP + TABLE_ROW_MM), x(RIGHT_MM - LEFT_MM), TABLE_ROW_MM * mm, 1, 1
    )
    canvas.setFillGray(0)
    canvas.rect(x(LEFT_MM), y(bottom), x(RIGHT_MM - LEFT_MM), (bottom - TABLE_TOP) * mm)
    for _, left, _, _ in TABLE_COLUMNS[1:]:
        canvas.line(x(left), y(TABLE_TOP), x(left), y(bottom))
    canvas.setFont(CJK, 7)
    for caption, left, right, numeric in TABLE_COLUMNS:
        if numeric:
            canvas.drawRightString(x(right - 1), y(TABLE_TOP + 4), caption)
        else:
            canvas.drawString(x(left + 1), y(TABLE_TOP + 4), caption)
    canvas.setFont(CJK, 7.5)
    width = (RIGHT_MM - LEFT_MM) / 3
    for index, role in enumerate(
        ("仓库 Warehouse", "承运人 Carrier / driver", "卡口海关 Gate customs")
    ):
        left = LEFT_MM + index * width
        canvas.rect(x(left), y(SIGNATURE_TOP + 22), x(width), 22 * mm)
        canvas.drawString(x(left + 1.5), y(SIGNATURE_TOP + 4), role)
        canvas.drawString(x(left + 1.5), y(SIGNATURE_TOP + 18), "签名 Signature / 日期 Date")
    canvas.line(x(LEFT_MM), y(FOOTER - 4), x(RIGHT_MM), y(FOOTER - 4))


def _head_values(note: ReleaseNote, weighing: GateWeighing | None) -> list[str]:
    vehicle, container = note.vehicle, note.container
    if weighing is None:
        weighed, difference, result = "—", "—", "未称重 Not weighed"
    else:
        weighed = f"{kg(weighing.measured_g)} kg"
        sign = "-" if weighing.difference_g < 0 else "+"
        difference = f"{sign}{kg(abs(weighing.difference_g))} / ±{kg(weighing.allowed_g)} kg"
        result = "通过 PASSED" if weighing.passed else "超差 FAILED"
    return [
        note.passport_no or "—",
        note.cop_no,
        note.day.isoformat(),
        {"I": "I 进区 Into the zone", "E": "E 出区 Out of the zone"}[note.io_flag],
        note.master_customs,
        note.ems_no,
        f"{note.zone_company.code} {note.zone_company.name}",
        f"{note.declarant.code} {note.declarant.name}",
        vehicle.plate,
        f"{kg(vehicle.weight_g)} kg",
        f"{kg(vehicle.frame_weight_g)} kg",
        f"{container.number} / {kg(container.weight_g)} kg" if container else "—",
        str(len(note.lists)),
        str(note.packages),
        f"{kg(note.total_gross_g)} kg",
        f"{kg(note.total_net_g)} kg",
        f"{kg(note.total_weight_g)} kg",
        weighed,
        difference,
        result,
    ]


def render_release_note(note: ReleaseNote, weighing: GateWeighing | None = None) -> bytes:
    """The note with every list it covers (30 to a page, the header on every page) and,
    when the vehicle has been weighed, the gate check's result."""
    register_fonts()
    canvas = Canvas(io.BytesIO(), pagesize=A4, invariant=True, pageCompression=1)
    canvas.setCreator("customs.release_note")
    canvas.setTitle(f"Release note {note.number}")
    values = _head_values(note, weighing)
    bars = code128(note.number) if note.number.isascii() and note.number.isprintable() else None
    pages = -(-len(note.lists) // ROWS_PER_PAGE)
    for page in range(pages):
        use_form(canvas, "release-note", A4, _static)
        text = PageText(canvas)
        for index, value in enumerate(values):
            top = FIELDS_TOP + (index // 4) * ROW_MM
            left = LEFT_MM + (index % 4) * COLUMN_MM
            text.put(x(left + 1), y(top + 7.3), value, 8.5, width=x(COLUMN_MM - 2), min_size=5.5)
        first = page * ROWS_PER_PAGE
        for row, released in enumerate(note.lists[first : first + ROWS_PER_PAGE], start=1):
            baseline = y(TABLE_TOP + (row + 1) * TABLE_ROW_MM - 1.6)
            cells = (
                str(first + row),
                released.number,
                str(released.packages),
                kg(released.gross_weight_g),
                kg(released.net_weight_g),
            )
            for value, (_, left, right, numeric) in zip(cells, TABLE_COLUMNS, strict=True):
                if numeric:
                    text.put(x(right - 1), baseline, value, 8, align=RIGHT)
                else:
                    text.put(x(left + 1), baseline, value, 8, width=x(right - left - 2))
        text.put(
            x(LEFT_MM), y(FOOTER), f"Release note {note.number} · vehicle {note.vehicle.plate}", 7
        )
        text.put(x(RIGHT_MM), y(FOOTER), f"page {page + 1} of {pages}", 7, align=RIGHT)
        text.draw()
        if bars is not None:
            dots = 2 if bars.modules <= 180 else 1
            draw_bars(canvas, bars, x(RIGHT_MM - 72), y(25), dots, 12 * mm)
        canvas.showPage()
    return canvas.getpdfdata()
