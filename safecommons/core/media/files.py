"""The cleaned file handed back, the working copy a video is cleaned in, and wiping what must not linger."""

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile

from safecommons.core.media.detect import HEAD_BYTES, FileType

COPY_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CleanFile:
    """An attachment ready to store: cleaned content plus what was learnt about it from its bytes."""

    content: File
    content_type: str
    extension: str
    kind: str
    size: int
    sha256: str


def in_memory_clean_file(data: bytes, file_type: FileType) -> CleanFile:
    return CleanFile(
        content=ContentFile(data, name=f"attachment{file_type.extension}"),
        content_type=file_type.content_type,
        extension=file_type.extension,
        kind=file_type.kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def working_copy(upload, file_type: FileType):
    """A temporary file on disk holding the upload's bytes, so a large video is never held in memory.

    The caller owns it: it is handed on in a CleanFile, whose close() deletes it, or wiped with `disk_file_wipe`.
    """
    # Not a `with` block: on success the open copy outlives this call.
    copy = tempfile.NamedTemporaryFile(suffix=file_type.extension, dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        for chunk in upload.chunks(COPY_CHUNK_BYTES):
            copy.write(chunk)
        copy.flush()
    except BaseException:
        disk_file_wipe(copy, copy.name)
        raise
    return copy


def on_disk_clean_file(copy, file_type: FileType) -> CleanFile:
    """Hand a cleaned working copy on, rewound, with its size and digest."""
    copy.flush()
    digest = hashlib.sha256()
    copy.seek(0)
    while chunk := copy.read(COPY_CHUNK_BYTES):
        digest.update(chunk)
    size = copy.tell()
    copy.seek(0)
    return CleanFile(
        content=File(copy, name=f"attachment{file_type.extension}"),
        content_type=file_type.content_type,
        extension=file_type.extension,
        kind=file_type.kind,
        size=size,
        sha256=digest.hexdigest(),
    )


def upload_wipe(upload) -> None:
    """Overwrite an upload's bytes with zeros so no original bytes remain in temporary files.

    A temporary upload on disk is zeroed, synced and closed (which deletes it); an in-memory upload has
    its buffer zeroed. Other files are left alone: they are not ours to destroy. Safe to call twice.
    """
    file = getattr(upload, "file", upload)
    if hasattr(upload, "temporary_file_path"):
        disk_file_wipe(file, upload.temporary_file_path())
    elif isinstance(file, io.BytesIO) and not file.closed:
        with file.getbuffer() as buffer:
            buffer[:] = bytes(len(buffer))


def disk_file_wipe(file, path: str) -> None:
    """Zero a temporary file on disk, sync it, then close and delete it (whether or not closing deletes)."""
    if not file.closed:
        file.seek(0, os.SEEK_END)
        zero(file, 0, file.tell())
        file.flush()
        os.fsync(file.fileno())
        file.close()
    if os.path.exists(path):
        with open(path, "r+b") as leftover:
            zero(leftover, 0, os.fstat(leftover.fileno()).st_size)
            leftover.flush()
            os.fsync(leftover.fileno())
        os.remove(path)


def zero(file, offset: int, length: int) -> None:
    """Overwrite `length` bytes from `offset` with zeros, a chunk at a time."""
    file.seek(offset)
    while length > 0:
        step = min(length, COPY_CHUNK_BYTES)
        file.write(bytes(step))
        length -= step


def upload_head(upload) -> bytes:
    """The first bytes, enough to recognise the type; the upload is left rewound."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def stream_size(upload) -> int:
    """Measured, not taken from `upload.size`, which for a hand-made upload is whatever its maker said."""
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size
