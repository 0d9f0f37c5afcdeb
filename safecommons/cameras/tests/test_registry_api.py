"""The registry API: people act for themselves and their organisations; an organisation's key needs the
cameras:write scope and acts for its own organisation only."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safecommons.cameras import services
from safecommons.cameras.models import Camera
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners import services as partner_services
from safecommons.partners.models import Site

pytestmark = pytest.mark.django_db

BASE = "/api/cameras"
CAMERA = {"name": "Gate", "latitude": 44.98, "longitude": -93.27, "bearing_deg": 180, "fov_deg": 90,
          "range_m": 40, "retention_days": 30}
CSV = ("external_ref,name,latitude,longitude,bearing_deg,fov_deg,range_m,placement,retention_days,"
       "live_share_capable,share_exact_location,preferred_contact\n"
       "A-1,Gate,44.98,-93.27,180,90,40,outdoor,30,no,yes,front desk\n"
       "A-2,Dock,44.981,-93.271,0,360,60,outdoor,7,yes,no,\n"
       "A-3,Roof,44.982,-93.27,0,0,60,outdoor,7,no,no,\n")


def post(client, url, data, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def key_client(people, partner, scopes) -> Client:
    _key, secret = partner_services.api_key_issue(actor=actor_for_user(people[Role.PARTNER_ADMIN]),
                                                  organisation=partner, name="VMS sync", scopes=scopes,
                                                  mfa_verified=True)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_resident_registers_lists_edits_and_pauses_over_the_api(client_for, people):
    client = client_for(people[Role.RESIDENT])
    response = post(client, f"{BASE}/cameras", CAMERA)
    assert response.status_code == 201
    camera_id = response.json()["id"]
    assert response.json()["owner_organisation_id"] is None and not response.json()["share_exact_location"]
    assert [c["id"] for c in client.get(f"{BASE}/cameras").json()] == [camera_id]
    assert client.get(f"{BASE}/cameras/{camera_id}").json()["name"] == "Gate"
    patched = client.patch(f"{BASE}/cameras/{camera_id}", json.dumps({"bearing_deg": 450}),
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["bearing_deg"] == 90 and patched.json()["name"] == "Gate"
    paused = post(client, f"{BASE}/cameras/{camera_id}/status", {"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"


def test_bad_fields_get_a_400_with_the_reason(client_for, people):
    response = post(client_for(people[Role.RESIDENT]), f"{BASE}/cameras", {**CAMERA, "fov_deg": 0})
    assert response.status_code == 400 and "between 1 and 360" in response.json()["detail"]


def test_partner_staff_register_for_their_organisation_at_its_site(client_for, people, partner):
    site = Site.objects.create(organisation=partner, name="Tower A", property_type="multifamily", address="1 Main")
    response = post(client_for(people[Role.PARTNER_MEMBER]), f"{BASE}/cameras",
                    {**CAMERA, "organisation_id": partner.pk, "site_id": site.pk})
    assert response.status_code == 201
    assert (response.json()["owner_organisation_id"], response.json()["site_id"]) == (partner.pk, site.pk)


@pytest.mark.parametrize("who", [Role.RESIDENT, Role.OFFICER, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_outsiders_cannot_register_for_an_organisation(client_for, people, partner, who):
    response = post(client_for(people[who]), f"{BASE}/cameras", {**CAMERA, "organisation_id": partner.pk})
    assert response.status_code == 403 and not Camera.objects.exists()


@pytest.mark.parametrize("who", [Role.OFFICER, Role.PARTNER_MEMBER, Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_outsiders_cannot_read_change_or_pause_a_residents_camera(client_for, people, who):
    camera = services.camera_register(actor=actor_for_user(people[Role.RESIDENT]), **CAMERA)
    client = client_for(people[who])
    assert client.get(f"{BASE}/cameras/{camera.pk}").status_code == 403
    assert client.patch(f"{BASE}/cameras/{camera.pk}", json.dumps({"name": "x"}),
                        content_type="application/json").status_code == 403
    assert post(client, f"{BASE}/cameras/{camera.pk}/status", {"status": "paused"}).status_code == 403
    assert client.get(f"{BASE}/cameras").json() == []


def test_nobody_signed_in_gets_401(client):
    assert client.get(f"{BASE}/cameras").status_code == 401
    assert post(client, f"{BASE}/cameras", CAMERA).status_code == 401
    assert client.post(f"{BASE}/imports", CSV, content_type="text/csv").status_code == 401


def test_a_key_with_cameras_write_registers_and_imports_for_its_organisation(people, partner):
    client = key_client(people, partner, ["cameras:write"])
    response = post(client, f"{BASE}/cameras", CAMERA)
    assert response.status_code == 201 and response.json()["owner_organisation_id"] == partner.pk
    report = client.post(f"{BASE}/imports", CSV, content_type="text/csv")
    assert report.status_code == 200
    assert report.json() == {"created": 2, "updated": 0, "rejected": [
        {"line": 4, "reason": "The field of view must be between 1 and 360."}]}
    assert Camera.objects.filter(owner_organisation=partner).count() == 3


def test_a_key_cannot_act_for_another_organisation(people, partner, security_company):
    client = key_client(people, partner, ["cameras:write"])
    response = post(client, f"{BASE}/cameras", {**CAMERA, "organisation_id": security_company.pk})
    assert response.status_code == 403


def test_a_key_without_the_scope_is_refused(people, partner):
    client = key_client(people, partner, ["organisations:read"])
    assert post(client, f"{BASE}/cameras", CAMERA).status_code == 403
    assert client.post(f"{BASE}/imports", CSV, content_type="text/csv").status_code == 403
    assert client.get(f"{BASE}/cameras").status_code == 403


def test_staff_import_a_file_and_reimporting_updates_by_reference(client_for, people, partner):
    client = client_for(people[Role.PARTNER_ADMIN])
    url = f"{BASE}/imports?organisation_id={partner.pk}"
    first = client.post(url, {"file": SimpleUploadedFile("c.csv", CSV.encode(), content_type="text/csv")})
    assert first.status_code == 200 and (first.json()["created"], first.json()["updated"]) == (2, 0)
    again = client.post(url, {"file": SimpleUploadedFile("c.csv", CSV.encode(), content_type="text/csv")})
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)


def test_an_import_needs_an_organisation_the_person_works_for(client_for, people, partner):
    assert client_for(people[Role.RESIDENT]).post(f"{BASE}/imports", CSV, content_type="text/csv").status_code == 400
    response = client_for(people[Role.OFFICER]).post(f"{BASE}/imports?organisation_id={partner.pk}", CSV,
                                                     content_type="text/csv")
    assert response.status_code == 403 and not Camera.objects.exists()


def test_a_file_missing_required_columns_is_refused(client_for, people, partner):
    response = client_for(people[Role.PARTNER_ADMIN]).post(f"{BASE}/imports?organisation_id={partner.pk}",
                                                           "name,latitude\nGate,44\n", content_type="text/csv")
    assert response.status_code == 400 and "missing" in response.json()["detail"]
