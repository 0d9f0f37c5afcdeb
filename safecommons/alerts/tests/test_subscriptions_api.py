"""The subscriptions API and the VAPID keys: create (anyone), list/read/change/end one's own only."""

import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from py_vapid import Vapid02

from safecommons.alerts import push_keys
from safecommons.alerts.models import Channel, Subscription, Topic
from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory, cell_at
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/alerts/subscriptions"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def fresh_keys(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.VAPID_PRIVATE_KEY = ""
    push_keys.forget()
    yield tmp_path
    push_keys.forget()


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_anyone_subscribes_through_the_api_with_push_and_gets_the_manage_link(agency):
    push = {"endpoint": "https://push.example/x", "keys": {"p256dh": "k", "auth": "a"}}
    response = post(Client(), URL, {"topics": [Topic.CRIME], "lat": 44.905, "lon": -93.295, "radius_m": 1000,
                                    "push": push})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["has_point"] is True and body["manage_url"]
    assert "lat" not in body and "cell" not in body
    assert Subscription.objects.get().cell == cell_at(44.905, -93.295)


def test_an_email_subscription_through_the_api_gives_no_manage_link(agency, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(Client(), URL, {"topics": [Topic.CRIME], "lat": 44.905, "lon": -93.295, "radius_m": 500,
                                        "email": "ana@mail.example"})
    assert response.status_code == 201
    assert response.json()["email_pending"] is True and response.json()["manage_url"] == ""
    assert len(mailoutbox) == 1


def test_bad_input_gets_a_clear_400(agency):
    response = post(Client(), URL, {"topics": ["gossip"], "lat": 44.9, "lon": -93.3, "radius_m": 500,
                                    "email": "a@mail.example"})
    assert response.status_code == 400 and "gossip" in response.json()["detail"]
    response = post(Client(), URL, {"topics": ["crime"], "address": "1 Nowhere Rd", "radius_m": 500,
                                    "email": "a@mail.example"})
    assert response.status_code == 400


def test_a_person_lists_reads_changes_and_ends_only_their_own(client_for, people, agency):
    mine = SubscriptionFactory(agency=agency, user=people[Role.RESIDENT])
    ChannelFactory(subscription=mine, address="res@mail.example")
    theirs = SubscriptionFactory(agency=agency, user=people[Role.OFFICER])
    client = client_for(people[Role.RESIDENT])

    assert [s["id"] for s in client.get(URL).json()] == [mine.pk]
    assert client.get(f"{URL}/{mine.pk}").json()["channels"] == [
        {"channel": Channel.EMAIL, "address": "res@mail.example", "confirmed": True}]
    changed = client.patch(f"{URL}/{mine.pk}", json.dumps({"topics": ["traffic"], "radius_m": 2000,
                                                           "quiet_start": "22:00", "quiet_end": "06:30"}),
                           content_type="application/json")
    assert changed.status_code == 200, changed.content
    mine.refresh_from_db()
    assert mine.topics == ["traffic"] and mine.radius_m == 2000 and str(mine.quiet_end) == "06:30:00"

    assert client.get(f"{URL}/{theirs.pk}").status_code == 404
    assert client.patch(f"{URL}/{theirs.pk}", "{}", content_type="application/json").status_code == 404
    assert client.delete(f"{URL}/{theirs.pk}").status_code == 404
    assert client.delete(f"{URL}/{mine.pk}").status_code == 204
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Subscription.Status.ENDED and theirs.status == Subscription.Status.ACTIVE


def test_listing_needs_signing_in():
    assert Client().get(URL).status_code == 401
    assert Client().delete(f"{URL}/1").status_code == 401


def test_the_push_key_is_public_and_matches_the_private_key(fresh_keys):
    response = Client().get("/api/alerts/push-key")
    assert response.status_code == 200
    public = response.json()["public_key"]
    raw = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    vapid = Vapid02.from_string(push_keys.vapid_private_key())
    assert isinstance(vapid.private_key, ec.EllipticCurvePrivateKey)
    derived = vapid.public_key.public_numbers()
    assert derived.x.to_bytes(32, "big") + derived.y.to_bytes(32, "big") == raw[1:]


def test_a_generated_key_is_kept_private_on_disk_and_reused(fresh_keys):
    first = push_keys.vapid_public_key()
    key_file = fresh_keys / "vapid_private_key.pem"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    push_keys.forget()
    assert push_keys.vapid_public_key() == first


def test_a_configured_key_is_used_as_given(settings, fresh_keys):
    vapid = Vapid02()
    vapid.generate_keys()
    settings.VAPID_PRIVATE_KEY = vapid.private_pem().decode()
    push_keys.forget()
    assert Vapid02.from_string(push_keys.vapid_private_key()).private_key.private_numbers() == (
        vapid.private_key.private_numbers())
    assert not (fresh_keys / "vapid_private_key.pem").exists()


def test_a_client_without_a_session_subscribes_with_csrf_checks_on_and_a_session_still_needs_its_token(
        agency, client_for, people):
    body = {"topics": [Topic.CRIME], "lat": 44.905, "lon": -93.295, "radius_m": 1000, "email": "app@mail.example"}
    assert post(Client(enforce_csrf_checks=True), URL, body).status_code == 201
    signed_in = client_for(people[Role.RESIDENT])
    signed_in.handler.enforce_csrf_checks = True
    assert post(signed_in, URL, {**body, "email": "forged@mail.example"}).status_code == 403
    assert not Subscription.objects.filter(channels__address="forged@mail.example").exists()
