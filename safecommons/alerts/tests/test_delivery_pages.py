"""The staff pages and API of delivery: the per-channel report, the fatigue signal, and who is refused."""

import pytest
from django.urls import reverse
from django.utils import timezone

from safecommons.alerts.models import Alert, Channel, Delivery, OptOut, Topic
from safecommons.alerts.tests.access_delivery import AGENCY_STAFF
from safecommons.alerts.tests.factories import AlertFactory, ChannelFactory, SubscriptionFactory
from safecommons.core.roles import Role
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def published(agency, **kwargs) -> Alert:
    return AlertFactory(agency=agency, state=Alert.State.PUBLISHED, sent_at=timezone.now(),
                        fanout=Alert.Fanout.DONE, **kwargs)


def deliveries(alert, statuses, channel=Channel.EMAIL):
    for status in statuses:
        target = ChannelFactory(subscription=SubscriptionFactory(agency=alert.agency), channel=channel)
        Delivery.objects.create(alert=alert, target=target, channel=channel, status=status,
                                attempts=0 if status == Delivery.Status.PENDING else 1)


@pytest.fixture
def sent(agency):
    alert = published(agency, matched=6)
    S = Delivery.Status
    deliveries(alert, [S.DELIVERED, S.DELIVERED, S.FAILED, S.PENDING, S.SKIPPED])
    deliveries(alert, [S.DELIVERED], channel=Channel.SMS)
    OptOut.objects.create(agency=agency, channel=Channel.EMAIL, after_alert=alert, one_click=True)
    OptOut.objects.create(agency=agency, channel="", after_alert=alert)
    return alert


def test_the_report_counts_each_channel_and_the_opt_outs(client_for, people, sent):
    body = client_for(people[Role.OFFICER]).get(f"/api/alerts/staff/alerts/{sent.pk}/delivery").json()
    email = next(c for c in body["channels"] if c["channel"] == "email")
    assert email == {"channel": "email", "queued": 5, "attempted": 4, "delivered": 2, "failed": 1, "pending": 1,
                     "skipped": 1, "opt_outs": 1}
    assert body["total"]["delivered"] == 3 and body["total"]["queued"] == 6
    assert (body["matched"], body["opt_outs_whole"], body["done"]) == (6, 1, False)


def test_the_delivery_page_shows_the_numbers_and_a_refreshing_status_line(client_for, people, sent):
    response = client_for(people[Role.ANALYST]).get(reverse("alerts:alert_delivery", args=[sent.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="status"' in page and "data-polling" in page
    assert reverse("api:alert_delivery_report", args=[sent.pk]) in page
    assert '<td data-field="delivered">2</td>' in page
    assert "alerts/delivery_status.js" in page


def test_the_fatigue_page_gives_opt_outs_per_thousand_deliveries_per_topic(client_for, people, agency, sent):
    traffic = published(agency, topic=Topic.TRAFFIC)
    deliveries(traffic, [Delivery.Status.DELIVERED] * 4)
    AlertFactory(agency=agency, state=Alert.State.PUBLISHED, cap_status=Alert.CapStatus.EXERCISE)  # a drill: left out
    body = client_for(people[Role.SUPERVISOR]).get("/api/alerts/staff/fatigue").json()
    assert [row["identifier"] for row in body["alerts"]] == [traffic.identifier, sent.identifier]
    crime = next(row for row in body["alerts"] if row["identifier"] == sent.identifier)
    assert (crime["delivered"], crime["opt_outs"], crime["per_thousand"]) == (3, 2, 666.7)
    assert {t["topic"]: t["per_thousand"] for t in body["topics"]} == {"crime": 666.7, "traffic": 0.0}
    page = client_for(people[Role.SUPERVISOR]).get(reverse("alerts:alert_fatigue")).content.decode()
    assert "666.7" in page and reverse("alerts:alert_delivery", args=[sent.pk]) in page


@pytest.mark.parametrize("who", [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.OVERSIGHT])
def test_people_outside_the_agency_are_refused(client_for, people, who, sent):
    assert who not in AGENCY_STAFF
    client = client_for(people[who])
    assert client.get(reverse("alerts:alert_delivery", args=[sent.pk])).status_code == 403
    assert client.get(reverse("alerts:alert_fatigue")).status_code == 403
    assert client.get(f"/api/alerts/staff/alerts/{sent.pk}/delivery").status_code == 403
    assert client.get("/api/alerts/staff/fatigue").status_code == 403


def test_staff_of_another_agency_are_refused_the_report(client_for, people, sent):
    other = published(OrganisationFactory(kind="agency"))
    client = client_for(people[Role.AGENCY_ADMIN])
    assert client.get(reverse("alerts:alert_delivery", args=[other.pk])).status_code == 403
    assert client.get(f"/api/alerts/staff/alerts/{other.pk}/delivery").status_code == 403
    assert client.get(f"/api/alerts/staff/alerts/{sent.pk}/delivery").status_code == 200


def test_nobody_signed_in_is_sent_to_sign_in_or_refused(client, sent):
    page = client.get(reverse("alerts:alert_delivery", args=[sent.pk]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:sign_in"))
    assert client.get(reverse("alerts:alert_fatigue")).status_code == 302
    assert client.get(f"/api/alerts/staff/alerts/{sent.pk}/delivery").status_code == 401
    assert client.get("/api/alerts/staff/fatigue").status_code == 401


def test_an_unknown_alert_is_not_found(client_for, people):
    assert client_for(people[Role.OFFICER]).get("/api/alerts/staff/alerts/999999/delivery").status_code == 404


def test_the_delivery_page_says_why_deliveries_failed_or_wait(client_for, people, sent):
    Delivery.objects.filter(alert=sent, status=Delivery.Status.FAILED).update(last_error="webhook answered 500")
    page = client_for(people[Role.OFFICER]).get(reverse("alerts:alert_delivery", args=[sent.pk])).content.decode()
    assert 'id="delivery-problems"' in page and "webhook answered 500" in page
