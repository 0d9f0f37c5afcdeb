"""CSV downloads never hand a spreadsheet a formula: names and blocks from the agency's data that start like
one are written as text, numbers stay numbers (the public map's download and the staff exports alike)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from safecommons.core.roles import Role
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-05-01", "end": "2026-05-31"}


@pytest.fixture
def formula_area(agency):
    area = AreaFactory(agency=agency, name='=HYPERLINK("http://evil.example","x")', lon=-93.30, lat=44.90)
    for day in (3, 4):
        CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=area, block_address="-1+2 block of X",
                           occurred_at=datetime(2026, 5, day, 12, tzinfo=TZ), latitude=44.9012345 + day / 1000,
                           longitude=-93.2987654)
    return area


def test_the_public_download_writes_names_and_blocks_as_text(client, formula_area):
    text = b"".join(client.get("/api/crime/public/download.csv", PERIOD).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    points = [row for row in rows if row["kind"] == "point"]
    assert len(points) == 2
    assert all(row["neighborhood"] == "'" + formula_area.name for row in points)
    assert all(row["block"] == "'-1+2 block of X" for row in points)
    assert all(not value.startswith(("=", "+", "@")) for row in rows for value in row.values() if value)


def test_the_staff_export_writes_names_as_text_and_keeps_numbers(client_for, people, formula_area):
    response = client_for(people[Role.ANALYST]).get("/crime/analytics/export/areas.csv", PERIOD)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["'" + formula_area.name] == [row[1] for row in rows[1:] if "HYPERLINK" in row[1]]
    assert [row[2] for row in rows[1:] if "HYPERLINK" in row[1]] == ["2"]
