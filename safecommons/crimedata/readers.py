"""Reading an export row by row, in bounded memory, whatever its size.

A reader gives the header, then (line number, row) pairs, where the row is the list of the line's values
in the header's order (`as_dict` turns one into a dict), and says how many bytes of the file it has read so
far, for a progress bar. Line numbers are the file's own: the header is line 1, and a CSV record spread
over several lines (a quoted value with a line break) is numbered by its first line.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ReadError(Exception):
    """The file cannot be read as the format it claims (not a spreadsheet, no header, a header not in its
    encoding)."""


class UndecodableRow(list):
    """A row with bytes its file's encoding does not allow: the importer rejects it with `reason`. Its values
    show each such byte as \ufffd, so the report can keep them."""

    def __init__(self, values: list, *, reason: str):
        super().__init__(values)
        self.reason = reason


_SURROGATES = re.compile("[\udc80-\udcff]")


def _encoding_label(encoding: str) -> str:
    normalised = encoding.lower().replace("_", "-")
    return "UTF-8" if normalised in {"utf-8", "utf8", "utf-8-sig"} else encoding


class RowReader:
    header: list[str]
    total_bytes: int

    def __iter__(self) -> Iterator[tuple[int, list]]:
        raise NotImplementedError

    def bytes_read(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def as_dict(self, row: list) -> dict[str, Any]:
        return dict(zip(self.header, row, strict=False))


class CsvReader(RowReader):
    """A CSV file through the csv module, read in blocks: memory holds one block and one row."""

    def __init__(self, path: str | Path, *, encoding: str = "utf-8-sig", delimiter: str = ","):
        self.path = Path(path)
        self.total_bytes = os.path.getsize(self.path)
        self._raw: BinaryIO = open(self.path, "rb")  # noqa: SIM115  (closed by close())
        # Bytes the encoding does not allow become lone surrogates instead of stopping the decoding (which
        # runs blocks ahead of the csv module, so an error there could not name the row): the lines they are
        # on are noted as they pass, and their rows rejected one by one.
        self._text = io.TextIOWrapper(self._raw, encoding=encoding, errors="surrogateescape", newline="")
        self._encoding = _encoding_label(encoding)
        self._undecodable = False
        self._reader = csv.reader(self._lines(), delimiter=delimiter)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            self.close()
            raise ReadError(f"line 1: {exc}") from None
        if not header:
            self.close()
            raise ReadError("the file is empty: no header line")
        if self._undecodable:
            self.close()
            raise ReadError(f"the header is not valid {self._encoding} text; save the file as CSV UTF-8 "
                            f"(or give the mapping its encoding)")
        self.header = [h.strip() for h in header]

    def _lines(self) -> Iterator[str]:
        search = _SURROGATES.search
        for line in self._text:
            if not line.isascii() and search(line):
                self._undecodable = True
            yield line

    def _undecodable_row(self, row: list) -> UndecodableRow:
        self._undecodable = False
        values = [value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for value in row]
        return UndecodableRow(values, reason=f"not valid {self._encoding} text (a byte the encoding does not "
                                             f"allow); save the file as CSV UTF-8")

    def __iter__(self) -> Iterator[tuple[int, list]]:
        reader = self._reader
        start = reader.line_num + 1
        try:
            for row in reader:
                if self._undecodable:
                    yield start, self._undecodable_row(row)
                elif row:  # a blank line holds no record
                    yield start, row
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ReadError(f"line {start}: {exc}") from None

    def bytes_read(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        if not self._raw.closed:
            self._text.close()


def _cell(value: Any) -> Any:
    """Spreadsheet cells as the importer reads CSV values: text, except dates and times, kept as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class XlsxReader(RowReader):
    """The first sheet (or the named one) of an XLSX workbook, read as a stream (openpyxl read-only mode)."""

    def __init__(self, path: str | Path, *, sheet: str = ""):
        from openpyxl import load_workbook

        self.path = Path(path)
        self.total_bytes = os.path.getsize(self.path)
        try:
            self._book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise ReadError(f"the file is not an XLSX workbook ({exc.__class__.__name__})") from None
        if sheet and sheet not in self._book.sheetnames:
            self.close()
            raise ReadError(f"the workbook has no sheet {sheet!r} (it has {', '.join(self._book.sheetnames)})")
        self._sheet = self._book[sheet] if sheet else self._book.worksheets[0]
        self._rows = self._sheet.iter_rows(values_only=True)
        header = next(self._rows, None)
        if not header or all(h is None for h in header):
            self.close()
            raise ReadError("the sheet is empty: no header row")
        self.header = [str(h).strip() if h is not None else "" for h in header]
        self._max_row = self._sheet.max_row or 0
        self._line = 1

    def __iter__(self) -> Iterator[tuple[int, list]]:
        width = len(self.header)
        for values in self._rows:
            self._line += 1
            if all(v is None for v in values):
                continue
            row = [_cell(v) for v in values[:width]]
            if len(values) > width and any(v is not None for v in values[width:]):
                row += [_cell(v) for v in values[width:]]
            yield self._line, row

    def bytes_read(self) -> int:
        # A workbook is compressed and read by rows: the share of rows read stands for the bytes.
        if not self._max_row:
            return 0
        return min(self.total_bytes, self.total_bytes * self._line // self._max_row)

    def close(self) -> None:
        self._book.close()


def reader_open(path: str | Path, *, file_format: str = "auto", encoding: str = "utf-8-sig",
                delimiter: str = ",", sheet: str = "") -> RowReader:
    """A reader for the file: XLSX by its name or its first bytes (a zip), CSV otherwise."""
    path = Path(path)
    if file_format == "auto":
        with open(path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        file_format = "xlsx" if is_zip or path.suffix.lower() in {".xlsx", ".xlsm"} else "csv"
    if file_format == "xlsx":
        return XlsxReader(path, sheet=sheet)
    return CsvReader(path, encoding=encoding, delimiter=delimiter)
