"""Evidence on S3-compatible object storage (extra "s3"): django-storages' S3Storage, with originals read as a stream.

S3Storage's own file object copies the whole object into a local temporary file on its first read, so a
download, a share link, an export or the re-hash of a 20 GB video would first put 20 GB on the local disk
(which EVIDENCE_MIN_FREE_BYTES does not count) and send nothing until the copy was done. Opened for reading
here, a file is the object's body, read front to back as it arrives; writing is S3Storage's own.
"""

import io

from botocore.exceptions import ClientError
from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class _ObjectBody(io.RawIOBase):
    """The body of a GET, as a read-only stream (botocore's own hands out its raw socket on `with`)."""

    def __init__(self, body, size: int):
        self._body, self.size = body, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self._body.read(len(buffer))
        buffer[:len(piece)] = piece
        return len(piece)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class EvidenceS3Storage(S3Storage):
    def _open(self, name, mode="rb"):
        if mode != "rb":
            return super()._open(name, mode)
        try:
            answer = self.bucket.Object(self._normalize_name(clean_name(name))).get()
        except ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"No such object: {name}") from None
            raise
        return File(_ObjectBody(answer["Body"], answer["ContentLength"]), name=name)
