"""Two refreshes of one agency's summaries at the same moment (two imports finishing together) must leave one
set of counts, not two. Each refresh here runs on its own connection and commits, as on the server."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime

import pytest
from django.db import connection

from safecommons.crimedata.models import CrimeRecord, HourlyCount, YearlyCount
from safecommons.crimedata.services.summary import hourly_counts_refresh
from safecommons.crimedata.tests.factories import TZ, CrimeRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)


def refresh_together(agency_id: int, months: list[date] | None) -> None:
    """Run two refreshes in two threads; each waits (up to a second) before inserting until the other has
    deleted too, which is the interleaving that used to double the counts."""
    both_deleted = threading.Barrier(2, timeout=1.0)
    errors: list[BaseException] = []

    def hold_before_insert(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(f"INSERT INTO {HourlyCount._meta.db_table.upper()}"):
            try:
                both_deleted.wait()
            except threading.BrokenBarrierError:
                pass  # the other refresh is waiting for this one to finish: go on alone
        return execute(sql, params, many, context)

    def refresh() -> None:
        try:
            with connection.execute_wrapper(hold_before_insert):
                hourly_counts_refresh(agency_id=agency_id, months=months)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer at a time in any case")
@pytest.mark.parametrize("months", [None, [date(2026, 3, 1)]], ids=["every-month", "one-month"])
def test_two_refreshes_at_once_leave_each_count_once(agency, months):
    for day in range(1, 11):
        CrimeRecordFactory(agency=agency, nibrs_code="220", occurred_at=datetime(2026, 3, day, 22, tzinfo=TZ))
    refresh_together(agency.pk, months)
    assert sum(HourlyCount.objects.filter(agency=agency).values_list("count", flat=True)) == 10
    assert sum(YearlyCount.objects.filter(agency=agency).values_list("count", flat=True)) == 10
    expected = Counter((r.occurred_weekday, r.occurred_hour) for r in CrimeRecord.objects.filter(agency=agency))
    assert Counter({(h.weekday, h.hour): h.count for h in HourlyCount.objects.filter(agency=agency)}) == expected
