"""Who may use each tip endpoint, tried by every role and by nobody (the table is core's ACCESS)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.core.tests.test_access_matrix import ACCESS, ANONYMOUS, EVERYONE, assert_access, call, client_of
from safecommons.partners.models import Scope
from safecommons.partners.tests.factories import agreement_between
from safecommons.tips import credentials, services
from safecommons.tips.models import Category, RelatedTip, RetentionRule, RoutingRule, Tip, TipMessage
from safecommons.tips.tests.factories import PASSPHRASE, TipFactory

pytestmark = pytest.mark.django_db
__all__ = ["client_of"]  # the fixture, used by name

CODE = "RVTN-ACCE-SS00-0000-0000-0000-00"
TIP = {"category": "drugs", "description": "Deals at the corner store after dark.", "location_kind": "unknown"}


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def tip(agency):
    return TipFactory(agency=agency, code=CODE)


@pytest.fixture
def referral_partner(agency, partner):
    agreement_between(agency, partner, Scope.TIP_REFERRALS, title="Tip referral MOU")
    return partner


# --- The tipster's endpoints: open to anyone, signed in or not; the tip is never linked to an account.


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint, data", [
    ("GET /tips/", None),
    ("POST /tips/", TIP),
    ("GET /tips/follow-up/", None),
    ("POST /tips/follow-up/", {"code": CODE, "passphrase": PASSPHRASE}),
])
def test_anyone_uses_the_tip_pages(client_of, who, endpoint, data, tip):
    response = call(client_of(who), endpoint, data=data)
    assert_access(response, endpoint, who)
    assert not response.cookies


@pytest.mark.parametrize("who", EVERYONE)
def test_anyone_replies_and_claims_with_the_page_token(client_of, who, tip, people):
    services.tip_reward_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip, amount=100)
    client = client_of(who)
    access = call(client, "POST /tips/follow-up/", data={"code": CODE, "passphrase": PASSPHRASE}).context["access"]
    reply = call(client, "POST /tips/follow-up/reply/", data={"access": access, "body": "More."})
    assert_access(reply, "POST /tips/follow-up/reply/", who)
    claim = call(client, "POST /tips/follow-up/reward/", data={"access": access})
    assert_access(claim, "POST /tips/follow-up/reward/", who)


@pytest.mark.parametrize("who", EVERYONE)
def test_anyone_uses_the_tipster_api(client_of, who, tip):
    client = client_of(who)
    assert_access(call(client, "POST /api/tips", json_body=TIP), "POST /api/tips", who)
    unlock = {"code": CODE, "passphrase": PASSPHRASE}
    assert_access(call(client, "POST /api/tips/follow-up", json_body=unlock), "POST /api/tips/follow-up", who)
    message = call(client, "POST /api/tips/follow-up/messages", json_body={**unlock, "body": "And this."})
    assert_access(message, "POST /api/tips/follow-up/messages", who)
    files = call(client, "POST /api/tips/follow-up/files", data={**unlock, "file": jpeg()})
    assert_access(files, "POST /api/tips/follow-up/files", who)
    reward = call(client, "POST /api/tips/follow-up/reward", json_body=unlock)
    assert reward.status_code == 400 and "No reward" in reward.json()["detail"]  # open to all; none offered
    assert Tip.objects.count() == 2 and not hasattr(Tip, "user")


# --- Staff endpoints


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint", ["GET /tips/queue/", "GET /api/tips", "GET /tips/staff/<str:reference>/",
                                      "GET /api/tips/{reference}"])
def test_only_the_agencys_tip_staff_read_tips(client_of, who, endpoint, tip):
    response = call(client_of(who), endpoint, reference=tip.reference)
    assert_access(response, endpoint, who)


def test_an_officer_of_another_agency_cannot_read_the_tip(client_for, tip):
    from safecommons.accounts.tests.factories import MembershipFactory
    from safecommons.partners.tests.factories import OrganisationFactory

    other = MembershipFactory(organisation=OrganisationFactory(kind="agency"), role=Role.SUPERVISOR).user
    client = client_for(other)
    assert client.get(f"/tips/staff/{tip.reference}/").status_code == 403
    assert client.get(f"/api/tips/{tip.reference}").status_code == 403
    assert client.get("/api/tips").json() == []


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint, data", [
    ("POST /tips/staff/<str:reference>/triage/", {"status": "triaged", "priority": 2}),
    ("POST /tips/staff/<str:reference>/status/", {"status": "investigating"}),
    ("POST /tips/staff/<str:reference>/note/", {"body": "Checked the address."}),
    ("POST /tips/staff/<str:reference>/message/", {"body": "Thank you."}),
    ("POST /tips/staff/<str:reference>/reward/", {"amount": "100"}),
    ("POST /tips/staff/<str:reference>/hold/", {"on": "on", "reason": "Case 26-77"}),
])
def test_staff_actions_on_a_tip(client_of, who, endpoint, data, tip):
    response = call(client_of(who), endpoint, data=data, reference=tip.reference)
    assert_access(response, endpoint, who)
    if who in ACCESS[endpoint]:
        assert response.url.endswith(f"/tips/staff/{tip.reference}/")


@pytest.mark.parametrize("who", EVERYONE)
def test_staff_message_the_tipster_through_the_api(client_of, who, tip):
    endpoint = "POST /api/tips/{reference}/messages"
    response = call(client_of(who), endpoint, json_body={"body": "Any more detail?", "is_question": True},
                    reference=tip.reference)
    assert_access(response, endpoint, who)
    assert TipMessage.objects.count() == (1 if who in ACCESS[endpoint] else 0)


@pytest.mark.parametrize("who", EVERYONE)
def test_referring_a_tip(client_of, who, tip, referral_partner):
    endpoint = "POST /tips/staff/<str:reference>/refer/"
    response = call(client_of(who), endpoint, data={"organisation": referral_partner.pk, "purpose": "follow-up"},
                    reference=tip.reference)
    assert_access(response, endpoint, who)
    assert tip.referrals.count() == (1 if who in ACCESS[endpoint] else 0)


@pytest.mark.parametrize("who", EVERYONE)
def test_deciding_on_a_related_tip(client_of, who, tip, agency):
    link = RelatedTip.objects.create(tip=tip, other=TipFactory(agency=agency), score=0.9, text_score=0.9,
                                     distance_m=10, hours_apart=1)
    endpoint = "POST /tips/staff/<str:reference>/related/<int:link_id>/"
    response = call(client_of(who), endpoint, data={"decision": "dismiss"}, reference=tip.reference, link_id=link.pk)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
def test_opening_a_tip_file(client_of, who, tip):
    services.tipster_reply(tip=tip, files=[jpeg()])
    endpoint = "GET /tips/staff/<str:reference>/files/<int:attachment_id>/"
    response = call(client_of(who), endpoint, reference=tip.reference, attachment_id=tip.attachments.get().pk)
    assert_access(response, endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("endpoint, data", [
    ("GET /tips/routing/", None),
    ("POST /tips/routing/", {"category": Category.CYBER, "set_priority": 3, "position": 1}),
    ("GET /tips/retention/", None),
    ("POST /tips/retention/", {"status": "closed", "keep_days": 30}),
])
def test_only_agency_admins_edit_routing_and_retention(client_of, who, endpoint, data, agency):
    assert_access(call(client_of(who), endpoint, data=data), endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
def test_only_agency_admins_remove_rules(client_of, who, agency):
    routing = RoutingRule.objects.create(agency=agency, category=Category.CYBER, set_priority=3)
    retention = RetentionRule.objects.create(agency=agency, keep_days=10)
    client = client_of(who)
    for endpoint, rule in [("POST /tips/routing/<int:rule_id>/delete/", routing),
                           ("POST /tips/retention/<int:rule_id>/delete/", retention)]:
        assert_access(call(client, endpoint, rule_id=rule.pk), endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_partner_reads_and_acknowledges_its_referrals(client_of, who, tip, referral_partner, people):
    referral = services.tip_refer(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip,
                                  organisation=referral_partner, purpose="co-response")
    client = client_of(who)
    assert_access(call(client, "GET /tips/referrals/"), "GET /tips/referrals/", who)
    endpoint = "POST /tips/referrals/<int:referral_id>/acknowledge/"
    assert_access(call(client, endpoint, referral_id=referral.pk), endpoint, who)


@pytest.mark.parametrize("who", EVERYONE)
def test_only_supervisors_and_admins_pay_rewards(client_of, who, tip, people):
    services.tip_reward_set(actor=actor_for_user(people[Role.SUPERVISOR]), tip=tip, amount=100)
    payout_code = services.tipster_reward_claim(tip=tip)
    client = client_of(who)
    assert_access(call(client, "GET /tips/payout/"), "GET /tips/payout/", who)
    response = call(client, "POST /tips/payout/", data={"payout_code": payout_code})
    assert_access(response, "POST /tips/payout/", who)
    tip.refresh_from_db()
    assert (tip.reward_paid_at is not None) == (who in ACCESS["POST /tips/payout/"])
    if who == ANONYMOUS:
        assert credentials.code_digest(payout_code) == tip.payout_code_digest
