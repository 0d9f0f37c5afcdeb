"""Keeping `HourlyCount` in step with the records it sums."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from safecommons.crimedata.models import CrimeRecord, HourlyCount


def month_of(day: date) -> date:
    return day.replace(day=1)


def hourly_counts_refresh(*, agency_id: int, months: Iterable[date] | None = None) -> int:
    """Recount the given months (first days; every month when None) of one agency from its records.

    An import passes the months its rows fell in before and after, so a re-import that moves a record
    from one month, offense or hour to another leaves no stale count behind. Returns the rows written.
    """
    records = CrimeRecord.objects.filter(agency_id=agency_id)
    summary = HourlyCount.objects.filter(agency_id=agency_id)
    wanted = sorted({month_of(m) for m in months}) if months is not None else None
    if wanted is not None:
        if not wanted:
            return 0
        # Months come in runs; a range per call keeps the query plain, the month filter keeps it exact.
        records = records.filter(occurred_date__gte=wanted[0], occurred_date__lt=_next_month(wanted[-1]))
        summary = summary.filter(month__in=wanted)
    grouped = (records.annotate(month=TruncMonth("occurred_date"))
               .values_list("month", "nibrs_code", "offense_group", "occurred_weekday", "occurred_hour")
               .annotate(n=Count("id")).order_by())
    wanted_set = set(wanted) if wanted is not None else None
    rows = [
        HourlyCount(agency_id=agency_id, month=month, nibrs_code=code, offense_group=group,
                    weekday=weekday, hour=hour, count=n)
        for month, code, group, weekday, hour, n in grouped.iterator(chunk_size=10000)
        if wanted_set is None or month in wanted_set
    ]
    with transaction.atomic():
        summary.delete()
        HourlyCount.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
