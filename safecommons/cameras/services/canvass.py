"""Canvassing: an officer opens a canvass of an incident, owners whose footage is about to be overwritten
are told how long they have, and footage requests go out to the cameras the officer picks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.cameras.index import camera_index
from safecommons.cameras.models import Canvass, FootageRequest, Offense, OwnerNotice
from safecommons.cameras.selectors.canvass import canvass_cameras
from safecommons.cameras.services.notices import owner_notify
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation

MAX_RADIUS_M = 200.0
MAX_WINDOW_AGE = timedelta(days=3650)
# A window that ends a little after now is a clock or a rounded form field, not the future.
CLOCK_SLACK = timedelta(minutes=5)
# Owners are nudged when footage of the window is overwritten within this long.
RETENTION_NUDGE_WITHIN = timedelta(days=7)


def canvass_open(*, actor: Actor, agency: Organisation, case_number: str, offense: str, reason: str,
                 longitude: float, latitude: float, radius_m: float, window_start: datetime,
                 window_end: datetime) -> Canvass:
    """Open a canvass for the agency: which cameras may have seen the point (or the disc of ``radius_m``
    around it) during the window. Owners among them whose footage of the start of the window is overwritten
    within a week are told until when to keep it (once per camera and case)."""
    require(actor, "canvass.open", agency)
    now = timezone.now()
    case_number, reason = (case_number or "").strip(), (reason or "").strip()
    if not case_number:
        raise Refused(_("Give the case number."))
    if len(case_number) > 40:
        raise Refused(_("The case number is at most 40 characters."))
    if not reason:
        raise Refused(_("Say why you need footage: the owners read it."))
    if offense not in Offense.values:
        raise Refused(_("Pick the offense from the list."))
    longitude, latitude, radius_m = _number(longitude), _number(latitude), _number(radius_m)
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise Refused(_("The place must be a valid latitude (-90 to 90) and longitude (-180 to 180)."))
    if not 0 <= radius_m <= MAX_RADIUS_M:
        raise Refused(_("The radius must be between 0 and %(max)s m.") % {"max": f"{MAX_RADIUS_M:g}"})
    window_start, window_end = _aware(window_start), _aware(window_end)
    if window_end <= window_start:
        raise Refused(_("The time window must end after it starts."))
    if window_end > now + CLOCK_SLACK:
        raise Refused(_("The time window cannot reach into the future."))
    if window_start < now - MAX_WINDOW_AGE:
        raise Refused(_("The time window cannot start more than ten years ago."))

    canvass = Canvass(
        agency=agency, officer_id=actor.user_id, case_number=case_number, offense=offense, reason=reason,
        longitude=longitude, latitude=latitude, radius_m=radius_m, window_start=window_start, window_end=window_end,
    )
    # The search runs before the transaction: in a process that has not built its index yet, building it takes
    # seconds, and no write lock may be held meanwhile (SQLite would stall every other writer).
    sighted = canvass_cameras(actor=actor, canvass=canvass, now=now)
    with transaction.atomic():
        canvass.save()
        nudged = _retention_nudge(canvass, [item.camera for item in sighted], now)
        audit_record(action="canvass.opened", actor=actor, target=canvass, organisation=agency, reason=reason,
                     details={"case_number": case_number, "offense": offense, "radius_m": radius_m,
                              "window_start": window_start.isoformat(), "window_end": window_end.isoformat(),
                              "cameras_found": len(sighted), "owners_nudged": nudged})
    return canvass


def _retention_nudge(canvass: Canvass, cameras: list, now: datetime) -> int:
    """Tell owners whose footage of the window's start will be overwritten within a week, and is not yet."""
    soon = {}
    for camera in cameras:
        preserve_by = canvass.window_start + timedelta(days=camera.retention_days)
        if now < preserve_by <= now + RETENTION_NUDGE_WITHIN:
            soon[camera.pk] = (camera, preserve_by)
    if not soon:
        return 0
    # One nudge per camera and case: a second canvass of the same incident does not nag the owner again.
    told = set(OwnerNotice.objects.filter(
        kind=OwnerNotice.Kind.RETENTION, camera_id__in=soon, canvass__agency_id=canvass.agency_id,
        canvass__case_number=canvass.case_number).values_list("camera_id", flat=True))
    for camera_id, (camera, preserve_by) in soon.items():
        if camera_id not in told:
            owner_notify(kind=OwnerNotice.Kind.RETENTION, camera=camera, canvass=canvass, preserve_by=preserve_by)
    return len(soon) - len(told)


@dataclass
class RequestsSent:
    sent: list[FootageRequest] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # camera ids already asked in this canvass


def footage_requests_send(*, actor: Actor, canvass: Canvass, camera_ids: list[int]) -> RequestsSent:
    """Ask the owners of the chosen cameras for their footage of the canvass's window, under its case number
    and reason. Every camera must be among the canvass's results for this officer; otherwise nothing is sent.
    Cameras already asked in this canvass are skipped. Each owner is notified in the app and by email."""
    require(actor, "canvass.request", canvass)
    wanted = list(dict.fromkeys(int(camera_id) for camera_id in camera_ids))
    if not wanted:
        raise Refused(_("Pick at least one camera."))
    now = timezone.now()
    camera_index().fresh()  # built (if need be) before the transaction below takes the write lock
    with transaction.atomic():
        # Two clicks at once must not ask the same camera twice (and the constraint would fail the second).
        Canvass.objects.select_for_update().filter(pk=canvass.pk).first()
        found = {item.camera.pk: item.camera for item in canvass_cameras(actor=actor, canvass=canvass, now=now)}
        outside = [camera_id for camera_id in wanted if camera_id not in found]
        if outside:
            raise Refused(_("Nothing was sent: camera(s) %(ids)s are not among this canvass's results (out of view, "
                            "paused, footage already overwritten, or not covered by an agreement).")
                          % {"ids": ", ".join(str(camera_id) for camera_id in outside)})
        asked = set(canvass.requests.filter(camera_id__in=wanted).values_list("camera_id", flat=True))
        report = RequestsSent(skipped=[camera_id for camera_id in wanted if camera_id in asked])
        expires_at = now + timedelta(days=settings.FOOTAGE_REQUEST_DAYS)
        for camera_id in wanted:
            if camera_id in asked:
                continue
            camera = found[camera_id]
            request = FootageRequest.objects.create(
                canvass=canvass, camera=camera, agency_id=canvass.agency_id, officer_id=actor.user_id,
                case_number=canvass.case_number, offense=canvass.offense, reason=canvass.reason,
                window_start=canvass.window_start, window_end=canvass.window_end, expires_at=expires_at,
            )
            owner_notify(kind=OwnerNotice.Kind.REQUEST, camera=camera, footage_request=request, canvass=canvass)
            audit_record(action="footage.requested", actor=actor, target=request, organisation=canvass.agency,
                         reason=canvass.reason, details={"canvass": canvass.pk, "camera": camera_id,
                                                         "case_number": canvass.case_number})
            report.sent.append(request)
    return report


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Refused(_("%(value)r is not a number.") % {"value": value}) from None
    if not math.isfinite(number):
        raise Refused(_("%(value)r is not a number.") % {"value": value})
    return number


def _aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise Refused(_("Give the time window as dates and times."))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
