"""An alert as a CAP 1.2 message (OASIS Common Alerting Protocol, urn:oasis:names:tc:emergency:cap:1.2).

Elements follow the order of the OASIS schema. Times carry whole seconds and a numeric offset (CAP forbids
"Z"). Polygons are "lat,lon" pairs, closed; circles "lat,lon radius_km". A named area goes out as its
outline (one polygon per outer ring) and a geocode naming it, so that receivers without our codes still
know the place."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from safecommons.alerts.models import Alert
from safecommons.alerts.selectors.alerts import alert_chain
from safecommons.alerts.services.alerts import alert_sender

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
CAP_LANGUAGES = {"en": "en-US", "es": "es-US"}


def cap_time(moment: datetime) -> str:
    """2025-03-01T14:05:00-06:00: local time, whole seconds, numeric offset. CAP 1.2 writes UTC as "-00:00"
    (never "Z" nor "+00:00")."""
    text = timezone.localtime(moment).replace(microsecond=0).isoformat()
    return f"{text[:-6]}-00:00" if text.endswith("+00:00") else text


def _coordinate(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _cap_polygon(ring) -> str:
    """A GeoJSON ring ([lon, lat] ...) as CAP's "lat,lon lat,lon ...", closed."""
    points = [(lat, lon) for lon, lat in ring]
    if points and points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{_coordinate(lat)},{_coordinate(lon)}" for lat, lon in points)


def _outer_rings(geometry: dict) -> list:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def cap_reference(alert: Alert) -> str:
    """"sender,identifier,sent" of a published message, as another message's `references` lists it."""
    return f"{alert_sender(alert)},{alert.identifier},{cap_time(alert.sent_at)}"


def alert_public_url(alert: Alert) -> str:
    """The alert's public page, absolute."""
    return f"{settings.SITE_URL}{reverse('alerts:public_detail', args=[alert.identifier])}"


def _note(alert: Alert) -> str:
    if alert.cap_status == Alert.CapStatus.EXERCISE:
        return "Exercise: this is a drill. No action is needed."
    if alert.cap_status == Alert.CapStatus.TEST:
        return "Test message. No action is needed."
    return ""


def alert_cap_xml(alert: Alert) -> bytes:
    """The alert as a CAP 1.2 document (UTF-8, with an XML declaration). The alert must be published: CAP
    needs the time it was sent."""
    if alert.sent_at is None:
        raise ValueError("Only a published alert has a CAP message.")
    ET.register_namespace("", CAP_NAMESPACE)

    def sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{CAP_NAMESPACE}}}alert")
    sub(root, "identifier", alert.identifier)
    sub(root, "sender", alert_sender(alert))
    sub(root, "sent", cap_time(alert.sent_at))
    sub(root, "status", alert.cap_status)
    sub(root, "msgType", alert.msg_type)
    sub(root, "source", alert.agency.name)
    sub(root, "scope", alert.scope)
    if alert.scope == Alert.Scope.RESTRICTED:
        sub(root, "restriction", f"For the partner organisations of {alert.agency.name}; not for the public.")
    note = _note(alert)
    if note:
        sub(root, "note", note)
    chain = alert_chain(alert)
    if chain:
        sub(root, "references", " ".join(cap_reference(earlier) for earlier in chain))
    areas = list(alert.areas.all())
    web = alert_public_url(alert)
    for info in alert.infos.all():
        block = sub(root, "info")
        sub(block, "language", CAP_LANGUAGES.get(info.language, info.language))
        sub(block, "category", alert.category)
        sub(block, "event", alert.event)
        if alert.msg_type == Alert.MsgType.CANCEL:
            sub(block, "responseType", "AllClear")
        sub(block, "urgency", alert.urgency)
        sub(block, "severity", alert.severity)
        sub(block, "certainty", alert.certainty)
        if alert.onset:
            sub(block, "onset", cap_time(alert.onset))
        if alert.expires:
            sub(block, "expires", cap_time(alert.expires))
        sub(block, "senderName", alert.agency.name)
        sub(block, "headline", info.headline)
        sub(block, "description", info.description)
        if info.instruction:
            sub(block, "instruction", info.instruction)
        sub(block, "web", web)
        if alert.agency.public_email:
            sub(block, "contact", alert.agency.public_email)
        area = sub(block, "area")
        sub(area, "areaDesc", alert.area_description)
        for ring in alert.area_polygons:
            sub(area, "polygon", _cap_polygon(ring))
        for named in areas:
            for ring in _outer_rings(named.geometry):
                sub(area, "polygon", _cap_polygon(ring))
        for circle in alert.area_circles:
            radius_km = float(circle["radius_m"]) / 1000
            sub(area, "circle", f"{_coordinate(circle['lat'])},{_coordinate(circle['lon'])} "
                                f"{_coordinate(radius_km)}")
        for named in areas:
            geocode = sub(area, "geocode")
            sub(geocode, "valueName", f"{alert.agency.slug}:{named.kind}")
            sub(geocode, "value", named.code)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
