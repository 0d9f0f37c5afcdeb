"""Reads for newsletters: the public figures of a neighborhood for a period, the staff's lists, the public
archive, the safety tips, and the neighborhoods someone has subscribed to a newsletter for.

A newsletter is public, so its figures are only what the public crime pages already give
(docs/crime-map.md, crimedata/selectors/trends.py):
- groups shown at a point: the count per offense group in the neighborhood for the dates, withheld over the
  table of every neighborhood of the agency exactly as the public trends' neighborhood table withholds it
  (`trends.withhold`), so the newsletter shows the very cells /crime/trends/ shows for those dates;
- groups shown only as area counts (sex offenses, domestic violence …): the cells of the public monthly table
  (`public_areas.area_month_tables`), and so only in a monthly issue, for whole months that have ended;
  a weekly issue has no figures for them at all;
- unclassified and unpublished groups: nothing.
Totals are sums of the counts shown. A change is put in words only when the CompStat test
(`stats.poisson_change_test`, decided together with `stats.changes_with_fdr`) flags it; anything else is
"about the same", so a handful of records never reads as a crime wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet

from safecommons.alerts.models import TOPIC_BITS, Newsletter, SafetyTip, Subscription, Topic
from safecommons.core.permissions import NEWSLETTER_PREPARERS, Actor, may, require
from safecommons.crimedata import stats
from safecommons.crimedata.publication import policy_for
from safecommons.crimedata.selectors import analytics, public, public_areas, trends
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind, OfficerAssignment

SAME, UP, DOWN = "same", "up", "down"
TOP_GROUPS = 3


# --- Periods


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _month_end(first: date) -> date:
    return public_areas.next_month(first) - timedelta(days=1)


def _months_back(first: date, months: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 - months, 12)
    return date(year, month + 1, 1)


def newsletter_spans(*, period: str, period_start: date) -> tuple[Span, Span, Span]:
    """(the period, the one before, the same period last year). A week runs Monday to Sunday and is compared
    with the 52nd week before it (the same weekdays, as CompStat does); a month is a calendar month."""
    if period == Newsletter.Period.WEEKLY:
        current = Span(period_start, period_start + timedelta(days=6))
        prior = Span(period_start - timedelta(days=7), period_start - timedelta(days=1))
        year_ago = Span(period_start - timedelta(days=364), current.end - timedelta(days=364))
        return current, prior, year_ago
    prior_start, year_start = _months_back(period_start, 1), _months_back(period_start, 12)
    return (Span(period_start, _month_end(period_start)), Span(prior_start, _month_end(prior_start)),
            Span(year_start, _month_end(year_start)))


def last_ended_start(*, period: str, today: date) -> date:
    """The first day of the last whole week (Monday) or month that has ended before `today`."""
    if period == Newsletter.Period.WEEKLY:
        this_monday = today - timedelta(days=today.weekday())
        return this_monday - timedelta(days=7)
    return public_areas.last_whole_month(today)


# --- Figures


def _point_cells(agency_id: int, area_id: int, span: Span, groups: list[str], min_count: dict) -> dict:
    """group → the neighborhood's count for the span, or None when withheld: the cell the public trends'
    neighborhood table shows for these dates (withheld over every neighborhood and "outside", then cut)."""
    filters = analytics.Filters(start=span.start, end=span.end, groups=frozenset(groups))
    counts = analytics.area_group_counts(agency_id=agency_id, filters=filters)
    keys = [*public.public_neighborhoods(agency_id=agency_id).values_list("pk", flat=True), None]
    return {group: trends.withhold({key: counts.get((key, group), 0) for key in keys}, min_count[group])[area_id]
            for group in groups}


def _area_cells(agency_id: int, area_id: int, spans: tuple[Span, ...], groups: list[str],
                min_count: dict) -> list[dict]:
    """Per area-only group, its public monthly cells for the neighborhood: one month per span."""
    months = [span.start for span in spans]
    tables = public_areas.area_month_tables(agency_id=agency_id, groups=groups, months=sorted(set(months)),
                                            min_count=min_count, area_id=area_id)
    out = []
    for table in tables:
        cells = {cell.month: cell.count for cell in table.areas[0].counts} if table.areas else {}
        out.append({"group": table.offense_group, "min_count": table.min_count,
                    "current": cells.get(months[0]), "prior": cells.get(months[1]),
                    "last_year": cells.get(months[2])})
    return out


def _word(change: stats.Change | None) -> str:
    if change is None:
        return ""
    return change.direction or SAME


def newsletter_figures(*, agency: Organisation, area: Area, period: str, period_start: date,
                       today: date) -> dict:
    """The public figures of the neighborhood for the period, the one before and the same one last year, as
    frozen into a newsletter's content (module docstring for what is and is not in them)."""
    spans = newsletter_spans(period=period, period_start=period_start)
    current, prior, year_ago = spans
    policy = policy_for(agency_id=agency.pk)
    shown = public.public_groups(agency_id=agency.pk)
    point_groups = [group for group, _label, display in shown if display == "point"]
    area_groups = [group for group, _label, display in shown if display == "area"]

    columns = [_point_cells(agency.pk, area.pk, span, point_groups, policy.min_count) for span in spans]
    tests: list[tuple[str, str, stats.Change | None]] = []

    def test(now: int | None, then: int | None, span: Span) -> stats.Change | None:
        if now is None or then is None:
            return None
        return stats.poisson_change_test(now, then, current_days=current.days, previous_days=span.days)

    for group in point_groups:
        tests.append((group, "prior", test(columns[0][group], columns[1][group], prior)))
        tests.append((group, "last_year", test(columns[0][group], columns[2][group], year_ago)))
    # The total is a real total only when nothing in the columns compared is withheld.
    complete = [all(column[group] is not None for group in point_groups) for column in columns]
    totals = [sum(value or 0 for value in column.values()) for column in columns]
    if point_groups:
        tests.append(("", "prior", test(totals[0], totals[1], prior) if complete[0] and complete[1] else None))
        tests.append(("", "last_year", test(totals[0], totals[2], year_ago) if complete[0] and complete[2]
                      else None))
    family = [change for _g, _k, change in tests if change is not None]
    decided = iter(stats.changes_with_fdr(family))
    words = {(group, key): _word(None if change is None else next(decided)) for group, key, change in tests}

    rows = [{"group": group, "min_count": policy.min_count[group], "current": columns[0][group],
             "prior": columns[1][group], "last_year": columns[2][group],
             "change_prior": words[(group, "prior")], "change_last_year": words[(group, "last_year")]}
            for group in point_groups]
    rows.sort(key=lambda row: (-(row["current"] or 0), point_groups.index(row["group"])))
    top = [{"group": row["group"], "count": row["current"]} for row in rows if row["current"]][:TOP_GROUPS]
    # Only months that have ended are public for the area-only groups: a weekly issue has none of them.
    monthly = (period == Newsletter.Period.MONTHLY and area_groups
               and current.end < today)
    return {
        "period": period,
        "current": current.as_dict(), "prior": prior.as_dict(), "last_year": year_ago.as_dict(),
        "groups": rows,
        "total": {"current": totals[0], "prior": totals[1], "last_year": totals[2],
                  "complete": complete,
                  "change_prior": words.get(("", "prior"), ""),
                  "change_last_year": words.get(("", "last_year"), "")},
        "top": top,
        "area_groups": _area_cells(agency.pk, area.pk, spans, area_groups, policy.min_count) if monthly else [],
        "area_groups_left_out": bool(area_groups) and not monthly,
    }


def newsletter_officers(*, area: Area, on: date) -> list[dict]:
    """The neighborhood officers assigned to the area on `on`, with only the work contact they published."""
    rows = (OfficerAssignment.objects.filter(area=area, duty=OfficerAssignment.Duty.NEIGHBORHOOD_OFFICER,
                                             starts_on__lte=on)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            .select_related("officer").order_by("officer__display_name", "pk"))
    return [{"name": row.officer.display_name, "phone": row.public_phone, "email": row.public_email,
             "shift": row.shift} for row in rows]


def safety_tip_next(*, agency: Organisation, language: str, exclude_newsletter_id: int | None = None
                    ) -> SafetyTip | None:
    """The agency's active tip in `language` used least recently in a newsletter (never used first, then by
    id): newsletters keep the tips they carried in `content["tips"]`."""
    tips = list(SafetyTip.objects.filter(agency=agency, language=language, active=True).order_by("pk"))
    if not tips:
        return None
    last_used: dict[int, str] = {}
    issues = Newsletter.objects.filter(agency=agency).exclude(pk=exclude_newsletter_id)
    for created, carried in issues.values_list("created_at", "content__tips"):
        for tip in (carried or {}).values():
            tip_id = tip.get("id") if isinstance(tip, dict) else None
            if tip_id is not None and created.isoformat() > last_used.get(tip_id, ""):
                last_used[tip_id] = created.isoformat()
    return min(tips, key=lambda tip: (tip.pk in last_used, last_used.get(tip.pk, ""), tip.pk))


# --- Who subscribed


def neighborhoods_with_newsletter_subscribers(*, agency: Organisation) -> list[Area]:
    """The agency's neighborhoods that an issue would reach at least one active newsletter subscription in: the
    same matching the fan-out uses (`matching.newsletter_matches`: named areas, or a place whose radius reaches
    into the neighborhood)."""
    from safecommons.alerts.matching import newsletter_matches

    bit = TOPIC_BITS[Topic.NEWSLETTER.value]
    anyone = (Subscription.objects.filter(agency=agency, status=Subscription.Status.ACTIVE)
              .annotate(newsletter_bit=F("topic_mask").bitand(bit)).filter(newsletter_bit__gt=0))
    if not anyone.exists():
        return []
    neighborhoods = Area.objects.filter(agency=agency, kind=AreaKind.NEIGHBORHOOD).order_by("name")
    return [area for area in neighborhoods
            if newsletter_matches(Newsletter(agency=agency, area=area)).size]


# --- Staff


def _prepare_agency_ids(actor: Actor) -> set[int]:
    return actor.organisation_ids(NEWSLETTER_PREPARERS) if actor.api_key_id is None else set()


def newsletter_agencies(*, actor: Actor) -> list[Organisation]:
    """The agencies whose newsletters the actor prepares."""
    return list(Organisation.objects.filter(pk__in=_prepare_agency_ids(actor), kind=OrganisationKind.AGENCY)
                .order_by("name"))


def newsletters_staff(*, actor: Actor, state: str = "") -> QuerySet[Newsletter]:
    """Every issue of the agencies whose newsletters the actor prepares, newest period first."""
    require(actor, "newsletter.prepare")
    issues = Newsletter.objects.filter(agency_id__in=_prepare_agency_ids(actor)).select_related("area", "agency")
    return issues.filter(state=state) if state else issues


def newsletter_staff_get(*, actor: Actor, newsletter_id: int) -> Newsletter:
    """One issue for its agency's preparers; DoesNotExist when there is none, PermissionDenied when not theirs."""
    newsletter = Newsletter.objects.select_related("area", "agency", "safety_tip").get(pk=newsletter_id)
    require(actor, "newsletter.prepare", newsletter)
    return newsletter


def newsletter_neighborhoods(*, actor: Actor) -> QuerySet[Area]:
    """The neighborhoods the actor may prepare a newsletter for."""
    return Area.objects.filter(agency_id__in=_prepare_agency_ids(actor), kind=AreaKind.NEIGHBORHOOD).order_by(
        "name")


def safety_tips_staff(*, actor: Actor) -> QuerySet[SafetyTip]:
    """The safety tips of the agencies whose newsletters the actor prepares."""
    require(actor, "newsletter.prepare")
    return SafetyTip.objects.filter(agency_id__in=_prepare_agency_ids(actor)).select_related("agency")


def safety_tip_staff_get(*, actor: Actor, tip_id: int) -> SafetyTip:
    tip = SafetyTip.objects.get(pk=tip_id)
    require(actor, "newsletter.prepare", tip)
    return tip


def may_approve(*, actor: Actor, newsletter: Newsletter) -> bool:
    return newsletter.state == Newsletter.State.DRAFT and may(actor, "newsletter.approve", newsletter)


# --- Public archive


def newsletters_archive(*, area_id: int | None = None) -> QuerySet[Newsletter]:
    """Sent issues only, newest first; of one neighborhood when asked."""
    issues = Newsletter.objects.filter(state=Newsletter.State.SENT).select_related("area", "agency")
    return issues.filter(area_id=area_id) if area_id is not None else issues


def newsletter_public_get(*, newsletter_id: int) -> Newsletter:
    """A sent issue; DoesNotExist for drafts and approved issues not yet sent, as for none at all."""
    return newsletters_archive().get(pk=newsletter_id)


def archive_neighborhoods() -> QuerySet[Area]:
    """Neighborhoods with at least one sent issue."""
    return Area.objects.filter(newsletters__state=Newsletter.State.SENT).distinct().order_by("name")

