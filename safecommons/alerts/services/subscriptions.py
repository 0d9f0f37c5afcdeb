"""Subscriptions: create, confirm (email double opt-in), change, revoke links, unsubscribe, the test list.

Where someone lives is turned into an H3 resolution-9 cell here, the moment it arrives, and only the cell
and the chosen radius are kept (docs/alert-subscriptions.md, "What we store"). The address text and the
exact coordinates are never written to the database, the session or a log.

Without an account, the signed links of `alerts.links` stand in for signing in: whoever holds the link
manages the subscription. With an account, `core.permissions` rule `subscription.manage` decides.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import zoneinfo
from dataclasses import dataclass, field
from datetime import time, timedelta
from urllib.parse import urlsplit

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safecommons.alerts import links
from safecommons.alerts.models import (
    Channel,
    Delivery,
    OptOut,
    Subscription,
    SubscriptionChannel,
    Topic,
    new_manage_key,
    topic_mask,
)
from safecommons.core.cache import count_in_window
from safecommons.core.errors import Refused, Throttled
from safecommons.core.permissions import Actor, require
from safecommons.core.tasks import enqueue_with_transaction
from safecommons.partners.models import Organisation, OrganisationKind
from safecommons.places.models import Area, AreaKind
from safecommons.tips import throttle

logger = logging.getLogger(__name__)

RADIUS_CHOICES_M = (250, 500, 1000, 2000, 5000)
SUBSCRIBABLE_AREA_KINDS = (AreaKind.NEIGHBORHOOD, AreaKind.BEAT)
PENDING_PURGE_AFTER = timedelta(days=7)
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3
# Channels whose address someone could give for another person: nothing but the confirmation link goes there
# until it is followed.
CONFIRMED_BY_LINK = (Channel.EMAIL, Channel.SMS)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-]")


@dataclass(frozen=True)
class PushSubscriptionData:
    """What a browser's PushSubscription.toJSON() gives: the endpoint and its two keys."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass
class SubscriptionInput:
    """Everything a subscriber chooses. `latitude`/`longitude` are read once, to compute the cell, and dropped.

    On an update, `None` for a channel means "leave it as it is"; an empty string removes it. `place_given`
    False (an update that names no new place) keeps the current cell and radius."""

    topics: list[str]
    language: str = "en"
    label: str = ""
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int | None = None
    area_ids: list[int] = field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    push: PushSubscriptionData | None = None
    remove_push: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = ""
    place_given: bool = True


@dataclass(frozen=True)
class SubscriptionCreated:
    subscription: Subscription
    webhook_secret: str = ""  # shown once, to the partner who created the webhook
    email_pending: bool = False  # a confirmation email is on its way


# --- Checks on what was typed


def phone_normalise(phone: str) -> str:
    """An E.164 number (+ country code, up to 15 digits) with spaces, dots, dashes and brackets removed."""
    number = _PHONE_PUNCTUATION.sub("", phone or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.match(number):
        raise Refused(_("Enter the mobile number with its country code, for example +1 612 555 0123."))
    return number


def webhook_url_check(url: str) -> str:
    """Webhooks are sent over HTTPS to a named host; a bare IP address or localhost is refused so that a
    webhook cannot be aimed at the platform's own network."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        raise Refused(_("The webhook address must start with https://."))
    if host == "localhost" or host.endswith(".localhost") or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        raise Refused(_("The webhook address must name a public host, not an IP address or localhost."))
    return url.strip()


def _email_check(email: str) -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise Refused(_("Enter a valid email address.")) from None
    return email.lower()


def _topics_check(topics: list[str]) -> list[str]:
    valid = {t.value for t in Topic}
    unknown = [t for t in topics if t not in valid]
    if unknown:
        raise Refused(_("Unknown topic: %(topic)s.") % {"topic": ", ".join(unknown)})
    chosen = [t.value for t in Topic if t.value in set(topics)]  # in the menu's order, once each
    if not chosen:
        raise Refused(_("Choose at least one topic."))
    return chosen


def _language_check(language: str) -> str:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise Refused(_("Choose English or Spanish."))
    return language


def _time_zone_check(name: str) -> str:
    if not name:
        return settings.TIME_ZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Refused(_("Unknown time zone: %(zone)s.") % {"zone": name}) from None
    return name


def _quiet_hours_check(start: time | None, end: time | None) -> tuple[time | None, time | None]:
    if (start is None) != (end is None):
        raise Refused(_("Give both the start and the end of your quiet hours, or neither."))
    if start is not None and start == end:
        raise Refused(_("Quiet hours must start and end at different times."))
    return start, end


def cell_of(*, latitude: float, longitude: float) -> int:
    """The H3 resolution-9 cell (about 0.1 km²) of a point: all a subscription keeps of an address."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refused(_("That place is not on the map."))
    return h3.str_to_int(h3.latlng_to_cell(latitude, longitude, 9))


def agency_for_place(*, latitude: float | None, longitude: float | None, areas: list[Area]) -> Organisation:
    """The agency whose jurisdiction holds the place (or whose areas were picked); with one agency in the
    system, that one."""
    from safecommons.places import selectors as place_selectors

    agencies = {area.agency for area in areas}
    if latitude is not None and longitude is not None:
        holding = [a.agency for a in place_selectors.areas_at_point(longitude=longitude, latitude=latitude)
                   if a.kind == AreaKind.JURISDICTION]
        if holding:
            agencies.add(holding[0])
    if len(agencies) == 1:
        return agencies.pop()
    if len(agencies) > 1:
        raise Refused(_("The place and the areas you chose belong to different police agencies: subscribe to each "
                        "separately."))
    only = list(Organisation.objects.filter(kind=OrganisationKind.AGENCY)[:2])
    if len(only) == 1 and not (latitude is not None and only[0].areas.filter(kind=AreaKind.JURISDICTION).exists()):
        return only[0]  # an agency that has not drawn its jurisdiction yet takes every place
    raise Refused(_("No police agency we serve covers that place."))


def _areas_check(area_ids: list[int]) -> list[Area]:
    areas = list(Area.objects.filter(pk__in=set(area_ids), kind__in=SUBSCRIBABLE_AREA_KINDS).select_related("agency"))
    if len(areas) != len(set(area_ids)):
        raise Refused(_("One of the areas you chose does not exist."))
    return areas


def _radius_check(radius_m: int | None) -> int:
    if radius_m not in RADIUS_CHOICES_M:
        raise Refused(_("Choose a distance from the list."))
    return radius_m


# --- Writes


@transaction.atomic
def subscription_create(*, actor: Actor, data: SubscriptionInput, organisation: Organisation | None = None,
                        user=None, client_key: str = "") -> SubscriptionCreated:
    """Subscribe to alerts of some topics around a place (a point and a radius, and/or named areas), on one
    or more channels. `user` ties it to the person signed in; `organisation` to a partner the actor manages
    (webhooks only for those). Email waits for its confirmation link, sent after commit; push, SMS and
    webhook channels start at once. The subscription is active when one of its channels is confirmed.

    Without an account, a client (`client_key`, the keyed hash of its network from tips/throttle.py) may
    subscribe ALERT_SUBSCRIPTIONS_PER_HOUR times an hour, so the form cannot be used to flood strangers
    (only subscriptions made count: a form sent back with a mistake does not)."""
    counted = actor.is_anonymous and bool(client_key)
    if counted and throttle.hits("alerts-subscribe", client_key) >= settings.ALERT_SUBSCRIPTIONS_PER_HOUR:
        raise Throttled(_("Too many subscriptions from your network in the last hour. Please try again later."))
    if organisation is not None:
        require(actor, "subscription.organisation", organisation)
        user = None
    elif user is not None and user.pk != actor.user_id:
        raise Refused(_("You can only subscribe for yourself."))
    topics = _topics_check(data.topics)
    areas = _areas_check(data.area_ids)
    cell = radius = None
    if data.latitude is not None and data.longitude is not None:
        cell = cell_of(latitude=data.latitude, longitude=data.longitude)
        radius = _radius_check(data.radius_m)
    elif not areas:
        raise Refused(_("Choose a place: an address or a point on the map with a distance, or a neighborhood."))
    agency = agency_for_place(latitude=data.latitude, longitude=data.longitude, areas=areas)
    quiet_start, quiet_end = _quiet_hours_check(data.quiet_start, data.quiet_end)
    subscription = Subscription.objects.create(
        agency=agency, user=user, organisation=organisation, label=data.label.strip()[:120],
        language=_language_check(data.language), topics=topics, topic_mask=topic_mask(topics),
        cell=cell, radius_m=radius, quiet_start=quiet_start, quiet_end=quiet_end,
        time_zone=_time_zone_check(data.time_zone), status=Subscription.Status.PENDING,
    )
    if areas:
        subscription.areas.set(areas)
    secret, email_pending = _channels_apply(subscription=subscription, data=data)
    if not subscription.channels.filter(active=True).exists():
        raise Refused(_("Choose at least one way to reach you: email, push, SMS or a webhook."))
    _status_refresh(subscription)
    if counted:
        throttle.hit("alerts-subscribe", client_key)
    return SubscriptionCreated(subscription=subscription, webhook_secret=secret, email_pending=email_pending)


def _channels_apply(*, subscription: Subscription, data: SubscriptionInput) -> tuple[str, bool]:
    """Add, change or remove the channels `data` names. Returns (new webhook secret, email confirmation sent)."""
    now = timezone.now()
    secret = ""
    email_pending = False
    if data.email is not None:
        email_pending = _channel_set(subscription, Channel.EMAIL, _email_check(data.email) if data.email else "",
                                     confirmed_at=None)
    if data.phone is not None:
        # A phone number is confirmed like an email address (by a texted link), so nobody can sign up a
        # stranger's phone for messages.
        _channel_set(subscription, Channel.SMS, phone_normalise(data.phone) if data.phone else "", confirmed_at=None)
    if data.push is not None:
        if not data.push.endpoint.startswith("https://") or not data.push.p256dh or not data.push.auth:
            raise Refused(_("The browser's push subscription is incomplete; allow notifications and try again."))
        _channel_set(subscription, Channel.WEB_PUSH, data.push.endpoint, confirmed_at=now,
                     push_keys={"p256dh": data.push.p256dh, "auth": data.push.auth})
    elif data.remove_push:
        _channel_set(subscription, Channel.WEB_PUSH, "", confirmed_at=None)
    if data.webhook_url is not None:
        if data.webhook_url and subscription.organisation_id is None:
            raise Refused(_("Webhooks are for partner organisations: subscribe on behalf of your organisation."))
        if data.webhook_url:
            url = webhook_url_check(data.webhook_url)
            existing = subscription.channels.filter(channel=Channel.WEBHOOK, active=True).first()
            if existing is None or existing.address != url:
                secret = secrets.token_urlsafe(32)
            _channel_set(subscription, Channel.WEBHOOK, url, confirmed_at=now, secret=secret or None)
        else:
            _channel_set(subscription, Channel.WEBHOOK, "", confirmed_at=None)
    return secret, email_pending


def _channel_set(subscription: Subscription, kind: str, address: str, *, confirmed_at, push_keys=None,
                 secret: str | None = None) -> bool:
    """Point one channel at `address` (empty: end it). Returns True when an email confirmation was queued."""
    channel = SubscriptionChannel.objects.filter(subscription=subscription, channel=kind).first()
    if not address:
        if channel is not None and channel.active:
            channel.active = False
            channel.ended_at = timezone.now()
            channel.save(update_fields=["active", "ended_at"])
        return False
    if channel is not None and channel.active and channel.address == address:
        changed = []
        if push_keys is not None and channel.push_keys != push_keys:
            channel.push_keys = push_keys
            changed.append("push_keys")
        if secret:
            channel.secret = secret
            changed.append("secret")
        if changed:
            channel.save(update_fields=changed)
        return False
    if channel is None:
        channel = SubscriptionChannel(subscription=subscription, channel=kind)
    channel.address = address
    channel.push_keys = push_keys or {}
    channel.secret = secret or ""
    channel.confirmed_at = confirmed_at
    channel.active = True
    channel.ended_at = None
    channel.save()
    if kind in CONFIRMED_BY_LINK and confirmed_at is None:
        _confirmation_queue(channel)
        return kind == Channel.EMAIL
    return False


def _confirmation_queue(channel: SubscriptionChannel) -> None:
    from safecommons.alerts import tasks

    enqueue_with_transaction(tasks.subscription_confirmation_email, channel.pk)


def _status_refresh(subscription: Subscription) -> None:
    """Active while a confirmed channel is on; pending while only an unconfirmed email is; ended otherwise."""
    if subscription.status == Subscription.Status.ENDED:
        return
    live = subscription.channels.filter(active=True)
    if live.filter(confirmed_at__isnull=False).exists():
        status = Subscription.Status.ACTIVE
    elif live.exists():
        status = Subscription.Status.PENDING
    else:
        _subscription_end(subscription)
        return
    fields = []
    if status != subscription.status:
        subscription.status = status
        fields.append("status")
    if status == Subscription.Status.ACTIVE and subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        fields.append("confirmed_at")
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])


def _subscription_end(subscription: Subscription) -> None:
    now = timezone.now()
    subscription.channels.filter(active=True).update(active=False, ended_at=now)
    subscription.status = Subscription.Status.ENDED
    subscription.ended_at = now
    subscription.save(update_fields=["status", "ended_at", "updated_at"])


def subscription_confirmation_email_send(*, channel_id: int) -> bool:
    """Send the double opt-in link to a new, unconfirmed email address (or, by text, phone number), in the
    subscription's language. Returns False (and sends nothing) when the channel was confirmed, changed or
    ended meanwhile, or when the address has had its few confirmation requests today."""
    channel = SubscriptionChannel.objects.select_related("subscription__agency").filter(pk=channel_id).first()
    if (channel is None or not channel.active or channel.confirmed_at is not None
            or channel.channel not in CONFIRMED_BY_LINK):
        return False
    subscription = channel.subscription
    if subscription.status == Subscription.Status.ENDED:
        return False
    # However many networks ask, one address gets a few confirmation requests a day, then no more.
    address_key = hmac.new(settings.SECRET_KEY.encode(), channel.address.lower().encode(), "sha256").hexdigest()
    if count_in_window(f"alerts:confirm-mail:{address_key}", seconds=24 * 3600) > CONFIRMATIONS_PER_ADDRESS_PER_DAY:
        logger.warning("confirmation mail of channel %s not sent: too many to that address today", channel.pk)
        return False
    if channel.channel == Channel.SMS:
        return _confirmation_text_send(channel)
    with translation.override(subscription.language):
        context = {
            "subscription": subscription, "agency": subscription.agency, "platform": settings.PLATFORM_NAME,
            "confirm_url": links.confirm_url(channel), "manage_url": links.manage_url(subscription),
            "topics": ", ".join(str(Topic(t).label) for t in subscription.topics),
        }
        subject = _("Confirm your %(agency)s alerts") % {"agency": subscription.agency.name}
        text = render_to_string("alerts/email/confirm.txt", context)
        html = render_to_string("alerts/email/confirm.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[channel.address], headers={"Auto-Submitted": "auto-generated",
                                                                    "Content-Language": subscription.language})
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def _confirmation_text_send(channel: SubscriptionChannel) -> bool:
    from safecommons.alerts.services.channels import sms_backend

    subscription = channel.subscription
    with translation.override(subscription.language):
        text = _("%(agency)s alerts: to get them by text message, confirm at %(url)s - not you? Ignore this.") % {
            "agency": subscription.agency.name, "url": links.confirm_url(channel)}
    sms_backend().send(to=channel.address, text=text, idempotency_key=f"confirm-{channel.pk}")
    return True


@transaction.atomic
def subscription_confirm(*, channel: SubscriptionChannel) -> Subscription:
    """The emailed link was followed: the address is confirmed and the subscription is active. Idempotent;
    an ended channel cannot be confirmed back to life by an old link."""
    channel = SubscriptionChannel.objects.select_for_update().select_related("subscription").get(pk=channel.pk)
    subscription = channel.subscription
    if not channel.active or subscription.status == Subscription.Status.ENDED:
        raise Refused(_("This subscription has ended. Subscribe again to receive alerts."))
    if channel.confirmed_at is None:
        channel.confirmed_at = timezone.now()
        channel.save(update_fields=["confirmed_at"])
    _status_refresh(subscription)
    return subscription


@transaction.atomic
def subscription_update(*, subscription: Subscription, data: SubscriptionInput) -> SubscriptionCreated:
    """Change what, where, how and when. A changed email address is confirmed again before it gets
    anything; a removed channel ends; with no channel left the subscription ends."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == Subscription.Status.ENDED:
        raise Refused(_("This subscription has ended. Subscribe again to receive alerts."))
    topics = _topics_check(data.topics)
    areas = _areas_check(data.area_ids)
    if data.place_given:
        if data.latitude is not None and data.longitude is not None:
            subscription.cell = cell_of(latitude=data.latitude, longitude=data.longitude)
            subscription.radius_m = _radius_check(data.radius_m)
        elif data.radius_m is None:
            subscription.cell = subscription.radius_m = None  # the point was removed
        elif subscription.cell is not None:
            subscription.radius_m = _radius_check(data.radius_m)  # same point, another distance
        if subscription.cell is None and not areas:
            raise Refused(_("Choose a place: an address or a point on the map with a distance, or a neighborhood."))
        if areas and any(area.agency_id != subscription.agency_id for area in areas):
            raise Refused(_("Those areas belong to another police agency: subscribe to them separately."))
        subscription.areas.set(areas)
    subscription.topics = topics
    subscription.topic_mask = topic_mask(topics)
    subscription.language = _language_check(data.language)
    subscription.label = data.label.strip()[:120]
    subscription.quiet_start, subscription.quiet_end = _quiet_hours_check(data.quiet_start, data.quiet_end)
    subscription.time_zone = _time_zone_check(data.time_zone)
    subscription.save()
    secret, email_pending = _channels_apply(subscription=subscription, data=data)
    _status_refresh(subscription)
    return SubscriptionCreated(subscription=subscription, webhook_secret=secret, email_pending=email_pending)


@transaction.atomic
def subscription_links_rotate(*, subscription: Subscription) -> Subscription:
    """"Send me a new link": a new manage key revokes every link sent before (confirm, manage, unsubscribe);
    the new manage link is mailed to the confirmed email address, if there is one, and an address or number
    still waiting for confirmation gets a new confirmation link (its old one was revoked too)."""
    from safecommons.alerts import tasks

    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.manage_key = new_manage_key()
    subscription.save(update_fields=["manage_key", "updated_at"])
    email = subscription.channels.filter(channel=Channel.EMAIL, active=True, confirmed_at__isnull=False).first()
    if email is not None:
        enqueue_with_transaction(tasks.subscription_manage_link_email, email.pk)
    for waiting in subscription.channels.filter(channel__in=CONFIRMED_BY_LINK, active=True, confirmed_at__isnull=True):
        _confirmation_queue(waiting)
    return subscription


def subscription_manage_link_email_send(*, channel_id: int) -> bool:
    """Mail the current manage link to a confirmed email channel (after the old links were revoked)."""
    channel = SubscriptionChannel.objects.select_related("subscription__agency").filter(pk=channel_id).first()
    if channel is None or not channel.active or channel.confirmed_at is None:
        return False
    subscription = channel.subscription
    with translation.override(subscription.language):
        context = {"subscription": subscription, "agency": subscription.agency, "platform": settings.PLATFORM_NAME,
                   "manage_url": links.manage_url(subscription), "unsubscribe_url": links.unsubscribe_url(channel)}
        subject = _("Your new link to manage %(agency)s alerts") % {"agency": subscription.agency.name}
        text = render_to_string("alerts/email/confirm_new_link.txt", context)
    EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[channel.address],
                           headers={"Auto-Submitted": "auto-generated", "Content-Language": subscription.language,
                                    "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}).send()
    return True


def _last_alert_delivered(subscription: Subscription):
    """The alert an opt-out follows: the last message delivered, when that message was an alert (after a
    newsletter, the opt-out is not any alert's doing)."""
    delivery = (Delivery.objects.filter(target__subscription=subscription, status=Delivery.Status.DELIVERED)
                .order_by("-delivered_at", "-pk").select_related("alert").first())
    return delivery.alert if delivery is not None else None


@transaction.atomic
def subscription_unsubscribe(*, target: SubscriptionChannel | Subscription, one_click: bool) -> None:
    """End one channel (an unsubscribe link in a message) or the whole subscription. A subscription left
    with no active channel ends too. Records an OptOut with the last alert delivered to the subscription,
    the agency's fatigue signal. Unsubscribing what already ended does nothing."""
    if isinstance(target, SubscriptionChannel):
        channel = SubscriptionChannel.objects.select_for_update().select_related("subscription").get(pk=target.pk)
        subscription = channel.subscription
        if not channel.active or subscription.status == Subscription.Status.ENDED:
            return
        channel.active = False
        channel.ended_at = timezone.now()
        channel.save(update_fields=["active", "ended_at"])
        kind = channel.channel
        if not subscription.channels.filter(active=True).exists():
            _subscription_end(subscription)
    else:
        subscription = Subscription.objects.select_for_update().get(pk=target.pk)
        if subscription.status == Subscription.Status.ENDED:
            return
        _subscription_end(subscription)
        kind = ""
    OptOut.objects.create(agency_id=subscription.agency_id, subscription=subscription, channel=kind,
                          after_alert=_last_alert_delivered(subscription), one_click=one_click)


def subscription_end(*, actor: Actor | None, subscription: Subscription) -> None:
    """End a subscription from its manage page or the API (`actor` None: through its signed link)."""
    if actor is not None:
        require(actor, "subscription.manage", subscription)
    subscription_unsubscribe(target=subscription, one_click=False)


@transaction.atomic
def test_list_add(*, actor: Actor, agency: Organisation, email: str, language: str = "en",
                  label: str = "") -> Subscription:
    """Put an address on the agency's test list: a confirmed email subscription to every topic that drills
    and test alerts reach (and nothing else: the test list is only for those)."""
    require(actor, "alert.test_list", agency)
    address = _email_check(email)
    if SubscriptionChannel.objects.filter(subscription__agency=agency, subscription__test_list=True,
                                          subscription__status=Subscription.Status.ACTIVE,
                                          channel=Channel.EMAIL, address=address, active=True).exists():
        raise Refused(_("%(email)s is already on the test list.") % {"email": address})
    now = timezone.now()
    topics = [t.value for t in Topic]
    subscription = Subscription.objects.create(
        agency=agency, label=label.strip()[:120] or _("Test list"), language=_language_check(language),
        topics=topics, topic_mask=topic_mask(topics), test_list=True, status=Subscription.Status.ACTIVE,
        confirmed_at=now,
    )
    SubscriptionChannel.objects.create(subscription=subscription, channel=Channel.EMAIL, address=address,
                                       confirmed_at=now)
    return subscription


@transaction.atomic
def test_list_remove(*, actor: Actor, subscription: Subscription) -> None:
    """Take a subscription off the agency's test list (it ends: it existed only for drills)."""
    require(actor, "alert.test_list", subscription)
    if not subscription.test_list:
        raise Refused(_("That subscription is not on the test list."))
    if subscription.status != Subscription.Status.ENDED:
        _subscription_end(subscription)


def subscriptions_purge_pending(*, now=None) -> int:
    """Delete subscriptions never confirmed within 7 days of being made: nobody asked for them, or nobody
    wants them. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - PENDING_PURGE_AFTER
    # Never confirmed at all: one that was active and now waits for a changed address to be confirmed stays.
    _total, by_model = Subscription.objects.filter(status=Subscription.Status.PENDING, confirmed_at__isnull=True,
                                                   created_at__lt=cutoff, test_list=False).delete()
    return by_model.get("alerts.Subscription", 0)
