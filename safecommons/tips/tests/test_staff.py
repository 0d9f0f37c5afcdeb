"""The staff side: queue and filters, assignment, notes, messages, statuses, routing, referral, audit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import DataFlow, OrganisationKind, Scope, Unit
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between
from safecommons.tips import services
from safecommons.tips.models import Category, Disposition, Priority, RoutingRule, Status, Tip, TipReferral
from safecommons.tips.tests.factories import TipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cyber(agency):
    return Unit.objects.create(agency=agency, code="cyber", name="Cyber Unit")


@pytest.fixture
def crisis_team(agency):
    team = OrganisationFactory(kind=OrganisationKind.SOCIAL_SERVICE, name="Crisis Co-Response")
    agreement_between(agency, team, Scope.TIP_REFERRALS, title="Co-response MOU")
    return team


def actor(people, role):
    return actor_for_user(people[role])


def test_the_queue_filters_by_status_category_priority_and_age(client_for, people, agency):
    old = TipFactory(agency=agency, category=Category.DRUGS)
    Tip.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    urgent = TipFactory(agency=agency, category=Category.WEAPONS, priority=Priority.URGENT)
    closed = TipFactory(agency=agency, status=Status.CLOSED, disposition=Disposition.UNFOUNDED)
    client = client_for(people[Role.ANALYST])

    def shown(**params):
        page = client.get(reverse("tips:queue"), params)
        return {t.reference for t in page.context["tips"]}

    assert shown() == {old.reference, urgent.reference, closed.reference}
    assert shown(status="closed") == {closed.reference}
    assert shown(category="weapons") == {urgent.reference}
    assert shown(priority=4) == {urgent.reference}
    assert shown(age="older") == {old.reference}
    assert shown(age="week") == {urgent.reference, closed.reference}
    api = client.get("/api/tips", {"category": "drugs"}).json()
    assert [t["reference"] for t in api] == [old.reference]


def test_an_officer_sees_only_the_tips_assigned_to_them(client_for, people, agency):
    mine = TipFactory(agency=agency, assigned_officer=people[Role.OFFICER])
    other = TipFactory(agency=agency)
    client = client_for(people[Role.OFFICER])
    assert [t.reference for t in client.get(reverse("tips:queue")).context["tips"]] == [mine.reference]
    assert client.get(reverse("tips:detail", args=[other.reference])).status_code == 403
    assert client.get(reverse("tips:detail", args=[mine.reference])).status_code == 200


def test_every_staff_view_of_a_tip_is_audited_and_shows_no_session_or_account(client_for, people, agency):
    tip = TipFactory(agency=agency)
    client = client_for(people[Role.SUPERVISOR])
    page = client.get(reverse("tips:detail", args=[tip.reference]))
    client.get(f"/api/tips/{tip.reference}")
    views = AuditEntry.objects.filter(action="tip.viewed", object_id=str(tip.pk))
    assert views.count() == 2
    assert set(views.values_list("actor_id", flat=True)) == {people[Role.SUPERVISOR].pk}
    api = client.get(f"/api/tips/{tip.reference}").json()
    assert not {"session", "user", "account", "ip", "user_agent", "code", "passphrase"} & set(api)
    assert "Anonymous: the tipster gave no contact details." in page.content.decode()


def test_a_chosen_contact_is_shown_to_staff_as_a_choice(client_for, people, agency):
    tip = TipFactory(agency=agency, contact_opt_in=True, contact_phone="555-0142")
    page = client_for(people[Role.ANALYST]).get(reverse("tips:detail", args=[tip.reference])).content.decode()
    assert "The tipster chose to give contact details:" in page and "555-0142" in page


def test_triage_assigns_and_closing_needs_a_disposition(client_for, people, agency, cyber):
    tip = TipFactory(agency=agency)
    client = client_for(people[Role.SUPERVISOR])
    url = reverse("tips:triage", args=[tip.reference])
    client.post(url, {"status": "assigned", "priority": 3, "unit": cyber.pk, "officer": people[Role.OFFICER].pk})
    tip.refresh_from_db()
    assert (tip.status, tip.priority, tip.assigned_unit, tip.assigned_officer) == (
        Status.ASSIGNED, 3, cyber, people[Role.OFFICER])
    response = client.post(url, {"status": "closed", "priority": 3}, follow=True)
    assert "closed with a disposition" in response.content.decode()
    tip.refresh_from_db()
    assert tip.status == Status.ASSIGNED
    client.post(url, {"status": "closed", "priority": 3, "disposition": "actioned"})
    tip.refresh_from_db()
    assert (tip.status, tip.disposition) == (Status.CLOSED, Disposition.ACTIONED)
    assert AuditEntry.objects.filter(action="tip.triaged", object_id=str(tip.pk)).count() == 2


def test_an_assigned_officer_adds_notes_messages_and_closes(client_for, people, agency):
    tip = TipFactory(agency=agency, assigned_officer=people[Role.OFFICER], status=Status.ASSIGNED)
    client = client_for(people[Role.OFFICER])
    client.post(reverse("tips:note", args=[tip.reference]), {"body": "Drove by at 22:00, nothing seen."})
    client.post(reverse("tips:message", args=[tip.reference]), {"body": "Which night is busiest?", "is_question": "on"})
    client.post(reverse("tips:status", args=[tip.reference]), {"status": "closed", "disposition": "no_action"})
    tip.refresh_from_db()
    assert tip.notes.get().body.startswith("Drove by")
    assert tip.messages.get().is_question
    assert tip.status == Status.CLOSED
    # An officer does not triage (re-assign) tips.
    triage = client.post(reverse("tips:triage", args=[tip.reference]), {"status": "new", "priority": 1})
    assert triage.status_code == 403


def test_routing_rules_assign_a_unit_and_refer_to_a_partner_under_an_agreement(people, agency, cyber, crisis_team):
    admin = actor(people, Role.AGENCY_ADMIN)
    services.routing_rule_save(actor=admin, agency=agency, category=Category.CYBER, assign_unit=cyber)
    services.routing_rule_save(actor=admin, agency=agency, category=Category.MENTAL_HEALTH, refer_to=crisis_team,
                               set_priority=Priority.HIGH)
    cyber_tip = TipFactory(agency=agency, category=Category.CYBER)
    crisis_tip = TipFactory(agency=agency, category=Category.MENTAL_HEALTH,
                            description="My neighbour talks of ending it; call me at 555-0100 or a@b.example")
    services.tip_process(tip_id=cyber_tip.pk)
    services.tip_process(tip_id=crisis_tip.pk)
    cyber_tip.refresh_from_db()
    crisis_tip.refresh_from_db()
    assert (cyber_tip.assigned_unit, cyber_tip.status) == (cyber, Status.ASSIGNED)
    assert crisis_tip.priority == Priority.HIGH
    referral = TipReferral.objects.get(tip=crisis_tip)
    assert referral.organisation == crisis_team
    assert "555-0100" not in referral.summary and "a@b.example" not in referral.summary
    flow = DataFlow.objects.get(pk=referral.data_flow_id)
    assert (flow.scope, flow.provider, flow.recipient) == (Scope.TIP_REFERRALS, agency, crisis_team)


def test_a_rule_cannot_refer_where_no_agreement_covers_tip_referrals(people, agency, partner):
    with pytest.raises(Refused, match="No agreement"):
        services.routing_rule_save(actor=actor(people, Role.AGENCY_ADMIN), agency=agency,
                                   category=Category.SCHOOL_SAFETY, refer_to=partner)


def test_a_referral_without_an_agreement_is_refused_and_audited(client_for, people, agency, partner):
    tip = TipFactory(agency=agency)
    with pytest.raises(Refused):
        services.tip_refer(actor=actor(people, Role.SUPERVISOR), tip=tip, organisation=partner, purpose="help")
    assert not TipReferral.objects.exists()
    assert AuditEntry.objects.filter(action="flow.refused").exists()


def test_an_expired_agreement_stops_a_rule_from_referring(people, agency, crisis_team):
    services.routing_rule_save(actor=actor(people, Role.AGENCY_ADMIN), agency=agency,
                               category=Category.MENTAL_HEALTH, refer_to=crisis_team)
    crisis_team.agreements.update(expires_on=timezone.localdate() - timedelta(days=1))
    tip = TipFactory(agency=agency, category=Category.MENTAL_HEALTH)
    services.tip_process(tip_id=tip.pk)
    assert not TipReferral.objects.exists()
    assert AuditEntry.objects.filter(action="flow.refused", object_id=str(tip.pk)).exists()


def test_the_partner_sees_the_redacted_referral_and_acknowledges_it(client_for, people, agency, crisis_team):
    member = MembershipFactory(organisation=crisis_team, role=Role.PARTNER_MEMBER).user
    tip = TipFactory(agency=agency, category=Category.MENTAL_HEALTH, contact_opt_in=True, contact_phone="555-0177")
    referral = services.tip_refer(actor=actor(people, Role.SUPERVISOR), tip=tip, organisation=crisis_team,
                                  purpose="co-response")
    client = client_for(member)
    page = client.get(reverse("tips:referrals")).content.decode()
    assert "white van" in page and "555-0177" not in page and tip.reference not in page
    client.post(reverse("tips:referral_acknowledge", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.acknowledged_at
    # Another partner's member sees none of it.
    assert client_for(people[Role.PARTNER_MEMBER]).get(reverse("tips:referrals")).context["referrals"].count() == 0


def test_routing_pages_let_the_admin_add_and_remove_a_rule(client_for, people, agency, cyber):
    client = client_for(people[Role.AGENCY_ADMIN])
    response = client.post(reverse("tips:routing"), {"category": "cyber", "assign_unit": cyber.pk, "position": 1})
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    client.post(reverse("tips:routing_delete", args=[rule.pk]))
    assert not RoutingRule.objects.exists()
    empty = client.post(reverse("tips:routing"), {"category": "cyber", "position": 1})
    assert empty.status_code == 400 and "must do something" in empty.content.decode()


def test_an_analyst_confirms_or_dismisses_a_related_tip(client_for, people, agency):
    earlier = TipFactory(agency=agency)
    later = TipFactory(agency=agency, description="Same white van with ladder outside the pharmacy, unloading boxes")
    services.tip_relate(tip=later)
    link = later.related.get()
    assert link.other == earlier
    client_for(people[Role.ANALYST]).post(reverse("tips:related_decide", args=[later.reference, link.pk]),
                                           {"decision": "confirm"})
    link.refresh_from_db()
    assert link.decision == "confirmed" and link.decided_by == people[Role.ANALYST]


def test_referrals_disappear_from_the_partner_when_the_agreement_ends(client_for, people, agency, crisis_team):
    member = MembershipFactory(organisation=crisis_team, role=Role.PARTNER_MEMBER).user
    tip = TipFactory(agency=agency, category=Category.MENTAL_HEALTH)
    referral = services.tip_refer(actor=actor(people, Role.SUPERVISOR), tip=tip, organisation=crisis_team,
                                  purpose="co-response")
    client = client_for(member)
    assert list(client.get(reverse("tips:referrals")).context["referrals"]) == [referral]
    crisis_team.agreements.update(expires_on=timezone.localdate() - timedelta(days=1))
    assert list(client.get(reverse("tips:referrals")).context["referrals"]) == []
    assert client.post(reverse("tips:referral_acknowledge", args=[referral.pk])).status_code == 404
