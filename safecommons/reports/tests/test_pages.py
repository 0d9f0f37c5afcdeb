import io

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from safecommons.accounts.tests.factories import UserFactory
from safecommons.core.audit.models import AuditEntry
from safecommons.core.roles import Role
from safecommons.places.tests.factories import AreaFactory
from safecommons.reports.models import ReportNotification, ServiceRequest
from safecommons.reports.tests.factories import ServiceRequestFactory, jpeg_with_gps

pytestmark = pytest.mark.django_db


def report_form(service, **fields):
    data = {"service": service.code, "description": "Grey sedan, flat tyres, not moved in two weeks.",
            "lat": "44.905", "lon": "-93.295", "attribute_days_parked": "14", "attribute_problems": ["flat"]}
    data.update(fields)
    return data


def with_photo(report: ServiceRequest) -> ServiceRequest:
    report.photo = default_storage.save("reports/0123abcd.jpg", ContentFile(jpeg_with_gps()))
    report.photo_content_type = "image/jpeg"
    report.save()
    return report


def test_a_resident_chooses_a_service_then_reports_with_a_photo_whose_location_is_removed(
    client_for, people, vehicle_service, graffiti_service, area
):
    client = client_for(people[Role.RESIDENT])
    chooser = client.get(reverse("reports:new")).content.decode()
    assert "Abandoned vehicle" in chooser and f"?service={vehicle_service.code}" in chooser
    form = client.get(reverse("reports:new"), {"service": vehicle_service.code}).content.decode()
    assert "Days parked" in form and 'name="attribute_state"' in form and 'name="address"' in form

    photo = SimpleUploadedFile("IMG_0042.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(reverse("reports:new"), report_form(vehicle_service, photo=photo))

    report = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    assert report.reporter == people[Role.RESIDENT] and report.area == area
    assert report.attributes == {"days_parked": 14, "problems": ["flat"]}
    assert report.photo.name.startswith("reports/") and "IMG_0042" not in report.photo.name
    with default_storage.open(report.photo.name, "rb") as stored:
        kept = Image.open(io.BytesIO(stored.read()))
    assert kept.format == "JPEG" and dict(kept.getexif()) == {}

    detail = client.get(response.url)
    assert "Abandoned vehicle" in detail.content.decode() and "Flat tyres" in detail.content.decode()
    assert "/media/" not in detail.content.decode()
    served = client.get(reverse("reports:photo", args=[report.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private, no-store"
    assert dict(Image.open(io.BytesIO(b"".join(served.streaming_content))).getexif()) == {}


def test_the_report_works_without_javascript_from_an_address(client_for, people, graffiti_service):
    from safecommons.places.models import AddressPoint

    AddressPoint.objects.create(number="120", street="Oak St", street_key="oak st", longitude=-93.296, latitude=44.906)
    client = client_for(people[Role.RESIDENT])
    response = client.post(reverse("reports:new"), {"service": graffiti_service.code, "description": "Tags",
                                                    "address": "120 Oak St"})
    assert response.status_code == 302
    assert ServiceRequest.objects.get().address == "120 Oak St"


@pytest.mark.parametrize(("fields", "message"), [
    ({"lat": "", "lon": "", "address": "999 Nowhere Rd"}, "We could not find the address"),
    ({"lat": "", "lon": ""}, "Type an address or pick the place on the map."),
    ({"attribute_days_parked": ""}, "This field is required."),
    ({"attribute_days_parked": "several"}, "Enter a number."),
    ({"photo": SimpleUploadedFile("notes.exe", b"MZ\x90\x00binary", content_type="image/jpeg")},
     "This file type is not accepted."),
])
def test_bad_input_is_explained_and_what_was_typed_is_kept(client_for, people, vehicle_service, fields, message):
    response = client_for(people[Role.RESIDENT]).post(reverse("reports:new"), report_form(vehicle_service, **fields))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Grey sedan, flat tyres, not moved in two weeks." in page
    assert not ServiceRequest.objects.exists()
    assert not default_storage.exists("reports") or not default_storage.listdir("reports")[1]


def test_an_unknown_service_sends_the_resident_back_to_the_list(client_for, people, vehicle_service):
    response = client_for(people[Role.RESIDENT]).post(reverse("reports:new"), {"service": "unicorns",
                                                                                "description": "x"})
    assert response.status_code == 200
    assert "That kind of report is not taken here." in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_another_resident_cannot_open_someone_elses_report_or_photo(client_for, people, graffiti_service):
    report = with_photo(ServiceRequestFactory(service=graffiti_service, reporter=people[Role.RESIDENT]))
    neighbour = client_for(UserFactory(email="neighbour@test.example"))
    assert neighbour.get(reverse("reports:detail", args=[report.pk])).status_code == 403
    assert neighbour.get(reverse("reports:photo", args=[report.pk])).status_code == 403
    assert report.description not in neighbour.get(reverse("reports:mine")).content.decode()
    assert neighbour.get(reverse("reports:detail", args=[report.pk + 1000])).status_code == 404


def test_the_agencys_staff_look_at_a_photo_on_the_record(client_for, people, graffiti_service):
    report = with_photo(ServiceRequestFactory(service=graffiti_service, reporter=people[Role.RESIDENT]))
    assert client_for(people[Role.RESIDENT]).get(reverse("reports:photo", args=[report.pk])).status_code == 200
    assert not AuditEntry.objects.filter(action="report.photo_viewed").exists()
    assert client_for(people[Role.OFFICER]).get(reverse("reports:photo", args=[report.pk])).status_code == 200
    assert AuditEntry.objects.get(action="report.photo_viewed").actor_id == people[Role.OFFICER].pk


def test_a_report_without_a_photo_has_no_photo_page(client_for, people, graffiti_service):
    report = ServiceRequestFactory(service=graffiti_service, reporter=people[Role.RESIDENT])
    assert client_for(people[Role.RESIDENT]).get(reverse("reports:photo", args=[report.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR,
                                  Role.OVERSIGHT])
def test_residents_and_partners_cannot_use_the_staff_queue(client_for, people, graffiti_service, role):
    report = ServiceRequestFactory(service=graffiti_service, reporter=people[Role.RESIDENT])
    client = client_for(people[role])
    assert client.get(reverse("reports:queue")).status_code == 403
    assert client.get(reverse("reports:staff_detail", args=[report.pk])).status_code == 403
    response = client.post(reverse("reports:staff_detail", args=[report.pk]), {"status": "closed", "note": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "open"


def test_staff_move_a_report_and_the_reporter_is_told_in_the_app_and_by_email(
    client_for, people, graffiti_service, immediate_tasks, django_capture_on_commit_callbacks
):
    reporter = people[Role.RESIDENT]
    report = ServiceRequestFactory(service=graffiti_service, reporter=reporter, reporter_phone="555-0199")
    officer = client_for(people[Role.OFFICER])
    page = officer.get(reverse("reports:staff_detail", args=[report.pk])).content.decode()
    assert reporter.email in page and "555-0199" in page
    assert AuditEntry.objects.filter(action="report.viewed", actor_id=people[Role.OFFICER].pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(reverse("reports:staff_detail", args=[report.pk]),
                                {"status": "closed", "note": "Painted over this morning."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "closed"
    assert list(report.updates.values_list("status", flat=True)) == ["open", "closed"]
    assert mail.outbox[0].to == [reporter.email] and "Painted over this morning." in mail.outbox[0].body

    mine = client_for(reporter)
    listing = mine.get(reverse("reports:mine")).content.decode()
    assert "Painted over this morning." in listing and "Closed" in listing
    detail = mine.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Painted over this morning." in detail
    assert not ReportNotification.objects.filter(user=reporter, read_at__isnull=True).exists()


def test_a_status_form_without_a_change_says_so(client_for, people, graffiti_service):
    report = ServiceRequestFactory(service=graffiti_service)
    response = client_for(people[Role.LIAISON]).post(reverse("reports:staff_detail", args=[report.pk]),
                                                     {"status": "open"})
    assert response.status_code == 200 and "Nothing changed" in response.content.decode()


def test_the_queue_filters_by_status_service_and_area(client_for, people, agency, graffiti_service, vehicle_service,
                                                       area):
    east = AreaFactory(agency=agency, name="East End", lon=-93.20, lat=44.90)
    west_graffiti = ServiceRequestFactory(service=graffiti_service, description="West graffiti")
    east_graffiti = ServiceRequestFactory(service=graffiti_service, description="East graffiti",
                                          longitude=-93.195, address="900 East St")
    closed_car = ServiceRequestFactory(service=vehicle_service, status="closed", address="1 Closed Ct")
    client = client_for(people[Role.ANALYST])

    def listed(**query):
        page = client.get(reverse("reports:queue"), query).content.decode()
        return {r.pk for r in (west_graffiti, east_graffiti, closed_car)
                if reverse("reports:staff_detail", args=[r.pk]) in page}

    assert listed() == {west_graffiti.pk, east_graffiti.pk}
    assert listed(status="closed") == {closed_car.pk}
    assert listed(status=["open", "closed"], service=vehicle_service.code) == {closed_car.pk}
    assert listed(area=east.pk) == {east_graffiti.pk}
    assert listed(area=area.pk) == {west_graffiti.pk}
