"""The importer: what a file becomes, checked against the file itself read another way."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Sum

from safecommons.crimedata import generalise
from safecommons.crimedata.mapping import mapping_load, mapping_parse
from safecommons.crimedata.models import CrimeRecord, HourlyCount, ImportRejection, ImportRun
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.services.imports import crime_import_file
from safecommons.crimedata.tests.import_files import (
    BOSTON_HEADER,
    CHICAGO_HEADER,
    boston_row,
    boston_rows,
    csv_write,
)
from safecommons.places.models import AddressPoint
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
BOSTON = mapping_load("boston-incidents")
NEW_YORK = ZoneInfo("America/New_York")


def run_import(agency, path, mapping=BOSTON, **kwargs) -> ImportRun:
    return crime_import_file(actor=None, agency=agency, path=path, mapping=mapping, **kwargs)


def summary_of(agency) -> Counter:
    return Counter({(h.month, h.nibrs_code, h.offense_group, h.weekday, h.hour): h.count
                    for h in HourlyCount.objects.filter(agency=agency)})


def recount(agency) -> Counter:
    counts: Counter = Counter()
    for record in CrimeRecord.objects.filter(agency=agency):
        key = (record.occurred_date.replace(day=1), record.nibrs_code, record.offense_group,
               record.occurred_weekday, record.occurred_hour)
        counts[key] += 1
    return counts


def test_counts_after_import_match_an_independent_count_of_the_same_file(agency, tmp_path):
    path = csv_write(tmp_path / "boston.csv", BOSTON_HEADER, boston_rows(1500))
    # Read the file again with the csv module alone: offense code × local hour, and the weekday.
    by_code_hour, by_weekday = Counter(), Counter()
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        when = datetime.strptime(row["OCCURRED_ON_DATE"], "%Y-%m-%d %H:%M:%S")
        # The local clock of the instant (the file crosses the night summer time starts: 02:xx is 03:xx).
        when = datetime.fromtimestamp(when.replace(tzinfo=NEW_YORK).timestamp(), NEW_YORK)
        by_code_hour[(row["OFFENSE_CODE"], when.hour)] += 1
        by_weekday[when.weekday()] += 1

    run = run_import(agency, path, chunk_rows=400)  # several chunks

    assert run.status == ImportRun.Status.DONE, run.error
    assert (run.rows_read, run.inserted, run.updated, run.rejected) == (len(rows), len(rows), 0, 0)
    stored = CrimeRecord.objects.filter(agency=agency)
    assert Counter((r.offense_source, r.occurred_hour) for r in stored) == by_code_hour
    assert dict(stored.values_list("occurred_weekday").annotate(n=Count("id")).order_by()) == by_weekday
    assert summary_of(agency) == recount(agency)
    assert HourlyCount.objects.filter(agency=agency).aggregate(n=Sum("count"))["n"] == len(rows)
    assert run.processed_bytes == run.total_bytes == path.stat().st_size


def test_every_field_of_a_record_is_filled_as_the_mapping_says(agency, tmp_path):
    for step, number in enumerate(("1210", "1230", "1250", "1270", "1290")):  # the block, in the gazetteer
        AddressPoint.objects.create(number=number, street="Main St", street_key="main st",
                                    latitude=44.9810 + step * 0.00005, longitude=-93.2710 + step * 0.0005)
    neighborhood = AreaFactory(agency=agency, lon=-93.28, lat=44.97, size=0.03)
    path = csv_write(tmp_path / "one.csv", BOSTON_HEADER, [boston_row(
        number="I260000001", code="00619", occurred="2026-05-04 14:35:00", lat=44.98123, lon=-93.27045,
        street="1234 Main St", district="B2", area="318")])

    run_import(agency, path)

    record = CrimeRecord.objects.get(agency=agency)
    assert record.source_id == "I260000001-00619"
    assert (record.nibrs_code, record.offense_group, record.crime_against) == ("23H", "larceny", "property")
    assert record.occurred_at == datetime(2026, 5, 4, 14, 35, tzinfo=NEW_YORK)
    assert (str(record.occurred_date), record.occurred_hour, record.occurred_weekday) == ("2026-05-04", 14, 0)
    assert (record.latitude, record.longitude) == (44.98123, -93.27045)
    assert record.h3_cell == generalise.grid_cell(44.98123, -93.27045)
    assert record.block_address == "1200 block of MAIN ST"
    # Public: the centre of the exact point's grid cell (never a house, not even the block's middle one).
    public = generalise.grid_centre(generalise.grid_cell(44.98123, -93.27045))
    assert (record.public_latitude, record.public_longitude) == public
    assert record.public_h3_cell == generalise.grid_cell(*public)
    assert record.neighborhood_id == neighborhood.pk
    assert record.source_area == "B2 / 318"
    assert record.import_run_id is not None


def test_a_file_with_bad_rows_reports_each_with_its_line_and_reason_and_keeps_every_good_row(agency, tmp_path):
    AreaFactory(agency=agency, lon=-93.32, lat=44.94, size=0.1)  # the plausible area: around these
    good = [boston_row(number=f"G{n}", code="619", occurred=f"2026-04-0{n} 10:00:00") for n in range(1, 5)]
    bad = {
        3: (boston_row(number="B1", code="619", occurred="2026-13-45 10:00:00"), "occurred date"),
        5: (boston_row(number="", code="619", occurred="2026-04-01 10:00:00"), "source id is empty"),
        6: (boston_row(number="B3", code="619", occurred="2026-04-01 10:00:00", lat="north"), "not numbers"),
        8: (boston_row(number="B4", code="619", occurred="2026-04-01 10:00:00", lat=95, lon=-93.2), "out of range"),
        9: (boston_row(number="B5", code="619", occurred="2026-04-01 10:00:00", lat=42.36, lon=-71.06),
            "outside the agency's area"),
        10: (boston_row(number="G2", code="619", occurred="2026-04-03 10:00:00"), "repeats line 4"),
        11: (boston_row(number="B7", code="619", occurred="2099-01-01 10:00:00"), "in the future"),
        12: (boston_row(number="B8", code="", occurred="2026-04-01 10:00:00"), "the offense is empty"),
    }
    rows, good_iter = [], iter(good)
    for line in range(2, 14):  # line 1 is the header
        rows.append(bad[line][0] if line in bad else next(good_iter))
    path = csv_write(tmp_path / "bad.csv", BOSTON_HEADER, rows)

    run = run_import(agency, path)

    assert run.status == ImportRun.Status.DONE
    assert (run.rows_read, run.inserted, run.rejected) == (12, 4, 8)
    rejections = {r.line: r for r in ImportRejection.objects.filter(run=run)}
    assert set(rejections) == set(bad)
    for line, (_row, reason) in bad.items():
        assert reason in rejections[line].reason, (line, rejections[line].reason)
    assert rejections[9].source_id == "B5-619" and "B5" in rejections[9].excerpt
    assert set(CrimeRecord.objects.filter(agency=agency).values_list("source_id", flat=True)) == {
        "G1-619", "G2-619", "G3-619", "G4-619"}


def test_a_reimport_updates_every_record_and_keeps_the_summary_exact_when_records_move(agency, tmp_path):
    rows = boston_rows(300)
    path = csv_write(tmp_path / "first.csv", BOSTON_HEADER, rows)
    first = run_import(agency, path, chunk_rows=120)
    assert first.inserted == 300

    again = run_import(agency, path, chunk_rows=120)
    assert (again.inserted, again.updated, again.rejected) == (0, 300, 0)
    assert CrimeRecord.objects.filter(agency=agency).count() == 300

    # The records system corrected some records: another month, another hour, another offense.
    for row in rows[:40]:
        row["OCCURRED_ON_DATE"] = "2025-11-20 03:15:00"
    recoded = [n for n in range(40, 60) if n % 5 in (0, 1, 2)]  # no two offenses of one incident
    for n in recoded:
        rows[n]["OFFENSE_CODE"] = "1001"
    corrected = csv_write(tmp_path / "corrected.csv", BOSTON_HEADER, rows)
    third = run_import(agency, corrected, chunk_rows=120)

    # The id joins incident number and offense code: a new code is a new record, the old one stays.
    assert (third.inserted, third.updated, third.rejected) == (len(recoded), 300 - len(recoded), 0)
    assert CrimeRecord.objects.filter(agency=agency).count() == 300 + len(recoded)
    assert summary_of(agency) == recount(agency)
    assert CrimeRecord.objects.filter(agency=agency, occurred_date="2025-11-20").count() >= 40


def test_unmapped_offenses_are_kept_unclassified_and_counted_on_the_run(agency, tmp_path):
    rows = [boston_row(number=f"U{n}", code=code, occurred="2026-04-01 10:00:00")
            for n, code in enumerate(["99999", "99999", "88888", "3115", "619"])]
    path = csv_write(tmp_path / "unmapped.csv", BOSTON_HEADER, rows)

    run = run_import(agency, path)

    assert run.unmapped_offenses == {"99999": 2, "88888": 1}  # 3115 is known: not an offense
    groups = Counter(CrimeRecord.objects.filter(agency=agency).values_list("offense_group", flat=True))
    assert groups == {OffenseGroup.UNCLASSIFIED: 4, OffenseGroup.LARCENY: 1}
    assert set(CrimeRecord.objects.filter(offense_group="unclassified").values_list("nibrs_code", flat=True)) == {""}


def test_projected_x_y_lands_at_the_latitude_and_longitude_the_publisher_gives(agency, tmp_path):
    # A published Chicago row: X/Y in Illinois East feet, and the publisher's own latitude/longitude.
    row = dict.fromkeys(CHICAGO_HEADER, "")
    row.update({"ID": "10224738", "Case Number": "HY411648", "Date": "09/05/2015 01:30:00 PM",
                "Block": "043XX S WOOD ST", "IUCR": "0486", "Primary Type": "BATTERY",
                "Location Description": "RESIDENCE", "Arrest": "false", "Domestic": "true", "Beat": "0924",
                "District": "009", "X Coordinate": "1165074", "Y Coordinate": "1875917",
                "Latitude": "41.815117282", "Longitude": "-87.669999562"})
    path = csv_write(tmp_path / "chicago.csv", CHICAGO_HEADER, [row])

    run = run_import(agency, path, mapping=mapping_load("chicago-crimes"))

    assert run.inserted == 1, (run.error, list(ImportRejection.objects.values_list("reason", flat=True)))
    record = CrimeRecord.objects.get(agency=agency)
    assert record.latitude == pytest.approx(41.815117282, abs=2e-5)
    assert record.longitude == pytest.approx(-87.669999562, abs=2e-5)
    assert record.occurred_at == datetime(2015, 9, 5, 13, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert (record.nibrs_code, record.domestic, record.offense_group) == ("13B", True, "domestic_violence")
    assert record.block_address == "4300 block of S WOOD ST"
    assert (record.premise_type, record.status, record.source_area) == ("RESIDENCE", "no arrest", "009 / 0924")
    assert (record.public_latitude, record.public_longitude) != (record.latitude, record.longitude)


def test_separate_date_and_hour_columns_and_an_unknown_hour(agency, tmp_path):
    mapping = mapping_parse("""
timezone: Europe/Paris
source_id: id
offense: {column: what, codes: {theft: 23H}}
occurred: {date_column: day, date_format: "%d/%m/%Y", hour_column: hour}
location: {latitude: lat, longitude: lon}
""")
    path = tmp_path / "paris.csv"
    path.write_text("id,what,day,hour,lat,lon\n1,theft,03/05/2026,22,48.85,2.35\n2,Theft,03/05/2026,,48.85,2.35\n"
                    "3,theft,03/05/2026,24,48.85,2.35\n", encoding="utf-8")

    run = run_import(agency, path, mapping=mapping)

    assert (run.inserted, run.rejected) == (2, 1)
    assert ImportRejection.objects.get(run=run).line == 4
    hours = dict(CrimeRecord.objects.values_list("source_id", "occurred_hour"))
    assert hours == {"1": 22, "2": None}
    paris = ZoneInfo("Europe/Paris")
    assert CrimeRecord.objects.get(source_id="1").occurred_at == datetime(2026, 5, 3, 22, tzinfo=paris)


def test_an_xlsx_export_imports_like_its_csv(agency, tmp_path):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Incidents")
    sheet.append(BOSTON_HEADER)
    rows = boston_rows(50)
    for row in rows:
        values = [row[column] for column in BOSTON_HEADER]
        values[BOSTON_HEADER.index("OCCURRED_ON_DATE")] = datetime.strptime(row["OCCURRED_ON_DATE"],
                                                                            "%Y-%m-%d %H:%M:%S")
        values[BOSTON_HEADER.index("OFFENSE_CODE")] = int(row["OFFENSE_CODE"])
        sheet.append(values)
    path = tmp_path / "boston.xlsx"
    book.save(path)

    run = run_import(agency, path)

    assert run.status == ImportRun.Status.DONE, run.error
    assert (run.inserted, run.rejected) == (50, 0)
    expected = Counter((r["OFFENSE_CODE"], int(r["HOUR"])) for r in rows)
    assert Counter(CrimeRecord.objects.values_list("offense_source", "occurred_hour")) == expected


def test_a_file_without_a_column_the_mapping_needs_fails_naming_it(agency, tmp_path):
    header = [c for c in BOSTON_HEADER if c != "Lat"]
    row = {k: v for k, v in boston_row(number="1", code="619", occurred="2026-04-01 10:00:00").items() if k != "Lat"}
    path = csv_write(tmp_path / "no-lat.csv", header, [row])

    run = run_import(agency, path)

    assert run.status == ImportRun.Status.FAILED
    assert "'Lat'" in run.error
    assert not CrimeRecord.objects.exists()


def test_no_public_point_is_the_exact_point(agency, tmp_path):
    path = csv_write(tmp_path / "boston.csv", BOSTON_HEADER, boston_rows(400))
    run_import(agency, path)
    for record in CrimeRecord.objects.filter(agency=agency).exclude(latitude=None):
        assert (record.public_latitude, record.public_longitude) != (record.latitude, record.longitude)
        lat, lon = generalise.grid_centre(record.h3_cell)
        assert (record.public_latitude, record.public_longitude) == (lat, lon)


def test_a_local_time_the_clock_skips_gets_the_hour_of_the_instant_stored_like_the_same_instant_with_an_offset(
        agency, tmp_path):
    from datetime import UTC

    rows = [boston_row(number="SKIPPED", code="619", occurred="2026-03-08 02:30:00"),  # clocks go 02:00 → 03:00
            boston_row(number="OFFSET", code="619", occurred="2026-03-08 07:30:00+0000"),
            boston_row(number="TWICE", code="619", occurred="2026-11-01 01:30:00")]  # 01:00-02:00 shown twice
    run = run_import(agency, csv_write(tmp_path / "dst.csv", BOSTON_HEADER, rows))

    assert (run.inserted, run.rejected) == (3, 0)
    records = {r.source_id: r for r in CrimeRecord.objects.filter(agency=agency)}
    skipped, offset, twice = records["SKIPPED-619"], records["OFFSET-619"], records["TWICE-619"]
    assert skipped.occurred_at == offset.occurred_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (skipped.occurred_hour, skipped.occurred_date, skipped.occurred_weekday) == (3, offset.occurred_date, 6)
    assert offset.occurred_hour == 3
    # The hour shown twice is read as the first of the two, in summer time (UTC-4).
    assert twice.occurred_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert twice.occurred_hour == 1


def test_a_separate_hour_the_clock_skips_is_counted_at_the_hour_it_became(agency, tmp_path):
    mapping = mapping_parse("""
timezone: America/New_York
source_id: id
offense: {column: what, codes: {theft: 23H}}
occurred: {date_column: day, date_format: "%Y-%m-%d", hour_column: hour}
location: {latitude: lat, longitude: lon}
""")
    path = tmp_path / "gap.csv"
    path.write_text("id,what,day,hour,lat,lon\n1,theft,2026-03-08,2,40.7,-74.0\n", encoding="utf-8")

    run = run_import(agency, path, mapping=mapping)

    assert run.inserted == 1
    record = CrimeRecord.objects.get(agency=agency)
    assert record.occurred_hour == 3 == record.occurred_at.astimezone(NEW_YORK).hour
