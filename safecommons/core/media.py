"""Attachments from the public (tips, community reports): checked by content, stripped of metadata, wiped.

A photo or video sent to an anonymous tip line can name its sender through what the camera wrote into it:
GPS position, phone model and serial number, the moment it was taken. Every attachment therefore passes
through `media_clean` before it is stored: the type is read from the first bytes (a filename or a
Content-Type header is whatever the sender says it is), anything not plainly a photo, video or document is
refused, and what is kept is rewritten without its metadata. The upload itself is then overwritten with
zeros so the original bytes do not linger in a temporary file.
"""

import codecs
import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, StreamObject

from safecommons.core.errors import Refused

MEDIA_KINDS = ("image", "video", "document")

# Enough for a 48-megapixel phone photo at full resolution; decoding costs about 3 bytes a pixel, twice.
IMAGE_MAX_PIXELS = 50_000_000
# The first bytes read to recognise a type; long enough for an MP4 'ftyp' box listing many brands.
HEAD_BYTES = 4096
COPY_CHUNK_BYTES = 1024 * 1024
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class CleanFile:
    """An attachment ready to store: cleaned content plus what was learnt about it from its bytes."""

    content: File
    content_type: str
    extension: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class _FileType:
    kind: str
    content_type: str
    extension: str
    pillow_format: str = ""


JPEG = _FileType("image", "image/jpeg", ".jpg", "JPEG")
PNG = _FileType("image", "image/png", ".png", "PNG")
WEBP = _FileType("image", "image/webp", ".webp", "WEBP")
MP4 = _FileType("video", "video/mp4", ".mp4")
MOV = _FileType("video", "video/quicktime", ".mov")
PDF = _FileType("document", "application/pdf", ".pdf")
TEXT = _FileType("document", "text/plain", ".txt")

_KIND_PHRASES = {
    "image": gettext_lazy("photos (JPEG, PNG, WebP)"),
    "video": gettext_lazy("videos (MP4, MOV)"),
    "document": gettext_lazy("documents (PDF, plain text)"),
}

# Pillow writes only these modes for each format; anything else is converted first.
_SAVE_MODES = {
    "JPEG": {"L", "RGB"},
    "PNG": {"1", "L", "LA", "I", "I;16", "RGB", "RGBA"},
    "WEBP": {"RGB", "RGBA"},
}
_SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {}, "WEBP": {"quality": 90}}

# Starts of executables, archives (Office files are zip archives) and scripts. Several are valid UTF-8,
# so they are refused before the plain-text fallback can take them.
_REFUSED_STARTS = (
    b"MZ",  # Windows executable
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O, both word sizes and byte orders, and universal binaries
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"PK\x03\x04",  # zip, docx, xlsx, apk, jar
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0",  # older Office documents
    b"#!",  # shell and other scripts
)

# ISO base media ('ftyp') brands. Photos (HEIC, AVIF), raw photos and audio use the same container, so the
# brand decides whether a file is a video we accept.
_QUICKTIME_BRAND = b"qt  "
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH",
    b"M4VP", b"mmp4", b"dash", b"msnv", b"MSNV", b"XAVC", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"f4v ",
}  # fmt: skip
_NOT_VIDEO_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"miaf", b"avif", b"avis",
    b"crx ", b"jp2 ", b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ",
}  # fmt: skip
# Old QuickTime movies have no 'ftyp' and start straight with one of these boxes.
_OLD_QUICKTIME_STARTS = {b"moov", b"wide", b"mdat", b"free"}

# Boxes that hold metadata (user data, iTunes-style and XMP metadata, vendor 'uuid' blocks, and 'prft', the
# wall-clock time a live stream or fragment was produced): overwritten by a 'free' box of the same size, so the
# chunk offsets in 'stco'/'co64' stay true without rewriting them.
_VIDEO_METADATA_BOXES = {b"udta", b"meta", b"uuid", b"XMP_", b"prft"}
# Boxes whose children can hold metadata boxes or timestamps.
_VIDEO_CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"moof", b"traf"}
# Boxes carrying creation and modification times; these reveal when the video was shot.
_VIDEO_TIMESTAMP_BOXES = {b"mvhd", b"tkhd", b"mdhd"}
# Free space can hold what an editor left behind, so it is zeroed too.
_VIDEO_FREE_BOXES = {b"free", b"skip"}
# Real files nest a few levels deep; a limit keeps a hostile file from exhausting the stack.
_VIDEO_MAX_DEPTH = 8
# Handler types ('hdlr' in a track's 'mdia') of the tracks kept: pictures and sound. Any other track keeps its
# samples in 'mdat', out of reach of box blanking, and is there to carry data: GoPro 'gpmd' and Apple 'mebx'
# metadata ('meta' handler), Google 'camm' camera motion, DJI flight logs as subtitles, timecode. These hold
# GPS fixes, serial numbers and times of day, so a video with one is refused.
_VIDEO_MEDIA_HANDLERS = {b"vide", b"soun"}

# Keys dropped from every PDF dictionary the pages reach: XMP packets (for a placed photo, a copy of its EXIF,
# GPS included), the editing application's private data, and annotations (comments signed with their author's
# name, attached files, form fields).
_PDF_DROPPED_KEYS = ("/Metadata", "/PieceInfo", "/Annots")

# JPEG segments kept when a JPEG inside a PDF is rewritten: frame headers of every coding process, Huffman and
# arithmetic-coding tables, scans, quantisation tables, line count, restart interval and hierarchical markers.
# That is all decoding needs (the PDF image dictionary gives the colour space); application segments (EXIF, GPS,
# XMP, ICC, Photoshop/IPTC, JFIF thumbnails), comments and reserved markers are dropped.
_JPEG_KEPT_SEGMENTS = {*range(0xC0, 0xC8), *range(0xC9, 0xD0), *range(0xDA, 0xE0)}
_JPEG_START_OF_SCAN = 0xDA
_JPEG_END_OF_IMAGE = 0xD9
# Markers that stand alone, without a length: temporary use, and restart markers found outside a scan. Both
# carry nothing, so they are dropped.
_JPEG_MARKERS_WITHOUT_LENGTH = {0x01, *range(0xD0, 0xD8)}
# The Adobe segment (APP14) says whether the colours of a CMYK image are transformed; without it a decoder
# would guess. Its standard 12 bytes hold no personal data, so it is kept, cut to them.
_JPEG_ADOBE_MARKER = 0xEE
_JPEG_ADOBE_BYTES = 12


class _Unrecognised(Exception):
    """The bytes looked like one accepted type at first but turned out not to be."""


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
        head = _head(upload)
        if not head:
            raise Refused(gettext("This file is empty."))
        file_type = _type_detect(head)
        if file_type is None or file_type.kind not in kinds:
            raise Refused(_not_accepted_message(kinds))
        if max_bytes is not None and _stream_size(upload) > max_bytes:
            raise Refused(
                gettext("This file is too large. The limit is %(limit)s MB.") % {"limit": _megabytes(max_bytes)}
            )
        try:
            return _CLEANERS[file_type.kind](upload, file_type)
        except _Unrecognised:
            raise Refused(_not_accepted_message(kinds)) from None
    finally:
        upload_wipe(upload)


def upload_wipe(upload) -> None:
    """Overwrite an upload's bytes with zeros so no original bytes remain in temporary files.

    A temporary upload on disk is zeroed, synced and closed (which deletes it); an in-memory upload has
    its buffer zeroed. Other files are left alone: they are not ours to destroy. Safe to call twice.
    """
    file = getattr(upload, "file", upload)
    if hasattr(upload, "temporary_file_path"):
        _disk_file_wipe(file, upload.temporary_file_path())
    elif isinstance(file, io.BytesIO) and not file.closed:
        with file.getbuffer() as buffer:
            buffer[:] = bytes(len(buffer))


# Detection -------------------------------------------------------------------------------------------------


def _type_detect(head: bytes) -> _FileType | None:
    """The accepted type the first bytes announce, or None. Plain text is the fallback for what decodes."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if video_type := _video_type_detect(head):
        return video_type
    if head.startswith(_REFUSED_STARTS) or _looks_like_markup(head):
        return None
    return TEXT if _looks_like_text(head, complete=len(head) < HEAD_BYTES) else None


def _video_type_detect(head: bytes) -> _FileType | None:
    box_type = head[4:8]
    if box_type in _OLD_QUICKTIME_STARTS:
        return MOV
    if box_type != b"ftyp":
        return None
    major_brand = head[8:12]
    if major_brand == _QUICKTIME_BRAND:
        return MOV
    if major_brand in _NOT_VIDEO_BRANDS:
        return None
    ftyp_end = min(int.from_bytes(head[:4], "big"), len(head))
    compatible_brands = {head[offset : offset + 4] for offset in range(16, ftyp_end - 3, 4)}
    if major_brand in _MP4_BRANDS or compatible_brands & _MP4_BRANDS:
        return MP4
    return None


def _looks_like_markup(head: bytes) -> bool:
    """HTML, XML and SVG start with '<'; SVG can carry script, and none of them is a plain document."""
    return head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<")


def _looks_like_text(data: bytes, *, complete: bool) -> bool:
    """UTF-8 without NUL bytes; a cut-off head may end in the middle of a character."""
    if b"\x00" in data:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _not_accepted_message(kinds) -> str:
    phrases = [str(_KIND_PHRASES[kind]) for kind in MEDIA_KINDS if kind in kinds]
    if len(phrases) > 1:
        accepted = gettext("%(items)s or %(last)s") % {"items": ", ".join(phrases[:-1]), "last": phrases[-1]}
    else:
        accepted = phrases[0]
    return gettext("This file type is not accepted. Send %(accepted)s.") % {"accepted": accepted}


# Cleaning --------------------------------------------------------------------------------------------------


def _image_clean(upload, file_type: _FileType) -> CleanFile:
    """Re-encode the pixels into a new image: nothing the camera wrote (EXIF, XMP, comments) is carried over.

    The picture is turned upright first, since dropping the orientation tag would otherwise leave it sideways.
    """
    pixels = _image_upright_pixels(upload, file_type.pillow_format)
    output = io.BytesIO()
    pixels.save(output, format=file_type.pillow_format, **_SAVE_OPTIONS[file_type.pillow_format])
    return _in_memory_clean_file(output.getvalue(), file_type)


def _image_upright_pixels(upload, pillow_format: str) -> Image.Image:
    unreadable = gettext("This image could not be read.")
    too_large = gettext("This image is too large. Send a picture of at most %(megapixels)s megapixels.") % {
        "megapixels": IMAGE_MAX_PIXELS // 1_000_000
    }
    upload.seek(0)
    try:
        image = Image.open(upload, formats=[pillow_format])
    except Image.DecompressionBombError as error:
        raise Refused(too_large) from error
    except Exception as error:  # Pillow raises many kinds of error on damaged or hostile input
        raise Refused(unreadable) from error
    with image:
        # Checked before decoding: the header alone says how much memory the pixels would take.
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise Refused(too_large)
        try:
            ImageOps.exif_transpose(image, in_place=True)
            return _image_copy_without_info(image, _SAVE_MODES[pillow_format])
        except Exception as error:
            raise Refused(unreadable) from error


def _image_copy_without_info(image: Image.Image, save_modes: set[str]) -> Image.Image:
    """A fresh image holding only the pixels: its `info` (exif, xmp, icc_profile, comments, text) is empty."""
    if image.mode in save_modes:
        source = image
    else:
        source = image.convert("RGBA" if image.has_transparency_data and "RGBA" in save_modes else "RGB")
    clean = Image.new(source.mode, source.size)
    clean.paste(source)
    return clean


def _video_clean(upload, file_type: _FileType) -> CleanFile:
    """Blank the metadata boxes of an MP4/MOV in a temporary copy, leaving the audio and video untouched.

    Re-encoding would need ffmpeg and change the footage; overwriting boxes in place keeps every offset
    valid. The copy is streamed to disk so a large video is never held in memory.
    """
    # Not a `with` block: on success the open copy is handed to the caller, whose close() deletes it.
    copy = tempfile.NamedTemporaryFile(suffix=file_type.extension, dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        for chunk in upload.chunks(COPY_CHUNK_BYTES):
            copy.write(chunk)
        size = copy.tell()
        _video_tracks_check(copy, size)
        top_level = _video_boxes_strip(copy, 0, size, depth=0)
        if b"moov" not in top_level:
            raise Refused(gettext("This video could not be read."))
        copy.flush()
    except BaseException:
        _disk_file_wipe(copy, copy.name)
        raise
    digest = hashlib.sha256()
    copy.seek(0)
    while chunk := copy.read(COPY_CHUNK_BYTES):
        digest.update(chunk)
    copy.seek(0)
    return CleanFile(
        content=File(copy, name=f"attachment{file_type.extension}"),
        content_type=file_type.content_type,
        extension=file_type.extension,
        kind=file_type.kind,
        size=size,
        sha256=digest.hexdigest(),
    )


def _video_boxes_strip(file, start: int, end: int, *, depth: int) -> list[bytes]:
    """Blank metadata and timestamps among the boxes in [start, end), descending into containers.

    Returns the types of the boxes found at this level.
    """
    if depth > _VIDEO_MAX_DEPTH:
        raise Refused(gettext("This video could not be read."))
    found = []
    for box_type, box_start, payload_start, box_end in _video_boxes(file, start, end):
        found.append(box_type)
        if box_type in _VIDEO_METADATA_BOXES:
            file.seek(box_start + 4)
            file.write(b"free")
            _zero(file, payload_start, box_end - payload_start)
        elif box_type in _VIDEO_FREE_BOXES:
            _zero(file, payload_start, box_end - payload_start)
        elif box_type in _VIDEO_TIMESTAMP_BOXES:
            _video_timestamps_zero(file, payload_start, box_end)
        elif box_type in _VIDEO_CONTAINER_BOXES:
            _video_boxes_strip(file, payload_start, box_end, depth=depth + 1)
    return found


def _video_boxes(file, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) for each box laid end to end in [start, end).

    A size of 1 means a 64-bit size follows the type; a size of 0 means the box runs to the end.
    """
    position = start
    while position < end:
        file.seek(position)
        header = file.read(8)
        if len(header) < 8:
            raise Refused(gettext("This video could not be read."))
        box_size, box_type = struct.unpack(">I4s", header)
        payload_start = position + 8
        if box_size == 1:
            large_size = file.read(8)
            if len(large_size) < 8:
                raise Refused(gettext("This video could not be read."))
            box_size = struct.unpack(">Q", large_size)[0]
            payload_start += 8
        elif box_size == 0:
            box_size = end - position
        if box_size < payload_start - position or position + box_size > end:
            raise Refused(gettext("This video could not be read."))
        yield box_type, position, payload_start, position + box_size
        position += box_size


def _video_tracks_check(file, size: int) -> None:
    """Refuse a video with a track other than pictures and sound, or with fragments of a track it never declared.

    Fragmented MP4 declares its tracks in 'moov' like any other; each fragment ('moof/traf') names its track
    in 'tfhd', so a fragment of an undeclared track would be data no player shows but that is still sent.
    """
    top_level = list(_video_boxes(file, 0, size))
    track_ids = set()
    for box_type, _, payload_start, box_end in top_level:
        if box_type == b"moov":
            for child_type, _, child_start, child_end in _video_boxes(file, payload_start, box_end):
                if child_type == b"trak":
                    track_ids.add(_video_track_check(file, child_start, child_end))
    for box_type, _, payload_start, box_end in top_level:
        if box_type == b"moof":
            for child_type, _, child_start, child_end in _video_boxes(file, payload_start, box_end):
                if child_type == b"traf":
                    fragment_header = _video_child(file, child_start, child_end, b"tfhd")
                    # The track id follows the version and flags.
                    if int.from_bytes(_video_read(file, fragment_header, 4, 4), "big") not in track_ids:
                        raise Refused(_video_data_track_message())


def _video_track_check(file, start: int, end: int) -> int:
    """The id of the track in this 'trak', once its handler shows it holds pictures or sound."""
    media = _video_child(file, start, end, b"mdia")
    # The handler type follows the version, flags and a field that is zero in MP4 (QuickTime's component type).
    if _video_read(file, _video_child(file, *media, b"hdlr"), 8, 4) not in _VIDEO_MEDIA_HANDLERS:
        raise Refused(_video_data_track_message())
    track_header = _video_child(file, start, end, b"tkhd")
    # The track id follows the creation and modification times, 32-bit in version 0 and 64-bit in version 1.
    id_offset = 20 if _video_read(file, track_header, 0, 1) == b"\x01" else 12
    return int.from_bytes(_video_read(file, track_header, id_offset, 4), "big")


def _video_child(file, start: int, end: int, box_type: bytes) -> tuple[int, int]:
    """(payload start, end) of the first box of this type among those in [start, end); it must be there."""
    for child_type, _, payload_start, box_end in _video_boxes(file, start, end):
        if child_type == box_type:
            return payload_start, box_end
    raise Refused(gettext("This video could not be read."))


def _video_read(file, payload: tuple[int, int], offset: int, length: int) -> bytes:
    """`length` bytes at `offset` into a box's payload, which must hold them."""
    payload_start, box_end = payload
    if payload_start + offset + length > box_end:
        raise Refused(gettext("This video could not be read."))
    file.seek(payload_start + offset)
    return file.read(length)


def _video_data_track_message() -> str:
    return gettext(
        "This video carries a data track (for example GPS) that we cannot remove. "
        "Please send it without location data, or as a screen recording."
    )


def _video_timestamps_zero(file, payload_start: int, box_end: int) -> None:
    """Zero the creation and modification times that follow the version and flags (32-bit, or 64 in v1)."""
    file.seek(payload_start)
    field_bytes = 8 if file.read(1) == b"\x01" else 4
    if payload_start + 4 + 2 * field_bytes > box_end:
        raise Refused(gettext("This video could not be read."))
    _zero(file, payload_start + 4, 2 * field_bytes)


def _document_clean(upload, file_type: _FileType) -> CleanFile:
    if file_type is PDF:
        return _pdf_clean(upload)
    return _text_clean(upload)


def _pdf_clean(upload) -> CleanFile:
    """Copy the pages into a new PDF, leaving behind the document information (author, software, dates),
    the XMP metadata, annotations, and document-level scripts and attachments, which are not copied either.

    The JPEG photos on the pages lose their EXIF (GPS, camera, serial number) and other application data.
    """
    unreadable = gettext("This PDF could not be read.")
    upload.seek(0)
    try:
        reader = PdfReader(upload)
        encrypted = reader.is_encrypted
    except Exception as error:  # pypdf raises many kinds of error on damaged or hostile input
        raise Refused(unreadable) from error
    if encrypted:
        raise Refused(gettext("Password-protected PDFs are not accepted. Remove the password and send it again."))
    try:
        # Cleaned before copying: pypdf writes every object it has copied, even one no longer referenced, so
        # a key dropped from a copied page would leave what it pointed to in the file.
        _pdf_objects_strip(reader.pages)
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        # The new catalog starts without these; they stay out whatever pypdf may carry over.
        writer.root_object.pop("/Metadata", None)
        writer.root_object.pop("/Names", None)  # document-level attachments (/EmbeddedFiles) and scripts
        writer.metadata = None  # drops the information dictionary, pypdf's own /Producer included
        output = io.BytesIO()
        writer.write(output)
    except Exception as error:
        raise Refused(unreadable) from error
    return _in_memory_clean_file(output.getvalue(), PDF)


def _pdf_objects_strip(pages) -> None:
    """Drop metadata keys from every dictionary the pages reach, and strip every JPEG among them.

    Walks the reader's objects, which pypdf keeps once read, so the copies made afterwards are clean.
    """
    seen = set()
    pending = list(pages)
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key in _PDF_DROPPED_KEYS:
                item.pop(key, None)
            if isinstance(item, StreamObject):
                _pdf_jpeg_strip(item)
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def _pdf_jpeg_strip(stream: StreamObject) -> None:
    """Rewrite a JPEG stream (filter DCTDecode, possibly under other filters) as a plain JPEG without metadata."""
    filters = _pdf_resolved(stream.get("/Filter"))
    filters = list(filters) if isinstance(filters, ArrayObject) else [filters]
    if "/DCTDecode" not in filters:
        return
    if filters[-1] != "/DCTDecode":
        raise ValueError("A filter applied after DCTDecode")
    parameters = _pdf_resolved(stream.get("/DecodeParms"))
    if isinstance(parameters, ArrayObject):
        parameters = _pdf_resolved(parameters[-1]) if len(parameters) == len(filters) else None
    jpeg = stream.get_data()  # undoes the filters over the JPEG; pypdf leaves the JPEG itself as it is
    stream[NameObject("/Filter")] = NameObject("/DCTDecode")
    if isinstance(parameters, DictionaryObject):
        stream[NameObject("/DecodeParms")] = parameters  # /ColorTransform, which decoding may need
    else:
        stream.pop("/DecodeParms", None)
    # pypdf re-encodes data given to set_data only for Flate streams; these bytes are already the encoded form.
    StreamObject.set_data(stream, _jpeg_metadata_strip(jpeg))
    stream.decoded_self = None


def _pdf_resolved(value):
    return None if value is None or isinstance(value, NullObject) else value.get_object()


def _jpeg_metadata_strip(jpeg: bytes) -> bytes:
    """The JPEG with only what decoding needs: no application segments, no comments, nothing after its end.

    Scans are copied as they are; only the segments between them are read. Bytes after the end-of-image
    marker (Samsung trailers, the video of a motion photo) are dropped.
    """
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("Not a JPEG")
    kept = [b"\xff\xd8"]
    position = 2
    while position < len(jpeg):
        if jpeg[position] != 0xFF:
            raise ValueError("A JPEG marker was expected")
        while position < len(jpeg) and jpeg[position] == 0xFF:  # a marker may be preceded by fill bytes
            position += 1
        if position == len(jpeg):
            raise ValueError("The JPEG is cut short")
        marker = jpeg[position]
        if marker == _JPEG_END_OF_IMAGE:
            kept.append(b"\xff\xd9")
            break
        if marker in _JPEG_MARKERS_WITHOUT_LENGTH:
            position += 1
            continue
        segment_end = position + 1 + int.from_bytes(jpeg[position + 1 : position + 3], "big")
        if segment_end < position + 3 or segment_end > len(jpeg):
            raise ValueError("A JPEG segment runs past the end")
        segment = jpeg[position + 1 : segment_end]  # its length field included
        if marker in _JPEG_KEPT_SEGMENTS:
            kept.append(b"\xff" + bytes([marker]) + segment)
        elif marker == _JPEG_ADOBE_MARKER and segment[2:7] == b"Adobe" and len(segment) >= 2 + _JPEG_ADOBE_BYTES:
            kept.append(b"\xff\xee" + (2 + _JPEG_ADOBE_BYTES).to_bytes(2, "big") + segment[2 : 2 + _JPEG_ADOBE_BYTES])
        position = segment_end
        if marker == _JPEG_START_OF_SCAN:
            scan_end = _jpeg_scan_end(jpeg, position)
            kept.append(jpeg[position:scan_end])
            position = scan_end
    return b"".join(kept)


def _jpeg_scan_end(jpeg: bytes, start: int) -> int:
    """Where the entropy-coded data from `start` ends: at the first marker that is not a restart marker.

    Inside a scan a 0xFF byte is followed by a zero (a stuffed byte) or by a restart marker (0xD0-0xD7).
    """
    position = jpeg.find(b"\xff", start)
    while position != -1 and position + 1 < len(jpeg):
        following = jpeg[position + 1]
        if following != 0x00 and not 0xD0 <= following <= 0xD7:
            return position
        position = jpeg.find(b"\xff", position + 2)
    return len(jpeg)


def _text_clean(upload) -> CleanFile:
    """Plain text has no hidden metadata; it is kept as sent once it proves to be UTF-8 throughout."""
    upload.seek(0)
    data = upload.read()
    if not _looks_like_text(data, complete=True):
        raise _Unrecognised
    return _in_memory_clean_file(data, TEXT)


_CLEANERS = {"image": _image_clean, "video": _video_clean, "document": _document_clean}


# Helpers ---------------------------------------------------------------------------------------------------


def _in_memory_clean_file(data: bytes, file_type: _FileType) -> CleanFile:
    return CleanFile(
        content=ContentFile(data, name=f"attachment{file_type.extension}"),
        content_type=file_type.content_type,
        extension=file_type.extension,
        kind=file_type.kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _stream_size(upload) -> int:
    """Measured, not taken from `upload.size`, which for a hand-made upload is whatever its maker said."""
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _megabytes(byte_count: int) -> str:
    """A limit as people read it: '10', '2.5', never '10.0'."""
    megabytes = byte_count / MEGABYTE
    return (f"{megabytes:.1f}" if megabytes >= 1 else f"{megabytes:.2g}").removesuffix(".0")


def _zero(file, offset: int, length: int) -> None:
    file.seek(offset)
    while length > 0:
        step = min(length, COPY_CHUNK_BYTES)
        file.write(bytes(step))
        length -= step


def _disk_file_wipe(file, path: str) -> None:
    """Zero a temporary file on disk, sync it, then close and delete it (whether or not closing deletes)."""
    if not file.closed:
        file.seek(0, os.SEEK_END)
        _zero(file, 0, file.tell())
        file.flush()
        os.fsync(file.fileno())
        file.close()
    if os.path.exists(path):
        with open(path, "r+b") as leftover:
            _zero(leftover, 0, os.fstat(leftover.fileno()).st_size)
            leftover.flush()
            os.fsync(leftover.fileno())
        os.remove(path)
