"""Cells for CSV files people open in a spreadsheet.

A spreadsheet runs a cell that starts with = + - or @ as a formula (and some also after a leading tab or
carriage return), so text from outside — a neighborhood's name, a block, an offense as a source wrote it —
could run in the reader's spreadsheet. Such text gets a leading apostrophe, which spreadsheets read as "this
is text" and do not show. Numbers, and text that is just a number ("-25.0"), are left as they are, so that
they stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """The value as it may be written to a CSV cell: numbers unchanged, text that a spreadsheet would take
    for a formula prefixed with an apostrophe, anything else unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: list) -> list:
    """`csv_cell` of each value of a row."""
    return [csv_cell(value) for value in values]


class _Echo:
    """A file that hands back what is written to it: csv.writer's output one line at a time, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """Each row as a line of CSV, its cells made safe with `csv_cell`: the body of a streamed download."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(csv_row(list(row)))
