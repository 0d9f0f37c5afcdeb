"""What a file is, read from its first bytes; and the message that says what is accepted instead.

A filename or a Content-Type header is whatever the sender says it is, so neither is looked at.
"""

import codecs
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy

MEDIA_KINDS = ("image", "video", "document")

# The first bytes read to recognise a type; long enough for an MP4 'ftyp' box listing many brands.
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extension: str
    pillow_format: str = ""


JPEG = FileType("image", "image/jpeg", ".jpg", "JPEG")
PNG = FileType("image", "image/png", ".png", "PNG")
WEBP = FileType("image", "image/webp", ".webp", "WEBP")
MP4 = FileType("video", "video/mp4", ".mp4")
MOV = FileType("video", "video/quicktime", ".mov")
PDF = FileType("document", "application/pdf", ".pdf")
TEXT = FileType("document", "text/plain", ".txt")


class Unrecognised(Exception):
    """The bytes looked like one accepted type at first but turned out not to be."""


_KIND_PHRASES = {
    "image": gettext_lazy("photos (JPEG, PNG, WebP)"),
    "video": gettext_lazy("videos (MP4, MOV)"),
    "document": gettext_lazy("documents (PDF, plain text)"),
}

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


def file_type_detect(head: bytes) -> FileType | None:
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
    return TEXT if looks_like_text(head, complete=len(head) < HEAD_BYTES) else None


def looks_like_text(data: bytes, *, complete: bool) -> bool:
    """UTF-8 without NUL bytes; a cut-off head may end in the middle of a character."""
    if b"\x00" in data:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def not_accepted_message(kinds) -> str:
    """'This file type is not accepted. Send …', naming the kinds accepted here."""
    phrases = [str(_KIND_PHRASES[kind]) for kind in MEDIA_KINDS if kind in kinds]
    if len(phrases) > 1:
        accepted = gettext("%(items)s or %(last)s") % {"items": ", ".join(phrases[:-1]), "last": phrases[-1]}
    else:
        accepted = phrases[0]
    return gettext("This file type is not accepted. Send %(accepted)s.") % {"accepted": accepted}


def _video_type_detect(head: bytes) -> FileType | None:
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
