"""The admin: permits are kept there; alarm events, incidents, their timelines and commendations are only
looked at (they change through the services, which keep timeline, broadcast and audit in step)."""

import pytest

from safecommons.accounts.tests.factories import UserFactory
from safecommons.incidents.models import AlarmEvent, Incident, IncidentEvent
from safecommons.incidents.tests.factories import handoff_agreement
from safecommons.incidents.tests.factories_alarms import alarm_center, alarm_permit, alarm_send
from safecommons.partners.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def accepted(security_company, agency):
    handoff_agreement(security_company, agency)
    return alarm_send(alarm_center(security_company), alarm_permit(security_company, agency, number="AP-77"))


@pytest.mark.parametrize("model", ["alarmpermit", "alarmevent"])
def test_each_list_opens(admin_client, accepted, model):
    assert admin_client.get(f"/admin/incidents/{model}/").status_code == 200


def test_a_permit_is_added_in_the_admin(admin_client, accepted, security_company, agency):
    response = admin_client.post("/admin/incidents/alarmpermit/add/", {
        "agency": agency.pk, "monitoring_company": security_company.pk, "number": "AP-78",
        "address": "78 Elm St", "is_active": "on"})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=agency.pk).alarm_permits.filter(number="AP-78").exists()


def test_incidents_and_their_timelines_are_not_in_the_admin(admin_client, accepted):
    # every look at an incident's details is audited; the admin would bypass that
    for model in (Incident, IncidentEvent):
        assert admin_client.get(f"/admin/incidents/{model._meta.model_name}/").status_code == 404


@pytest.mark.parametrize("model", [AlarmEvent])
def test_the_records_are_read_only(admin_client, accepted, model):
    name, pk = model._meta.model_name, model.objects.get().pk
    assert admin_client.get(f"/admin/incidents/{name}/add/").status_code == 403
    assert admin_client.get(f"/admin/incidents/{name}/{pk}/delete/").status_code == 403
    detail = admin_client.get(f"/admin/incidents/{name}/{pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
