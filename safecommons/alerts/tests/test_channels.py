"""The channels against real local servers: a webhook receiver, an SMS gateway and a push service, each an
http.server on a thread of the test."""

import base64
import hashlib
import hmac
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from safecommons.alerts import push_keys
from safecommons.alerts.messages import alert_message
from safecommons.alerts.models import Alert, Channel, Delivery, SubscriptionChannel
from safecommons.alerts.services.outbox import alert_fanout_run, delivery_send_batch_run
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint that answers each POST with the next status of `statuses` (then 201), with a
    Location header when `location` is given."""

    def __init__(self, statuses=(), location=None):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 201
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(), location=None):
        made.append(Receiver(statuses, location))
        return made[-1]

    yield make
    for one in made:
        one.close()


def published(agency, **kwargs) -> Alert:
    return AlertFactory(agency=agency, state=Alert.State.PUBLISHED, sent_at=timezone.now(), **kwargs)


def send_all(alert):
    return delivery_send_batch_run(delivery_ids=list(Delivery.objects.filter(alert=alert).values_list("id", flat=True)))


def test_the_short_text_fits_280_characters_with_the_link(agency):
    alert = published(agency)
    info = alert.infos.get()
    info.headline = "x" * 160
    info.save()
    message = alert_message(alert, "en")
    assert len(message.short) <= 280
    assert message.short.endswith(f"/alerts/{alert.identifier}/")
    assert message.url.startswith("http")
    drill = alert_message(published(agency, cap_status=Alert.CapStatus.TEST), "en")
    assert drill.short.startswith("TEST — ") and drill.subject.startswith("TEST — ")


def test_a_webhook_is_signed_and_tried_again_after_a_500(agency, receiver, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    hook = receiver([500])
    target = ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.WEBHOOK,
                            address=hook.url, secret="s3cret", confirmed_at=None)
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["retrying"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and "500" in delivery.last_error
    time_machine.shift(timedelta(seconds=40))
    assert send_all(alert).as_dict()["delivered"] == 1
    assert len(hook.requests) == 2
    headers, body = hook.requests[-1]
    assert headers["x-safecommons-signature"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-safecommons-delivery"] == str(delivery.pk)
    assert hook.requests[0][0]["x-safecommons-delivery"] == str(delivery.pk)  # the same key on each attempt
    payload = json.loads(body)
    assert payload["identifier"] == alert.identifier
    assert payload["headline"] == "Garage break-ins near Oak Street"
    assert payload["severity"] == alert.severity and payload["msg_type"] == "Alert"
    assert payload["cap_url"].endswith(f"{alert.identifier}.xml")
    assert len(payload["short_text"]) <= 280
    assert target.pk == delivery.target_id


def test_the_http_sms_gateway_gets_the_short_text_with_a_bearer_token(agency, receiver, settings):
    gateway = receiver()
    settings.SMS_BACKEND, settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN = "http", gateway.url, "tok-123"
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.SMS, address="+15550100")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["delivered"] == 1
    [(headers, body)] = gateway.requests
    assert headers["authorization"] == "Bearer tok-123"
    assert headers["idempotency-key"] == f"delivery-{Delivery.objects.get().pk}"
    sent = json.loads(body)
    assert sent["to"] == "+15550100"
    assert sent["text"] == alert_message(alert, "en").short


def test_a_failing_sms_gateway_is_tried_again(agency, receiver, settings):
    settings.SMS_BACKEND, settings.SMS_HTTP_URL = "http", receiver([503]).url
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.SMS, address="+15550100")
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["retrying"] == 1
    assert "503" in Delivery.objects.get().last_error


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def vapid(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()).decode()
    push_keys.forget()
    yield
    push_keys.forget()


def browser_keys():
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    return key, auth, {"p256dh": b64url(public), "auth": b64url(auth)}


def test_a_push_is_encrypted_for_the_browser_and_signed_with_vapid(agency, receiver, vapid):
    push_service = receiver()
    key, auth, keys = browser_keys()
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.WEB_PUSH,
                   address=push_service.url, push_keys=keys, confirmed_at=None)
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["delivered"] == 1
    [(headers, body)] = push_service.requests
    assert headers["authorization"].startswith("vapid t=")
    assert headers["content-encoding"] == "aes128gcm"
    assert b"Garage" not in body
    payload = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))
    message = alert_message(alert, "en")
    assert payload == {"title": message.subject, "body": message.short, "url": message.url}


def test_a_gone_push_subscription_switches_the_channel_off(agency, receiver, vapid):
    push_service = receiver([410])
    target = ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.WEB_PUSH,
                            address=push_service.url, push_keys=browser_keys()[2], confirmed_at=None)
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["skipped"] == 1
    assert not SubscriptionChannel.objects.get(pk=target.pk).active
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED


@pytest.mark.parametrize("kind", [Channel.WEBHOOK, Channel.WEB_PUSH])
def test_a_webhook_or_push_address_on_our_own_network_is_never_called(agency, receiver, settings, kind):
    settings.ALERT_PRIVATE_DESTINATIONS = False
    internal = receiver()
    target = ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=kind, address=internal.url,
                            secret="s3cret", push_keys={"p256dh": "x", "auth": "y"}, confirmed_at=None)
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    send_all(alert)
    assert internal.requests == []
    target.refresh_from_db()
    assert not target.active  # switched off: the address will not become public by waiting
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED


def test_a_push_service_redirect_is_not_followed(agency, receiver, vapid):
    # The first address passes the destination check (private ones allowed here); the one it redirects to
    # is never checked, so it must never be called.
    internal = receiver()
    push_service = receiver([307], location=internal.url)
    ChannelFactory(subscription=SubscriptionFactory(agency=agency), channel=Channel.WEB_PUSH,
                   address=push_service.url, push_keys=browser_keys()[2], confirmed_at=None)
    alert = published(agency)
    alert_fanout_run(alert_id=alert.pk)
    assert send_all(alert).as_dict()["retrying"] == 1
    assert len(push_service.requests) == 1
    assert internal.requests == []
    assert "redirect" in Delivery.objects.get().last_error
