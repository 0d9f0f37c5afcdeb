"""Documents: PDFs copied page by page into a new file without their metadata; plain text kept as sent."""

import io

from django.utils.translation import gettext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, StreamObject

from safecommons.core.errors import Refused
from safecommons.core.media.detect import PDF, TEXT, FileType, Unrecognised, looks_like_text
from safecommons.core.media.files import CleanFile, in_memory_clean_file

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


def document_clean(upload, file_type: FileType) -> CleanFile:
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
    return in_memory_clean_file(output.getvalue(), PDF)


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
    if not looks_like_text(data, complete=True):
        raise Unrecognised
    return in_memory_clean_file(data, TEXT)
