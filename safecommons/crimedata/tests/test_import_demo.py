"""Riverton's synthetic crime export: deterministic, spread over fourteen months, imported whole."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from safecommons.crimedata.demo import RECORDS, demo_crime_rows
from safecommons.crimedata.models import CrimeRecord, HourlyCount, ImportRun


def test_the_demo_export_is_the_same_every_time_and_has_the_patterns_it_promises():
    today = date(2026, 6, 15)
    rows = demo_crime_rows(today=today)
    assert rows == demo_crime_rows(today=today)
    assert len(rows) == RECORDS
    days = sorted(row["OCCURRED_ON_DATE"][:10] for row in rows)
    assert days[0] >= str(today - timedelta(days=425)) and days[-1] < str(today)
    assert sum(1 for d in days if d >= str(today - timedelta(days=7))) > 20  # the last 7 days have data
    assault_hours = Counter(int(row["HOUR"]) for row in rows if row["OFFENSE_CODE"] == "802")
    assert sum(assault_hours[h] for h in (21, 22, 23, 0, 1)) > 3 * sum(assault_hours[h] for h in (6, 7, 8, 9, 10))
    assert {"2003", "1702"} <= {row["OFFENSE_CODE"] for row in rows}


@pytest.mark.django_db
def test_the_demo_city_loads_its_crime_records_through_the_importer():
    from safecommons.demo.city import demo_city_load

    city = demo_city_load()

    run = ImportRun.objects.get()
    assert (run.status, run.rejected, run.inserted) == ("done", 0, RECORDS), run.error
    assert city.counts["crime records"] == RECORDS
    assert run.created_by.email == "analyst@riverton.example"
    records = CrimeRecord.objects.all()
    assert records.exclude(neighborhood=None).count() > 0.98 * RECORDS  # a few lie just past the city line
    assert records.exclude(block_address="").count() == RECORDS
    assert sum(HourlyCount.objects.values_list("count", flat=True)) == RECORDS
    assert records.filter(offense_group__in=["family_offense", "sex_offense"]).exists()
    # Riverton's own columns: premises to count by, and the flags that move records into sensitive groups.
    assert records.exclude(premise_type="").count() == RECORDS
    assert records.values("premise_type").distinct().count() >= 8
    assert records.filter(offense_group="domestic_violence").count() > 50
    assert records.filter(offense_group="offense_against_child").exists()
