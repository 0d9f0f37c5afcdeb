"""Attachments from the public (tips, community reports): checked by content, stripped of metadata, wiped.

A photo or video sent to an anonymous tip line can name its sender through what the camera wrote into it:
GPS position, phone model and serial number, the moment it was taken. Every attachment therefore passes
through `media_clean` before it is stored: the type is read from the first bytes (a filename or a
Content-Type header is whatever the sender says it is), anything not plainly a photo, video or document is
refused, and what is kept is rewritten without its metadata. The upload itself is then overwritten with
zeros so the original bytes do not linger in a temporary file.

Accepted, and what is removed:

- Photos (JPEG, PNG, WebP): the pixels are re-encoded into a new image, turned upright first; EXIF (GPS,
  camera, serial number), XMP, colour profiles, comments and text chunks are not carried over.
- Videos (MP4, MOV): the user-data, metadata, XMP and vendor boxes, free space and producer times are blanked,
  creation and modification times zeroed. Tracks other than picture and sound (GoPro GPS, iPhone metadata,
  Google camera motion, DJI flight logs as subtitles, timecode) have their samples, handler name and sample
  descriptions zeroed. The file keeps its length and every offset, so the footage is unchanged. A fragmented
  video with such a track is refused.
- Documents: PDFs are copied page by page without their document information, XMP, annotations, attachments
  and scripts, the JPEGs on their pages losing EXIF and other application data; password-protected PDFs are
  refused. Plain UTF-8 text is kept as sent.

Everything else (executables, archives and Office files, scripts, HTML and SVG, HEIC, GIF…) is refused.

The modules inside are this package's own; other code uses only the names below.
"""

from django.utils.translation import gettext

from safecommons.core.errors import Refused
from safecommons.core.media.detect import MEDIA_KINDS, Unrecognised, file_type_detect, not_accepted_message
from safecommons.core.media.documents import document_clean
from safecommons.core.media.files import CleanFile, stream_size, upload_head, upload_wipe
from safecommons.core.media.images import image_clean
from safecommons.core.media.video import video_clean

__all__ = ["MEDIA_KINDS", "CleanFile", "media_clean", "upload_wipe"]

_CLEANERS = {"image": image_clean, "video": video_clean, "document": document_clean}
_MEGABYTE = 1024 * 1024


def media_clean(upload, *, kinds=MEDIA_KINDS, max_bytes: int | None = None) -> CleanFile:
    """Check an attachment by its content and return it without metadata, or refuse it with a clear message.

    `upload` is a Django UploadedFile or any File. `kinds` narrows what is accepted (the community-report
    form takes photos only); `max_bytes` caps the size. The upload is wiped whatever happens, so the
    original, metadata included, never outlives this call.
    """
    try:
        unknown = set(kinds) - set(MEDIA_KINDS)
        if unknown:
            raise ValueError(f"Unknown media kinds: {sorted(unknown)}")
        head = upload_head(upload)
        if not head:
            raise Refused(gettext("This file is empty."))
        file_type = file_type_detect(head)
        if file_type is None or file_type.kind not in kinds:
            raise Refused(not_accepted_message(kinds))
        if max_bytes is not None and stream_size(upload) > max_bytes:
            raise Refused(
                gettext("This file is too large. The limit is %(limit)s MB.") % {"limit": _megabytes(max_bytes)}
            )
        try:
            return _CLEANERS[file_type.kind](upload, file_type)
        except Unrecognised:
            raise Refused(not_accepted_message(kinds)) from None
    finally:
        upload_wipe(upload)


def _megabytes(byte_count: int) -> str:
    """A limit as people read it: '10', '2.5', never '10.0'."""
    megabytes = byte_count / _MEGABYTE
    return (f"{megabytes:.1f}" if megabytes >= 1 else f"{megabytes:.2g}").removesuffix(".0")
