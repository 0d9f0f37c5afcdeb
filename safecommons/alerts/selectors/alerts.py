"""Reading alerts: what the public sees (current, public, Actual alerts only), what partners see of
restricted ones, and the agency staff's lists. A drill or a test is never returned by a public selector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from safecommons.alerts.models import Alert, AlertInfo
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import Actor, may, require
from safecommons.partners.models import Organisation, OrganisationKind

# A cancellation stays in the feed this long, so that readers polling it learn the alert is withdrawn.
CANCEL_IN_FEED = timedelta(days=1)


def _public() -> QuerySet[Alert]:
    return Alert.objects.filter(state=Alert.State.PUBLISHED, cap_status=Alert.CapStatus.ACTUAL,
                                scope=Alert.Scope.PUBLIC)


def _not_followed() -> Exists:
    return Exists(Alert.objects.filter(references=OuterRef("pk"), state=Alert.State.PUBLISHED))


def public_alerts_current(*, agency: Organisation | None = None, now: datetime | None = None) -> QuerySet[Alert]:
    """Published public Actual alerts and updates that have neither expired nor been updated or cancelled
    since, newest first. Drills, tests, restricted alerts and cancellations are never among them."""
    now = now or timezone.now()
    alerts = (_public().exclude(msg_type=Alert.MsgType.CANCEL).filter(Q(expires__isnull=True) | Q(expires__gt=now))
              .exclude(_not_followed()))
    if agency is not None:
        alerts = alerts.filter(agency=agency)
    return alerts.select_related("agency").prefetch_related("infos").order_by("-sent_at", "-pk")


def public_feed_alerts(*, agency: Organisation | None = None, now: datetime | None = None) -> list[Alert]:
    """The Atom feed: the current alerts, and the cancellations of the last day."""
    now = now or timezone.now()
    cancels = _public().filter(msg_type=Alert.MsgType.CANCEL, sent_at__gt=now - CANCEL_IN_FEED)
    if agency is not None:
        cancels = cancels.filter(agency=agency)
    alerts = [*public_alerts_current(agency=agency, now=now),
              *cancels.select_related("agency").prefetch_related("infos")]
    return sorted(alerts, key=lambda alert: (alert.sent_at, alert.pk), reverse=True)


def alert_agencies_public() -> QuerySet[Organisation]:
    """Agencies that have published at least one public alert (to filter the public list)."""
    return Organisation.objects.filter(kind=OrganisationKind.AGENCY,
                                       alerts__in=_public()).distinct().order_by("name")


def alert_readable(*, actor: Actor, alert: Alert) -> bool:
    """Whether the actor may read the published alert: anyone when it is public; when restricted, the
    agency's staff and partner staff (`alert.view_restricted`). A drill or test: agency staff only, and
    never through the public pages (see `alert_public_get`)."""
    if alert.state != Alert.State.PUBLISHED or alert.cap_status != Alert.CapStatus.ACTUAL:
        return False
    return alert.scope == Alert.Scope.PUBLIC or may(actor, "alert.view_restricted", alert)


def alert_public_get(*, actor: Actor, identifier: str) -> Alert:
    """A published alert by identifier, if the actor may read it; Http404 otherwise (a drill, a draft, or
    a restricted alert to the public are all simply not there)."""
    alert = (Alert.objects.select_related("agency", "references").prefetch_related("infos", "areas")
             .filter(identifier=identifier).first())
    if alert is None or not alert_readable(actor=actor, alert=alert):
        raise Http404(identifier)
    return alert


def alert_chain(alert: Alert) -> list[Alert]:
    """The earlier messages this one follows, oldest first (what CAP `references` lists)."""
    chain = []
    earlier = alert.references
    while earlier is not None:
        chain.append(earlier)
        earlier = earlier.references
    return list(reversed(chain))


def alert_followed_by(alert: Alert) -> Alert | None:
    """The published update or cancellation of this alert, if any."""
    return alert.followups.filter(state=Alert.State.PUBLISHED).order_by("sent_at").first()


@dataclass(frozen=True)
class AlertStatus:
    """Where a published alert stands, for its page."""

    current: bool
    cancelled: bool
    expired: bool
    followed_by: Alert | None


def alert_status(alert: Alert, *, now: datetime | None = None) -> AlertStatus:
    now = now or timezone.now()
    followed_by = alert_followed_by(alert)
    cancelled = followed_by is not None and followed_by.msg_type == Alert.MsgType.CANCEL
    expired = alert.expires is not None and alert.expires <= now
    current = (alert.state == Alert.State.PUBLISHED and followed_by is None and not expired
               and alert.msg_type != Alert.MsgType.CANCEL)
    return AlertStatus(current=current, cancelled=cancelled, expired=expired, followed_by=followed_by)


def alert_info_for(alert: Alert, language: str) -> AlertInfo | None:
    """The alert's words in the reader's language, or in English when that version does not exist."""
    infos = {info.language: info for info in alert.infos.all()}
    return infos.get(language) or infos.get("en") or next(iter(infos.values()), None)


# --- Staff


def alert_staff_agencies(*, actor: Actor) -> list[Organisation]:
    """The agencies whose alerts the actor works on."""
    agencies = Organisation.objects.filter(pk__in=actor.organisation_ids(), kind=OrganisationKind.AGENCY)
    return [agency for agency in agencies.order_by("name") if may(actor, "alert.view_staff", agency)]


def alert_staff_agency(*, actor: Actor, slug: str = "") -> Organisation:
    """The agency a staff page is about: the one named by `slug`, else the actor's first; PermissionDenied
    when the actor works for none."""
    agencies = alert_staff_agencies(actor=actor)
    for agency in agencies:
        if not slug or agency.slug == slug:
            return agency
    raise PermissionDenied("alert.view_staff")


@dataclass(frozen=True)
class StaffLists:
    drafts: list[Alert]
    awaiting_me: list[Alert]
    pending: list[Alert]
    published: list[Alert]


def alerts_staff_lists(*, actor: Actor, agency: Organisation, published_limit: int = 50) -> StaffLists:
    """The agency's drafts (and alerts sent back), those waiting for approval (split into those the actor
    may approve and the rest), and the latest published, drills included."""
    require(actor, "alert.view_staff", agency)
    alerts = Alert.objects.filter(agency=agency).select_related("composed_by", "references").prefetch_related(
        "infos")
    pending = list(alerts.filter(state=Alert.State.PENDING).order_by("submitted_at"))
    return StaffLists(
        drafts=list(alerts.filter(state__in=[Alert.State.DRAFT, Alert.State.REJECTED]).order_by("-updated_at")),
        awaiting_me=[alert for alert in pending if may(actor, "alert.approve", alert)],
        pending=[alert for alert in pending if not may(actor, "alert.approve", alert)],
        published=list(alerts.filter(state=Alert.State.PUBLISHED).order_by("-sent_at")[:published_limit]),
    )


def alert_staff_get(*, actor: Actor, identifier: str) -> Alert:
    """Any alert of an agency the actor works for, by identifier; Http404 when there is none,
    PermissionDenied when it is another agency's."""
    alert = (Alert.objects.select_related("agency", "references", "composed_by", "approved_by")
             .prefetch_related("infos", "areas").filter(identifier=identifier).first())
    if alert is None:
        raise Http404(identifier)
    require(actor, "alert.view_staff", alert)
    return alert


def alert_history(alert: Alert) -> list[AuditEntry]:
    """The audit entries about the alert (compose, edits, submission, approval or refusal, publication),
    oldest first."""
    return list(AuditEntry.objects.filter(object_type=alert._meta.label_lower, object_id=str(alert.pk))
                .order_by("seq"))


def alert_map_data(alert: Alert, info=None) -> dict:
    """{"label", "polygons": [[[lat, lon], ...]], "circles": [{"lat", "lon", "radius_m"}]} with named areas'
    outer rings among the polygons (Leaflet takes [lat, lon])."""
    polygons = [[[lat, lon] for lon, lat in ring] for ring in alert.area_polygons]
    for area in alert.areas.all():
        geometry = area.geometry or {}
        rings = ([geometry["coordinates"][0]] if geometry.get("type") == "Polygon" else
                 [polygon[0] for polygon in geometry.get("coordinates", [])] if geometry.get("type") == "MultiPolygon"
                 else [])
        polygons += [[[lat, lon] for lon, lat in ring] for ring in rings]
    return {"label": info.headline if info else alert.event, "polygons": polygons, "circles": alert.area_circles,
            "severity": alert.severity}


def agency_map_bounds(agency: Organisation) -> list[float] | None:
    """[south, west, north, east] around the agency's areas, where the composer's map opens; None without areas."""
    from django.db.models import Max, Min

    from safecommons.places.models import Area

    box = Area.objects.filter(agency=agency).aggregate(s=Min("min_lat"), w=Min("min_lon"), n=Max("max_lat"),
                                                       e=Max("max_lon"))
    return None if box["s"] is None else [box["s"], box["w"], box["n"], box["e"]]
