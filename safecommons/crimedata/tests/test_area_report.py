"""The area report PDF: it opens, holds the neighborhood's numbers, and the public one holds only the public
subset."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from safecommons.core.roles import Role
from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

PARAMS = {"start": "2026-01-01", "end": "2026-05-31", "as_of": "2026-05-31"}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def area(agency):
    """Old Town: 23 burglaries in the last 28 days (May), 6 in the 28 before, 2 rapes; elsewhere 50 thefts;
    drugs hidden by rule."""
    old_town = AreaFactory(agency=agency, name="Old Town – Şişli", lon=-93.28, lat=44.97, size=0.02)
    elsewhere = AreaFactory(agency=agency, name="Riverside", lon=-93.25, lat=44.97, size=0.02)
    for i in range(23):
        CrimeRecordFactory(agency=agency, nibrs_code="220", neighborhood=old_town, premise_type="Residence",
                           occurred_at=datetime(2026, 5, 31, 20, tzinfo=TZ) - timedelta(days=i % 28, hours=i % 5))
    for i in range(6):
        CrimeRecordFactory(agency=agency, nibrs_code="220", neighborhood=old_town, premise_type="Garage",
                           occurred_at=datetime(2026, 4, 20, 3, tzinfo=TZ) - timedelta(days=i))
    for i in range(2):
        CrimeRecordFactory(agency=agency, nibrs_code="11A", neighborhood=old_town,
                           occurred_at=datetime(2026, 5, 10, 1, tzinfo=TZ) + timedelta(days=i))
    for i in range(4):
        CrimeRecordFactory(agency=agency, nibrs_code="35A", neighborhood=old_town,
                           occurred_at=datetime(2026, 5, 12, 1, tzinfo=TZ) + timedelta(days=i))
    for i in range(50):
        CrimeRecordFactory(agency=agency, nibrs_code="23C", neighborhood=elsewhere,
                           occurred_at=datetime(2026, 3, 1, 12, tzinfo=TZ) + timedelta(days=i))
    PublicationRule.objects.create(agency=agency, offense_group="drugs", display="hidden")
    hourly_counts_refresh(agency_id=agency.pk)
    return old_town


def test_the_staff_report_opens_and_holds_the_neighborhoods_numbers(client_for, people, area):
    response = client_for(people[Role.ANALYST]).get(f"/crime/analytics/areas/{area.pk}/report.pdf", PARAMS)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Area report: Old Town - Sisli" in text  # outside Latin-1, brought as close as the fonts go
    assert "Last 28 days" in text and "Year to date" in text
    assert "Burglary" in text and "Larceny" not in text  # the other neighborhood's thefts are not in it
    assert "23" in text and "UP (sig.)" in text  # 23 burglaries against 6: flagged
    assert "Residence" in text and "Garage" in text
    assert "Drugs" in text and "Sex offense" in text  # staff see every group
    assert "hot spots" in text


def test_the_public_report_holds_only_the_public_subset(client, area):
    response = client.get(f"/crime/trends/areas/{area.pk}/report.pdf", PARAMS)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Area report: Old Town - Sisli" in text and "Public version" in text
    assert "Drugs" not in text  # hidden by the agency's rule
    assert "Burglary" in text and "23" in text
    assert "withheld" in text
    # The two rapes: only in the monthly counts, withheld, never in a table by hour, weekday or CompStat
    flat = " ".join(text.split())
    monthly = flat.split("Offenses published only as monthly counts")[1]
    assert "Sex offense: 2026-01: fewer than 3" in monthly and "2026-05: fewer than 3" in monthly
    assert "2026-05: 2" not in flat
    assert flat.count("Sex offense") == 1  # in no other table
    assert "Residence" not in text and "Not published" in text  # no premises, no hotspots


def test_a_neighborhood_of_another_agency_has_no_report(client_for, people, agency, area):
    other = AreaFactory(name="Far away")
    response = client_for(people[Role.ANALYST]).get(f"/crime/analytics/areas/{other.pk}/report.pdf", PARAMS)
    assert response.status_code == 404


GROUP_CODES = ["09A", "13A", "100", "11A", "200", "510", "220", "290", "35A", "39A", "23A", "240", "120", "280",
               "520", "90F"]


def test_the_staff_reports_headings_stay_on_the_page_of_their_content(client_for, people, agency):
    """Full CompStat tables (sixteen groups in each period) end near the foot of the first page: the heat map's
    heading then moves to the next page with its chart instead of being left alone."""
    area = AreaFactory(agency=agency, name="Harbour", lon=-93.28, lat=44.97, size=0.02)
    for index, code in enumerate(GROUP_CODES):
        for i in range(3 + index):
            CrimeRecordFactory(agency=agency, nibrs_code=code, neighborhood=area,
                               occurred_at=datetime(2026, 5, 31, 20, tzinfo=TZ) - timedelta(days=(5 * i) % 150))
    response = client_for(people[Role.ANALYST]).get(f"/crime/analytics/areas/{area.pk}/report.pdf", PARAMS)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    heading = [i for i, text in enumerate(pages) if "Records by weekday and hour" in text]
    assert len(heading) == 1
    chart_page = pages[heading[0]]
    after = chart_page.split("Records by weekday and hour", 1)[1]
    assert "00" in after and "Mon" in after  # the chart's first hour and weekday labels follow it on its page
    for title in ("Top offense groups", "Records by premise type", "Hotspots"):
        page = next(text for text in pages if title in text)
        assert page.rstrip().split("\n")[-1].strip() != title


def test_the_public_reports_top_groups_are_the_trends_pages_counts_for_the_neighborhood(client, agency):
    """Larcenies, assaults and burglaries spread thin over the week's hours (most weekday x hour cells below
    the threshold, so their sum is far below the count): the report gives the trends page's row."""
    import re

    river = AreaFactory(agency=agency, name="Riverside", lon=-93.25, lat=44.97, size=0.02)
    AreaFactory(agency=agency, name="Old Town", lon=-93.28, lat=44.97, size=0.02)
    start = datetime(2026, 1, 5, tzinfo=TZ)
    for code, n in (("23C", 248), ("13B", 37), ("220", 23), ("120", 4)):
        for i in range(n):
            CrimeRecordFactory(agency=agency, nibrs_code=code, neighborhood=river,
                               occurred_at=start + timedelta(hours=5 * i + len(code), minutes=3))
    hourly_counts_refresh(agency_id=agency.pk)

    html = client.get("/crime/trends/", PARAMS).content.decode()
    where = html.split('<h2 id="where">')[1].split("</table>")[0]
    labels = re.findall(r'<th scope="col">([^<]+)</th>', where.split("</thead>")[0])[1:-2]
    row = re.search(r'<th scope="row">Riverside</th>(.*?)</tr>', where, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)[:len(labels)]
    page_counts = {label: int(cell) for label, cell in zip(labels, cells, strict=True) if cell.isdigit()}
    assert page_counts == {"Larceny / theft": 248, "Assault": 37, "Burglary": 23, "Robbery": 4}

    text = pdf_text(client.get(f"/crime/trends/areas/{river.pk}/report.pdf", PARAMS).content)
    top = " ".join(text.split("Top offense groups")[1].split())
    for label, count in sorted(page_counts.items(), key=lambda item: -item[1]):
        assert f"{label} {count}" in top
    assert top.index("Larceny / theft 248") < top.index("Assault 37") < top.index("Burglary 23")
