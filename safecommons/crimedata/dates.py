"""Calendar helpers shared by the summaries, the analytics and their exports: months as their first days, and
the weekday names (Monday first, as `date.weekday()` counts)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy

WEEKDAY_ABBREVIATIONS = (gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"), gettext_lazy("Thu"),
                         gettext_lazy("Fri"), gettext_lazy("Sat"), gettext_lazy("Sun"))


def month_of(day: date) -> date:
    """The first day of the month `day` falls in (the key of `HourlyCount.month`)."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """The first day of the month after the one `month` falls in."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def weekday_names() -> list[str]:
    """Monday … Sunday, abbreviated, in the reader's language."""
    return [str(name) for name in WEEKDAY_ABBREVIATIONS]
