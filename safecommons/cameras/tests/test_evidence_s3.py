"""The evidence locker on S3-compatible object storage, as in production with EVIDENCE_S3_BUCKET: django-storages'
S3Storage and boto3 speak real S3 HTTP to moto's S3 server on a free local port. Parts in progress stay on the
local disk; originals and previews land in the bucket; downloads, exports and the re-hash read them back."""

import hashlib
import io
import json
import tempfile
import types
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from safecommons.cameras.models import EvidenceItem
from safecommons.cameras.services import evidence as services
from safecommons.cameras.tests.factories_evidence import _Body, evidence_item
from safecommons.core.audit.models import AuditEntry
from safecommons.core.permissions import actor_for_user
from safecommons.core.roles import Role
from safecommons.settings import evidence_storage_entry

boto3 = pytest.importorskip("boto3")
pytest.importorskip("storages.backends.s3")
moto_server = pytest.importorskip("moto.server", reason="needs moto's S3 server (moto[s3], flask, flask-cors)")

pytestmark = pytest.mark.django_db

BUCKET = "safecommons-evidence-test"
DATA = bytes(range(256)) * 12 + b"tail"  # 3,076 bytes: three full 1 KiB chunks and a short one


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """An empty private bucket behind the "evidence" storage, configured as settings.py does for
    EVIDENCE_S3_BUCKET and EVIDENCE_S3_ENDPOINT_URL; a boto3 handle on it to look behind the storage's back."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_S3_ACCESS_KEY_ID", "AWS_S3_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings.EVIDENCE_CHUNK_BYTES = 1024
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    settings.EVIDENCE_MIN_FREE_BYTES = 1024 * 1024
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence_storage_entry(
        root=settings.EVIDENCE_ROOT, s3_bucket=BUCKET, s3_endpoint_url=s3_endpoint)}
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint)
    created = s3.create_bucket(Bucket=BUCKET)
    yield created
    created.objects.all().delete()
    created.delete()


def _object_bytes(bucket, key: str) -> bytes:
    return bucket.Object(key).get()["Body"].read()


def _keys(bucket) -> list[str]:
    return sorted(o.key for o in bucket.objects.all())


def _incoming_files() -> list[str]:
    directory = services.incoming_dir()
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_chunked_upload_completes_into_the_bucket_and_its_parts_stay_on_local_disk(bucket, people):
    actor = actor_for_user(people[Role.OFFICER])
    upload = services.evidence_upload_start(actor=actor, filename="door cam.mp4", size=len(DATA),
                                            content_type="video/mp4", case_number="24-001234",
                                            sha256=hashlib.sha256(DATA).hexdigest())

    def send(offset: int):
        piece = DATA[offset:offset + 1024]
        return services.evidence_upload_chunk(actor=actor, upload=upload, offset=offset, body=_Body(piece),
                                              length=len(piece))

    upload = send(0)
    upload = send(1024)
    assert services.upload_part_path(upload).read_bytes() == DATA[:2048]
    assert _incoming_files() == [f"{upload.uid}.part"] and _keys(bucket) == []
    upload = send(2048)
    upload = send(3072)

    item = upload.item
    assert item.file.name == f"evidence/{item.uid}/original"
    assert _keys(bucket) == [item.file.name]
    stored = _object_bytes(bucket, item.file.name)
    assert hashlib.sha256(stored).hexdigest() == item.sha256 == hashlib.sha256(DATA).hexdigest()
    assert _incoming_files() == []
    grants = bucket.Object(item.file.name).Acl().grants
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # private: the owner alone
    assert grants[0]["Grantee"]["Type"] == "CanonicalUser"


def test_the_disk_space_check_looks_at_the_local_parts_only(bucket, people, monkeypatch):
    measured = []

    def disk_usage(path):
        measured.append(path)
        return types.SimpleNamespace(total=10**12, used=0, free=10**12)

    monkeypatch.setattr(services.shutil, "disk_usage", disk_usage)
    services.evidence_upload_start(actor=actor_for_user(people[Role.OFFICER]), filename="a.mp4", size=10,
                                   case_number="24-1")
    assert measured == [services.incoming_dir()]


def test_downloads_through_the_page_and_the_api_return_the_stored_bytes_and_are_audited(bucket, client_for,
                                                                                        people):
    item = evidence_item(people[Role.OFFICER], DATA)
    analyst = client_for(people[Role.ANALYST])
    page = analyst.post(reverse("cameras:evidence_download", args=[item.uid]), {"reason": "Court copy"})
    assert page.status_code == 200 and b"".join(page.streaming_content) == DATA
    api = analyst.post(reverse("api:evidence_download", args=[item.uid]), {"reason": "Lab analysis"},
                       content_type="application/json")
    assert b"".join(api.streaming_content) == DATA and api["X-Content-SHA256"] == item.sha256
    assert api["Content-Length"] == str(len(DATA))  # from the item: a stream from S3 cannot say it
    downloads = AuditEntry.objects.filter(action="evidence.downloaded", object_id=str(item.pk)).order_by("seq")
    assert [(e.actor_id, e.reason) for e in downloads] == [(people[Role.ANALYST].pk, "Court copy"),
                                                           (people[Role.ANALYST].pk, "Lab analysis")]


def test_originals_are_read_from_the_bucket_as_they_arrive_not_copied_whole_to_local_disk_first(
        bucket, client_for, people, monkeypatch):
    item = evidence_item(people[Role.OFFICER], DATA)
    spooled = []
    spool = tempfile.SpooledTemporaryFile
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", lambda *args, **kwargs: spooled.append(kwargs) or spool(
        *args, **kwargs))
    response = client_for(people[Role.ANALYST]).post(reverse("api:evidence_download", args=[item.uid]),
                                                     {"reason": "Court copy"}, content_type="application/json")
    assert b"".join(response.streaming_content) == DATA
    assert services.evidence_rehash_all().all_ok
    assert spooled == []


def test_an_export_manifest_matches_the_objects_in_the_bucket(bucket, client_for, people):
    officer = people[Role.OFFICER]
    first = evidence_item(officer, DATA, name="front door.mp4")
    second = evidence_item(officer, b"second file", name="notes.txt", content_type="text/plain")
    response = client_for(people[Role.SUPERVISOR]).post(reverse("cameras:evidence_export"), {
        "case_number": "24-001234", "reason": "Disclosure to the defence"})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["uid"] for f in manifest["files"]} == {str(first.uid), str(second.uid)}
    for entry in manifest["files"]:
        stored = _object_bytes(bucket, f"evidence/{entry['uid']}/original")
        assert archive.read(entry["name"]) == stored
        assert (hashlib.sha256(stored).hexdigest(), len(stored)) == (entry["sha256"], entry["size"])
        assert entry["matches_at_export"] is True


def test_tampering_with_or_deleting_objects_in_the_bucket_is_found_by_the_rehash(bucket, people):
    officer = people[Role.OFFICER]
    intact = evidence_item(officer, DATA, name="intact.mp4")
    tampered = evidence_item(officer, DATA, name="tampered.mp4")
    gone = evidence_item(officer, DATA, name="gone.mp4")
    call_command("evidence_verify", verbosity=0)

    bucket.put_object(Key=tampered.file.name, Body=DATA[:-1] + b"!")  # someone with the bucket's keys
    bucket.Object(gone.file.name).delete()
    report = services.evidence_rehash_all()
    assert (report.checked, report.ok, report.mismatched, report.missing) == (3, 1, 1, 1)
    with pytest.raises(CommandError, match="1 do not match, 1 missing"):
        call_command("evidence_verify", verbosity=0)
    for item, integrity in ((intact, "ok"), (tampered, "mismatch"), (gone, "missing")):
        item.refresh_from_db()
        assert item.integrity == integrity
    assert AuditEntry.objects.filter(action="evidence.hash_mismatch", object_id=str(tampered.pk)).exists()
    assert AuditEntry.objects.filter(action="evidence.file_missing", object_id=str(gone.pk)).exists()


def test_an_image_preview_is_made_and_stored_in_the_bucket(bucket, client_for, people):
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (200, 30, 30)).save(buffer, "JPEG")
    item = evidence_item(people[Role.OFFICER], buffer.getvalue(), name="still.jpg", content_type="image/jpeg")
    assert services.evidence_preview_make(item_id=item.pk) is True
    item = EvidenceItem.objects.get(pk=item.pk)
    assert item.preview.name == f"evidence/{item.uid}/preview.jpg"
    assert _keys(bucket) == [item.file.name, item.preview.name]
    preview = Image.open(io.BytesIO(_object_bytes(bucket, item.preview.name)))
    assert preview.format == "JPEG" and max(preview.size) == services.PREVIEW_PIXELS
    assert hashlib.sha256(_object_bytes(bucket, item.file.name)).hexdigest() == item.sha256
    page = client_for(people[Role.OFFICER]).get(reverse("cameras:evidence_preview", args=[item.uid]))
    assert page.status_code == 200 and b"".join(page.streaming_content) == _object_bytes(bucket, item.preview.name)
