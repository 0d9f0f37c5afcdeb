"""The registry's pages: an owner's cameras, the register/edit form, pause/resume/withdraw, and the CSV import
for organisation staff, with every refusal."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safecommons.accounts.tests.factories import MembershipFactory
from safecommons.cameras import services
from safecommons.cameras.models import Camera
from safecommons.cameras.services import registry as registry_services
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import Scope, Site
from safecommons.partners.tests.factories import agreement_between

pytestmark = pytest.mark.django_db

FORM = {"register_for": "self", "name": "Front door", "latitude": "44.9801", "longitude": "-93.2702",
        "bearing_deg": "90", "fov_deg": "100", "range_m": "30", "placement": "outdoor", "retention_days": "14",
        "preferred_contact": "", "external_ref": ""}
FIELDS = {"name": "Gate", "latitude": 44.98, "longitude": -93.27, "bearing_deg": 0, "fov_deg": 90, "range_m": 40,
          "retention_days": 30}
CSV = ("external_ref,name,latitude,longitude,bearing_deg,fov_deg,range_m,placement,retention_days,"
       "live_share_capable,share_exact_location,preferred_contact\n"
       "A-1,Gate,44.98,-93.27,180,90,40,outdoor,30,no,yes,front desk\n"
       "A-2,Roof,44.982,not-a-number,0,90,60,outdoor,7,no,no,\n")


def test_a_resident_registers_a_camera_for_themselves_from_the_form(client_for, people):
    client = client_for(people[Role.RESIDENT])
    page = client.get(reverse("cameras:camera_new"))
    assert page.status_code == 200
    assert b"camera-form-map" in page.content and b"only the block" in page.content  # the choice explained
    response = client.post(reverse("cameras:camera_new"), {**FORM, "share_exact_location": "on"})
    assert response.status_code == 302 and response.url == reverse("cameras:mine")
    camera = Camera.objects.get()
    assert (camera.owner_user, camera.bearing_deg, camera.share_exact_location) == (people[Role.RESIDENT], 90, True)
    listing = client.get(reverse("cameras:mine"))
    assert b"Front door" in listing.content and b"camera-points" in listing.content


def test_the_form_shows_the_reason_a_camera_is_refused(client_for, people):
    response = client_for(people[Role.RESIDENT]).post(reverse("cameras:camera_new"), {**FORM, "latitude": "95"})
    assert response.status_code == 400 and not Camera.objects.exists()


def test_partner_staff_register_for_their_organisation_at_one_of_its_sites(client_for, people, partner):
    site = Site.objects.create(organisation=partner, name="Tower A", property_type="multifamily", address="1 Main")
    client = client_for(people[Role.PARTNER_MEMBER])
    page = client.get(reverse("cameras:camera_new"))
    assert b"Acme Apartments" in page.content and b"Tower A" in page.content
    response = client.post(reverse("cameras:camera_new"),
                           {**FORM, "register_for": str(partner.pk), "site": str(site.pk)})
    assert response.status_code == 302
    camera = Camera.objects.get()
    assert (camera.owner_organisation, camera.site, camera.owner_user) == (partner, site, None)


def test_a_site_of_another_organisation_is_refused(people, partner, security_company):
    other = Site.objects.create(organisation=security_company, name="HQ", property_type="office", address="2 Main")
    with pytest.raises(Exception, match="another organisation"):
        services.camera_register(actor=actor_for_user(people[Role.PARTNER_MEMBER]), organisation=partner,
                                 site=other, **FIELDS)


def test_a_security_company_registers_for_a_client_under_an_agreement(client_for, people, partner,
                                                                      security_company):
    agreement_between(security_company, partner, Scope.CONTACT_SHARING)
    operator = MembershipFactory(organisation=security_company, role=Role.SECURITY_OPERATOR).user
    client = client_for(operator)
    page = client.get(reverse("cameras:camera_new"))
    assert b"as its security company" in page.content
    client.post(reverse("cameras:camera_new"), {**FORM, "register_for": str(partner.pk)})
    camera = Camera.objects.get()
    assert (camera.owner_organisation, camera.managed_by) == (partner, security_company)


def test_a_client_cannot_be_chosen_without_an_agreement(client_for, people, partner):
    response = client_for(people[Role.SECURITY_OPERATOR]).post(reverse("cameras:camera_new"),
                                                               {**FORM, "register_for": str(partner.pk)})
    assert response.status_code == 400 and not Camera.objects.exists()


def test_the_owner_edits_pauses_resumes_and_withdraws(client_for, people):
    owner = people[Role.RESIDENT]
    camera = services.camera_register(actor=actor_for_user(owner), **FIELDS)
    client = client_for(owner)
    assert client.get(reverse("cameras:camera_edit", args=[camera.pk])).status_code == 200
    response = client.post(reverse("cameras:camera_edit", args=[camera.pk]),
                           {**FORM, "name": "Back gate", "bearing_deg": "200"})
    assert response.status_code == 302
    camera.refresh_from_db()
    assert (camera.name, camera.bearing_deg, camera.owner_user) == ("Back gate", 200, owner)
    status_url = reverse("cameras:camera_status", args=[camera.pk])
    client.post(status_url, {"status": "paused"})
    camera.refresh_from_db()
    assert camera.status == Camera.Status.PAUSED
    client.post(status_url, {"status": "active"})
    client.post(status_url, {"status": "withdrawn"})
    camera.refresh_from_db()
    assert camera.status == Camera.Status.WITHDRAWN
    listing = client.get(reverse("cameras:mine")).content
    assert b"is withdrawn" in listing and b'<th scope="row">Back gate' not in listing


@pytest.mark.parametrize("outsider", [Role.OFFICER, Role.PARTNER_MEMBER, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_nobody_else_edits_or_pauses_a_residents_camera(client_for, people, outsider):
    camera = services.camera_register(actor=actor_for_user(people[Role.RESIDENT]), **FIELDS)
    client = client_for(people[outsider])
    assert client.get(reverse("cameras:camera_edit", args=[camera.pk])).status_code == 403
    assert client.post(reverse("cameras:camera_status", args=[camera.pk]), {"status": "paused"}).status_code == 403
    camera.refresh_from_db()
    assert camera.status == Camera.Status.ACTIVE
    assert b"Gate" not in client.get(reverse("cameras:mine")).content


def test_pages_need_a_sign_in(client):
    for name, args in (("mine", []), ("camera_new", []), ("camera_import", []), ("camera_edit", [1])):
        response = client.get(reverse(f"cameras:{name}", args=args))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:sign_in"))


def test_an_unknown_camera_is_not_found(client_for, people):
    assert client_for(people[Role.RESIDENT]).get(reverse("cameras:camera_edit", args=[999])).status_code == 404


def test_organisation_staff_import_and_see_each_rejected_row(client_for, people, partner):
    client = client_for(people[Role.PARTNER_ADMIN])
    page = client.get(reverse("cameras:camera_import"))
    assert page.status_code == 200 and b"retention_days" in page.content
    upload = SimpleUploadedFile("cameras.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("cameras:camera_import"), {"organisation": str(partner.pk), "file": upload})
    assert response.status_code == 200
    assert b"1 created, 0 updated, 1 rejected" in response.content
    assert b"<td>3</td>" in response.content and b"longitude must be a number" in response.content
    assert Camera.objects.get().owner_organisation == partner


def test_an_import_over_the_size_limit_is_refused_unread(client_for, people, partner, monkeypatch):
    monkeypatch.setattr(registry_services, "IMPORT_MAX_BYTES", len(CSV) - 1)
    upload = SimpleUploadedFile("cameras.csv", CSV.encode(), content_type="text/csv")
    response = client_for(people[Role.PARTNER_ADMIN]).post(reverse("cameras:camera_import"),
                                                           {"organisation": str(partner.pk), "file": upload})
    assert response.status_code == 400 and b"larger than" in response.content
    assert not Camera.objects.exists()
    assert not AuditEntry.objects.filter(action="camera.imported").exists()


def test_a_file_that_is_not_utf8_is_refused(client_for, people, partner):
    upload = SimpleUploadedFile("cameras.csv", "name\nCaf\u00e9\n".encode("latin-1"), content_type="text/csv")
    response = client_for(people[Role.PARTNER_ADMIN]).post(reverse("cameras:camera_import"),
                                                           {"organisation": str(partner.pk), "file": upload})
    assert response.status_code == 400 and b"UTF-8" in response.content


@pytest.mark.parametrize("who", [Role.RESIDENT, Role.OFFICER, Role.OVERSIGHT])
def test_people_without_an_organisation_of_cameras_cannot_import(client_for, people, who):
    assert client_for(people[who]).get(reverse("cameras:camera_import")).status_code == 403


def test_the_import_link_shows_only_for_organisation_staff(client_for, people):
    assert b"Import cameras" in client_for(people[Role.PARTNER_MEMBER]).get(reverse("cameras:mine")).content
    assert b"Import cameras" not in client_for(people[Role.RESIDENT]).get(reverse("cameras:mine")).content
