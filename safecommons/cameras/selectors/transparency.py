"""Public counts of what police asked camera owners for and got, month by month: footage requests by
offense group and outcome, live-access grants and openings. Counts only: no case number, camera, owner
or officer, and nothing per request. Counted by the database, one grouped query per kind of record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Case, CharField, Count, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.models import OFFENSE_GROUP, FootageRequest, LiveGrant, LiveOpening, OffenseGroup
from safecommons.core.errors import Refused

# The outcomes counted, in the order they are shown; "made" is their sum (a request counts in the month it
# was made, under the outcome it has now).
OUTCOMES = (FootageRequest.Status.APPROVED, FootageRequest.Status.DECLINED, FootageRequest.Status.NO_FOOTAGE,
            FootageRequest.Status.EXPIRED, FootageRequest.Status.PENDING)
FIRST_YEAR = 2000


def _outcome_counts() -> dict[str, int]:
    return {"made": 0, **{status.value: 0 for status in OUTCOMES}}


@dataclass
class MonthCounts:
    month: date  # the first day of the month
    requests: dict[str, int] = field(default_factory=_outcome_counts)
    by_group: dict[str, dict[str, int]] = field(
        default_factory=lambda: {group.value: _outcome_counts() for group in OffenseGroup})
    live_grants: int = 0
    live_openings: int = 0


@dataclass
class TransparencyReport:
    months: list[MonthCounts]
    year: int | None  # None: the last 12 months
    totals: MonthCounts  # the period's sums (its `month` is the first month)


def _month_starts(year: int | None, today: date) -> list[date]:
    if year is not None:
        last = 12 if year < today.year else today.month
        return [date(year, month, 1) for month in range(1, last + 1)]
    starts = []
    y, m = today.year, today.month
    for _month in range(12):
        starts.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return starts[::-1]


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _month_of(value: datetime | date) -> date:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _by_month(queryset: QuerySet, stamp: str, start: datetime, end: datetime, *fields: str) -> QuerySet:
    return (queryset.filter(**{f"{stamp}__gte": start, f"{stamp}__lt": end})
            .annotate(month=TruncMonth(stamp)).values("month", *fields).annotate(count=Count("pk")).order_by())


def transparency_report(*, year: int | None = None, today: date | None = None) -> TransparencyReport:
    """Counts per calendar month (local time) for the last 12 months, or for the months of `year` so far."""
    today = today or timezone.localdate()
    if year is not None and not FIRST_YEAR <= year <= today.year:
        raise Refused(_("Choose a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": today.year})
    starts = _month_starts(year, today)
    months = {start: MonthCounts(start) for start in starts}
    start, end = _aware(starts[0]), _aware(_next_month(starts[-1]))

    group_of = Case(*[When(offense=offense.value, then=Value(group.value)) for offense, group in OFFENSE_GROUP.items()],
                    default=Value(OffenseGroup.OTHER.value), output_field=CharField())
    requests = _by_month(FootageRequest.objects.annotate(group_key=group_of), "created_at", start, end,
                         "group_key", "status")
    for row in requests:
        counts = months.get(_month_of(row["month"]))
        if counts is None or row["status"] not in counts.requests:
            continue
        for bucket in (counts.requests, counts.by_group[row["group_key"]]):
            bucket[row["status"]] += row["count"]
            bucket["made"] += row["count"]
    for row in _by_month(LiveGrant.objects.all(), "created_at", start, end):
        if (counts := months.get(_month_of(row["month"]))) is not None:
            counts.live_grants += row["count"]
    for row in _by_month(LiveOpening.objects.all(), "opened_at", start, end):
        if (counts := months.get(_month_of(row["month"]))) is not None:
            counts.live_openings += row["count"]

    ordered = [months[s] for s in starts]
    totals = MonthCounts(starts[0])
    for counts in ordered:
        for name, value in counts.requests.items():
            totals.requests[name] += value
        for group, bucket in counts.by_group.items():
            for name, value in bucket.items():
                totals.by_group[group][name] += value
        totals.live_grants += counts.live_grants
        totals.live_openings += counts.live_openings
    return TransparencyReport(months=ordered, year=year, totals=totals)
