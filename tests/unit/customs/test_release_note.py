"""The release note of a batch: totals, the gate weight check, its SAS121-like XML and
its PDF (every list on it, paginated)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from customs.inventory_list import Company
from customs.release_note import (
    ROWS_PER_PAGE,
    Container,
    ReleasedList,
    ReleaseNote,
    Vehicle,
    WeightTolerance,
    check_gate_weight,
    release_note_xml,
    render_release_note,
)
from tests.unit.customs.test_inventory_pdf import page_texts

ZONE = Company("3105A00001", "宁波梅山保税港区物流有限公司")
LISTS = (
    ReleasedList("31052026I180000001", 1250, 550),
    ReleasedList("31052026I180000002", 2400, 2000, packages=2),
    ReleasedList("31052026I180000003", 830, 700),
)
NOTE = ReleaseNote(
    cop_no="HF20260703001",
    io_flag="E",
    master_customs="3105",
    zone_company=ZONE,
    declarant=ZONE,
    ems_no="T3105W000123",
    vehicle=Vehicle("浙B7X37R", 13_000_000, frame_weight_g=1_000_000),
    lists=LISTS,
    day=date(2026, 7, 3),
    applicant="李四 0574-86861234",
    container=Container("MSKU1234565", 2_200_000),
    passport_no="HF310520260000456",
)


def test_totals_follow_the_lists_and_the_vehicle():
    assert NOTE.total_gross_g == 4480 and NOTE.total_net_g == 3250 and NOTE.packages == 4
    # vehicle + frame + container + goods, as the scale should read it
    assert NOTE.total_weight_g == 13_000_000 + 1_000_000 + 2_200_000 + 4480


def test_the_gate_check_against_a_tolerance():
    tolerance = WeightTolerance(Decimal("0.01"), minimum_g=20_000)
    expected = NOTE.total_weight_g
    allowed = 162_045  # 1 % of 16,204,480 g, half up
    ok = check_gate_weight(NOTE, expected + allowed, tolerance)
    assert ok.allowed_g == allowed and ok.passed and ok.difference_g == allowed
    assert not check_gate_weight(NOTE, expected + allowed + 1, tolerance).passed
    assert not check_gate_weight(NOTE, expected - allowed - 1, tolerance).passed
    light = replace(NOTE, vehicle=Vehicle("浙B1", 0), container=None)
    assert check_gate_weight(light, 4480, tolerance).allowed_g == 20_000  # the floor
    with pytest.raises(ValueError):
        WeightTolerance(Decimal("1.5"))


def test_the_xml_carries_the_vehicle_weights_and_every_list():
    root = ET.fromstring(release_note_xml(NOTE))
    assert root.tag == "PassPortMessage"
    head = {child.tag: child.text for child in root.find("PassportHead")}
    assert head["PassportNo"] == "HF310520260000456" and head["EtpsPreentNo"] == "HF20260703001"
    assert head["VehicleNo"] == "浙B7X37R"
    assert head["VehicleWt"] == "13000" and head["VehicleFrameWt"] == "1000"
    assert head["ContainerNo"] == "MSKU1234565" and head["ContainerWt"] == "2200"
    assert head["TotalGrossWt"] == "4.48" and head["TotalNetWt"] == "3.25"
    assert head["TotalWt"] == "16204.48"
    assert "SeqNo" not in head  # unknown yet: left out
    acmp = [e.findtext("RtlBillNo") for e in root.findall("PassportAcmp")]
    assert acmp == [released.number for released in LISTS]


def test_the_pdf_shows_the_note_the_check_and_the_lists():
    tolerance = WeightTolerance(Decimal("0.01"))
    weighing = check_gate_weight(NOTE, NOTE.total_weight_g + 5_000, tolerance)
    (text,) = page_texts(render_release_note(NOTE, weighing))
    for expected in (
        "Release note",
        "HF310520260000456",
        "浙B7X37R",
        "13000.000 kg",
        "MSKU1234565 / 2200.000 kg",
        "4.480 kg",
        "3.250 kg",
        "16204.480 kg",  # expected total
        "16209.480 kg",  # weighed
        "+5.000 / ±162.045 kg",
        "PASSED",
        "31052026I180000001",
        "31052026I180000003",
        "page 1 of 1",
    ):
        assert expected in text, expected


def test_a_failed_check_and_an_unweighed_note_say_so():
    tolerance = WeightTolerance(Decimal("0.001"))
    weighing = check_gate_weight(NOTE, NOTE.total_weight_g - 500_000, tolerance)
    (failed,) = page_texts(render_release_note(NOTE, weighing))
    assert "FAILED" in failed and "-500.000" in failed
    (unweighed,) = page_texts(render_release_note(NOTE))
    assert "Not weighed" in unweighed


def test_a_big_batch_runs_onto_more_pages():
    lists = tuple(
        ReleasedList(f"31052026I18{n:07d}", 1000 + n, 800 + n) for n in range(ROWS_PER_PAGE + 5)
    )
    pages = page_texts(render_release_note(replace(NOTE, lists=lists)))
    assert len(pages) == 2
    assert "page 2 of 2" in pages[1] and lists[-1].number in pages[1]
    assert lists[-1].number not in pages[0] and "HF310520260000456" in pages[1]


def test_a_list_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        replace(NOTE, lists=(LISTS[0], LISTS[0]))
