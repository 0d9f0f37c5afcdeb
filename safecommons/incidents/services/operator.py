"""The monitoring operator's side of a live incident: hand it to an agency, keep police updated as it unfolds
(observations, movement, suspects, vehicles, snapshots), or withdraw it.

Every write follows the timeline's contract (events.py): lock the incident's row, change it, append the
event last, all in one transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safecommons.core.errors import Refused
from safecommons.core.media import media_clean
from safecommons.core.permissions import Actor, incident_handoff_company, require
from safecommons.core.roles import Role
from safecommons.incidents.events import incident_event_append
from safecommons.incidents.models import Disposition, Incident, IncidentEvent, IncidentType, Snapshot, Verification
from safecommons.incidents.selectors.incidents import company_handoff_sites
from safecommons.incidents.services.priority import incident_priority
from safecommons.partners.models import Organisation, OrganisationKind, Scope, Site
from safecommons.partners.services import data_flow_authorize

SNAPSHOT_MAX_BYTES = 10 * 1024 * 1024
TEXT_MAX = 2000
SHORT_MAX = 300
VEHICLE_FIELD_MAX = 60
VEHICLE_FIELDS = ("make", "model", "colour", "plate", "direction")
CAMERA_REFS_MAX = 20
LIST_MAX = 30  # suspects or vehicles on one incident
SPEED_MAX_KMH = 400.0
UPDATE_KINDS = (IncidentEvent.Kind.OBSERVATION, IncidentEvent.Kind.MOVEMENT, IncidentEvent.Kind.SUSPECT,
                IncidentEvent.Kind.VEHICLE)


# --- Shared by both sides' services


def incident_lock(*, actor: Actor, incident_id: int, rule: str) -> Incident:
    """Inside a transaction: the incident's row, locked and read (again), and the rule checked on what is now
    stored (the other side may have closed it a moment ago). Incident.DoesNotExist when there is none."""
    # The incident's row only: locking the agency's and company's rows too would make every writer of the
    # timeline wait on them, and deadlock with a commit that checks its foreign keys to them.
    locked = Incident.objects.select_for_update(of=("self",)).select_related("agency", "company").get(
        pk=incident_id)
    require(actor, "incident.view", locked)  # every action's rule implies it; refused as before for outsiders
    require(actor, rule, locked)
    return locked


def event_actor(*, actor: Actor, organisation: Organisation) -> dict[str, Any]:
    """Who acted, as the timeline stores it: the person, and a label such as 'Dana Reyes (Watchful
    Monitoring)'."""
    # A name, never an email address: the label reaches the other organisation and the alarm center's feed.
    membership = actor.primary_membership
    name = actor.name or (str(Role(membership.role).label) if membership else "")
    return {"actor_user_id": actor.user_id, "actor_label": f"{name or _('Staff')} ({organisation.name})"}


def clean_text(value: Any, *, limit: int = TEXT_MAX) -> str:
    """Text as stored: stripped, control characters other than line breaks and tabs removed, cut to `limit`."""
    text = "".join(ch for ch in str(value or "") if ch in "\n\t" or ch.isprintable())
    return text.strip()[:limit]


def point_clean(latitude: float | None, longitude: float | None) -> tuple[float | None, float | None]:
    """Both or neither, each within range."""
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        raise Refused(_("Give both the latitude and the longitude, or neither."))
    latitude, longitude = float(latitude), float(longitude)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refused(_("That position is not on the map: latitude goes from -90 to 90, longitude from -180 "
                        "to 180."))
    return latitude, longitude


def _suspect_clean(suspect: Mapping[str, Any]) -> dict[str, str]:
    description = clean_text((suspect or {}).get("description"), limit=SHORT_MAX)
    return {"description": description}


def _vehicle_clean(vehicle: Mapping[str, Any]) -> dict[str, str]:
    vehicle = vehicle or {}
    cleaned = {name: clean_text(vehicle.get(name), limit=VEHICLE_FIELD_MAX) for name in VEHICLE_FIELDS}
    cleaned["plate"] = cleaned["plate"].upper()
    return cleaned


def _choice_clean(value: str, choices: type, message: str) -> str:
    if value not in choices.values:
        raise Refused(message)
    return value


def _verification_clean(value: str) -> str:
    return _choice_clean(value, Verification, _("Say how the incident was verified: video, audio, eyewitness "
                                                "or unverified."))


def vehicle_words(vehicle: Mapping[str, str]) -> str:
    """'red Ford Focus, plate ABC123, heading north on Main St'."""
    described = " ".join(part for part in (vehicle.get("colour"), vehicle.get("make"), vehicle.get("model")) if part)
    parts = [described or _("vehicle")]
    if vehicle.get("plate"):
        parts.append(_("plate %(plate)s") % {"plate": vehicle["plate"]})
    if vehicle.get("direction"):
        parts.append(_("heading %(direction)s") % {"direction": vehicle["direction"]})
    return ", ".join(parts)


# --- Handing an incident over


_CALLBACK_PHONE = re.compile(r"(?P<number>\+?[\d\s().-]+?)(?:\s*(?:ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)


def _site_check(site: Site, company_id: int) -> None:
    if not company_handoff_sites({company_id}).filter(pk=site.pk).exists():
        raise Refused(_("That site is not one of your company's, a client's you have an agreement in force with, "
                        "or one you monitor under an alarm permit."))


def _callback_phone_clean(phone: str) -> str:
    """A number police can dial back, kept as typed: digits with the usual spaces, dots, dashes, brackets
    and a leading +, 7 to 15 of them, and perhaps an extension ("ext. 12", "x12")."""
    phone = clean_text(phone, limit=40)
    if not phone:
        return ""
    match = _CALLBACK_PHONE.fullmatch(phone)
    if match is None or not 7 <= len(re.sub(r"\D", "", match["number"])) <= 15:
        raise Refused(_("Give a call-back number police can dial, for example +1 612 555 0100."))
    return phone


def _opened_line(incident: Incident) -> str:
    parts = [str(incident.get_type_display())]
    place = incident.address or (incident.site.name if incident.site_id else "")
    if place:
        parts[0] = _("%(type)s at %(place)s") % {"type": parts[0], "place": place}
    if incident.suspect_count:
        parts.append(_("%(count)s suspect(s)") % {"count": incident.suspect_count})
    if incident.weapons:
        parts.append(_("weapons: %(weapons)s") % {"weapons": incident.weapons})
    if incident.vehicles:
        parts.append(_("%(count)s vehicle(s)") % {"count": len(incident.vehicles)})
    if incident.persons_at_risk:
        parts.append(_("persons at risk"))
    if incident.verification != Verification.UNVERIFIED:
        parts.append(_("verified by %(how)s") % {"how": str(incident.get_verification_display()).lower()})
    return " · ".join(parts)


def incident_open(
    *,
    actor: Actor,
    agency: Organisation,
    type: str,  # the name the API and the model use
    verification: str,
    site: Site | None = None,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    summary: str = "",
    suspect_count: int = 0,
    suspects: Iterable[Mapping[str, Any]] = (),
    weapons: str = "",
    vehicles: Iterable[Mapping[str, Any]] = (),
    persons_at_risk: bool = False,
    camera_refs: Iterable[str] = (),
    callback_phone: str = "",
) -> Incident:
    """Hand a live incident to `agency`, for the first of the actor's security companies that an agreement in
    force lets send it alarm events. It needs a place (a client site, a point or an address); a site must be
    the company's own or a client's under an agreement in force, and gives the position when none is given.
    The handoff is recorded as a data flow under that agreement, and the OPENED event goes to the agency's
    live board."""
    require(actor, "incident.open", agency)
    if agency.kind != OrganisationKind.AGENCY:
        raise Refused(_("Incidents are handed to a law-enforcement agency."))
    company_id = incident_handoff_company(actor, agency)
    _choice_clean(type, IncidentType, _("Choose what kind of incident it is."))
    verification = _verification_clean(verification)
    if site is not None:
        _site_check(site, company_id)
    latitude, longitude = point_clean(latitude, longitude)
    if latitude is None and site is not None and site.latitude is not None and site.longitude is not None:
        latitude, longitude = site.latitude, site.longitude
    address = clean_text(address, limit=300) or (site.address if site is not None else "")
    if site is None and latitude is None and not address:
        raise Refused(_("Say where it is happening: choose a client site, click the map or type an address."))
    suspects = [s for s in (_suspect_clean(s) for s in suspects) if s["description"]][:LIST_MAX]
    vehicles = [v for v in (_vehicle_clean(v) for v in vehicles) if any(v.values())][:LIST_MAX]
    refs = [ref for ref in (clean_text(r, limit=120) for r in camera_refs) if ref]
    if len(refs) > CAMERA_REFS_MAX:
        raise Refused(_("Give at most %(count)s camera references.") % {"count": CAMERA_REFS_MAX})
    if not 0 <= int(suspect_count or 0) <= 999:
        raise Refused(_("The number of suspects must be between 0 and 999."))
    callback_phone = _callback_phone_clean(callback_phone)
    company = Organisation.objects.get(pk=company_id)
    with transaction.atomic():
        incident = Incident(
            agency=agency, company=company, source=Incident.Source.OPERATOR, opened_by_id=actor.user_id, site=site,
            address=address, latitude=latitude, longitude=longitude, type=type, verification=verification,
            suspect_count=max(int(suspect_count or 0), len(suspects)), suspects=suspects,
            weapons=clean_text(weapons, limit=300), vehicles=vehicles, persons_at_risk=bool(persons_at_risk),
            camera_refs=refs, callback_phone=callback_phone,
            summary=clean_text(summary), received_at=timezone.now(),
        )
        incident.priority = incident_priority(incident)
        incident.save()
        data_flow_authorize(actor=actor, scope=Scope.ALARM_EVENTS, provider=company, recipient=agency,
                            purpose="Live incident handed to police", target=incident)
        incident_event_append(
            incident=incident, kind=IncidentEvent.Kind.OPENED, side=IncidentEvent.Side.OPERATOR,
            **event_actor(actor=actor, organisation=company), text=_opened_line(incident),
            data={"summary": incident.summary, "priority": incident.priority},
        )
    return incident


# --- Keeping police updated


def _flag_changes(incident: Incident, *, weapons: str | None, persons_at_risk: bool | None,
                  verification: str | None) -> tuple[dict[str, Any], list[str]]:
    """Apply the changed flags to the incident; return them (for the event's data) and in words."""
    changes: dict[str, Any] = {}
    words: list[str] = []
    if weapons is not None and clean_text(weapons, limit=300) != incident.weapons:
        incident.weapons = changes["weapons"] = clean_text(weapons, limit=300)
        words.append(_("Weapons: %(weapons)s") % {"weapons": incident.weapons} if incident.weapons
                     else _("No weapons seen after all"))
    if persons_at_risk is not None and bool(persons_at_risk) != incident.persons_at_risk:
        incident.persons_at_risk = changes["persons_at_risk"] = bool(persons_at_risk)
        words.append(_("Persons at risk") if incident.persons_at_risk else _("No longer persons at risk"))
    if verification is not None and verification != incident.verification:
        incident.verification = changes["verification"] = _verification_clean(verification)
        words.append(_("Verified by: %(how)s") % {"how": incident.get_verification_display()})
    return changes, words


def _movement_clean(latitude: float | None, longitude: float | None, heading_deg: float | None,
                    speed_kmh: float | None) -> dict[str, float | None]:
    latitude, longitude = point_clean(latitude, longitude)
    if latitude is None:
        raise Refused(_("A movement update needs the position (latitude and longitude)."))
    if heading_deg is not None:
        heading_deg = float(heading_deg)
        if not 0 <= heading_deg <= 360:
            raise Refused(_("The heading is in degrees from north, 0 to 360."))
        heading_deg %= 360
    if speed_kmh is not None:
        speed_kmh = float(speed_kmh)
        if not 0 <= speed_kmh <= SPEED_MAX_KMH:
            raise Refused(_("The speed must be between 0 and %(max)s km/h.") % {"max": int(SPEED_MAX_KMH)})
    return {"latitude": latitude, "longitude": longitude, "heading_deg": heading_deg, "speed_kmh": speed_kmh}


def _movement_words(movement: Mapping[str, float | None]) -> str:
    words = _("Moving: now at %(lat).5f, %(lon).5f") % {"lat": movement["latitude"], "lon": movement["longitude"]}
    if movement["heading_deg"] is not None:
        words += ", " + _("heading %(deg)s°") % {"deg": round(movement["heading_deg"])}
    if movement["speed_kmh"] is not None:
        words += ", " + _("%(speed)s km/h") % {"speed": round(movement["speed_kmh"])}
    return words


def _update_parts(kind: str, *, text: str, latitude: float | None, longitude: float | None,
                  heading_deg: float | None, speed_kmh: float | None, suspect: Mapping[str, Any] | None,
                  vehicle: Mapping[str, Any] | None) -> tuple[str, dict[str, Any], list[str]]:
    """An update's text, structured values and words, checked (Refused when they do not make an update)."""
    if kind not in UPDATE_KINDS:
        raise Refused(_("An update is an observation, a movement, a suspect or a vehicle."))
    data: dict[str, Any] = {}
    words: list[str] = []
    if kind == IncidentEvent.Kind.MOVEMENT:
        data["movement"] = _movement_clean(latitude, longitude, heading_deg, speed_kmh)
        words.append(_movement_words(data["movement"]))
    elif kind == IncidentEvent.Kind.SUSPECT:
        data["suspect"] = _suspect_clean(suspect or {})
        if not data["suspect"]["description"]:
            raise Refused(_("Describe the suspect (clothing, build, what they are doing)."))
        words.append(_("Suspect: %(description)s") % data["suspect"])
    elif kind == IncidentEvent.Kind.VEHICLE:
        data["vehicle"] = _vehicle_clean(vehicle or {})
        if not any(data["vehicle"][name] for name in ("make", "model", "colour", "plate")):
            raise Refused(_("Describe the vehicle: at least its make, model, colour or plate."))
        words.append(_("Vehicle: %(vehicle)s") % {"vehicle": vehicle_words(data["vehicle"])})
    return clean_text(text), data, words


def incident_update_post(
    *,
    actor: Actor,
    incident_id: int,
    kind: str,
    text: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    heading_deg: float | None = None,
    speed_kmh: float | None = None,
    suspect: Mapping[str, Any] | None = None,
    vehicle: Mapping[str, Any] | None = None,
    weapons: str | None = None,
    persons_at_risk: bool | None = None,
    verification: str | None = None,
) -> IncidentEvent:
    """Tell police what the operator sees now: an observation, a movement ping (position, heading 0–360°,
    speed), another suspect (added to the incident's suspects; the count goes up by one) or a vehicle (added
    to its vehicles). Any update may also change the weapons seen, persons at risk or the verification, which
    sets the priority again. The event's data carries the structured values; its text says it in words.
    The incident is read once, locked, and who may is checked on that row before what was sent is read: a
    person who may not is refused (403), whatever they sent. Callers need not read the incident first: the
    operator's console sends updates as they come, and every read of the row is time before police hear of it
    (docs/benchmarks.md, "Fifth round"). Who is no operator at all is refused before the row is locked."""
    require(actor, "incident.console")
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident_id, rule="incident.update")
        text, data, words = _update_parts(kind, text=text, latitude=latitude, longitude=longitude,
                                          heading_deg=heading_deg, speed_kmh=speed_kmh, suspect=suspect,
                                          vehicle=vehicle)
        changes, change_words = _flag_changes(incident, weapons=weapons, persons_at_risk=persons_at_risk,
                                              verification=verification)
        if kind == IncidentEvent.Kind.OBSERVATION and not text and not changes:
            raise Refused(_("Write what you see."))
        fields = list(changes)
        if kind == IncidentEvent.Kind.SUSPECT:
            if len(incident.suspects) >= LIST_MAX:
                raise Refused(_("This incident already lists %(count)s suspects.") % {"count": LIST_MAX})
            incident.suspects = [*incident.suspects, data["suspect"]]
            incident.suspect_count += 1
            fields += ["suspects", "suspect_count"]
            data["suspect_count"] = incident.suspect_count
        elif kind == IncidentEvent.Kind.VEHICLE:
            if len(incident.vehicles) >= LIST_MAX:
                raise Refused(_("This incident already lists %(count)s vehicles.") % {"count": LIST_MAX})
            incident.vehicles = [*incident.vehicles, data["vehicle"]]
            fields.append("vehicles")
        if changes:
            incident.priority = incident_priority(incident)
            fields.append("priority")
            data["changes"] = changes
            data["priority"] = incident.priority
        if fields:
            incident.save(update_fields=[*fields, "updated_at"])
        return incident_event_append(
            incident=incident, kind=kind, side=IncidentEvent.Side.OPERATOR,
            **event_actor(actor=actor, organisation=incident.company),
            text=" · ".join([*words, *change_words, *([text] if text else [])]), data=data,
        )


def incident_snapshot_attach(*, actor: Actor, incident: Incident, image_file: Any, caption: str = "") -> Snapshot:
    """Attach a still image (JPEG, PNG or WebP, at most 10 MB). The picture is re-encoded without what the
    camera wrote into it and kept under a random name; the SNAPSHOT event links to it through the incident's
    own page (incidents:snapshot), which checks who is looking, never through a public media address."""
    require(actor, "incident.update", incident)
    declared = getattr(image_file, "size", None)
    if declared is not None and declared > SNAPSHOT_MAX_BYTES:
        # Refused on the size the upload declares, before a byte of it is read.
        raise Refused(_("This image is too large. The limit is %(limit)s MB.")
                      % {"limit": SNAPSHOT_MAX_BYTES // (1024 * 1024)})
    clean = media_clean(image_file, kinds=("image",), max_bytes=SNAPSHOT_MAX_BYTES)
    try:
        with transaction.atomic():
            incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.update")
            snapshot = Snapshot(incident=incident, caption=clean_text(caption, limit=200),
                                uploaded_by_id=actor.user_id)
            snapshot.image.save(f"{secrets.token_hex(16)}{clean.extension}", clean.content, save=False)
            snapshot.save()
            url = reverse("incidents:snapshot", args=[incident.pk, snapshot.pk])
            incident_event_append(
                incident=incident, kind=IncidentEvent.Kind.SNAPSHOT, side=IncidentEvent.Side.OPERATOR,
                **event_actor(actor=actor, organisation=incident.company),
                text=snapshot.caption or _("Snapshot attached"),
                data={"snapshot_id": snapshot.pk, "url": url, "caption": snapshot.caption},
            )
    finally:
        clean.content.close()
    return snapshot


def incident_withdraw(*, actor: Actor, incident: Incident, reason: str) -> Incident:
    """The operator takes the incident back (a false alarm seen on camera, a mistake). Before police are on
    the way it is closed as withdrawn; once dispatched or on scene, police are asked (the timeline says so
    with the reason) and close it themselves with a disposition. Returns the incident: closed when it was
    withdrawn, still open (with `cancel_requested_at`) when police were asked."""
    require(actor, "incident.update", incident)
    reason = clean_text(reason, limit=300)
    if not reason:
        raise Refused(_("Say why you are withdrawing the incident."))
    with transaction.atomic():
        incident = incident_lock(actor=actor, incident_id=incident.pk, rule="incident.update")
        if incident.status in (Incident.Status.DISPATCHED, Incident.Status.ON_SCENE):
            incident.withdrawn_reason = reason
            incident.cancel_requested_at = timezone.now()
            incident.save(update_fields=["withdrawn_reason", "cancel_requested_at", "updated_at"])
            incident_event_append(
                incident=incident, kind=IncidentEvent.Kind.CANCEL_REQUESTED, side=IncidentEvent.Side.OPERATOR,
                **event_actor(actor=actor, organisation=incident.company),
                text=_("The operator asks to withdraw: %(reason)s") % {"reason": reason}, data={"reason": reason},
            )
            return incident
        incident.status = Incident.Status.CLOSED
        incident.disposition = Disposition.WITHDRAWN
        incident.withdrawn_reason = reason
        incident.closed_at = timezone.now()
        incident.save(update_fields=["status", "disposition", "withdrawn_reason", "closed_at", "updated_at"])
        incident_event_append(
            incident=incident, kind=IncidentEvent.Kind.WITHDRAWN, side=IncidentEvent.Side.OPERATOR,
            **event_actor(actor=actor, organisation=incident.company),
            text=_("Withdrawn: %(reason)s") % {"reason": reason}, data={"reason": reason},
        )
    return incident
