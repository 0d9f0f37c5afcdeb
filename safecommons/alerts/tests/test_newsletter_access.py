"""Who may prepare, preview and approve newsletters, manage safety tips and read the archive: every page and
API operation tried by every role and by nobody (as the access matrix does), another agency's staff refused,
drafts never public, and approval sending the issue through the outbox."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.alerts.models import Delivery, Newsletter, SafetyTip, Topic, topic_mask
from safecommons.alerts.selectors.newsletters import last_ended_start
from safecommons.alerts.services.newsletters import newsletter_approve, newsletter_prepare
from safecommons.alerts.services.outbox import newsletter_fanout_run
from safecommons.alerts.tests.access_newsletters import ACCESS, ANONYMOUS
from safecommons.alerts.tests.factories import ChannelFactory, SubscriptionFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.tests.factories import OrganisationFactory
from safecommons.places.tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

EVERYONE = [*Role, ANONYMOUS]
SUCCESS = {
    "POST /alerts/staff/newsletters/": 302,
    "POST /alerts/staff/newsletters/<int:newsletter_id>/approve/": 302,
    "POST /alerts/staff/safety-tips/": 302,
    "POST /alerts/staff/safety-tips/<int:tip_id>/": 302,
    "POST /api/alerts/staff/newsletters": 201,
}


@pytest.fixture
def world(agency, people):
    area = AreaFactory(agency=agency, name="Oak Hill")
    liaison = actor_for_user(people[Role.LIAISON])
    week = last_ended_start(period="weekly", today=timezone.localdate())
    draft = newsletter_prepare(actor=liaison, area=area, period="weekly", period_start=week)
    sent = newsletter_prepare(actor=liaison, area=area, period="weekly", period_start=week - timedelta(days=7))
    Newsletter.objects.filter(pk=sent.pk).update(state=Newsletter.State.SENT, sent_at=timezone.now())
    tip = SafetyTip.objects.create(agency=agency, title="Lock your car", body="Always.")
    return {"area": area, "draft": draft, "sent": sent, "tip": tip, "week": week}


def client_of(who, people, client_for) -> Client:
    return Client() if who == ANONYMOUS else client_for(people[who])


def request(client: Client, endpoint: str, world) -> object:
    method, route = endpoint.split(" ", 1)
    path = (route.replace("<int:newsletter_id>", str(world["draft"].pk)).replace("{newsletter_id}",
                                                                                 str(world["draft"].pk))
            .replace("<int:tip_id>", str(world["tip"].pk)))
    if "/newsletters/" in path and route.endswith(("newsletters/<int:newsletter_id>/", "newsletters/{newsletter_id}")) \
            and "/staff/" not in path:
        path = path.replace(str(world["draft"].pk), str(world["sent"].pk))  # the public read a sent issue
    if method == "GET":
        return client.get(path)
    if endpoint == "POST /api/alerts/staff/newsletters":
        body = {"area_id": world["area"].pk, "period": "weekly", "period_start": world["week"].isoformat()}
        return client.post(path, json.dumps(body), content_type="application/json")
    if path.startswith("/api/"):
        return client.post(path, "{}", content_type="application/json")
    if endpoint == "POST /alerts/staff/newsletters/":
        data = {"area": world["area"].pk, "period": "weekly", "period_start": world["week"].isoformat()}
    else:
        data = {"language": "en", "title": "Light your porch", "body": "At night.", "active": "on"}
    return client.post(path, data)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_each_endpoint_answers_only_those_allowed(world, people, client_for, endpoint, who):
    response = request(client_of(who, people, client_for), endpoint, world)
    if who in ACCESS[endpoint]:
        expected = SUCCESS.get(endpoint, 200)
    elif who == ANONYMOUS:
        expected = 401 if " /api/" in endpoint else 302
    else:
        expected = 403
    assert response.status_code == expected, (endpoint, who, response.content[:300])
    if who == ANONYMOUS and expected == 302 and who not in ACCESS[endpoint]:
        assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.fixture
def other_liaison(db):
    other = OrganisationFactory(kind="agency", name="Elsewhere Police")
    return MembershipFactory(organisation=other, role=Role.LIAISON).user


def test_another_agencys_liaison_can_neither_see_nor_approve_nor_prepare_ours(world, other_liaison, client_for):
    client = client_for(other_liaison)
    assert client.get(reverse("alerts:staff_newsletter", args=[world["draft"].pk])).status_code == 403
    assert client.post(reverse("alerts:staff_newsletter_approve", args=[world["draft"].pk])).status_code == 403
    listing = client.get(reverse("alerts:staff_newsletters"))
    assert listing.status_code == 200 and "Oak Hill" not in listing.content.decode()
    refused = client.post(reverse("alerts:staff_newsletters"), {"area": world["area"].pk, "period": "weekly",
                                                                "period_start": world["week"].isoformat()})
    assert refused.status_code == 400 and "Choose a neighborhood from the list" in refused.content.decode()
    assert client.get(reverse("alerts:staff_safety_tip", args=[world["tip"].pk])).status_code == 403
    api = client.post(f"/api/alerts/staff/newsletters/{world['draft'].pk}/approve", "{}",
                      content_type="application/json")
    assert api.status_code == 403
    with pytest.raises(Exception, match="newsletter"):
        newsletter_prepare(actor=actor_for_user(other_liaison), area=world["area"], period="weekly",
                           period_start=world["week"])
    assert Newsletter.objects.get(pk=world["draft"].pk).state == Newsletter.State.DRAFT


def test_drafts_and_approved_issues_are_never_on_the_public_archive(world, client):
    page = client.get(reverse("alerts:newsletter_archive")).content.decode()
    assert reverse("alerts:newsletter_issue", args=[world["sent"].pk]) in page
    assert reverse("alerts:newsletter_issue", args=[world["draft"].pk]) not in page
    assert client.get(reverse("alerts:newsletter_issue", args=[world["draft"].pk])).status_code == 404
    assert client.get(f"/api/alerts/newsletters/{world['draft'].pk}").status_code == 404
    assert [row["id"] for row in client.get("/api/alerts/newsletters").json()] == [world["sent"].pk]
    Newsletter.objects.filter(pk=world["draft"].pk).update(state=Newsletter.State.APPROVED)
    assert client.get(reverse("alerts:newsletter_issue", args=[world["draft"].pk])).status_code == 404


def test_approval_queues_the_fan_out_and_the_fan_out_reaches_the_neighborhoods_subscribers(world, agency, people):
    inside = SubscriptionFactory(agency=agency, topics=[Topic.NEWSLETTER.value],
                                 topic_mask=topic_mask([Topic.NEWSLETTER.value]), cell=None, radius_m=None)
    inside.areas.add(world["area"])
    ChannelFactory(subscription=inside, address="reader@mail.example")
    crime_only = SubscriptionFactory(agency=agency, cell=None, radius_m=None)
    crime_only.areas.add(world["area"])
    ChannelFactory(subscription=crime_only, address="crime@mail.example")
    approver = actor_for_user(people[Role.SUPERVISOR])
    issue = newsletter_approve(actor=approver, newsletter=world["draft"])
    assert issue.state == Newsletter.State.APPROVED and issue.approved_by_id == people[Role.SUPERVISOR].pk
    assert AuditEntry.objects.filter(action="newsletter.approve", object_id=str(issue.pk)).exists()
    newsletter_fanout_run(newsletter_id=issue.pk)
    issue.refresh_from_db()
    assert issue.state == Newsletter.State.SENT and issue.sent_at is not None
    assert list(Delivery.objects.filter(newsletter=issue).values_list("target__address", flat=True)) == [
        "reader@mail.example"]
    with pytest.raises(Refused, match="Only a draft"):
        newsletter_approve(actor=approver, newsletter=issue)


def test_an_analyst_prepares_but_cannot_approve_and_an_officer_cannot_prepare(world, people):
    analyst = actor_for_user(people[Role.ANALYST])
    newsletter_prepare(actor=analyst, area=world["area"], period="weekly", period_start=world["week"])
    with pytest.raises(Exception, match="newsletter.approve"):
        newsletter_approve(actor=analyst, newsletter=world["draft"])
    with pytest.raises(Exception, match="newsletter.prepare"):
        newsletter_prepare(actor=actor_for_user(people[Role.OFFICER]), area=world["area"], period="weekly",
                           period_start=world["week"])


def test_the_preview_shows_html_text_and_short_forms_in_the_language_asked_for(world, people, client_for):
    client = client_for(people[Role.LIAISON])
    english = client.get(reverse("alerts:staff_newsletter", args=[world["draft"].pk])).content.decode()
    assert "As plain text" in english and "Approve and send" in english and "Oak Hill" in english
    spanish = client.get(reverse("alerts:staff_newsletter", args=[world["draft"].pk]) + "?language=es")
    assert spanish.status_code == 200
    analyst_view = client_for(people[Role.ANALYST]).get(reverse("alerts:staff_newsletter",
                                                                args=[world["draft"].pk])).content.decode()
    assert "Approve and send" not in analyst_view


def test_bad_prepare_input_gets_a_clear_message(world, people, client_for):
    client = client_for(people[Role.LIAISON])
    for data, message in [({"area": "x", "period": "weekly", "period_start": "2026-01-05"}, "Choose a neighborhood"),
                          ({"area": world["area"].pk, "period": "weekly", "period_start": "5 Jan"}, "YYYY-MM-DD"),
                          ({"area": world["area"].pk, "period": "weekly",
                            "period_start": (world["week"] + timedelta(days=1)).isoformat()}, "Monday")]:
        response = client.post(reverse("alerts:staff_newsletters"), data)
        assert response.status_code == 400 and message in response.content.decode()
    api = client.post("/api/alerts/staff/newsletters", json.dumps({"area_id": world["area"].pk, "period": "monthly",
                                                                   "period_start": "2026-01-02"}),
                      content_type="application/json")
    assert api.status_code == 400 and "first day of a month" in api.json()["detail"]
