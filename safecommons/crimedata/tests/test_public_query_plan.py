"""The public area counts read a bounded slice of the records through an index, never the whole table
(PostgreSQL only: the plan is PostgreSQL's)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction

from safecommons.crimedata.selectors.public_areas import month_counts_query, public_months

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_a_years_area_counts_use_the_agency_and_date_index(agency):
    months = public_months(start=date(2025, 6, 1), end=date(2026, 5, 31), today=date(2026, 7, 1))
    assert len(months) == 12
    query = month_counts_query(agency_id=agency.pk, groups=["sex_offense", "domestic_violence"], months=months)
    with transaction.atomic(), connection.cursor() as cursor:
        # An empty test table is read fastest without an index; say so, to see which index the query can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "Seq Scan" not in plan
    assert "crimedata_c_agency_" in plan and "occurred_date" in plan, plan
