"""Writing community reports: submit one (page or Open311), move it through its statuses, tell the reporter."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.events import publish_on_commit
from safecommons.core.media import media_clean
from safecommons.core.permissions import Actor, require
from safecommons.places import selectors as place_selectors
from safecommons.reports.models import (
    ReportNotification,
    ServiceAttribute,
    ServiceRequest,
    ServiceRequestStatus,
    ServiceRequestUpdate,
    ServiceType,
)

DESCRIPTION_MAX = 4000  # Open311 GeoReport v2 limit for a description
STRING_MAX = 500
NOTE_MAX = 2000
# Control characters other than tab and line breaks: never meaningful in a report, and not allowed in XML.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

AttributeInput = Mapping[str, str | list[str] | None]


@dataclass(frozen=True)
class ReporterContact:
    """Who to answer, when the report does not come from a signed-in person (an Open311 client)."""

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ReportLocation:
    latitude: float
    longitude: float
    address: str
    area: Any  # places.Area or None


def _clean_text(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


# --- Checking input: every problem is a Refused with a message the person (or the client's developer) can act on.


def report_location_resolve(
    *, agency, latitude: float | None = None, longitude: float | None = None, address: str = ""
) -> ReportLocation:
    """Where the report is: a point, or an address from the local gazetteer. Refused outside the agency's areas."""
    address = _clean_text(address)[:300]
    if latitude is not None or longitude is not None:
        if latitude is None or longitude is None:
            raise Refused(_("Give both a latitude and a longitude, or an address."))
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            raise Refused(_("The latitude and longitude must be numbers."))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Refused(_("The latitude must be between -90 and 90 and the longitude between -180 and 180."))
    elif address:
        located, suggestions = place_selectors.address_locate(text=address)
        if located is None:
            message = _("We could not find the address “%(address)s”.") % {"address": address}
            if suggestions:
                message += " " + _("Did you mean: %(streets)s?") % {"streets": ", ".join(suggestions)}
            else:
                message += " " + _("Give a house number and street (e.g. 120 Oak St), or pick the place on the map.")
            raise Refused(message)
        latitude, longitude, address = located.latitude, located.longitude, located.label
    else:
        raise Refused(_("Say where the problem is: an address, or a point on the map (latitude and longitude)."))

    areas = [
        area for area in place_selectors.areas_at_point(longitude=longitude, latitude=latitude)
        if area.agency_id == agency.pk
    ]
    if not areas and place_selectors.areas_public().filter(agency=agency).exists():
        raise Refused(_("That place is outside the area %(agency)s serves.") % {"agency": agency})
    return ReportLocation(latitude=latitude, longitude=longitude, address=address, area=areas[0] if areas else None)


def _attribute_value(attribute: ServiceAttribute, raw: str | list[str]) -> Any:
    """One answer in its stored form, or Refused naming the attribute and what it expects."""
    name = attribute.code
    values = [str(v).strip() for v in raw] if isinstance(raw, list | tuple) else [str(raw).strip()]
    values = [v for v in values if v]
    if attribute.datatype == ServiceAttribute.Datatype.MULTIVALUELIST:
        if len(values) == 1 and "," in values[0]:
            values = [v.strip() for v in values[0].split(",") if v.strip()]
        unknown = [v for v in values if v not in attribute.value_keys]
        if unknown:
            raise Refused(_("attribute[%(code)s]: %(given)s is not one of %(allowed)s.") % {
                "code": name, "given": ", ".join(unknown), "allowed": ", ".join(attribute.value_keys)})
        return values
    if len(values) > 1:
        raise Refused(_("attribute[%(code)s] takes one value.") % {"code": name})
    value = values[0]
    if attribute.datatype == ServiceAttribute.Datatype.SINGLEVALUELIST:
        if value not in attribute.value_keys:
            raise Refused(_("attribute[%(code)s]: %(given)s is not one of %(allowed)s.") % {
                "code": name, "given": value, "allowed": ", ".join(attribute.value_keys)})
        return value
    if attribute.datatype == ServiceAttribute.Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise Refused(_("attribute[%(code)s] must be a number, not “%(given)s”.") % {"code": name, "given": value})
        return int(number) if number.is_integer() else number
    if attribute.datatype == ServiceAttribute.Datatype.DATETIME:
        moment = _parse_moment(value)
        if moment is None:
            raise Refused(_("attribute[%(code)s] must be a date and time such as 2026-03-01T14:30:00-06:00.")
                          % {"code": name})
        return moment.isoformat()
    limit = DESCRIPTION_MAX if attribute.datatype == ServiceAttribute.Datatype.TEXT else STRING_MAX
    value = _clean_text(value)
    if len(value) > limit:
        raise Refused(_("attribute[%(code)s] is longer than %(limit)s characters.") % {"code": name, "limit": limit})
    return value


def _parse_moment(value: str) -> datetime | None:
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime(day.year, day.month, day.day)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def attributes_clean(*, service: ServiceType, given: AttributeInput) -> dict[str, Any]:
    """The answers to the service's questions, checked against its definition: every required one present,
    each value of the right type, no unknown attribute."""
    definitions = {attribute.code: attribute for attribute in service.attributes.all()}
    unknown = sorted(set(given) - set(definitions))
    if unknown:
        raise Refused(_("%(codes)s: not an attribute of the service %(service)s (see its service definition).") % {
            "codes": ", ".join(f"attribute[{code}]" for code in unknown), "service": service.code})
    cleaned: dict[str, Any] = {}
    missing = []
    for code, attribute in definitions.items():
        raw = given.get(code)
        empty = raw is None or (isinstance(raw, list | tuple) and not any(str(v).strip() for v in raw)) or (
            isinstance(raw, str) and not raw.strip())
        if empty:
            if attribute.required:
                missing.append(attribute)
            continue
        cleaned[code] = _attribute_value(attribute, raw)
    if missing:
        raise Refused(_("Required: %(fields)s.") % {
            "fields": "; ".join(f"attribute[{a.code}] ({a.description})" for a in missing)})
    return cleaned


def _contact_clean(contact: ReporterContact) -> ReporterContact:
    email = contact.email.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Refused(_("“%(email)s” is not an email address.") % {"email": email}) from None
    return ReporterContact(email=email, first_name=_clean_text(contact.first_name)[:100],
                           last_name=_clean_text(contact.last_name)[:100], phone=_clean_text(contact.phone)[:40])


# --- Submitting


def report_submit(
    *,
    actor: Actor,
    service: ServiceType,
    description: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    attributes: AttributeInput | None = None,
    photo=None,
    contact: ReporterContact | None = None,
    via: str = ServiceRequest.Channel.WEB,
) -> ServiceRequest:
    """Record a community report for the service's agency.

    Reports are identified: from a signed-in person, or from an Open311 client (an organisation key with the
    reports:submit scope) that gives the reporter's email. Everything is checked before anything is written;
    a photo is stripped of its metadata and kept under a random name, and the reporter gets a receipt.
    """
    require(actor, "report.submit")
    if not service.is_active:
        raise Refused(_("The service %(service)s no longer takes reports.") % {"service": service.code})
    contact = _contact_clean(contact or ReporterContact())
    if actor.user_id is None and not contact.email:
        raise Refused(_("An email is required: reports are answered, so we need to know where to write."))
    description = _clean_text(description)
    if len(description) > DESCRIPTION_MAX:
        raise Refused(_("The description is longer than %(limit)s characters.") % {"limit": DESCRIPTION_MAX})
    location = report_location_resolve(agency=service.agency, latitude=latitude, longitude=longitude,
                                       address=address)
    answers = attributes_clean(service=service, given=attributes or {})

    stored_photo = _photo_store(photo) if photo is not None else None
    try:
        with transaction.atomic():
            report = ServiceRequest.objects.create(
                service=service, agency=service.agency, reporter_id=actor.user_id,
                reporter_email=contact.email, reporter_first_name=contact.first_name,
                reporter_last_name=contact.last_name, reporter_phone=contact.phone,
                submitted_via=via, api_key_id=actor.api_key_id, description=description,
                address=location.address, latitude=location.latitude, longitude=location.longitude,
                area=location.area, attributes=answers,
                photo=stored_photo.name if stored_photo else "",
                photo_content_type=stored_photo.content_type if stored_photo else "",
                photo_sha256=stored_photo.sha256 if stored_photo else "",
            )
            received = ServiceRequestUpdate.objects.create(
                request=report, status=ServiceRequestStatus.OPEN, note="", author_id=actor.user_id,
                created_at=report.requested_at,
            )
            audit_record(action="report.submitted", actor=actor, target=report, organisation=service.agency,
                         details={"service": service.code, "via": via, "photo": bool(stored_photo)})
            _email_on_commit(received)
    except BaseException:
        if stored_photo:
            default_storage.delete(stored_photo.name)
        raise
    return report


@dataclass(frozen=True)
class _StoredPhoto:
    name: str
    content_type: str
    sha256: str


def _photo_store(upload) -> _StoredPhoto:
    """Check the image and remove its metadata (GPS, camera, author), then keep it under a random name."""
    clean = media_clean(upload, kinds=("image",), max_bytes=settings.TIP_ATTACHMENT_MAX_BYTES)
    extension = clean.extension if not clean.extension or clean.extension.startswith(".") else f".{clean.extension}"
    try:
        name = default_storage.save(f"reports/{secrets.token_hex(16)}{extension}", clean.content)
    finally:
        clean.content.close()
    return _StoredPhoto(name=name, content_type=clean.content_type, sha256=clean.sha256)


# --- Working a report


def report_status_change(
    *, actor: Actor, report: ServiceRequest, status: str, note: str = "", expected_at: datetime | None = None
) -> ServiceRequestUpdate:
    """Move a report to a status (or add a note to its current one); the reporter is told in the app, live,
    and by email."""
    require(actor, "report.manage", report)
    if status not in ServiceRequestStatus.values:
        statuses = ", ".join(ServiceRequestStatus.values)
        raise Refused(_("The status must be one of %(statuses)s.") % {"statuses": statuses})
    note = _clean_text(note)
    if len(note) > NOTE_MAX:
        raise Refused(_("The note is longer than %(limit)s characters.") % {"limit": NOTE_MAX})
    with transaction.atomic():
        current = ServiceRequest.objects.select_for_update().select_related("agency", "service").get(pk=report.pk)
        expected_changes = expected_at is not None and expected_at != current.expected_at
        if status == current.status and not note and not expected_changes:
            raise Refused(_("Nothing changed: choose another status or write a note."))
        update = ServiceRequestUpdate.objects.create(
            request=current, status=status, previous_status=current.status, note=note, author_id=actor.user_id,
        )
        current.status, current.status_notes = status, note
        fields = ["status", "status_notes", "updated_at"]
        if status == ServiceRequestStatus.CLOSED:
            current.expected_at = None  # done: no date to expect any more
            fields.append("expected_at")
        elif expected_at is not None:
            current.expected_at = expected_at
            fields.append("expected_at")
        current.save(update_fields=fields)
        audit_record(action="report.status_changed", actor=actor, target=current, organisation=current.agency,
                     details={"from": update.previous_status, "to": status, "note": bool(note)})
        _notify_reporter(current, update)
    report.refresh_from_db()
    return update


def _notify_reporter(report: ServiceRequest, update: ServiceRequestUpdate) -> None:
    if report.reporter_id:
        ReportNotification.objects.create(user_id=report.reporter_id, request=report, update=update)
        publish_on_commit(f"user.{report.reporter_id}", {
            "type": "report.status", "id": report.pk, "status": update.status,
            "status_label": str(update.get_status_display()), "note": update.note,
            "service": report.service.name, "url": reverse("reports:detail", args=[report.pk]),
        })
    _email_on_commit(update)


def _email_on_commit(update: ServiceRequestUpdate) -> None:
    from safecommons.reports.tasks import report_update_email

    update_id = update.pk
    # robust: a queue that is down must not turn a saved report into an error page (the email is lost, logged)
    transaction.on_commit(lambda: report_update_email.enqueue(update_id), robust=True)


def report_update_email_send(*, update_id: int) -> bool:
    """Email the reporter about one step of their report (the receipt, or a status change), in their
    language. Returns whether an email went out."""
    update = ServiceRequestUpdate.objects.select_related(
        "request__service", "request__agency", "request__reporter").get(pk=update_id)
    report = update.request
    recipient = report.contact_email
    if not recipient:
        return False
    language = report.reporter.preferred_language if report.reporter_id else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"report": report, "update": update, "received": not update.previous_status,
                   "platform_name": settings.PLATFORM_NAME, "has_account": bool(report.reporter_id)}
        if context["received"]:
            subject = _("We received your report #%(id)s: %(service)s")
        else:
            subject = _("Your report #%(id)s is now: %(status)s")
        subject = subject % {"id": report.pk, "service": report.service.name, "status": update.get_status_display()}
        body = render_to_string("reports/email/update.txt", context)
    send_mail(subject, body, None, [recipient])
    return True


def report_notifications_mark_read(*, actor: Actor, report: ServiceRequest) -> int:
    """The reporter opened the report: its notices are read."""
    if actor.user_id is None:
        return 0
    return ReportNotification.objects.filter(user_id=actor.user_id, request=report, read_at__isnull=True).update(
        read_at=timezone.now())


# --- Sensitive reads, recorded


def report_staff_read(*, actor: Actor, request_id: int) -> ServiceRequest:
    """A report as agency staff see it, with the reporter's contact details; the read is audited."""
    report = ServiceRequest.objects.select_related("service", "agency", "area", "reporter").get(pk=request_id)
    require(actor, "report.manage", report)
    audit_record(action="report.viewed", actor=actor, target=report, organisation=report.agency)
    return report


def report_photo_open(*, actor: Actor, report: ServiceRequest) -> tuple[File, str]:
    """The report's photo, for its reporter or the agency's staff (whose look is audited)."""
    require(actor, "report.view", report)
    if not report.photo:
        raise ServiceRequest.DoesNotExist("this report has no photo")
    if actor.user_id != report.reporter_id:
        audit_record(action="report.photo_viewed", actor=actor, target=report, organisation=report.agency)
    return default_storage.open(report.photo.name, "rb"), report.photo_content_type or "application/octet-stream"
