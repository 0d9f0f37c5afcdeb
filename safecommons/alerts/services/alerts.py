"""Composing and publishing alerts: draft, submit, approve or send back, update, cancel (docs/alerts.md).

Who may publish what:
- An Actual alert, Public or Restricted, waits for a second person: a supervisor or admin of the agency
  who did not compose it (`alert.approve`). Approving publishes it.
- A drill (Exercise) or a Test is published by its composer alone: it can only ever reach the agency's
  test list (matching refuses everyone else, and no public page, feed or API shows it).
- A cancellation is published at once by anyone who may compose for the agency. Waiting for a second
  person to withdraw a wrong or finished alert would leave the public acting on it; the cancellation is
  audited like everything else, and it can only ever stand a published alert down. Since no second person
  reads it, it publishes no words of its author: only fixed, translated text naming the original's
  headline in each of its languages. The reason the author gives stays in the audit trail (staff only).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import Polygon

from safecommons.alerts.models import Alert, AlertInfo, CapCategory, Certainty, Severity, Topic, Urgency
from safecommons.core.audit.services import audit_record
from safecommons.core.errors import Refused
from safecommons.core.permissions import Actor, require
from safecommons.partners.models import Organisation
from safecommons.places.models import Area

HEADLINE_MAX = 160
CIRCLE_RADIUS_MIN_M = 50
CIRCLE_RADIUS_MAX_M = 50_000
POLYGON_POINTS_MAX = 500
REQUIRED_LANGUAGE = "en"
_IDENTIFIER_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud over a radio


@dataclass(frozen=True)
class InfoText:
    """An alert's words in one language."""

    headline: str
    description: str
    instruction: str = ""


@dataclass(frozen=True)
class AlertDraft:
    """Everything a composer fills in. Polygons are rings of [lon, lat] (GeoJSON order), closed; circles
    are {"lat", "lon", "radius_m"}; `area_ids` are the agency's named areas."""

    event: str
    area_description: str
    infos: dict[str, InfoText]
    topic: str = Topic.CRIME
    category: str = CapCategory.SECURITY
    urgency: str = Urgency.EXPECTED
    severity: str = Severity.MODERATE
    certainty: str = Certainty.LIKELY
    cap_status: str = Alert.CapStatus.ACTUAL
    scope: str = Alert.Scope.PUBLIC
    onset: datetime | None = None
    expires: datetime | None = None
    polygons: list[list[list[float]]] = field(default_factory=list)
    circles: list[dict[str, float]] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)


class AlertRefused(Refused):
    """A draft that cannot be saved or published: `problems` maps a field name ("" for the whole alert)
    to its reasons."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(" ".join(message for messages in problems.values() for message in messages))


# --- Checks


def _polygon_problems(ring) -> list[str]:
    try:
        points = [(float(lon), float(lat)) for lon, lat in ring]
    except (TypeError, ValueError):
        return [_("A polygon must be a list of [longitude, latitude] points.")]
    if len(points) < 4:
        return [_("A polygon needs at least three corners.")]
    if len(points) > POLYGON_POINTS_MAX:
        return [_("A polygon may have at most %(most)d points.") % {"most": POLYGON_POINTS_MAX}]
    if points[0] != points[-1]:
        return [_("A polygon must be closed: its last point must be its first.")]
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in points):
        return [_("A polygon point lies outside the range of latitude and longitude.")]
    shape = Polygon(points)
    if not shape.is_valid or shape.area == 0:
        return [_("The polygon crosses itself or encloses nothing: draw its corners in order around the area.")]
    return []


def _circle_problems(circle) -> list[str]:
    try:
        lat, lon, radius = float(circle["lat"]), float(circle["lon"]), float(circle["radius_m"])
    except (KeyError, TypeError, ValueError):
        return [_("A circle needs a centre (latitude and longitude) and a radius in metres.")]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return [_("The circle's centre lies outside the range of latitude and longitude.")]
    if not CIRCLE_RADIUS_MIN_M <= radius <= CIRCLE_RADIUS_MAX_M:
        return [_("A circle's radius must be from %(least)d m to %(most)d km.")
                % {"least": CIRCLE_RADIUS_MIN_M, "most": CIRCLE_RADIUS_MAX_M // 1000}]
    return []


def _has_control_characters(text: str) -> bool:
    """Whether the text holds a line break, tab or other control character (Unicode categories Cc, Zl,
    Zp): a headline becomes an email subject, where a line break would fail every send."""
    return any(unicodedata.category(character) in {"Cc", "Zl", "Zp"} for character in text)


def _one_line_message() -> str:
    return _("Write it on one line, without line breaks, tabs or other control characters.")


def alert_draft_check(*, agency: Organisation, draft: AlertDraft, now: datetime | None = None,
                      for_publishing: bool = False) -> dict[str, list[str]]:
    """Every reason the draft cannot be saved, by field ("" for the whole alert); empty when it can.
    `for_publishing` also refuses an expiry already past."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    for name, value, choices in [("topic", draft.topic, Topic), ("category", draft.category, CapCategory),
                                 ("urgency", draft.urgency, Urgency), ("severity", draft.severity, Severity),
                                 ("certainty", draft.certainty, Certainty),
                                 ("cap_status", draft.cap_status, Alert.CapStatus),
                                 ("scope", draft.scope, Alert.Scope)]:
        if value not in choices.values:
            add(name, _("Choose one of the listed values."))
    if not draft.event.strip():
        add("event", _("Say what happened, in a few words."))
    elif len(draft.event) > 120:
        add("event", _("The event must be at most 120 characters."))
    elif _has_control_characters(draft.event):
        add("event", _one_line_message())
    if not draft.area_description.strip():
        add("area_description", _("Describe the area in words, e.g. “Oak Street between 3rd and 5th”."))
    elif len(draft.area_description) > 300:
        add("area_description", _("The area description must be at most 300 characters."))
    elif _has_control_characters(draft.area_description):
        add("area_description", _one_line_message())
    languages = dict(settings.LANGUAGES)
    if REQUIRED_LANGUAGE not in draft.infos:
        add("headline", _("The English version is required."))
    for language, info in draft.infos.items():
        if language not in languages:
            add("", _("There is no language %(language)s.") % {"language": language})
            continue
        suffix = "" if language == REQUIRED_LANGUAGE else f"_{language}"
        if not info.headline.strip():
            add(f"headline{suffix}", _("A headline is required."))
        elif len(info.headline) > HEADLINE_MAX:
            add(f"headline{suffix}", _("The headline must be at most %(most)d characters (it has %(has)d).")
                % {"most": HEADLINE_MAX, "has": len(info.headline)})
        elif _has_control_characters(info.headline):
            add(f"headline{suffix}", _one_line_message())
        if not info.description.strip():
            add(f"description{suffix}", _("Say what people need to know."))
    if draft.onset and draft.expires and draft.expires <= draft.onset:
        add("expires", _("The alert must expire after it starts."))
    if for_publishing and draft.expires and draft.expires <= (now or timezone.now()):
        add("expires", _("The expiry has already passed."))
    if not (draft.polygons or draft.circles or draft.area_ids):
        add("area", _("Choose at least one area: draw a polygon or a circle on the map, or pick named areas."))
    for ring in draft.polygons:
        for message in _polygon_problems(ring):
            add("area", message)
    for circle in draft.circles:
        for message in _circle_problems(circle):
            add("area", message)
    if draft.area_ids:
        found = set(Area.objects.filter(agency=agency, pk__in=draft.area_ids).values_list("pk", flat=True))
        if found != set(draft.area_ids):
            add("areas", _("Choose areas of your agency only."))
    if not problems.get("area") and (draft.polygons or draft.circles) and not _drawn_within_jurisdiction(agency, draft):
        add("area", _("The area you drew lies outside the agency's jurisdiction: nobody there would get it."))
    return problems


def _drawn_within_jurisdiction(agency: Organisation, draft: AlertDraft) -> bool:
    """Whether the drawn shapes touch the agency's jurisdiction (True for an agency that has not drawn one)."""
    import shapely

    from safecommons.alerts import geometry
    from safecommons.places.models import AreaKind

    jurisdictions = [shapely.geometry.shape(area.geometry)
                     for area in Area.objects.filter(agency=agency, kind=AreaKind.JURISDICTION)]
    if not jurisdictions:
        return True
    try:
        drawn = [shapely.geometry.Polygon(ring) for ring in draft.polygons]
        drawn += [geometry.circle(lat=float(c["lat"]), lon=float(c["lon"]), radius_m=float(c["radius_m"]))
                  for c in draft.circles]
    except (geometry.GeometryError, KeyError, TypeError, ValueError):
        return True  # malformed shapes are reported by their own checks
    return bool(shapely.union_all(drawn).intersects(shapely.union_all(jurisdictions)))


def _checked(agency: Organisation, draft: AlertDraft, *, for_publishing: bool = False) -> None:
    problems = alert_draft_check(agency=agency, draft=draft, for_publishing=for_publishing)
    if problems:
        raise AlertRefused(problems)


# --- Identity


def alert_new_identifier(*, agency: Organisation, now: datetime | None = None) -> str:
    """`<agency slug>-<yyyymmdd>-<6 random letters and digits>`: unique, stable, safe in a URL and in CAP
    (no spaces, commas or XML specials)."""
    day = timezone.localdate(now or timezone.now())
    while True:
        tail = "".join(secrets.choice(_IDENTIFIER_ALPHABET) for _ in range(6))
        identifier = f"{agency.slug[:80]}-{day:%Y%m%d}-{tail}"
        if not Alert.objects.filter(identifier=identifier).exists():
            return identifier


def alert_sender(alert: Alert) -> str:
    """CAP sender: alerts@<host of SITE_URL>, the same for every message of every agency. It is never
    stored, and later messages repeat it in `references`, so it must not depend on anything an agency can
    change (such as its public email, which goes out as the info's `contact` instead); the identifier,
    which starts with the agency's slug, tells agencies apart."""
    return f"alerts@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


# --- Writing


def _write(alert: Alert, draft: AlertDraft) -> None:
    for name in ("event", "area_description", "topic", "category", "urgency", "severity", "certainty",
                 "cap_status", "scope", "onset", "expires"):
        setattr(alert, name, getattr(draft, name))
    alert.area_polygons = [[[float(lon), float(lat)] for lon, lat in ring] for ring in draft.polygons]
    alert.area_circles = [{"lat": float(c["lat"]), "lon": float(c["lon"]), "radius_m": float(c["radius_m"])}
                          for c in draft.circles]
    alert.save()
    alert.areas.set(draft.area_ids)
    alert.infos.exclude(language__in=list(draft.infos)).delete()
    for language, info in draft.infos.items():
        AlertInfo.objects.update_or_create(alert=alert, language=language, defaults={
            "headline": info.headline.strip(), "description": info.description.strip(),
            "instruction": info.instruction.strip()})


def alert_draft_of(alert: Alert) -> AlertDraft:
    """The alert's fields as a draft: to fill the composer, or to copy into an update."""
    return AlertDraft(
        event=alert.event, area_description=alert.area_description, topic=alert.topic, category=alert.category,
        urgency=alert.urgency, severity=alert.severity, certainty=alert.certainty, cap_status=alert.cap_status,
        scope=alert.scope, onset=alert.onset, expires=alert.expires, polygons=list(alert.area_polygons),
        circles=list(alert.area_circles), area_ids=[area.pk for area in alert.areas.all()],
        infos={info.language: InfoText(info.headline, info.description, info.instruction)
               for info in alert.infos.all()})


def _editable(alert: Alert) -> None:
    if alert.state not in (Alert.State.DRAFT, Alert.State.REJECTED):
        raise Refused(_("Only a draft can be changed; this alert is %(state)s.") % {"state": alert.get_state_display()})


def alert_compose(*, actor: Actor, agency: Organisation, draft: AlertDraft) -> Alert:
    """Save a new draft alert of the agency. Refuses a draft with problems (`AlertRefused`)."""
    require(actor, "alert.compose", agency)
    _checked(agency, draft)
    with transaction.atomic():
        alert = Alert(agency=agency, identifier=alert_new_identifier(agency=agency), composed_by_id=actor.user_id)
        _write(alert, draft)
        audit_record(action="alert.compose", actor=actor, target=alert, organisation=agency,
                     details={"identifier": alert.identifier, "cap_status": alert.cap_status})
    return alert


def alert_edit(*, actor: Actor, alert: Alert, draft: AlertDraft) -> Alert:
    """Change a draft (or one sent back). The person who changes it becomes its composer, so the second
    person who approves it is never the one who wrote what is published."""
    require(actor, "alert.compose", alert)
    _checked(alert.agency, draft)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        _editable(alert)
        if draft.cap_status != alert.cap_status and alert.references_id:
            raise AlertRefused({"cap_status": [_("An update keeps the status of the alert it updates.")]})
        alert.composed_by_id = actor.user_id
        alert.state = Alert.State.DRAFT
        _write(alert, draft)
        audit_record(action="alert.edit", actor=actor, target=alert, organisation=alert.agency)
    return alert


def _chain_head_problem(alert: Alert) -> str:
    """Why the alert this one references can no longer be followed up ("" when it can)."""
    original = alert.references
    if original is None:
        return ""
    later = original.followups.filter(state=Alert.State.PUBLISHED).exclude(pk=alert.pk).first()
    if later is not None:
        return _("%(original)s was already followed by %(later)s: update that one instead.") % {
            "original": original.identifier, "later": later.identifier}
    return ""


def _stale_language_problem(alert: Alert) -> str:
    """An update whose words changed in one language but not in another would tell those readers the old
    news under an "update" heading: each version must change too, or be removed."""
    original = alert.references
    if original is None or alert.msg_type != Alert.MsgType.UPDATE:
        return ""
    before = {info.language: (info.headline, info.description, info.instruction) for info in original.infos.all()}
    now = {info.language: (info.headline, info.description, info.instruction) for info in alert.infos.all()}
    unchanged = [language for language, words in now.items() if before.get(language) == words]
    if unchanged and len(unchanged) < len(now):
        names = ", ".join(str(dict(settings.LANGUAGES).get(language, language)) for language in sorted(unchanged))
        return _("The update changes one version but not this one: %(languages)s. Update it too, or remove it, "
                 "so that its readers do not get the old news as an update.") % {"languages": names}
    return ""


def _publish(actor: Actor, alert: Alert, *, approved: bool) -> None:
    now = timezone.now().replace(microsecond=0)  # CAP times carry whole seconds; references repeat them
    alert.state = Alert.State.PUBLISHED
    alert.sent_at = now
    fields = ["state", "sent_at", "updated_at"]
    if approved:
        alert.approved_by_id, alert.approved_at = actor.user_id, now
        fields += ["approved_by", "approved_at"]
    alert.save(update_fields=fields)
    _queue_fanout(alert)


def _queue_fanout(alert: Alert) -> None:
    """The deliveries are written in the transaction that publishes (the outbox, with its send tasks)."""
    from safecommons.alerts.services.outbox import alert_deliveries_write

    alert_deliveries_write(alert=alert)


def alert_needs_approval(alert: Alert) -> bool:
    """Actual alerts (public or restricted) wait for a second person; drills and tests do not."""
    return alert.cap_status == Alert.CapStatus.ACTUAL and alert.msg_type != Alert.MsgType.CANCEL


def alert_submit(*, actor: Actor, alert: Alert) -> Alert:
    """Hand a draft on: an Actual alert waits for approval; a drill or test is published at once (it can
    only reach the test list). Checks the draft again, including that it has not expired."""
    require(actor, "alert.compose", alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        _editable(alert)
        _checked(alert.agency, alert_draft_of(alert), for_publishing=True)
        problem = _chain_head_problem(alert) or _stale_language_problem(alert)
        if problem:
            raise Refused(problem)
        alert.submitted_at = timezone.now()
        alert.rejection_reason = ""
        if alert_needs_approval(alert):
            alert.state = Alert.State.PENDING
            alert.save(update_fields=["state", "submitted_at", "rejection_reason", "updated_at"])
            audit_record(action="alert.submit", actor=actor, target=alert, organisation=alert.agency)
        else:
            alert.save(update_fields=["submitted_at", "rejection_reason", "updated_at"])
            _publish(actor, alert, approved=False)
            audit_record(action="alert.publish", actor=actor, target=alert, organisation=alert.agency,
                         details={"cap_status": alert.cap_status, "approval": "not needed: test list only"})
    return alert


def alert_approve(*, actor: Actor, alert: Alert) -> Alert:
    """The second person approves a submitted alert, which publishes it and queues its deliveries in the
    same transaction. The composer, or anyone who is not a supervisor or admin of the agency, is refused."""
    require(actor, "alert.approve", alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        require(actor, "alert.approve", alert)  # the composer may have changed while we waited for the lock
        if alert.state != Alert.State.PENDING:
            raise Refused(_("Only an alert waiting for approval can be approved."))
        _checked(alert.agency, alert_draft_of(alert), for_publishing=True)
        problem = _chain_head_problem(alert)
        if problem:
            raise Refused(problem)
        _publish(actor, alert, approved=True)
        audit_record(action="alert.approve", actor=actor, target=alert, organisation=alert.agency,
                     details={"identifier": alert.identifier, "scope": alert.scope})
    return alert


def alert_reject(*, actor: Actor, alert: Alert, reason: str) -> Alert:
    """Send a submitted alert back to its composer with a reason."""
    require(actor, "alert.approve", alert)
    reason = reason.strip()
    if not reason:
        raise AlertRefused({"reason": [_("Say why the alert is sent back.")]})
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state != Alert.State.PENDING:
            raise Refused(_("Only an alert waiting for approval can be sent back."))
        alert.state = Alert.State.REJECTED
        alert.rejection_reason = reason[:2000]
        alert.save(update_fields=["state", "rejection_reason", "updated_at"])
        audit_record(action="alert.reject", actor=actor, target=alert, organisation=alert.agency, reason=reason)
    return alert


def _followable(alert: Alert) -> None:
    if alert.state != Alert.State.PUBLISHED:
        raise Refused(_("Only a published alert can be updated or cancelled."))
    if alert.msg_type == Alert.MsgType.CANCEL:
        raise Refused(_("A cancellation cannot be updated or cancelled."))
    later = alert.followups.filter(state=Alert.State.PUBLISHED).first()
    if later is not None:
        raise Refused(_("This alert was already followed by %(later)s.") % {"later": later.identifier})


def alert_update_start(*, actor: Actor, alert: Alert) -> Alert:
    """Open an update of a published alert: a new draft (msg_type Update) referencing it, with its fields
    and words copied, to be changed in the composer and approved like any alert."""
    require(actor, "alert.compose", alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        _followable(alert)
        update = Alert(agency=alert.agency, identifier=alert_new_identifier(agency=alert.agency),
                       msg_type=Alert.MsgType.UPDATE, references=alert, composed_by_id=actor.user_id)
        _write(update, alert_draft_of(alert))
        audit_record(action="alert.update_start", actor=actor, target=update, organisation=alert.agency,
                     details={"references": alert.identifier})
    return update


def alert_cancel(*, actor: Actor, alert: Alert, reason: str = "") -> Alert:
    """Publish at once a cancellation of a published alert (msg_type Cancel, urgency Past, referencing it),
    without a second person (see the module's docstring). A drill's cancellation is a drill too.

    What is published is fixed text in each language of the original ("Cancelled: <headline>", "<headline>
    is cancelled; no further action is needed."); `reason` is recorded in the audit entry only, for staff,
    and never published, sent or shown to the public."""
    require(actor, "alert.compose", alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        _followable(alert)
        cancel = Alert(agency=alert.agency, identifier=alert_new_identifier(agency=alert.agency),
                       msg_type=Alert.MsgType.CANCEL, references=alert, composed_by_id=actor.user_id,
                       submitted_at=timezone.now(), rejection_reason="")
        draft = alert_draft_of(alert)
        infos = {language: InfoText(
            headline=(_cancelled_headline(language, info.headline))[:HEADLINE_MAX],
            description=_cancelled_description(language, info.headline),
            instruction="") for language, info in draft.infos.items()}
        _write(cancel, AlertDraft(**{**draft.__dict__, "infos": infos, "urgency": Urgency.PAST,
                                     "severity": Severity.MINOR, "certainty": Certainty.OBSERVED,
                                     "expires": None}))
        _publish(actor, cancel, approved=False)
        audit_record(action="alert.cancel", actor=actor, target=cancel, organisation=alert.agency,
                     reason=reason.strip(), details={"references": alert.identifier})
    return cancel


def _cancelled_headline(language: str, headline: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return _("Cancelled: %(headline)s") % {"headline": headline}


def _cancelled_description(language: str, headline: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return _("“%(headline)s” is cancelled; no further action is needed.") % {"headline": headline}
