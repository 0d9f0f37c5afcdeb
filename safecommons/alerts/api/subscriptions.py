"""The alerts API: subscriptions (create like the page does; list, read, change and end one's own) and the
public VAPID key browsers need to subscribe to web push."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status

from safecommons.alerts import links, push_keys
from safecommons.alerts.models import Channel, Subscription
from safecommons.alerts.selectors import subscriptions as selectors
from safecommons.alerts.services import subscriptions as services
from safecommons.core.api import (
    OPTIONAL_DOC,
    PUBLIC_DOC,
    SESSION_ONLY,
    SignedInSession,
    anonymous,
    request_actor,
)
from safecommons.partners.models import Organisation
from safecommons.tips import throttle

router = Router(tags=["alerts"])

class SessionWhenPresent(SignedInSession):
    """A request without a session cookie is nobody's: it skips the CSRF check, which protects cookies, and
    falls through to anonymous. A request with one is checked as every session request is."""

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)


# People subscribe, signed in or not; an organisation's API key does not (webhooks are set up by its admins).
SESSION_OR_ANONYMOUS = [SessionWhenPresent(), anonymous]


class PushIn(Schema):
    endpoint: str
    keys: dict[str, str]


class SubscriptionIn(Schema):
    topics: list[str]
    language: str = "en"
    label: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    radius_m: int | None = None
    areas: list[int] = []
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    push: PushIn | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str = ""
    organisation: int | None = None


class SubscriptionPatch(Schema):
    topics: list[str] | None = None
    language: str | None = None
    label: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    radius_m: int | None = None
    remove_point: bool = False
    areas: list[int] | None = None
    email: str | None = None
    phone: str | None = None
    webhook_url: str | None = None
    push: PushIn | None = None
    remove_push: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    time_zone: str | None = None


class ChannelOut(Schema):
    channel: str
    address: str
    confirmed: bool


class SubscriptionOut(Schema):
    id: int
    status: str
    label: str
    agency: str
    organisation: str | None
    language: str
    topics: list[str]
    has_point: bool
    radius_m: int | None
    areas: list[int]
    channels: list[ChannelOut]
    quiet_start: time | None
    quiet_end: time | None
    time_zone: str
    test_list: bool


class CreatedOut(SubscriptionOut):
    email_pending: bool
    webhook_secret: str = ""
    manage_url: str = ""


class PushKeyOut(Schema):
    public_key: str


def _out(subscription: Subscription) -> dict:
    return {
        "id": subscription.pk, "status": subscription.status, "label": subscription.label,
        "agency": subscription.agency.name,
        "organisation": subscription.organisation.name if subscription.organisation_id else None,
        "language": subscription.language, "topics": subscription.topics, "has_point": subscription.cell is not None,
        "radius_m": subscription.radius_m, "areas": sorted(a.pk for a in subscription.areas.all()),
        "channels": [{"channel": c.channel, "address": "" if c.channel == Channel.WEB_PUSH else c.address,
                      "confirmed": c.confirmed_at is not None}
                     for c in subscription.channels.all() if c.active],
        "quiet_start": subscription.quiet_start, "quiet_end": subscription.quiet_end,
        "time_zone": subscription.time_zone, "test_list": subscription.test_list,
    }


def _point(lat: float | None, lon: float | None, address: str | None) -> tuple[float | None, float | None]:
    """Coordinates from the body, or from an address looked up in the local gazetteer (never kept)."""
    from safecommons.core.errors import Refused
    from safecommons.places import selectors as place_selectors

    if address:
        located, _suggestions = place_selectors.address_locate(text=address, suggest=False)
        if located is None:
            raise Refused("address not found")
        return located.latitude, located.longitude
    return lat, lon


def _push(push: PushIn | None) -> services.PushSubscriptionData | None:
    if push is None:
        return None
    return services.PushSubscriptionData(endpoint=push.endpoint, p256dh=push.keys.get("p256dh", ""),
                                         auth=push.keys.get("auth", ""))


@router.post("/subscriptions", response={201: CreatedOut}, auth=SESSION_OR_ANONYMOUS, openapi_extra=OPTIONAL_DOC)
def subscription_create(request: HttpRequest, payload: SubscriptionIn):
    """Subscribe. Signed in, the subscription is yours (or, with `organisation`, that partner's, which alone
    may have a webhook). Email addresses get a confirmation link first. The address is used only to find
    its map cell and is not kept."""
    actor = request_actor(request)
    lat, lon = _point(payload.lat, payload.lon, payload.address)
    organisation = Organisation.objects.get(pk=payload.organisation) if payload.organisation else None
    user = request.user if actor.user_id is not None and organisation is None else None
    data = services.SubscriptionInput(
        topics=payload.topics, language=payload.language, label=payload.label, latitude=lat, longitude=lon,
        radius_m=payload.radius_m, area_ids=payload.areas, email=payload.email or None, phone=payload.phone or None,
        webhook_url=payload.webhook_url or None, push=_push(payload.push), quiet_start=payload.quiet_start,
        quiet_end=payload.quiet_end, time_zone=payload.time_zone)
    created = services.subscription_create(actor=actor, organisation=organisation, user=user, data=data,
                                           client_key=throttle.client_key(request))
    subscription = created.subscription
    has_email = subscription.channels.filter(channel=Channel.EMAIL, active=True).exists()
    # Without an email address or an account, this answer is the only way to get the manage link.
    show_link = not has_email and subscription.user_id is None and subscription.organisation_id is None
    return Status(201, {**_out(subscription), "email_pending": created.email_pending,
                        "webhook_secret": created.webhook_secret,
                        "manage_url": links.manage_url(subscription) if show_link else ""})


@router.get("/subscriptions", response=list[SubscriptionOut], auth=SESSION_ONLY)
def subscriptions_mine(request: HttpRequest):
    """Your subscriptions and those of the organisations you manage."""
    return [_out(s) for s in selectors.subscriptions_of(actor=request_actor(request))]


@router.get("/subscriptions/{subscription_id}", response=SubscriptionOut, auth=SESSION_ONLY)
def subscription_read(request: HttpRequest, subscription_id: int):
    return _out(selectors.subscription_get(actor=request_actor(request), subscription_id=subscription_id))


@router.patch("/subscriptions/{subscription_id}", response=SubscriptionOut, auth=SESSION_ONLY)
def subscription_change(request: HttpRequest, subscription_id: int, payload: SubscriptionPatch):
    """Change what is given; leave out what stays. An empty string removes a channel."""
    subscription = selectors.subscription_get(actor=request_actor(request), subscription_id=subscription_id)
    lat, lon = _point(payload.lat, payload.lon, payload.address)
    point = lat is not None and lon is not None
    place_given = point or payload.remove_point or payload.areas is not None or payload.radius_m is not None
    radius = None if payload.remove_point else (payload.radius_m or subscription.radius_m)
    data = services.SubscriptionInput(
        topics=payload.topics if payload.topics is not None else subscription.topics,
        language=payload.language or subscription.language,
        label=payload.label if payload.label is not None else subscription.label,
        latitude=lat if point else None, longitude=lon if point else None, radius_m=radius,
        area_ids=payload.areas if payload.areas is not None else [a.pk for a in subscription.areas.all()],
        email=payload.email, phone=payload.phone, webhook_url=payload.webhook_url, push=_push(payload.push),
        remove_push=payload.remove_push,
        quiet_start=payload.quiet_start if "quiet_start" in payload.model_fields_set else subscription.quiet_start,
        quiet_end=payload.quiet_end if "quiet_end" in payload.model_fields_set else subscription.quiet_end,
        time_zone=payload.time_zone or subscription.time_zone, place_given=place_given,
    )
    updated = services.subscription_update(subscription=subscription, data=data)
    return _out(Subscription.objects.select_related("agency", "organisation").get(pk=updated.subscription.pk))


@router.delete("/subscriptions/{subscription_id}", response={204: None}, auth=SESSION_ONLY)
def subscription_delete(request: HttpRequest, subscription_id: int):
    """End the subscription (it is kept, ended, for the agency's opt-out figures)."""
    actor = request_actor(request)
    subscription = selectors.subscription_get(actor=actor, subscription_id=subscription_id)
    services.subscription_end(actor=actor, subscription=subscription)
    return Status(204, None)


@router.get("/push-key", response=PushKeyOut, auth=None, openapi_extra=PUBLIC_DOC)
def push_key(request: HttpRequest):
    """The VAPID public key (base64url), the `applicationServerKey` a browser subscribes with."""
    return {"public_key": push_keys.vapid_public_key()}
