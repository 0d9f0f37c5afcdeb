"""Carrying a message to one subscription channel: email, web push, SMS (through a pluggable provider) or a
webhook. Each sender raises `DeliveryFailed` for a failure worth trying again and `ChannelGone` when the
address no longer exists (the channel is then switched off and the delivery skipped).

Every delivery carries its id as an idempotency key (email Message-ID, the `X-SafeCommons-Delivery` header
of a webhook, `Idempotency-Key` of the SMS gateway, the push's `Topic`), so that the rare repeat after a
worker died between the provider's acceptance and our commit can be dropped by the receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from typing import Protocol
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.html import format_html
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from safecommons.alerts import links
from safecommons.alerts.messages import Message
from safecommons.alerts.models import Channel, Delivery, SubscriptionChannel

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10
PUSH_TTL_SECONDS = 12 * 3600
SIGNATURE_HEADER = "X-SafeCommons-Signature"
DELIVERY_HEADER = "X-SafeCommons-Delivery"


class DeliveryFailed(Exception):
    """The provider did not take the message this time; the outbox tries again later."""


class ChannelGone(Exception):
    """The address no longer exists (a push subscription the browser dropped): never try it again."""


def destination_check(url: str) -> None:
    """Webhook and push addresses come from outside (a partner, a browser): before we POST to one, every
    address its host resolves to must be a public one, so no subscriber can aim our workers at the
    platform's own network (database, cache, metadata services). ALERT_PRIVATE_DESTINATIONS lifts this for a
    deployment whose partners' receivers are on its private network (and for tests)."""
    if settings.ALERT_PRIVATE_DESTINATIONS:
        return
    parts = urlparse(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ChannelGone("not an http(s) address")
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443,
                                                               proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise DeliveryFailed(f"cannot resolve {parts.hostname}: {exc}") from exc
    for address in resolved:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            raise ChannelGone(f"{parts.hostname} resolves to a non-public address")


class _NoRedirectSession(requests.Session):
    """A session that never follows a redirect, whatever its caller asks: `destination_check` vetted the
    address we were given, not whatever a 307 or 308 points to next."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def message_id(delivery: Delivery) -> str:
    """The Message-ID of a delivery's email: the same on every attempt, so a repeat is recognisable."""
    domain = urlparse(settings.SITE_URL).hostname or "localhost"
    kind = "alert" if delivery.alert_id else "newsletter"
    return f"<{kind}-delivery-{delivery.pk}@{domain}>"


def _footer(target: SubscriptionChannel) -> tuple[str, str]:
    manage, unsubscribe = links.manage_url(target.subscription), links.unsubscribe_url(target)
    text = "\n".join(["", "-- ", gettext("You receive this because you subscribed to alerts from %(agency)s.")
                      % {"agency": target.subscription.agency.name},
                      gettext("Change your places, topics or channels: %(url)s") % {"url": manage},
                      gettext("Unsubscribe: %(url)s") % {"url": unsubscribe}, ""])
    html = format_html(
        '<hr><p style="font-size:.9em;color:#555;">{}<br><a href="{}">{}</a> · <a href="{}">{}</a></p>',
        gettext("You receive this because you subscribed to alerts from %(agency)s.")
        % {"agency": target.subscription.agency.name},
        manage, gettext("Manage your subscription"), unsubscribe, gettext("Unsubscribe"))
    return text, html


def send_email(*, delivery: Delivery, message: Message, connection=None) -> None:
    """Text and HTML, with the RFC 8058 one-click unsubscribe headers and a manage link in the footer."""
    target = delivery.target
    footer_text, footer_html = _footer(target)
    html = message.html
    html = html.replace("</body>", f"{footer_html}</body>", 1) if "</body>" in html else html + footer_html
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text.rstrip() + "\n" + footer_text, to=[target.address],
        from_email=settings.DEFAULT_FROM_EMAIL, connection=connection,
        headers={"Message-ID": message_id(delivery),
                 "List-Unsubscribe": f"<{links.unsubscribe_url(target)}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Content-Language": target.subscription.language,
                 "Auto-Submitted": "auto-generated"})
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except ConnectionError as exc:  # includes refused connections
        raise DeliveryFailed(f"mail server unreachable: {exc}") from exc
    except Exception as exc:  # smtplib raises many kinds; each means "not accepted this time"
        raise DeliveryFailed(f"mail server refused: {exc}") from exc


def send_web_push(*, delivery: Delivery, message: Message) -> None:
    """An encrypted push (aes128gcm) to the browser's push service, signed with the VAPID key. A redirect
    is never followed (it fails the attempt), as for a webhook."""
    from pywebpush import WebPushException, webpush

    from safecommons.alerts.push_keys import vapid_private_key

    target = delivery.target
    destination_check(target.address)
    payload = json.dumps({"title": message.subject, "body": message.short, "url": message.url})
    try:
        with _NoRedirectSession() as session:
            webpush(subscription_info={"endpoint": target.address, "keys": target.push_keys}, data=payload,
                    vapid_private_key=vapid_private_key(), vapid_claims={"sub": settings.VAPID_CONTACT},
                    ttl=PUSH_TTL_SECONDS, timeout=HTTP_TIMEOUT_SECONDS, requests_session=session,
                    headers={"Urgency": "high", "Topic": f"d{delivery.pk}"})
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in (404, 410):
            raise ChannelGone(f"push subscription gone ({status})") from exc
        if status is not None and 300 <= status < 400:
            raise DeliveryFailed(f"push service answered a redirect ({status}); redirects are not followed") from exc
        raise DeliveryFailed(f"push service refused: {status or exc}") from exc
    except requests.RequestException as exc:
        raise DeliveryFailed(f"push service unreachable: {exc}") from exc


class SmsBackend(Protocol):
    """An SMS provider. `send` returns when the provider accepted the text, raises DeliveryFailed otherwise."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None: ...


class ConsoleSmsBackend:
    """Writes the text to the log: development and demos."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        logger.info("SMS to %s (%s): %s", to, idempotency_key, text)


class HttpSmsBackend:
    """POSTs {"to", "text"} as JSON with a bearer token to SMS_HTTP_URL: a gateway of your own."""

    def send(self, *, to: str, text: str, idempotency_key: str) -> None:
        if not settings.SMS_HTTP_URL:
            raise DeliveryFailed("SMS_HTTP_URL is not set")
        try:
            response = requests.post(settings.SMS_HTTP_URL, json={"to": to, "text": text},
                                     headers={"Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
                                              "Idempotency-Key": idempotency_key},
                                     timeout=HTTP_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise DeliveryFailed(f"SMS gateway unreachable: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"SMS gateway answered {response.status_code}")


SMS_BACKENDS: dict[str, type] = {"console": ConsoleSmsBackend, "http": HttpSmsBackend}


def sms_backend() -> SmsBackend:
    """The provider SMS_BACKEND names: "console", "http", or the dotted path of a class of your own."""
    name = settings.SMS_BACKEND
    backend = SMS_BACKENDS.get(name) or (import_string(name) if "." in name else None)
    if backend is None:
        raise DeliveryFailed(f"unknown SMS_BACKEND {name!r}")
    return backend()


def send_sms(*, delivery: Delivery, message: Message) -> None:
    sms_backend().send(to=delivery.target.address, text=message.short, idempotency_key=f"delivery-{delivery.pk}")


def webhook_body(*, delivery: Delivery, message: Message) -> bytes:
    """The JSON a webhook receives: the alert's CAP fields in the subscription's language, the short text
    for social media, and links to the public page and the CAP XML (or the newsletter's words)."""
    from safecommons.alerts.messages import alert_info_for, cap_url

    body: dict = {"delivery": delivery.pk, "subject": message.subject, "short_text": message.short,
                  "url": message.url, "text": message.text}
    alert = delivery.alert
    if alert is not None:
        info = alert_info_for(alert, delivery.target.subscription.language)
        body.update({
            "type": "alert", "identifier": alert.identifier, "msg_type": alert.msg_type,
            "status": alert.cap_status, "scope": alert.scope,
            "references": alert.references.identifier if alert.references_id else None,
            "topic": alert.topic, "category": alert.category, "event": alert.event,
            "urgency": alert.urgency, "severity": alert.severity, "certainty": alert.certainty,
            "language": info.language if info else None, "headline": info.headline if info else alert.event,
            "description": info.description if info else "", "instruction": info.instruction if info else "",
            "area": {"description": alert.area_description, "polygons": alert.area_polygons,
                     "circles": alert.area_circles},
            "sent": alert.sent_at.isoformat() if alert.sent_at else None,
            "onset": alert.onset.isoformat() if alert.onset else None,
            "expires": alert.expires.isoformat() if alert.expires else None,
            "cap_url": cap_url(alert),
        })
    else:
        body.update({"type": "newsletter", "newsletter": delivery.newsletter_id})
    return json.dumps(body, ensure_ascii=False).encode()


def webhook_signature(secret: str, body: bytes) -> str:
    """The value of X-SafeCommons-Signature: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(*, delivery: Delivery, message: Message) -> None:
    """POST the JSON, signed; anything but a 2xx answer within 10 s is tried again later."""
    target = delivery.target
    destination_check(target.address)
    body = webhook_body(delivery=delivery, message=message)
    try:
        response = requests.post(target.address, data=body, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False,
                                 headers={"Content-Type": "application/json",
                                          SIGNATURE_HEADER: webhook_signature(target.secret, body),
                                          DELIVERY_HEADER: str(delivery.pk)})
    except requests.RequestException as exc:
        raise DeliveryFailed(f"webhook unreachable: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"webhook answered {response.status_code}")


SENDERS = {Channel.EMAIL: send_email, Channel.WEB_PUSH: send_web_push, Channel.SMS: send_sms,
           Channel.WEBHOOK: send_webhook}


def channel_send(*, delivery: Delivery, message: Message, email_connection=None) -> None:
    """Send one delivery on its channel; raises DeliveryFailed (try again) or ChannelGone (never again)."""
    if delivery.channel == Channel.EMAIL:
        send_email(delivery=delivery, message=message, connection=email_connection)
    else:
        SENDERS[delivery.channel](delivery=delivery, message=message)


def channel_deactivate(*, target: SubscriptionChannel) -> None:
    """Switch off a channel whose address is gone."""
    target.active = False
    target.ended_at = timezone.now()
    target.save(update_fields=["active", "ended_at"])
