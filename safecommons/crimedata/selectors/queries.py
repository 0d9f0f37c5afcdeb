"""The analytics' filters as a request gives them (query parameters), read and checked once for the staff pages
and the staff API alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.permissions import Actor
from safecommons.crimedata.nibrs import OffenseGroup
from safecommons.crimedata.selectors import analytics
from safecommons.partners.models import Organisation

DEFAULT_DAYS = 365
MAX_DAYS = 366 * 10


def default_as_of() -> date:
    """The last whole day."""
    return timezone.localdate() - timedelta(days=1)


@dataclass(frozen=True)
class Query:
    """A request's filters, read and checked."""

    filters: analytics.Filters
    as_of: date
    group: str
    error: str


def _day(raw: str | None, default: date) -> date:
    return date.fromisoformat(raw) if raw else default


def query_read(params, *, neighborhoods: dict[int, str] | None = None) -> Query:
    """Filters from GET parameters: start, end (ISO dates), group, neighborhood (an area id), by (group, code),
    as_of. Anything wrong falls back to the default and says so in `error`."""
    error = ""
    as_of = default_as_of()
    try:
        as_of = _day(params.get("as_of"), as_of)
        end = _day(params.get("end"), as_of)
        start = _day(params.get("start"), end - timedelta(days=DEFAULT_DAYS - 1))
        if start > end or (end - start).days > MAX_DAYS:
            raise ValueError
    except ValueError:
        as_of = default_as_of()
        end, start = as_of, as_of - timedelta(days=DEFAULT_DAYS - 1)
        error = _("Give a start date before the end date, at most ten years apart (YYYY-MM-DD).")
    group = params.get("group") or ""
    if group and group not in OffenseGroup.values:
        group, error = "", _("Choose an offense group from the list.")
    neighborhood_id = None
    if params.get("neighborhood"):
        try:
            neighborhood_id = int(params["neighborhood"])
        except ValueError:
            neighborhood_id = -1
        if neighborhoods is not None and neighborhood_id not in neighborhoods:
            neighborhood_id, error = None, _("Choose a neighborhood from the list.")
    by = params.get("by") or analytics.BY_GROUP
    if by not in (analytics.BY_GROUP, analytics.BY_CODE):
        by = analytics.BY_GROUP
    filters = analytics.Filters(start=start, end=end, groups=frozenset([group]) if group else frozenset(),
                                neighborhood_id=neighborhood_id, by=by)
    return Query(filters=filters, as_of=as_of, group=group, error=error)


@dataclass(frozen=True)
class StaffQuery:
    """Whose analytics a staff request reads, and with which filters."""

    agency: Organisation
    neighborhoods: dict[int, str]  # the agency's neighborhoods, id → name
    query: Query


def staff_query_read(*, actor: Actor, params) -> StaffQuery:
    """The agency (`agency`: an id, default the actor's first) and the filters of a staff request.
    PermissionDenied when the actor may not read that agency's analytics."""
    raw_agency = params.get("agency")
    try:
        agency_id = int(raw_agency) if raw_agency else None
    except ValueError:
        agency_id = None
    agency = analytics.analytics_agency(actor=actor, agency_id=agency_id)
    neighborhoods = {area.pk: area.name for area in analytics.neighborhoods_of(agency=agency)}
    return StaffQuery(agency=agency, neighborhoods=neighborhoods,
                      query=query_read(params, neighborhoods=neighborhoods))
