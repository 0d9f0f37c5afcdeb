"""The evidence locker: the hash survives a chunked, resumed upload; limits are enforced before anything is
written; originals never change; tampering is found by the re-hash; exports match their manifest and
custody log; every read and every file leaving the locker is on the record; outsiders are refused."""

import collections
import datetime
import hashlib
import io
import json
import os
import shutil
import zipfile

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from safecommons.accounts.tests.factories import UserFactory
from safecommons.cameras.models import EvidenceItem, EvidenceUpload, FootageRequest
from safecommons.cameras.services import evidence as services
from safecommons.cameras.services import requests as request_services
from safecommons.cameras.tests.factories_evidence import _Body, api_upload, evidence_item, evidence_upload
from safecommons.cameras.tests.factories_requests import camera_of, footage_request_to
from safecommons.core.audit.models import AuditEntry
from safecommons.core.errors import Refused
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 12 + b"tail"  # 3,076 bytes: three full 1 KiB chunks and a short one


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.EVIDENCE_CHUNK_BYTES = 1024
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    settings.EVIDENCE_MIN_FREE_BYTES = 1024 * 1024


def _custody_actions(item):
    return list(AuditEntry.objects.filter(object_type="cameras.evidenceitem", object_id=str(item.pk))
                .order_by("seq").values_list("action", flat=True))


def _incoming_files():
    directory = services.incoming_dir()
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- Uploads


def test_the_hash_survives_a_chunked_upload_resumed_after_a_dropped_connection(client_for, people):
    officer = people[Role.OFFICER]
    client = client_for(officer)
    start = client.post(reverse("api:evidence_upload_start"), {
        "case_number": "24-001234", "filename": "../../etc/door cam.mp4", "size": len(DATA),
        "content_type": "video/mp4", "sha256": hashlib.sha256(DATA).hexdigest()}, content_type="application/json")
    assert start.status_code == 201, start.content
    assert (start.json()["offset"], start.json()["chunk_bytes"]) == (0, 1024)
    url = reverse("api:evidence_upload_chunk", args=[start.json()["id"]])

    first = client.put(url, DATA[:1024], content_type="application/octet-stream", headers={"Upload-Offset": "0"})
    assert first.json() == {"id": start.json()["id"], "offset": 1024, "size": len(DATA), "status": "receiving",
                            "item": None}
    # The client thinks the first chunk was lost and sends it again: refused, told where to carry on.
    again = client.put(url, DATA[:1024], content_type="application/octet-stream", headers={"Upload-Offset": "0"})
    assert again.status_code == 409 and again.json()["offset"] == 1024 and again["Upload-Offset"] == "1024"
    # The connection drops half-way through the next chunk: what arrived is kept.
    upload = EvidenceUpload.objects.get(uid=start.json()["id"])
    services.evidence_upload_chunk(actor=actor_for_user(officer), upload=upload, offset=1024,
                                   body=_Body(DATA[1024:1500]), length=1024)
    state = client.get(url).json()
    assert (state["offset"], state["status"]) == (1500, "receiving")
    offset = state["offset"]
    while offset < len(DATA):
        answer = client.put(url, DATA[offset:offset + 1024], content_type="application/octet-stream",
                            headers={"Upload-Offset": str(offset)}).json()
        offset = answer["offset"]
    assert answer["status"] == "complete"

    item = EvidenceItem.objects.get(uid=answer["item"])
    assert item.sha256 == hashlib.sha256(DATA).hexdigest() and item.size == len(DATA)
    assert item.original_name == "door cam.mp4" and item.agency.name == "Testville Police Department"
    with item.file.open("rb") as stored:
        assert stored.read() == DATA
    assert item.file.name == f"evidence/{item.uid}/original"  # the uploader's name is not in the path
    assert _incoming_files() == []
    entry = AuditEntry.objects.get(action="evidence.uploaded")
    assert entry.actor_id == officer.pk and entry.details["sha256"] == item.sha256


def test_a_preview_is_made_in_the_background_once_the_upload_commits(people, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = evidence_item(people[Role.OFFICER], _jpeg(), name="still.jpg", content_type="image/jpeg")
    assert not item.preview  # nothing runs before the commit
    for callback in callbacks:
        callback()
    item.refresh_from_db()
    assert item.preview.name == f"evidence/{item.uid}/preview.jpg"


def test_a_file_over_the_size_limit_is_refused_before_anything_is_written(client_for, people):
    response = client_for(people[Role.OFFICER]).post(reverse("api:evidence_upload_start"), {
        "case_number": "24-1", "filename": "huge.mp4", "size": 1024 * 1024 + 1}, content_type="application/json")
    assert response.status_code == 413 and "larger than the 1 MB limit" in response.json()["detail"]
    assert not EvidenceUpload.objects.exists() and _incoming_files() == []


def test_an_upload_that_would_fill_the_disk_is_refused_before_anything_is_written(client_for, people, monkeypatch):
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(services.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 1024 * 1024 - 2000,
                                                                          1024 * 1024 + 2000))
    client = client_for(people[Role.OFFICER])
    fits = client.post(reverse("api:evidence_upload_start"), {"case_number": "24-1", "filename": "a.mp4",
                                                              "size": 1000}, content_type="application/json")
    assert fits.status_code == 201
    # The first upload still owes 1,000 bytes: a second of 1,500 would leave less than the reserve.
    refused = client.post(reverse("api:evidence_upload_start"), {"case_number": "24-1", "filename": "b.mp4",
                                                                 "size": 1500}, content_type="application/json")
    assert refused.status_code == 413 and "not enough free disk space" in refused.json()["detail"]
    assert EvidenceUpload.objects.count() == 1 and len(_incoming_files()) == 1


def test_a_chunk_past_the_declared_size_or_over_the_chunk_limit_is_refused(client_for, people):
    client = client_for(people[Role.OFFICER])
    start = client.post(reverse("api:evidence_upload_start"), {"case_number": "24-1", "filename": "a.bin",
                                                               "size": 100}, content_type="application/json")
    url = reverse("api:evidence_upload_chunk", args=[start.json()["id"]])
    past = client.put(url, b"x" * 101, content_type="application/octet-stream", headers={"Upload-Offset": "0"})
    assert past.status_code == 400 and "past the size declared" in past.json()["detail"]
    assert client.put(url, b"x" * 1025, content_type="application/octet-stream",
                      headers={"Upload-Offset": "0"}).status_code == 413
    assert client.put(url, b"x", content_type="application/octet-stream").status_code == 400  # no offset
    assert client.get(url).json()["offset"] == 0


def test_a_hash_mismatch_refuses_the_file_and_keeps_nothing(people):
    with pytest.raises(Refused, match="does not match the SHA-256"):
        evidence_upload(people[Role.OFFICER], DATA, sha256=hashlib.sha256(b"something else").hexdigest())
    assert not EvidenceItem.objects.exists() and _incoming_files() == []
    assert EvidenceUpload.objects.get().status == EvidenceUpload.Status.ABANDONED
    assert AuditEntry.objects.filter(action="evidence.upload_refused", outcome="failed").exists()


def test_only_the_person_who_started_an_upload_may_continue_it(client_for, people, agency):
    from safecommons.accounts.tests.factories import MembershipFactory

    start = client_for(people[Role.OFFICER]).post(reverse("api:evidence_upload_start"), {
        "case_number": "24-1", "filename": "a.bin", "size": 10}, content_type="application/json")
    colleague = MembershipFactory(organisation=agency, role=Role.OFFICER).user
    url = reverse("api:evidence_upload_chunk", args=[start.json()["id"]])
    assert client_for(colleague).get(url).status_code == 404
    assert client_for(colleague).put(url, b"x" * 10, content_type="application/octet-stream",
                                     headers={"Upload-Offset": "0"}).status_code == 404


def test_uploads_untouched_for_a_day_are_abandoned_and_their_parts_removed(people):
    actor = actor_for_user(people[Role.OFFICER])
    stale = services.evidence_upload_start(actor=actor, filename="a.bin", size=10, case_number="24-1")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25), tick=False):
        fresh = services.evidence_upload_start(actor=actor, filename="b.bin", size=10, case_number="24-1")
        assert services.evidence_uploads_abandon() == 1
    stale.refresh_from_db()
    assert stale.status == EvidenceUpload.Status.ABANDONED
    assert _incoming_files() == [f"{fresh.uid}.part"]


# --- The owner's uploads


def test_an_owner_uploads_only_to_a_pending_request_for_their_own_camera(client_for, people, agency):
    owner, other = people[Role.RESIDENT], UserFactory()
    footage_request = footage_request_to(camera_of(owner), agency=agency, officer=people[Role.OFFICER])
    elsewhere = footage_request_to(camera_of(other, name="Other"), agency=agency, officer=people[Role.OFFICER])
    client = client_for(owner)

    def start(request_id, **fields):
        return client.post(reverse("api:evidence_upload_start"), {
            "footage_request_id": request_id, "filename": "porch.mp4", "size": 10, **fields},
            content_type="application/json")

    assert start(elsewhere.pk).status_code == 403
    assert start(None, case_number="24-999").status_code == 403  # a resident has no locker of their own
    answer = api_upload(client, b"0123456789", chunk=1024, footage_request_id=footage_request.pk,
                        case_number="ignored")
    item = EvidenceItem.objects.get(uid=answer["item"])
    assert (item.agency, item.case_number, item.footage_request) == (agency, "24-001234", footage_request)
    request_services.footage_request_answer(actor=actor_for_user(owner), footage_request=footage_request,
                                            answer=FootageRequest.Status.APPROVED)
    assert start(footage_request.pk).status_code == 403  # answered: no more files
    with pytest.raises(PermissionDenied):
        services.evidence_upload_start(actor=actor_for_user(people[Role.OFFICER]), filename="x", size=1,
                                       footage_request=elsewhere)


# --- Immutability and re-hash


def test_an_evidence_item_cannot_be_changed_after_receipt(people):
    item = evidence_item(people[Role.OFFICER], DATA)
    item.sha256 = "0" * 64
    with pytest.raises(ValueError, match="sha256"):
        item.save()
    with pytest.raises(ValueError, match="case_number"):
        item.save(update_fields=["case_number"])
    item = EvidenceItem.objects.get(pk=item.pk)
    item.file.name = "evidence/elsewhere"
    with pytest.raises(ValueError, match="file"):
        item.save()
    item = EvidenceItem.objects.get(pk=item.pk)
    item.integrity = EvidenceItem.Integrity.OK
    item.save(update_fields=["integrity"])  # what the re-hash records may change
    assert EvidenceItem.objects.get(pk=item.pk).sha256 == hashlib.sha256(DATA).hexdigest()


def _overwrite(item, data: bytes):
    path = item.file.path
    os.chmod(path, 0o640)  # stored read-only; a tamperer with disk access changes that first
    with open(path, "wb") as stored:
        stored.write(data)


def test_tampering_is_found_by_the_rehash_and_the_command_fails(people):
    officer = people[Role.OFFICER]
    intact = evidence_item(officer, DATA, name="intact.mp4")
    tampered = evidence_item(officer, DATA, name="tampered.mp4")
    gone = evidence_item(officer, DATA, name="gone.mp4")
    call_command("evidence_verify", verbosity=0)  # all well so far

    _overwrite(tampered, DATA[:-1] + b"!")
    os.remove(gone.file.path)
    report = services.evidence_rehash_all()
    assert (report.checked, report.ok, report.mismatched, report.missing) == (3, 1, 1, 1)
    with pytest.raises(CommandError, match="1 do not match, 1 missing"):
        call_command("evidence_verify", verbosity=0)
    for item, integrity in ((intact, "ok"), (tampered, "mismatch"), (gone, "missing")):
        item.refresh_from_db()
        assert item.integrity == integrity and item.verified_at is not None
    assert tampered.sha256 == hashlib.sha256(DATA).hexdigest()  # the hash on receipt stays as it was
    assert "evidence.hash_mismatch" in _custody_actions(tampered)
    assert "evidence.file_missing" in _custody_actions(gone)


# --- Custody: views, downloads, shares, exports


def test_every_view_and_download_is_in_the_custody_log_with_the_reason(client_for, people):
    item = evidence_item(people[Role.OFFICER], DATA)
    analyst = client_for(people[Role.ANALYST])
    assert analyst.get(reverse("cameras:evidence_detail", args=[item.uid])).status_code == 200
    assert analyst.get(reverse("api:evidence_detail", args=[item.uid])).json()["sha256"] == item.sha256
    no_reason = analyst.post(reverse("cameras:evidence_download", args=[item.uid]), {"reason": " "})
    assert no_reason.status_code == 302
    page = analyst.post(reverse("cameras:evidence_download", args=[item.uid]), {"reason": "Court copy"})
    assert b"".join(page.streaming_content) == DATA
    api = analyst.post(reverse("api:evidence_download", args=[item.uid]), {"reason": "Lab analysis"},
                       content_type="application/json")
    assert b"".join(api.streaming_content) == DATA and api["X-Content-SHA256"] == item.sha256
    assert api["Content-Length"] == str(len(DATA))

    custody = analyst.get(reverse("api:evidence_custody", args=[item.uid])).json()
    assert [(e["action"], e["reason"]) for e in custody["entries"]] == [
        ("evidence.uploaded", ""), ("evidence.viewed", ""), ("evidence.viewed", ""),
        ("evidence.downloaded", "Court copy"), ("evidence.downloaded", "Lab analysis")]
    assert custody["entries"][3]["actor"] == people[Role.ANALYST].email
    assert custody["entries"][3]["role"] == Role.ANALYST


def test_a_share_link_works_for_its_recipient_until_it_expires_and_each_use_is_recorded(client_for, client,
                                                                                         people):
    item = evidence_item(people[Role.OFFICER], DATA)
    supervisor = client_for(people[Role.SUPERVISOR])
    created = supervisor.post(reverse("api:evidence_share", args=[item.uid]), {
        "recipient": "County Prosecutor's Office", "reason": "Charging decision", "days": 2},
        content_type="application/json")
    assert created.status_code == 201, created.content
    path = created.json()["url"].removeprefix("http://testserver")
    page = supervisor.post(reverse("cameras:evidence_share", args=[item.uid]), {
        "recipient": "Public Defender", "reason": "Discovery", "days": 3})
    assert page.status_code == 200 and "/cameras/evidence/shared/" in page.content.decode()
    assert client.get(path).status_code == 200
    assert b"".join(client.post(path).streaming_content) == DATA
    assert b"".join(client.post(path).streaming_content) == DATA
    shared = AuditEntry.objects.filter(action="evidence.shared").order_by("seq").first()
    assert shared.reason == "Charging decision" and shared.details["recipient"] == "County Prosecutor's Office"
    uses = AuditEntry.objects.filter(action="evidence.share_used")
    assert uses.count() == 2 and {u.details["link"] for u in uses} == {shared.details["link"]}
    assert client.post(path[:-3] + "xx/").status_code == 410  # a forged link
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, minutes=1), tick=False):
        assert client.post(path).status_code == 410
    assert AuditEntry.objects.filter(action="evidence.share_used").count() == 2


def test_an_export_matches_its_manifest_and_carries_the_custody_log(client_for, people):
    officer = people[Role.OFFICER]
    first = evidence_item(officer, DATA, name="front door.mp4")
    second = evidence_item(officer, b"second file", name="notes.txt", content_type="text/plain")
    evidence_item(officer, b"another case", case_number="24-999999")
    services.evidence_download(actor=actor_for_user(officer), item=first, reason="Review").close()

    response = client_for(people[Role.SUPERVISOR]).post(reverse("cameras:evidence_export"), {
        "case_number": "24-001234", "reason": "Disclosure to the defence"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    package = b"".join(response.streaming_content)
    assert response["X-Content-SHA256"] == hashlib.sha256(package).hexdigest()

    archive = zipfile.ZipFile(io.BytesIO(package))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["case_number"] == "24-001234" and manifest["reason"] == "Disclosure to the defence"
    assert manifest["exporter"]["label"] == people[Role.SUPERVISOR].email
    assert {f["uid"] for f in manifest["files"]} == {str(first.uid), str(second.uid)}
    for entry in manifest["files"]:
        content = archive.read(entry["name"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"] and len(content) == entry["size"]
        assert entry["matches_at_export"] is True
    assert f"files/{first.uid}-front_door.mp4" in archive.namelist()
    custody = {item["uid"]: item for item in json.loads(archive.read("custody.json"))["items"]}
    assert [e["action"] for e in custody[str(first.uid)]["entries"]] == ["evidence.uploaded", "evidence.downloaded"]
    assert custody[str(first.uid)]["entries"][1]["reason"] == "Review"
    assert archive.read("custody.pdf").startswith(b"%PDF")

    exported = AuditEntry.objects.filter(action="evidence.exported")
    assert exported.count() == 2
    assert {e.details["package_sha256"] for e in exported} == {hashlib.sha256(package).hexdigest()}
    assert {e.reason for e in exported} == {"Disclosure to the defence"}


def test_an_export_needs_a_reason_and_something_to_export(people):
    actor = actor_for_user(people[Role.SUPERVISOR])
    evidence_item(people[Role.OFFICER], DATA)
    with pytest.raises(Refused, match="reason"):
        services.evidence_export(actor=actor, case_number="24-001234", reason="")
    with pytest.raises(Refused, match="nothing in the locker"):
        services.evidence_export(actor=actor, case_number="no-such-case", reason="Disclosure")


# --- Previews


def _jpeg(width=1600, height=900) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_image_preview_is_made_from_a_copy_and_the_original_is_untouched(client_for, people):
    data = _jpeg()
    item = evidence_item(people[Role.OFFICER], data, name="still.jpg", content_type="image/jpeg")
    assert services.evidence_preview_make(item_id=item.pk) is True
    item.refresh_from_db()
    with item.preview.open("rb") as preview:
        assert max(Image.open(preview).size) == services.PREVIEW_PIXELS
    with item.file.open("rb") as original:
        assert hashlib.sha256(original.read()).hexdigest() == item.sha256
    page = client_for(people[Role.OFFICER]).get(reverse("cameras:evidence_preview", args=[item.uid]))
    assert page.status_code == 200 and page["Content-Type"] == "image/jpeg"
    assert AuditEntry.objects.filter(action="evidence.preview_viewed", object_id=str(item.pk),
                                     actor_id=people[Role.OFFICER].pk).exists()  # a frame is a view of it


def test_a_video_without_ffmpeg_has_no_preview_and_the_page_says_so(client_for, people, monkeypatch):
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    item = evidence_item(people[Role.OFFICER], DATA)
    assert services.evidence_preview_make(item_id=item.pk) is False
    page = client_for(people[Role.OFFICER]).get(reverse("cameras:evidence_detail", args=[item.uid]))
    assert "video previews need ffmpeg" in page.content.decode()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_video_preview_is_one_frame_through_ffmpeg(people, tmp_path):
    import subprocess

    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",  # noqa: S607
                    "testsrc=duration=2:size=320x240:rate=10", "-pix_fmt", "yuv420p", str(clip)], check=True)
    item = evidence_item(people[Role.OFFICER], clip.read_bytes(), name="clip.mp4", content_type="video/mp4")
    assert services.evidence_preview_make(item_id=item.pk) is True
    item.refresh_from_db()
    with item.preview.open("rb") as preview:
        assert Image.open(preview).size == (320, 240)


# --- Who may do what


FILE_ENDPOINTS = ["page_locker", "page_detail", "page_download", "page_share", "page_export", "page_preview",
                  "api_list", "api_detail", "api_download", "api_share", "api_export", "api_upload_start"]


def _call(client, endpoint: str, item):
    uid = item.uid
    reason = {"reason": "Curious"}
    return {
        "page_locker": lambda: client.get(reverse("cameras:evidence_locker")),
        "page_detail": lambda: client.get(reverse("cameras:evidence_detail", args=[uid])),
        "page_download": lambda: client.post(reverse("cameras:evidence_download", args=[uid]), reason),
        "page_share": lambda: client.post(reverse("cameras:evidence_share", args=[uid]),
                                          {**reason, "recipient": "Me", "days": 1}),
        "page_export": lambda: client.post(reverse("cameras:evidence_export"), {**reason, "case_number": "24-001234"}),
        "page_preview": lambda: client.get(reverse("cameras:evidence_preview", args=[uid])),
        "api_list": lambda: client.get(reverse("api:evidence_list")),
        "api_detail": lambda: client.get(reverse("api:evidence_detail", args=[uid])),
        "api_download": lambda: client.post(reverse("api:evidence_download", args=[uid]), reason,
                                            content_type="application/json"),
        "api_share": lambda: client.post(reverse("api:evidence_share", args=[uid]), {**reason, "recipient": "Me"},
                                         content_type="application/json"),
        "api_export": lambda: client.post(reverse("api:evidence_export"), {**reason, "case_number": "24-001234"},
                                          content_type="application/json"),
        "api_upload_start": lambda: client.post(reverse("api:evidence_upload_start"), {
            "case_number": "24-001234", "filename": "a.mp4", "size": 10}, content_type="application/json"),
        "api_custody": lambda: client.get(reverse("api:evidence_custody", args=[uid])),
    }[endpoint]()


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.PARTNER_MEMBER, Role.PARTNER_ADMIN, Role.SECURITY_OPERATOR,
                                  Role.OVERSIGHT, Role.LIAISON])
@pytest.mark.parametrize("endpoint", FILE_ENDPOINTS)
def test_roles_without_the_evidence_rules_are_refused_the_files(client_for, people, role, endpoint):
    item = evidence_item(people[Role.OFFICER], DATA)
    before = AuditEntry.objects.count()
    response = _call(client_for(people[role]), endpoint, item)
    if (role, endpoint) == (Role.OVERSIGHT, "page_detail"):  # the custody log only: see the oversight test
        assert response.status_code == 200 and "Download the original" not in response.content.decode()
    else:
        assert response.status_code == 403, response.content
    assert AuditEntry.objects.count() == before  # nothing was viewed, downloaded, shared or exported


@pytest.mark.parametrize("endpoint", [*FILE_ENDPOINTS, "api_custody"])
def test_nobody_signed_in_is_refused(client, people, endpoint):
    item = evidence_item(people[Role.OFFICER], DATA)
    assert _call(client, endpoint, item).status_code in (302, 401)


def test_oversight_reads_the_custody_log_but_not_the_file(client_for, people):
    item = evidence_item(people[Role.OFFICER], DATA)
    oversight = client_for(people[Role.OVERSIGHT])
    custody = oversight.get(reverse("api:evidence_custody", args=[item.uid]))
    assert custody.status_code == 200 and custody.json()["entries"][0]["action"] == "evidence.uploaded"
    page = oversight.get(reverse("cameras:evidence_detail", args=[item.uid]))
    assert page.status_code == 200 and "Chain of custody" in page.content.decode()
    assert "Download the original" not in page.content.decode()
    assert "evidence.viewed" not in _custody_actions(item)
    for role in (Role.RESIDENT, Role.PARTNER_ADMIN):
        assert client_for(people[role]).get(reverse("api:evidence_custody", args=[item.uid])).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.AGENCY_ADMIN])
def test_evidence_staff_see_the_locker_of_their_agency(client_for, people, role):
    item = evidence_item(people[Role.OFFICER], DATA)
    client = client_for(people[role])
    page = client.get(reverse("cameras:evidence_locker") + "?case=24-001234")
    assert page.status_code == 200 and item.original_name in page.content.decode()
    assert "Case 24-001234: 1 file<" in page.content.decode()
    assert "js/cameras-upload.js" in page.content.decode()
    assert [i["uid"] for i in client.get(reverse("api:evidence_list")).json()] == [str(item.uid)]
    assert client.get(reverse("api:evidence_list") + "?case_number=other").json() == []
