"""A security company acts for a client's cameras only while the two have an agreement in force."""

import pytest

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.cameras import selectors, services
from safecommons.cameras.models import OwnerNotice
from safecommons.cameras.selectors.notices import owner_notices
from safecommons.cameras.selectors.requests import footage_requests_for_owner
from safecommons.cameras.services.notices import owner_notify
from safecommons.cameras.tests.factories_requests import FRONT_DOOR, footage_request_to
from safecommons.core.permissions import actor_for_user, may
from safecommons.core.roles import Role
from safecommons.partners.models import Agreement, Scope
from safecommons.partners.tests.factories import agreement_between

pytestmark = pytest.mark.django_db


def test_the_company_loses_the_clients_cameras_when_the_agreement_ends(people, agency, partner, security_company):
    contract = agreement_between(security_company, partner, Scope.CONTACT_SHARING, title="Monitoring contract")
    operator = actor_for_user(MembershipFactory(organisation=security_company, role=Role.SECURITY_OPERATOR).user)
    camera = services.camera_register(actor=operator, organisation=partner, managed_by=security_company,
                                      **FRONT_DOOR)
    request = footage_request_to(camera, agency=agency, officer=people[Role.OFFICER])
    owner_notify(kind=OwnerNotice.Kind.REQUEST, camera=camera, footage_request=request, email=False)
    assert may(operator, "footage.answer", request) and may(operator, "live.grant", camera)
    assert list(selectors.cameras_managed(actor=operator)) == [camera]
    assert list(footage_requests_for_owner(actor=operator)) == [request]
    assert owner_notices(actor=operator).count() == 1

    Agreement.objects.filter(pk=contract.pk).update(status=Agreement.Status.TERMINATED)
    assert not may(operator, "camera.manage", camera)
    assert not may(operator, "footage.answer", request) and not may(operator, "live.grant", camera)
    assert not selectors.cameras_managed(actor=operator).exists()
    assert not footage_requests_for_owner(actor=operator).exists()
    assert not owner_notices(actor=operator).exists()
    # The client itself keeps everything.
    client_staff = actor_for_user(people[Role.PARTNER_ADMIN])
    assert may(client_staff, "footage.answer", request)
    assert list(footage_requests_for_owner(actor=client_staff)) == [request]
