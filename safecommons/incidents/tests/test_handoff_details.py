"""Details of handing over and after action that people rely on: the client sites an operator can pick, a
call-back number police can dial, links in emails that open, and who a community commendation may go to."""

import pytest
from django.core import mail

from safecommons.core.errors import Refused
from safecommons.core.roles import Role
from safecommons.incidents.models import Disposition
from safecommons.incidents.selectors import incidents as incident_selectors
from safecommons.incidents.services import commendations as commendation_services
from safecommons.incidents.services import police as police_services
from safecommons.incidents.tests.factories import AlarmPermitFactory, handoff_agreement
from safecommons.incidents.tests.factories_workflow import SiteFactory, actor, hand_over
from safecommons.partners.models import OrganisationKind
from safecommons.partners.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(people, security_company, agency):
    handoff_agreement(security_company, agency)
    return people[Role.SECURITY_OPERATOR]


def test_an_operator_can_pick_the_sites_the_company_monitors_under_an_alarm_permit(operator, agency,
                                                                                   security_company):
    client = OrganisationFactory(kind=OrganisationKind.BUSINESS, name="Foundry Yards")
    monitored = SiteFactory(organisation=client, name="Foundry Yards", latitude=44.97, longitude=-93.25)
    AlarmPermitFactory(agency=agency, monitoring_company=security_company, site=monitored)
    lapsed = SiteFactory(organisation=client, name="Old warehouse")
    AlarmPermitFactory(agency=agency, monitoring_company=security_company, site=lapsed, is_active=False)
    someone_elses = SiteFactory(organisation=client, name="Showroom")
    AlarmPermitFactory(agency=agency, monitoring_company=OrganisationFactory(kind=OrganisationKind.SECURITY_COMPANY),
                       site=someone_elses)

    offered = list(incident_selectors.handoff_sites(actor=actor(operator)))

    assert monitored in offered and lapsed not in offered and someone_elses not in offered
    incident = hand_over(operator, agency, site=monitored, address="", latitude=None, longitude=None)
    assert (incident.site, incident.latitude) == (monitored, 44.97)
    for refused in (lapsed, someone_elses):
        with pytest.raises(Refused, match="monitor under an alarm permit"):
            hand_over(operator, agency, site=refused)


@pytest.mark.parametrize("phone", ["+1 612 555 0100", "(612) 555-0100", "612.555.0100 ext. 12", "6125550100 x3"])
def test_a_call_back_number_police_can_dial_is_kept_as_typed(operator, agency, phone):
    assert hand_over(operator, agency, callback_phone=phone).callback_phone == phone


@pytest.mark.parametrize("phone", ["not a phone number at all !!!", "911", "+1 612 555 0100 1234 5678 9",
                                   "612 555 0100 ext"])
def test_a_call_back_number_that_cannot_be_dialled_is_refused(operator, agency, phone):
    with pytest.raises(Refused, match="call-back number"):
        hand_over(operator, agency, callback_phone=phone)


def test_the_outcome_email_links_to_the_incident_on_the_site(operator, people, agency, settings,
                                                             django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://safety.example"
    incident = hand_over(operator, agency)
    with django_capture_on_commit_callbacks(execute=True):
        police_services.incident_close(actor=actor(people[Role.OFFICER]), incident=incident,
                                       disposition=Disposition.GONE_ON_ARRIVAL, outcome_summary="Nobody there.")
    assert mail.outbox
    assert all(f"https://safety.example/incidents/{incident.pk}/" in message.body for message in mail.outbox)


def test_a_commendation_email_without_the_request_links_to_the_site(people, agency, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://safety.example"
    with django_capture_on_commit_callbacks(execute=True):
        commendation = commendation_services.commendation_issue(
            actor=actor(people[Role.SUPERVISOR]), agency=agency, recipient=people[Role.RESIDENT],
            title="For a clear call", citation="Called in the fire and kept people away from it.")
    [email] = mail.outbox
    assert f"https://safety.example/incidents/commendations/{commendation.pk}/" in email.body


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST, Role.AGENCY_ADMIN])
def test_a_community_commendation_is_not_for_police_staff(people, agency, role):
    with pytest.raises(Refused, match="not to police staff"):
        commendation_services.commendation_issue(
            actor=actor(people[Role.SUPERVISOR]), agency=agency, recipient=people[role],
            title="For a clear call", citation="Guided officers to the suspects.")
