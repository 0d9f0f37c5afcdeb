"""A file is judged by its bytes: what is not plainly a photo, video or document is refused, as are an empty
file, one over the size limit, and kinds not asked for, each with a clear message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safecommons.core.errors import Refused
from safecommons.core.media import detect, media_clean
from safecommons.core.tests.media.builders import WINDOWS_EXECUTABLE, camera_jpeg, pdf_with_author, upload


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(WINDOWS_EXECUTABLE, id="windows-executable"),
        pytest.param(b"MZ this is not a photo", id="windows-executable-stub-that-decodes-as-text"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(56), id="elf"),
        pytest.param(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(24), id="mach-o"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00word/document.xml", id="zip-or-office"),
        pytest.param(b"#!/bin/sh\nrm -rf ~\n", id="shell-script"),
        pytest.param(b"<!doctype html><script>alert(1)</script>", id="html"),
        pytest.param(b'\xef\xbb\xbf  \n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", id="gif"),
        pytest.param(b"caf\xe9 latin-1 text", id="text-that-is-not-utf-8"),
        pytest.param(b"text with a NUL\x00byte", id="text-with-nul"),
    ],
)
def test_it_refuses_what_is_not_a_photo_video_or_document(data):
    with pytest.raises(Refused) as refusal:
        media_clean(upload(data, "photo.jpg", "image/jpeg"))

    assert str(refusal.value) == (
        "This file type is not accepted. "
        "Send photos (JPEG, PNG, WebP), videos (MP4, MOV) or documents (PDF, plain text)."
    )


def test_it_refuses_a_windows_executable_renamed_photo_jpg_sent_as_a_jpeg():
    renamed = SimpleUploadedFile("photo.jpg", WINDOWS_EXECUTABLE, content_type="image/jpeg")

    with pytest.raises(Refused, match="not accepted"):
        media_clean(renamed)


def test_it_refuses_text_that_stops_being_utf_8_after_the_first_bytes():
    data = b"a" * (detect.HEAD_BYTES + 10) + b"\xff\xfe"

    with pytest.raises(Refused, match="not accepted"):
        media_clean(upload(data, "notes.txt", "text/plain"))


def test_it_refuses_an_empty_file():
    with pytest.raises(Refused, match="empty"):
        media_clean(upload(b"", "photo.jpg", "image/jpeg"))


def test_it_refuses_a_file_over_the_limit_giving_the_limit_in_megabytes():
    two_megabytes = 2 * 1024 * 1024

    with pytest.raises(Refused) as refusal:
        media_clean(upload(b"a" * (two_megabytes + 1), "notes.txt"), max_bytes=two_megabytes)

    assert str(refusal.value) == "This file is too large. The limit is 2 MB."


def test_it_accepts_a_file_at_the_limit():
    result = media_clean(upload(b"a" * 1000, "notes.txt"), max_bytes=1000)

    assert result.size == 1000


def test_it_accepts_only_the_kinds_asked_for_and_says_which():
    with pytest.raises(Refused) as refusal:
        media_clean(upload(pdf_with_author(), "report.pdf", "application/pdf"), kinds=("image",))

    assert str(refusal.value) == "This file type is not accepted. Send photos (JPEG, PNG, WebP)."
    assert media_clean(upload(camera_jpeg()), kinds=("image",)).kind == "image"


def test_it_names_two_accepted_kinds_with_or():
    with pytest.raises(Refused) as refusal:
        media_clean(upload(b"plain words"), kinds=("image", "video"))

    assert str(refusal.value) == "This file type is not accepted. Send photos (JPEG, PNG, WebP) or videos (MP4, MOV)."


def test_it_rejects_an_unknown_kind_as_a_programming_error():
    with pytest.raises(ValueError, match="audio"):
        media_clean(upload(b"plain words"), kinds=("image", "audio"))
