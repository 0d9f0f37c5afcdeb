"""Evidence made through the real upload path (services or the HTTP protocol)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.test import Client
from django.urls import reverse

from safecommons.cameras.models import EvidenceItem, EvidenceUpload
from safecommons.cameras.services import evidence as services
from safecommons.core.permissions import actor_for_user


class _Body:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        piece, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return piece


def evidence_upload(user, data: bytes, *, name: str = "clip.mp4", content_type: str = "video/mp4",
                    case_number: str = "24-001234", footage_request=None, sha256: str = "") -> EvidenceUpload:
    """Upload `data` through the services in chunks of the configured size, as `user`; returns the upload."""
    actor = actor_for_user(user)
    upload = services.evidence_upload_start(actor=actor, filename=name, size=len(data), content_type=content_type,
                                            sha256=sha256, case_number=case_number, footage_request=footage_request)
    chunk = settings.EVIDENCE_CHUNK_BYTES
    for offset in range(0, len(data), chunk):
        piece = data[offset:offset + chunk]
        upload = services.evidence_upload_chunk(actor=actor, upload=upload, offset=offset, body=_Body(piece),
                                                length=len(piece))
    return upload


def evidence_item(user, data: bytes, **kwargs) -> EvidenceItem:
    return evidence_upload(user, data, **kwargs).item


def api_upload(client: Client, data: bytes, *, chunk: int, **fields) -> dict:
    """Upload `data` over HTTP in chunks of `chunk` bytes; returns the last answer's JSON."""
    start = client.post(reverse("api:evidence_upload_start"), {
        "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4",
        "sha256": hashlib.sha256(data).hexdigest(), **fields}, content_type="application/json")
    assert start.status_code == 201, start.content
    url = reverse("api:evidence_upload_chunk", args=[start.json()["id"]])
    offset, answer = 0, start.json()
    while offset < len(data):
        response = client.put(url, data[offset:offset + chunk], content_type="application/octet-stream",
                              headers={"Upload-Offset": str(offset)})
        assert response.status_code == 200, response.content
        answer = response.json()
        offset = answer["offset"]
    return answer
