"""PDFs are rewritten without document information, XMP, annotations or attachments, and the photos on their
pages without metadata; password-protected or unreadable PDFs are refused; plain text is kept as sent."""

import io

import pytest
from pypdf import PdfReader

from safecommons.core.errors import Refused
from safecommons.core.media import documents, media_clean
from safecommons.core.tests.media.builders import (
    BLUE,
    RED,
    XMP,
    assert_close,
    camera_exif,
    camera_jpeg,
    cleaned_bytes,
    encoded,
    opened,
    pdf_with_author,
    pdf_with_photos_and_comments,
    two_colour_image,
    upload,
)


def test_it_rewrites_a_pdf_without_its_author_or_xmp():
    original = pdf_with_author(pages=3)
    assert b"Jane Canary" in original and b"CanaryXMP" in original

    result = media_clean(upload(original, "statement.pdf", "application/pdf"))

    data = cleaned_bytes(result)
    assert (result.kind, result.content_type, result.extension) == ("document", "application/pdf", ".pdf")
    for trace in (b"Jane Canary", b"CanaryWriter", b"CanaryXMP", b"/Producer", b"/Metadata"):
        assert trace not in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    assert reader.metadata is None


def test_it_strips_exif_annotations_and_attachments_from_a_pdf_keeping_pages_text_and_images():
    original = pdf_with_photos_and_comments()
    for trace in (b"CanaryCam", b"Jane Canary", b"CanaryComment", b"CanaryTrailer", b"CanaryPageXMP"):
        assert trace in original

    result = media_clean(upload(original, "statement.pdf", "application/pdf"))

    data = cleaned_bytes(result)
    for trace in (
        b"CanaryCam", b"Exif", b"Jane Canary", b"CanaryComment", b"CanaryXMP", b"CanaryTrailer", b"CanaryImageXMP",
        b"CanaryPageXMP", b"CanaryAttachment", b"CanaryFileNote", b"/Annots", b"/EmbeddedFiles",
    ):  # fmt: skip
        assert trace not in data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert "Blue van by the school" in page.extract_text()
        images = page["/Resources"]["/XObject"]
        assert images["/Im0"]["/Filter"] == "/DCTDecode"
        jpeg = images["/Im0"].get_data()  # also undoes the compression over the photo on the second page
        for trace in (b"CanaryCam", b"SN-CANARY-12345", b"CanaryComment", b"CanaryXMP", b"CanaryTrailer"):
            assert trace not in jpeg
        image = opened(jpeg)
        assert (image.format, image.size) == ("JPEG", (40, 20))
        assert len(image.getexif()) == 0 and "comment" not in image.info
        assert_close(image.getpixel((5, 10)), RED)
        assert_close(image.getpixel((35, 10)), BLUE)


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        pytest.param("RGB", {"progressive": True, "restart_marker_blocks": 1}, id="progressive-with-restart-markers"),
        pytest.param("RGB", {"icc_profile": b"CanaryICC" * 4}, id="with-colour-profile"),
        pytest.param("CMYK", {}, id="cmyk-with-adobe-segment"),
    ],
)
def test_a_photo_inside_a_pdf_loses_its_metadata_but_not_a_pixel(mode, options):
    original = encoded(
        two_colour_image().convert(mode), "JPEG", exif=camera_exif(), comment=b"CanaryComment", xmp=XMP, **options
    )

    stripped = documents._jpeg_metadata_strip(original + b"CanaryTrailer")

    for trace in (b"CanaryCam", b"CanaryComment", b"CanaryXMP", b"CanaryICC", b"CanaryTrailer", b"Exif"):
        assert trace not in stripped
    assert stripped.endswith(b"\xff\xd9")
    assert (b"Adobe" in stripped) == (b"Adobe" in original)  # it tells a decoder how CMYK colours are coded
    assert opened(stripped).tobytes() == opened(original).tobytes()


def test_it_refuses_a_pdf_with_a_broken_jpeg():
    with pytest.raises(Refused, match="This PDF could not be read."):
        media_clean(upload(pdf_with_photos_and_comments(photo=camera_jpeg()[:300]), "statement.pdf"))


def test_it_refuses_a_password_protected_pdf():
    with pytest.raises(Refused, match="Password-protected"):
        media_clean(upload(pdf_with_author(password="secret"), "statement.pdf"))


def test_it_refuses_an_unreadable_pdf():
    with pytest.raises(Refused, match="This PDF could not be read."):
        media_clean(upload(b"%PDF-1.7\n" + bytes(range(256)) * 8, "statement.pdf"))


def test_it_keeps_plain_text_as_sent():
    text = "Blue van parked by the school every night — 23:00 to 01:00.\n".encode()

    result = media_clean(upload(text, "notes.doc", "application/msword"))

    assert cleaned_bytes(result) == text
    assert (result.kind, result.content_type, result.extension) == ("document", "text/plain", ".txt")
