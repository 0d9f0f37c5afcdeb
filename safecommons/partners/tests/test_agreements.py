import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners import selectors, services
from safecommons.partners.models import Agreement, DataFlow, Scope
from safecommons.partners.services import GrantSpec, NoAgreement
from safecommons.partners.tests.factories import ContactFactory, agreement_between

pytestmark = pytest.mark.django_db


def officer_actor(people):
    return actor_for_user(people[Role.OFFICER])


def test_a_flow_under_an_active_agreement_is_allowed_recorded_and_audited(people, agency, partner):
    agreement = agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    flow = services.data_flow_authorize(
        actor=officer_actor(people), scope=Scope.FOOTAGE_ON_REQUEST, provider=partner, recipient=agency,
        purpose="burglary at 120 Oak St", case_number="24-000123",
    )
    assert flow.agreement == agreement
    assert list(selectors.flows_under(actor=actor_for_user(people[Role.PARTNER_ADMIN]), agreement=agreement)) == [flow]
    entry = AuditEntry.objects.get(action="flow.authorized")
    assert entry.details["case"] == "24-000123" and entry.reason == "burglary at 120 Oak St"


def test_an_expired_agreement_stops_the_flow(people, agency, partner):
    agreement = agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST,
                                  effective_from=datetime.date(2026, 1, 1), expires_on=datetime.date(2026, 6, 30))
    kwargs = dict(actor=officer_actor(people), scope=Scope.FOOTAGE_ON_REQUEST, provider=partner,
                  recipient=agency, purpose="case 1")
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        assert agreement.state == "active"
        services.data_flow_authorize(**kwargs)
    with time_machine.travel(datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC), tick=False):
        assert agreement.state == "expired"
        with pytest.raises(NoAgreement):
            services.data_flow_authorize(**kwargs)
    assert DataFlow.objects.count() == 1
    assert AuditEntry.objects.filter(action="flow.refused", outcome="denied").count() == 1


def test_no_agreement_no_flow_and_a_grant_works_one_way_only(people, agency, partner):
    actor = officer_actor(people)
    with pytest.raises(NoAgreement):
        services.data_flow_authorize(actor=actor, scope=Scope.TIP_REFERRALS, provider=agency, recipient=partner,
                                     purpose="referral")
    agreement_between(partner, agency, Scope.CONTACT_SHARING)
    with pytest.raises(NoAgreement):
        services.data_flow_authorize(actor=actor, scope=Scope.CONTACT_SHARING, provider=agency, recipient=partner,
                                     purpose="wrong way")
    with pytest.raises(NoAgreement):
        services.data_flow_authorize(actor=actor, scope=Scope.FOOTAGE_ON_REQUEST, provider=partner,
                                     recipient=agency, purpose="scope not granted")


def test_draft_and_terminated_agreements_allow_nothing(people, agency, partner):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    draft = agreement_between(partner, agency, Scope.ALARM_EVENTS, status=Agreement.Status.DRAFT)
    kwargs = dict(actor=admin, scope=Scope.ALARM_EVENTS, provider=partner, recipient=agency, purpose="alarm")
    with pytest.raises(NoAgreement):
        services.data_flow_authorize(**kwargs)
    services.agreement_sign(actor=admin, agreement=draft)
    services.data_flow_authorize(**kwargs)
    services.agreement_terminate(actor=admin, agreement=draft, reason="partner closed")
    with pytest.raises(NoAgreement):
        services.data_flow_authorize(**kwargs)


def test_a_flow_needs_a_purpose(people, agency, partner):
    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    with pytest.raises(Refused):
        services.data_flow_authorize(actor=officer_actor(people), scope=Scope.FOOTAGE_ON_REQUEST,
                                     provider=partner, recipient=agency, purpose="  ")


def test_agency_admin_records_an_agreement_with_grants_between_parties(people, agency, partner, security_company):
    admin = actor_for_user(people[Role.AGENCY_ADMIN])
    agreement = services.agreement_create(
        actor=admin, title="SafeCam", purpose="Footage on request", signed=True,
        parties=[(agency, "requests footage with a case number"), (partner, "answers requests")],
        grants=[GrantSpec(Scope.FOOTAGE_ON_REQUEST, partner, agency)],
        effective_from=datetime.date(2026, 1, 1), expires_on=datetime.date(2027, 12, 31),
    )
    assert agreement.grants.count() == 1
    assert AuditEntry.objects.filter(action="agreement.created", object_id=str(agreement.pk)).exists()
    with pytest.raises(Refused):
        services.agreement_create(
            actor=admin, title="Bad", purpose="x", parties=[(agency, "a"), (partner, "b")],
            grants=[GrantSpec(Scope.FOOTAGE_ON_REQUEST, security_company, agency)],
            effective_from=datetime.date(2026, 1, 1), expires_on=datetime.date(2026, 12, 31),
        )


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PARTNER_ADMIN, Role.OVERSIGHT, Role.RESIDENT])
def test_only_agency_admins_record_agreements(people, agency, partner, role):
    with pytest.raises(PermissionDenied):
        services.agreement_create(
            actor=actor_for_user(people[role]), title="x", purpose="x", parties=[(agency, "a"), (partner, "b")],
            grants=[], effective_from=datetime.date(2026, 1, 1), expires_on=datetime.date(2026, 12, 31),
        )


def test_partner_staff_see_their_agreements_and_oversight_sees_all(people, agency, partner, security_company):
    ours = agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    theirs = agreement_between(security_company, agency, Scope.ALARM_EVENTS)
    assert list(selectors.agreements_for(actor=actor_for_user(people[Role.PARTNER_MEMBER]))) == [ours]
    assert set(selectors.agreements_for(actor=actor_for_user(people[Role.OVERSIGHT]))) == {ours, theirs}
    with pytest.raises(PermissionDenied):
        selectors.agreement_get(actor=actor_for_user(people[Role.SECURITY_OPERATOR]), agreement_id=ours.pk)
    with pytest.raises(PermissionDenied):
        selectors.agreements_for(actor=actor_for_user(people[Role.RESIDENT]))


def test_contacts_cross_only_under_a_contact_sharing_grant_and_each_read_is_a_flow(people, agency, partner):
    ContactFactory(organisation=partner, name="Night manager")
    officer = officer_actor(people)
    with pytest.raises(PermissionDenied):
        services.organisation_contacts_read(actor=officer, organisation=partner)
    agreement = agreement_between(partner, agency, Scope.CONTACT_SHARING)
    contacts = services.organisation_contacts_read(actor=officer, organisation=partner)
    assert [c.name for c in contacts] == ["Night manager"]
    assert agreement.flows.get().scope == Scope.CONTACT_SHARING
    # The partner's own staff read their contacts without any agreement or flow.
    services.organisation_contacts_read(actor=actor_for_user(people[Role.PARTNER_MEMBER]), organisation=partner)
    assert DataFlow.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.organisation_contacts_read(actor=actor_for_user(people[Role.RESIDENT]), organisation=partner)


@pytest.mark.django_db
def test_providers_granting_agrees_with_grant_covering_and_sees_a_termination_at_once(
        people, agency, partner, security_company, oversight_body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
        agreement_between(security_company, agency, Scope.LIVE_CAMERA_ACCESS)
    granted = selectors.providers_granting(scope=Scope.FOOTAGE_ON_REQUEST, recipient_id=agency.pk)
    for organisation in (partner, security_company, oversight_body):
        covered = selectors.grant_covering(scope=Scope.FOOTAGE_ON_REQUEST, provider_id=organisation.pk,
                                           recipient_id=agency.pk) is not None
        assert (organisation.pk in granted) is covered
    assert granted == {partner.pk}

    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_terminate(actor=actor_for_user(people[Role.AGENCY_ADMIN]), agreement=agreement,
                                     reason="The program ended")
    assert selectors.providers_granting(scope=Scope.FOOTAGE_ON_REQUEST, recipient_id=agency.pk) == frozenset()
