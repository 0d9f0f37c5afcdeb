"""Crime-data pages: the public crime map (anyone), and how each offense group is published (agency admins)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safecommons.core.errors import Refused
from safecommons.core.forms import is_whole_number
from safecommons.core.permissions import actor_for_user
from safecommons.crimedata.generalise import GRID_RESOLUTION
from safecommons.crimedata.models import PublicationRule
from safecommons.crimedata.selectors import public as selectors
from safecommons.crimedata.selectors import public_areas
from safecommons.crimedata.services import publication as publication_services

PAGE_SIZE = 100
# Lazy: built at import, read in each request's language.
WEEKDAYS = [(0, gettext_lazy("Monday")), (1, gettext_lazy("Tuesday")), (2, gettext_lazy("Wednesday")),
            (3, gettext_lazy("Thursday")), (4, gettext_lazy("Friday")), (5, gettext_lazy("Saturday")),
            (6, gettext_lazy("Sunday"))]


def _page_number(text: str | None) -> int:
    return int(text) if text and is_whole_number(text) and int(text) > 0 else 1


def _size(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def _thresholds(pairs: list[tuple[str, int]]) -> dict:
    """The smallest counts shown, as the page says them: one number when every group has the same, else
    each group's."""
    distinct = {count for label, count in pairs}
    return {"single": distinct.pop() if len(distinct) == 1 else None,
            "per_group": [{"label": label, "min_count": count} for label, count in pairs]}


def crime_map(request):
    slug = request.GET.get("agency") or None
    try:
        agency = selectors.public_agency(slug=slug)
    except Refused as exc:
        return render(request, "crimedata/public_map.html", {"error": str(exc), "agency": None}, status=404)
    if agency is None:
        return render(request, "crimedata/public_map.html", {"agency": None})
    status, error = 200, ""
    try:
        the_filter = selectors.public_filter_parse(agency=agency, params=request.GET)
    except Refused as exc:
        status, error = 400, str(exc)
        the_filter = selectors.public_filter_parse(agency=agency, params={})
    params = ([("agency", slug)] if slug else []) + the_filter.params()
    query = urlencode(params)

    total = selectors.public_point_count(public_filter=the_filter)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(_page_number(request.GET.get("page")), pages)
    rows = list(selectors.public_points(public_filter=the_filter, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE))
    area_tables = public_areas.public_area_tables(public_filter=the_filter)
    groups = selectors.public_groups(agency_id=agency.pk)
    asked = set(the_filter.groups_asked)
    return render(request, "crimedata/public_map.html", {
        "agency": agency, "filter": the_filter, "error": error, "query": query,
        "groups": [{"value": value, "label": label, "display": display, "checked": not asked or value in asked}
                   for value, label, display in groups],
        "area_groups": [label for value, label, display in groups if value in the_filter.area_groups],
        "neighborhoods": selectors.public_neighborhoods(agency_id=agency.pk).only("pk", "name"),
        "weekdays": [{"value": value, "label": label, "checked": value in the_filter.weekdays}
                     for value, label in WEEKDAYS],
        "hours": list(range(24)),
        "point_counts": selectors.public_point_counts_by_group(public_filter=the_filter),
        "area_tables": area_tables, "rows": rows, "total": total, "page": page, "pages": pages,
        "first_row": (page - 1) * PAGE_SIZE + 1 if rows else 0, "last_row": (page - 1) * PAGE_SIZE + len(rows),
        "previous_url": f"?{query}&page={page - 1}" if page > 1 else "",
        "next_url": f"?{query}&page={page + 1}" if page < pages else "",
        "csv_url": f"{reverse('api:crime_download_csv')}?{query}",
        "geojson_url": f"{reverse('api:crime_download_geojson')}?{query}",
        "thresholds": _thresholds([(label, the_filter.min_count[value]) for value, label, display in groups
                                   if display == PublicationRule.Display.AREA]),
        "shown_thresholds": _thresholds([(label, the_filter.min_count[value]) for value, label, display in groups
                                         if value in the_filter.area_groups]),
        "cell_side": _size(selectors.hex_side_metres(GRID_RESOLUTION)),
        "cell_across": _size(2 * selectors.hex_side_metres(GRID_RESOLUTION)),
        "hex_bands": [{"zoom": f"{b.zoom_from}–{b.zoom_to}" if b.zoom_to > b.zoom_from else str(b.zoom_from),
                       "side": _size(b.side_metres)} for b in selectors.public_hex_bands()],
        "point_zoom": selectors.POINT_ZOOM, "min_zoom": selectors.MAP_MIN_ZOOM,
    }, status=status)


# --- Publication settings


def _publication_agency(request, actor):
    agencies = selectors.publication_agencies(actor=actor)
    wanted = request.GET.get("agency") or request.POST.get("agency")
    agency = (agencies.filter(pk=wanted).first() if wanted and is_whole_number(wanted) else None) or agencies.first()
    if agency is None:
        raise PermissionDenied("crime.publication")
    return agency


def _choices(post) -> tuple[dict[str, publication_services.GroupChoice], dict[str, list[str]]]:
    """The posted choice of each group, and each group whose smallest count is not a whole number."""
    choices, problems = {}, {}
    for key, display in post.items():
        if not key.startswith("display_"):
            continue
        group = key.removeprefix("display_")
        text = (post.get(f"min_count_{group}") or "").strip()
        if not is_whole_number(text):
            problems[group] = [_("Give the smallest count shown as a whole number.")]
            text = "1"  # so that the display chosen is still checked
        choices[group] = publication_services.GroupChoice(display=display, min_count=int(text))
    return choices, problems


@login_required
def publication(request):
    actor = actor_for_user(request.user)
    agency = _publication_agency(request, actor)
    status, problems = 200, {}
    if request.method == "POST":
        choices, problems = _choices(request.POST)
        try:
            if problems:  # not saved, but every other group's problem is reported with these
                checked = publication_services.publication_choices_check(choices=choices)
                raise publication_services.PublicationRefused(
                    {group: problems.get(group, []) + checked.get(group, []) for group in choices
                     if group in problems or group in checked})
            changes = publication_services.publication_rules_set(actor=actor, agency=agency, choices=choices)
        except publication_services.PublicationRefused as exc:
            status, problems = 400, exc.problems
        else:
            messages.success(request, ngettext("Saved: %(n)d offense group changed.",
                                               "Saved: %(n)d offense groups changed.", len(changes))
                             % {"n": len(changes)} if changes else _("Nothing changed."))
            return redirect(f"{reverse('crimedata:publication')}?agency={agency.pk}")
    group_settings = selectors.publication_settings(actor=actor, agency=agency)
    posted = request.POST if request.method == "POST" else {}
    rows = [{"setting": s, "display": posted.get(f"display_{s.offense_group}", s.display),
             "min_count": posted.get(f"min_count_{s.offense_group}", s.min_count),
             "errors": problems.get(s.offense_group, [])} for s in group_settings]
    listed = {s.offense_group for s in group_settings}
    other_errors = [message for group, messages in problems.items() if group not in listed for message in messages]
    count = sum(len(messages) for messages in problems.values())
    return render(request, "crimedata/publication_settings.html", {
        "agency": agency, "agencies": selectors.publication_agencies(actor=actor),
        "error": ngettext("Nothing was saved: %(n)d problem, shown below.",
                          "Nothing was saved: %(n)d problems, shown below.", count) % {"n": count} if count else "",
        "displays": PublicationRule.Display.choices, "rows": rows, "other_errors": other_errors,
        "problem_rows": [row for row in rows if row["errors"]],
    }, status=status)


urlpatterns = [
    path("map/", crime_map, name="map"),
    path("publication/", publication, name="publication"),
]
