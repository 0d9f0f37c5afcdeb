"""csv_cell: text a spreadsheet would run as a formula is made text; numbers stay numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from safecommons.core.csvsafe import csv_cell, csv_row


@pytest.mark.parametrize("value", [0, -3, 2.5, -25.0, Decimal("-1.50"), "-25.0", "+3", "-7", "1e5", "-.5", "12"])
def test_numbers_and_plain_number_text_are_left_unchanged(value):
    assert csv_cell(value) == value


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("- 5", "'- 5"),
])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(value, written):
    assert csv_cell(value) == written


@pytest.mark.parametrize("value", ["West End", "1200 block of MAIN ST", "", "fewer than 3", "a=b", None, True])
def test_other_values_are_left_unchanged(value):
    assert csv_cell(value) == value


def test_a_row_is_made_safe_cell_by_cell():
    assert csv_row(["=1", 3, "-3", "ok"]) == ["'=1", 3, "-3", "ok"]
