"""Keeping `HourlyCount` and `YearlyCount` in step with the records they sum."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction

from safecommons.crimedata.dates import month_of, next_month
from safecommons.crimedata.models import CrimeRecord, HourlyCount, YearlyCount

__all__ = ["hourly_counts_refresh", "month_of"]  # month_of is imported from here by the importer

# Below this many summary rows written, the planner's statistics are left to autovacuum.
ANALYZE_AFTER_ROWS = 20_000
# The first key of the PostgreSQL advisory lock taken per agency while its summaries are rewritten (the second
# is the agency's id): a fixed number of our own ("CRMS"), so that it meets no other lock of the same agency id.
SUMMARY_LOCK_NAMESPACE = 0x43524D53


def _lock_agency_summaries(cursor, agency_id: int) -> None:
    """Make a concurrent refresh of the same agency wait until this transaction ends.

    The refresh deletes, then inserts. Under READ COMMITTED a second refresh's DELETE cannot see rows the first
    inserted but has not committed, so without the lock both sets of rows survive and every count doubles.
    SQLite already lets only one writer in at a time."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SUMMARY_LOCK_NAMESPACE, agency_id])


def _month_sql() -> str:
    if connection.vendor == "postgresql":
        return "date_trunc('month', occurred_date)::date"
    return "date(occurred_date, 'start of month')"


def _year_sql() -> str:
    if connection.vendor == "postgresql":
        return "extract(year FROM month)::integer"
    return "CAST(strftime('%%Y', month) AS integer)"


def hourly_counts_refresh(*, agency_id: int, months: Iterable[date] | None = None) -> int:
    """Recount the given months (first days; every month when None) of one agency from its records, and the
    years those months fall in from the months.

    An import passes the months its rows fell in before and after, so a re-import that moves a record
    from one month, offense or hour to another leaves no stale count behind. The counting is one
    INSERT … SELECT … GROUP BY in the database, whatever the number of records. Two refreshes of one agency at
    once run one after the other. Returns the month rows written.
    """
    wanted = sorted({month_of(m) for m in months}) if months is not None else None
    if wanted is not None and not wanted:
        return 0
    records, monthly, yearly = (CrimeRecord._meta.db_table, HourlyCount._meta.db_table, YearlyCount._meta.db_table)
    month_sql, year_sql = _month_sql(), _year_sql()
    where, params = "agency_id = %s", [agency_id]
    if wanted is not None:
        where += (f" AND occurred_date >= %s AND occurred_date < %s AND {month_sql} IN "
                  f"({', '.join(['%s'] * len(wanted))})")
        params += [wanted[0], next_month(wanted[-1]), *wanted]
    years = sorted({m.year for m in wanted}) if wanted is not None else None
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_agency_summaries(cursor, agency_id)
        summary = HourlyCount.objects.filter(agency_id=agency_id)
        (summary.filter(month__in=wanted) if wanted is not None else summary).delete()
        cursor.execute(
            f"INSERT INTO {monthly} (agency_id, month, nibrs_code, offense_group, weekday, hour, count) "  # noqa: S608
            f"SELECT agency_id, {month_sql}, nibrs_code, offense_group, occurred_weekday, occurred_hour, count(*) "
            f"FROM {records} WHERE {where} "
            f"GROUP BY agency_id, {month_sql}, nibrs_code, offense_group, occurred_weekday, occurred_hour", params)
        written = cursor.rowcount
        year_rows = YearlyCount.objects.filter(agency_id=agency_id)
        (year_rows.filter(year__in=years) if years is not None else year_rows).delete()
        year_where, year_params = "agency_id = %s", [agency_id]
        if years is not None:
            year_where += " AND month >= %s AND month < %s"
            year_params += [date(years[0], 1, 1), date(years[-1] + 1, 1, 1)]
            year_where += f" AND {year_sql} IN ({', '.join(['%s'] * len(years))})"
            year_params += years
        cursor.execute(
            f"INSERT INTO {yearly} (agency_id, year, nibrs_code, offense_group, weekday, hour, count) "  # noqa: S608
            f"SELECT agency_id, {year_sql}, nibrs_code, offense_group, weekday, hour, sum(count) "
            f"FROM {monthly} WHERE {year_where} "
            f"GROUP BY agency_id, {year_sql}, nibrs_code, offense_group, weekday, hour", year_params)
    if connection.vendor == "postgresql" and written >= ANALYZE_AFTER_ROWS and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            # Freshly filled: without statistics the planner takes the table for empty and sorts on disk.
            cursor.execute(f"ANALYZE {monthly}, {yearly}")
    return written
