"""The owner's side of footage requests: only the owner sees and answers them; a decline is final and
names nobody; approving needs an upload; unanswered requests expire; the inbox marks notices read."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from safecommons.accounts.tests.factories import MembershipFactory, UserFactory
from safecommons.cameras.models import FootageRequest, OwnerNotice
from safecommons.cameras.services import evidence as evidence_services
from safecommons.cameras.services import requests as services
from safecommons.cameras.services.notices import owner_notify
from safecommons.cameras.tests.factories_evidence import evidence_upload
from safecommons.cameras.tests.factories_requests import camera_of, footage_request_to
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.partners.models import OrganisationKind, Scope
from safecommons.partners.tests.factories import OrganisationFactory, agreement_between

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_disk_reserve(settings):
    settings.EVIDENCE_MIN_FREE_BYTES = 1024 * 1024  # the test machine's free space is not under test here


@pytest.fixture
def resident_request(people, agency):
    camera = camera_of(people[Role.RESIDENT])
    return footage_request_to(camera, agency=agency, officer=people[Role.OFFICER])


@pytest.fixture
def business_request(people, agency, partner):
    # A request to an organisation's camera exists only under a footage-on-request agreement.
    agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    camera = camera_of(people[Role.PARTNER_MEMBER], organisation=partner, name="Loading dock")
    return footage_request_to(camera, agency=agency, officer=people[Role.OFFICER], case_number="24-000777")


def _answer(user, footage_request, answer, note=""):
    return services.footage_request_answer(actor=actor_for_user(user), footage_request=footage_request,
                                           answer=answer, note=note)


def test_an_owner_sees_only_requests_to_cameras_they_manage(client_for, people, resident_request, business_request):
    mine = client_for(people[Role.RESIDENT]).get(reverse("api:owner_request_list")).json()
    assert [r["id"] for r in mine] == [resident_request.pk]
    staff = client_for(people[Role.PARTNER_ADMIN]).get(reverse("api:owner_request_list")).json()
    assert [r["id"] for r in staff] == [business_request.pk]
    # An officer manages no camera: the owner's list is empty for them.
    assert client_for(people[Role.OFFICER]).get(reverse("api:owner_request_list")).json() == []


@pytest.mark.parametrize("outsider", ["another_resident", "other_organisation_staff", Role.OFFICER,
                                      Role.SECURITY_OPERATOR, Role.OVERSIGHT])
def test_others_are_refused_a_request_and_its_answer(client_for, people, resident_request, business_request,
                                                     outsider):
    if outsider == "another_resident":
        user = UserFactory()
    elif outsider == "other_organisation_staff":
        other = OrganisationFactory(kind=OrganisationKind.BUSINESS, name="Other Shop")
        user = MembershipFactory(organisation=other, role=Role.PARTNER_ADMIN).user
    else:
        user = people[outsider]
    client = client_for(user)
    for footage_request in (resident_request, business_request):
        assert client.get(reverse("api:owner_request_detail", args=[footage_request.pk])).status_code in (403, 404)
        answer = client.post(reverse("api:owner_request_answer", args=[footage_request.pk]),
                             {"answer": "no_footage"}, content_type="application/json")
        assert answer.status_code in (403, 404)
        assert client.get(reverse("cameras:request_detail", args=[footage_request.pk])).status_code in (403, 404)
        assert client.post(reverse("cameras:request_answer", args=[footage_request.pk]),
                           {"answer": "declined"}).status_code in (403, 404)
        footage_request.refresh_from_db()
        assert footage_request.status == FootageRequest.Status.PENDING


def test_nobody_signed_in_is_refused(client, resident_request):
    assert client.get(reverse("api:owner_request_list")).status_code == 401
    assert client.get(reverse("api:owner_request_detail", args=[resident_request.pk])).status_code == 401
    assert client.get(reverse("cameras:requests")).status_code == 302
    assert client.get(reverse("cameras:request_detail", args=[resident_request.pk])).status_code == 302


def test_a_decline_is_final_yields_no_footage_and_names_nobody(client_for, people, resident_request):
    owner = people[Role.RESIDENT]
    started = evidence_services.evidence_upload_start(  # begun before the decline, finished after it
        actor=actor_for_user(owner), filename="clip.mp4", size=4, footage_request=resident_request)
    _answer(owner, resident_request, FootageRequest.Status.DECLINED, note="My neighbour is a friend.")
    resident_request.refresh_from_db()
    assert resident_request.status == FootageRequest.Status.DECLINED
    assert resident_request.answered_by_id is None and resident_request.answer_note == ""
    entry = AuditEntry.objects.get(action="footage.declined")
    assert entry.actor_id is None and entry.actor_label == "camera owner" and entry.organisation_id is None
    assert owner.email not in str(entry.details)

    with pytest.raises(Refused):
        _answer(owner, resident_request, FootageRequest.Status.APPROVED)
    with pytest.raises(PermissionDenied):
        evidence_upload(owner, b"late", footage_request=resident_request)
    from safecommons.cameras.tests.factories_evidence import _Body

    with pytest.raises(Refused, match="no longer add files"):
        evidence_services.evidence_upload_chunk(actor=actor_for_user(owner), upload=started, offset=0,
                                                body=_Body(b"late"), length=4)
    assert not resident_request.evidence.exists()
    assert not evidence_services.upload_part_path(started).exists()

    # What the officer can reach through the owner's API says nothing either.
    officer = client_for(people[Role.OFFICER])
    assert officer.get(reverse("api:owner_request_detail", args=[resident_request.pk])).status_code == 403


def test_sharing_footage_needs_an_upload_first(client_for, people, business_request):
    staff = people[Role.PARTNER_MEMBER]
    client = client_for(staff)
    url = reverse("api:owner_request_answer", args=[business_request.pk])
    refused = client.post(url, {"answer": "approved"}, content_type="application/json")
    assert refused.status_code == 400 and "Upload at least one file" in refused.json()["detail"]

    upload = evidence_upload(staff, b"\x00footage\x00", footage_request=business_request)
    assert (upload.item.agency_id, upload.item.case_number) == (business_request.agency_id, "24-000777")
    answer = client.post(url, {"answer": "approved", "note": "Camera clock runs 2 min fast."},
                         content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "approved" and answer.json()["files_sent"] == 1
    business_request.refresh_from_db()
    assert business_request.answered_by == staff and business_request.answer_note == "Camera clock runs 2 min fast."
    assert AuditEntry.objects.filter(action="footage.approved", actor_id=staff.pk).exists()


def test_no_footage_is_an_answer_with_a_note(client_for, people, resident_request):
    response = client_for(people[Role.RESIDENT]).post(
        reverse("cameras:request_answer", args=[resident_request.pk]),
        {"answer": "no_footage", "note": "The camera was off."})
    assert response.status_code == 302
    resident_request.refresh_from_db()
    assert (resident_request.status, resident_request.answer_note) == ("no_footage", "The camera was off.")
    assert AuditEntry.objects.filter(action="footage.no_footage").exists()


def test_unanswered_requests_expire_and_the_owner_is_told(people, resident_request, business_request):
    business_request.expires_at = timezone.now() + datetime.timedelta(days=30)
    business_request.save(update_fields=["expires_at"])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8), tick=False):
        assert services.footage_requests_expire() == 1
        assert services.footage_requests_expire() == 0
        with pytest.raises(Refused):
            _answer(people[Role.RESIDENT], resident_request, FootageRequest.Status.NO_FOOTAGE)
    resident_request.refresh_from_db()
    business_request.refresh_from_db()
    assert resident_request.status == FootageRequest.Status.EXPIRED
    assert business_request.status == FootageRequest.Status.PENDING
    notice = OwnerNotice.objects.get(kind=OwnerNotice.Kind.REQUEST_EXPIRED)
    assert notice.user == people[Role.RESIDENT] and notice.footage_request == resident_request
    assert AuditEntry.objects.filter(action="footage.expired", object_id=str(resident_request.pk)).exists()


def test_a_request_past_its_date_cannot_be_answered_even_before_the_sweep(people, resident_request):
    with time_machine.travel(resident_request.expires_at + datetime.timedelta(minutes=1), tick=False):
        with pytest.raises(Refused, match="expired"):
            _answer(people[Role.RESIDENT], resident_request, FootageRequest.Status.NO_FOOTAGE)


def test_the_inbox_lists_pending_first_with_the_history_and_marks_notices_read(client_for, people, agency,
                                                                               resident_request):
    owner = people[Role.RESIDENT]
    older = footage_request_to(resident_request.camera, agency=agency, officer=people[Role.OFFICER],
                               case_number="23-000001")
    _answer(owner, older, FootageRequest.Status.NO_FOOTAGE)
    notice = owner_notify(kind=OwnerNotice.Kind.REQUEST, camera=resident_request.camera,
                          footage_request=resident_request, email=False)
    response = client_for(owner).get(reverse("cameras:requests"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["pending"]] == [resident_request.pk]
    assert [r.pk for r in response.context["history"]] == [older.pk]
    assert "23-000001" in response.content.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_the_request_page_tells_the_owner_who_asks_and_why(client_for, people, agency, resident_request):
    officer = people[Role.OFFICER]
    officer.memberships.filter(organisation=agency).update(badge_number="4711")
    page = client_for(people[Role.RESIDENT]).get(reverse("cameras:request_detail", args=[resident_request.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for fact in ("Testville Police Department", "4711", "24-001234", "Burglary", resident_request.reason):
        assert fact in text
    assert "Decline this request" in text and "js/cameras-upload.js" in text
