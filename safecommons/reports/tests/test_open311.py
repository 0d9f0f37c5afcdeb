"""Open311 GeoReport v2: the documents a 311 client reads and writes, in JSON and XML, and every refusal."""

import datetime
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners import services as partner_services
from safecommons.reports.models import ServiceRequest
from safecommons.reports.tests.conftest import issue_key
from safecommons.reports.tests.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_KEYS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
ATTRIBUTE_KEYS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description",
                  "values"}


def xml_of(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314  (our own server's answer, in a test)


def open311_error(response, fmt: str) -> tuple[int, str]:
    """(code, description) of the single error in an Open311 error document; the code matches the HTTP status."""
    if fmt == "xml":
        root = xml_of(response)
        assert root.tag == "errors"
        (error,) = root.findall("error")
        code, description = int(error.findtext("code")), error.findtext("description")
    else:
        (error,) = response.json()
        code, description = error["code"], error["description"]
    assert code == response.status_code
    return code, description


def submission(service, secret, **fields):
    data = {"api_key": secret, "service_code": service.code, "lat": "44.905", "long": "-93.295",
            "description": "Grey sedan with flat tyres", "email": "sam@example.org", "first_name": "Sam",
            "last_name": "Rivera", "phone": "555-0142", "attribute[days_parked]": "9",
            "media_url": "https://photos.example/car.jpg"}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


# --- Services


def test_services_json_lists_every_active_service_with_the_spec_keys(client, vehicle_service, graffiti_service):
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    services = {s["service_code"]: s for s in response.json()}
    assert set(services) == {"abandoned-vehicle", "graffiti"}
    assert all(set(s) == SERVICE_KEYS for s in services.values())
    assert services["abandoned-vehicle"]["metadata"] is True and services["graffiti"]["metadata"] is False
    assert services["graffiti"] | {"description": ""} == {
        "service_code": "graffiti", "service_name": "Graffiti", "description": "", "metadata": False,
        "type": "realtime", "keywords": "street, fix", "group": "Property"}


def test_services_xml_parses(client, vehicle_service, graffiti_service):
    root = xml_of(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = {s.findtext("service_code"): s.findtext("metadata") for s in root.findall("service")}
    assert codes == {"abandoned-vehicle": "true", "graffiti": "false"}


def test_the_service_definition_lists_the_attributes_in_order(client, vehicle_service):
    definition = client.get(f"{BASE}/services/abandoned-vehicle.json").json()
    assert definition["service_code"] == "abandoned-vehicle"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["plate", "colour", "days_parked", "state", "problems", "seen_on"]
    assert all(set(a) == ATTRIBUTE_KEYS for a in attributes)
    days = attributes[2]
    assert (days["datatype"], days["required"], days["variable"], days["values"]) == ("number", True, True, [])
    assert attributes[3]["values"] == [{"key": "intact", "name": "Intact"}, {"key": "wrecked", "name": "Wrecked"}]

    root = xml_of(client.get(f"{BASE}/services/abandoned-vehicle.xml"))
    assert root.tag == "service_definition"
    state = root.findall("attributes/attribute")[3]
    assert state.findtext("datatype") == "singlevaluelist" and state.findtext("required") == "false"
    assert [v.findtext("key") for v in state.findall("values/value")] == ["intact", "wrecked"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_without_attributes_or_unknown_has_no_definition(client, graffiti_service, fmt):
    code, description = open311_error(client.get(f"{BASE}/services/graffiti.{fmt}"), fmt)
    assert code == 404 and "metadata is false" in description
    code, description = open311_error(client.get(f"{BASE}/services/unicorns.{fmt}"), fmt)
    assert code == 404 and "'unicorns' is not a service" in description


# --- Submitting


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_311_client_submits_a_request_and_gets_its_id(client, vehicle_service, submit_key, area, fmt):
    api_key, secret = submit_key
    response = client.post(f"{BASE}/requests.{fmt}", submission(
        vehicle_service, secret, **{"attribute[state]": "wrecked", "attribute[problems][]": ["flat", "glass"],
                                    "jurisdiction_id": "riverton.example"}))
    assert response.status_code == 201, response.content
    report = ServiceRequest.objects.get()
    expected = {"service_request_id": str(report.pk), "service_notice": "An officer checks the vehicle before any tow.",
                "account_id": None}
    if fmt == "json":
        assert response.json() == [expected]
    else:
        root = xml_of(response)
        assert root.tag == "service_requests"
        (request,) = root.findall("request")
        assert {child.tag: child.text for child in request} == expected
    assert report.submitted_via == "open311" and report.api_key == api_key and report.reporter is None
    assert (report.reporter_email, report.reporter_first_name, report.reporter_last_name, report.reporter_phone) == (
        "sam@example.org", "Sam", "Rivera", "555-0142")
    assert report.attributes == {"days_parked": 9, "state": "wrecked", "problems": ["flat", "glass"]}
    assert report.area == area and not report.photo


def test_a_bearer_header_works_as_the_api_key_and_no_csrf_token_is_needed(vehicle_service, submit_key):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {submit_key[1]}"})
    response = client.post(f"{BASE}/requests.json", submission(vehicle_service, None))
    assert response.status_code == 201


BAD_SUBMISSIONS = {
    "unknown service": ({"service_code": "unicorns"}, 400, "service_code 'unicorns' is not a service"),
    "no service": ({"service_code": ""}, 400, "service_code is required"),
    "no location": ({"lat": "", "long": ""}, 400, "Say where the problem is"),
    "half a point": ({"long": ""}, 400, "Give both a latitude and a longitude"),
    "not a number": ({"lat": "north"}, 400, "lat must be a decimal number"),
    "outside the city": ({"lat": "40.0", "long": "-100.0"}, 400, "outside the area"),
    "missing required attribute": ({"attribute[days_parked]": ""}, 400, "Required: attribute[days_parked]"),
    "unknown attribute": ({"attribute[wheels]": "4"}, 400, "attribute[wheels]: not an attribute"),
    "bad list value": ({"attribute[state]": "on fire"}, 400, "attribute[state]: on fire is not one of"),
    "no email": ({"email": ""}, 400, "An email is required"),
    "bad email": ({"email": "sam at example"}, 400, "is not an email address"),
    "other jurisdiction": ({"jurisdiction_id": "gotham.example"}, 404, "jurisdiction_id 'gotham.example' is not"),
    "no api key": ({"api_key": ""}, 400, "api_key is required"),
    "unknown api key": ({"api_key": "sc_deadbeef_not-a-real-secret"}, 401, "api_key is not valid"),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", list(BAD_SUBMISSIONS))
def test_bad_input_gets_a_clear_open311_error_and_nothing_is_stored(client, vehicle_service, submit_key, case, fmt):
    fields, status, message = BAD_SUBMISSIONS[case]
    response = client.post(f"{BASE}/requests.{fmt}", submission(vehicle_service, submit_key[1], **fields))
    code, description = open311_error(response, fmt)
    assert code == status and message in description, description
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_key_without_the_scope_or_revoked_is_refused(client, people, partner, vehicle_service, fmt):
    _key, places_only = issue_key(people, partner, ["places:read"])
    code, description = open311_error(client.post(f"{BASE}/requests.{fmt}", submission(vehicle_service, places_only)),
                                      fmt)
    assert code == 403 and "reports:submit" in description

    api_key, secret = issue_key(people, partner, ["reports:submit"])
    partner_services.api_key_revoke(actor=actor_for_user(people[Role.PARTNER_ADMIN]), api_key=api_key)
    code, _ = open311_error(client.post(f"{BASE}/requests.{fmt}", submission(vehicle_service, secret)), fmt)
    assert code == 401
    assert not ServiceRequest.objects.exists()


def test_a_signed_in_session_is_not_an_api_key(client_for, people, vehicle_service):
    response = client_for(people[Role.RESIDENT]).post(f"{BASE}/requests.json", submission(vehicle_service, ""))
    assert open311_error(response, "json")[0] == 400
    assert not ServiceRequest.objects.exists()


# --- Reading requests


@pytest.fixture
def reports(people, vehicle_service, graffiti_service):
    """An open report with answers, a closed one with a note, and one from 100 days ago."""
    car = ServiceRequestFactory(service=vehicle_service, reporter=people[Role.RESIDENT], reporter_phone="555-0199",
                                attributes={"days_parked": 9}, description="Grey sedan")
    graffiti = ServiceRequestFactory(service=graffiti_service, reporter=None, reporter_email="sam@example.org",
                                     reporter_first_name="Sam", status="closed", status_notes="Painted over.",
                                     expected_at=timezone.now())
    old = ServiceRequestFactory(service=graffiti_service, requested_at=timezone.now() - datetime.timedelta(days=100))
    return {"car": car, "graffiti": graffiti, "old": old}


def ids(response) -> list[int]:
    return [int(r["service_request_id"]) for r in response.json()]


def test_the_list_shows_what_and_where_but_never_who(client, people, reports):
    response = client.get(f"{BASE}/requests.json")
    listed = {int(r["service_request_id"]): r for r in response.json()}
    assert set(listed) == {reports["car"].pk, reports["graffiti"].pk}  # the last 90 days by default
    assert all(set(r) == REQUEST_KEYS for r in listed.values())
    graffiti = listed[reports["graffiti"].pk]
    assert (graffiti["status"], graffiti["status_notes"], graffiti["service_code"]) == (
        "closed", "Painted over.", "graffiti")
    assert graffiti["agency_responsible"] == "Testville Police Department"
    assert (graffiti["lat"], graffiti["long"], graffiti["media_url"]) == (44.905, -93.295, "")
    assert datetime.datetime.fromisoformat(graffiti["requested_datetime"]).tzinfo is not None
    assert listed[reports["car"].pk]["status"] == "open" and listed[reports["car"].pk]["expected_datetime"] is None
    body = response.content.decode() + client.get(f"{BASE}/requests.xml").content.decode()
    for secret in (people[Role.RESIDENT].email, people[Role.RESIDENT].display_name, "555-0199", "sam@example.org",
                   "Sam"):
        assert secret not in body


def test_the_list_in_xml_parses(client, reports):
    root = xml_of(client.get(f"{BASE}/requests.xml", {"status": "closed"}))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert {child.tag for child in request} == REQUEST_KEYS
    assert request.findtext("service_request_id") == str(reports["graffiti"].pk)
    assert request.findtext("status") == "closed" and request.findtext("status_notes") == "Painted over."


def test_the_list_filters_as_the_spec_says(client, reports, vehicle_service):
    car, graffiti, old = reports["car"], reports["graffiti"], reports["old"]
    assert ids(client.get(f"{BASE}/requests.json", {"status": "open"})) == [car.pk]
    assert set(ids(client.get(f"{BASE}/requests.json", {"status": "open,closed"}))) == {car.pk, graffiti.pk}
    assert ids(client.get(f"{BASE}/requests.json", {"service_code": "abandoned-vehicle"})) == [car.pk]
    # Ids pick requests whatever their age, and the other filters are then ignored.
    picked = client.get(f"{BASE}/requests.json", {"service_request_id": f"{old.pk},{car.pk}", "status": "closed"})
    assert set(ids(picked)) == {old.pk, car.pk}
    long_ago = (timezone.now() - datetime.timedelta(days=120)).isoformat()
    ten_days_ago = (timezone.now() - datetime.timedelta(days=10)).isoformat()
    assert ids(client.get(f"{BASE}/requests.json", {"start_date": long_ago, "end_date": ten_days_ago})) == [old.pk]
    assert set(ids(client.get(f"{BASE}/requests.json", {"start_date": long_ago}))) == {car.pk, graffiti.pk, old.pk}
    assert client.get(f"{BASE}/requests.json", {"jurisdiction_id": "riverton.example"}).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("query", "message"), [
    ({"status": "pending"}, "status must be open, closed or both"),
    ({"start_date": "last week"}, "start_date must be a W3C datetime"),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "start_date is after end_date"),
    ({"service_request_id": "12,abc"}, "service_request_id must be a comma-separated list"),
    ({"jurisdiction_id": "gotham.example"}, "is not served here"),
])
def test_bad_list_parameters_get_an_open311_error(client, reports, query, message, fmt):
    code, description = open311_error(client.get(f"{BASE}/requests.{fmt}", query), fmt)
    assert code in (400, 404) and message in description


def test_one_request_in_both_formats(client, reports):
    car = reports["car"]
    (request,) = client.get(f"{BASE}/requests/{car.pk}.json").json()
    assert request["service_request_id"] == str(car.pk) and request["description"] == "Grey sedan"
    root = xml_of(client.get(f"{BASE}/requests/{car.pk}.xml"))
    assert root.find("request").findtext("service_name") == "Abandoned vehicle"
    for fmt in ("json", "xml"):
        code, description = open311_error(client.get(f"{BASE}/requests/{car.pk + 1000}.{fmt}"), fmt)
        assert code == 404 and "was not found" in description


def test_a_method_the_endpoint_does_not_take_is_an_open311_error(client, reports):
    response = client.delete(f"{BASE}/requests.json")
    assert open311_error(response, "json") == (405, "DELETE is not allowed here; use GET or POST.")
    assert response["Allow"] == "GET, POST"
    assert client.post(f"{BASE}/services.json").status_code == 405


def test_characters_xml_cannot_hold_are_left_out(client, reports):
    car = reports["car"]
    ServiceRequest.objects.filter(pk=car.pk).update(status_notes="Towed\x0b today")
    root = xml_of(client.get(f"{BASE}/requests/{car.pk}.xml"))
    assert root.find("request").findtext("status_notes") == "Towed today"
    assert json.loads(client.get(f"{BASE}/requests/{car.pk}.json").content)[0]["status_notes"] == "Towed\x0b today"


@pytest.mark.parametrize("method", ["post", "delete", "patch", "put"])
def test_a_method_an_endpoint_does_not_take_gets_an_open311_405(client, method, db):
    response = getattr(client, method)("/open311/v2/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response.json()[0]["code"] == 405


@pytest.mark.parametrize("path, kind", [("requests/abc.json", "json"), ("services.yaml", "json"),
                                        ("requests/abc.xml", "xml")])
def test_an_unknown_open311_path_gets_an_open311_404(client, path, kind, db):
    response = client.get(f"/open311/v2/{path}")
    assert response.status_code == 404
    if kind == "json":
        assert response.json()[0]["code"] == 404
    else:
        assert b"<errors>" in response.content
