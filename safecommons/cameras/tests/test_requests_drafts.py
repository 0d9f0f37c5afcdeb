"""An owner's files for a request are theirs until they send them: police see nothing before, and a decline,
"no footage" or expiry discards them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from safecommons.cameras.models import EvidenceItem, FootageRequest
from safecommons.cameras.selectors import evidence as evidence_selectors
from safecommons.cameras.services import requests as request_services
from safecommons.cameras.tests.factories_evidence import evidence_item
from safecommons.cameras.tests.factories_requests import camera_of, footage_request_to
from safecommons.core.permissions import actor_for_user, may
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_disk_reserve(settings):
    settings.EVIDENCE_MIN_FREE_BYTES = 1024 * 1024


@pytest.fixture
def pending(people, agency):
    camera = camera_of(people[Role.RESIDENT])
    return footage_request_to(camera, agency=agency, officer=people[Role.OFFICER])


def test_police_see_nothing_of_an_owners_upload_until_it_is_sent(client_for, people, pending):
    item = evidence_item(people[Role.RESIDENT], b"doorbell clip" * 100, footage_request=pending)
    officer = actor_for_user(people[Role.OFFICER])
    assert not evidence_selectors.evidence_locker(actor=officer).exists()
    assert not may(officer, "evidence.view", item) and not may(officer, "evidence.custody", item)
    assert client_for(people[Role.OFFICER]).get(f"/api/cameras/evidence/{item.uid}").status_code == 403
    page = client_for(people[Role.RESIDENT]).get(f"/cameras/requests/{pending.pk}/").content.decode()
    assert "Files uploaded, not sent yet" in page and item.original_name in page  # the owner is told so

    request_services.footage_request_answer(actor=actor_for_user(people[Role.RESIDENT]), footage_request=pending,
                                            answer=FootageRequest.Status.APPROVED)
    assert list(evidence_selectors.evidence_locker(actor=officer)) == [EvidenceItem.objects.get(pk=item.pk)]
    assert client_for(people[Role.OFFICER]).get(f"/api/cameras/evidence/{item.uid}").status_code == 200


@pytest.mark.parametrize("answer", [FootageRequest.Status.DECLINED, FootageRequest.Status.NO_FOOTAGE])
def test_files_uploaded_but_not_sent_are_discarded_with_the_answer(people, pending, answer,
                                                                   django_capture_on_commit_callbacks):
    item = evidence_item(people[Role.RESIDENT], b"not for the police" * 50, footage_request=pending)
    storage, name = item.file.storage, item.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):  # the stored copy goes once the answer commits
        request_services.footage_request_answer(actor=actor_for_user(people[Role.RESIDENT]),
                                                footage_request=pending, answer=answer)
    assert not EvidenceItem.objects.exists()
    assert not storage.exists(name)


def test_files_of_a_request_left_to_expire_are_discarded(people, pending):
    evidence_item(people[Role.RESIDENT], b"too late" * 50, footage_request=pending)
    FootageRequest.objects.filter(pk=pending.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert request_services.footage_requests_expire() == 1
    assert not EvidenceItem.objects.exists()


def test_a_decline_while_the_last_file_is_being_hashed_keeps_nothing(people, pending, monkeypatch):
    from safecommons.cameras.services import evidence as evidence_services
    from safecommons.cameras.tests.factories_evidence import evidence_upload
    from safecommons.core.errors import Refused

    hash_of = evidence_services._sha256_of

    def slow_hash(stream):  # the owner declines in another tab while the hash runs
        request_services.footage_request_answer(actor=actor_for_user(people[Role.RESIDENT]),
                                                footage_request=pending, answer=FootageRequest.Status.DECLINED)
        return hash_of(stream)

    monkeypatch.setattr(evidence_services, "_sha256_of", slow_hash)
    with pytest.raises(Refused, match="no longer add files"):
        evidence_upload(people[Role.RESIDENT], b"late file" * 100, footage_request=pending)
    assert not EvidenceItem.objects.exists()
    pending.refresh_from_db()
    assert pending.status == FootageRequest.Status.DECLINED


def test_an_organisation_sends_no_footage_once_its_agreement_has_ended(people, agency, partner):
    from safecommons.cameras.tests.factories_evidence import evidence_upload
    from safecommons.core.errors import Refused
    from safecommons.partners.models import Agreement, Scope
    from safecommons.partners.tests.factories import agreement_between

    program = agreement_between(partner, agency, Scope.FOOTAGE_ON_REQUEST)
    camera = camera_of(people[Role.PARTNER_MEMBER], organisation=partner, name="Loading dock")
    request = footage_request_to(camera, agency=agency, officer=people[Role.OFFICER])
    evidence_item(people[Role.PARTNER_MEMBER], b"dock clip" * 100, footage_request=request)

    Agreement.objects.filter(pk=program.pk).update(status=Agreement.Status.TERMINATED)
    staff = actor_for_user(people[Role.PARTNER_MEMBER])
    with pytest.raises(Refused, match="no longer in force"):
        evidence_upload(people[Role.PARTNER_MEMBER], b"another clip" * 100, footage_request=request)
    with pytest.raises(Refused, match="no longer in force"):
        request_services.footage_request_answer(actor=staff, footage_request=request,
                                                answer=FootageRequest.Status.APPROVED)
    request_services.footage_request_answer(actor=staff, footage_request=request,
                                            answer=FootageRequest.Status.NO_FOOTAGE)
    assert not EvidenceItem.objects.exists()  # what was uploaded never reached the police
