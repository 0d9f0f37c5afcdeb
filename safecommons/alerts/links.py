"""Signed links a subscriber uses without an account: confirm an email address, manage a subscription,
unsubscribe in one click. Each signature covers the subscription's `manage_key`, so rotating that key
revokes every link sent before; none expires on its own (an unsubscribe link must work years later)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse

from safecommons.alerts.models import Subscription, SubscriptionChannel

_SALT = "safecommons.alerts.links"


class BadLink(Exception):
    """The link was altered, or belongs to a subscription whose links were revoked or that no longer exists."""


def _address_mark(channel: SubscriptionChannel | None) -> str:
    """A confirmation link is for one address: after the address changes, a link sent to the old one must
    not confirm the new one (someone could otherwise confirm a stranger's address with their own link)."""
    if channel is None:
        return ""
    return hashlib.sha256(f"{channel.channel}:{channel.address}".encode()).hexdigest()[:16]


def _sign(kind: str, subscription: Subscription, channel: SubscriptionChannel | None = None) -> str:
    payload = [kind, subscription.pk, channel.pk if channel else 0, subscription.manage_key[:12],
               _address_mark(channel) if kind == "confirm" else ""]
    return signing.dumps(payload, salt=_SALT, compress=True)


def _unsign(kind: str, token: str) -> tuple[Subscription, SubscriptionChannel | None]:
    try:
        found_kind, subscription_id, channel_id, key, address_mark = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadLink from None
    if found_kind != kind:
        raise BadLink
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.manage_key[:12] != key:
        raise BadLink
    channel = None
    if channel_id:
        channel = subscription.channels.filter(pk=channel_id).first()
        if channel is None:
            raise BadLink
    if kind == "confirm" and address_mark != _address_mark(channel):
        raise BadLink
    return subscription, channel


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(target: SubscriptionChannel) -> str:
    """The double opt-in link mailed to a new email address."""
    return absolute(reverse("alerts:confirm", args=[_sign("confirm", target.subscription, target)]))


def manage_url(subscription: Subscription) -> str:
    """Change places, topics, channels, language and quiet hours, or end the subscription."""
    return absolute(reverse("alerts:manage", args=[_sign("manage", subscription)]))


def unsubscribe_url(target: SubscriptionChannel) -> str:
    """List-Unsubscribe target: GET asks to confirm, POST (RFC 8058 one-click) unsubscribes at once."""
    return absolute(reverse("alerts:unsubscribe", args=[_sign("unsubscribe", target.subscription, target)]))


def confirm_target(token: str) -> SubscriptionChannel:
    subscription, channel = _unsign("confirm", token)
    if channel is None:
        raise BadLink
    return channel


def manage_target(token: str) -> Subscription:
    return _unsign("manage", token)[0]


def unsubscribe_target(token: str) -> SubscriptionChannel:
    subscription, channel = _unsign("unsubscribe", token)
    if channel is None:
        raise BadLink
    return channel
