"""The upload is wiped whatever happens: no original bytes remain in a temporary file or an in-memory buffer."""

import os

import pytest

from safecommons.core.errors import Refused
from safecommons.core.media import media_clean, upload_wipe
from safecommons.core.tests.media.builders import (
    WINDOWS_EXECUTABLE,
    assert_no_original_bytes_at,
    camera_jpeg,
    cleaned_bytes,
    movie,
    temporary_upload,
    upload,
)


def test_no_original_bytes_remain_of_a_temporary_upload():
    original = camera_jpeg()
    uploaded = temporary_upload(original)
    path = uploaded.temporary_file_path()
    with open(path, "rb") as on_disk:
        assert on_disk.read() == original

    result = media_clean(uploaded)

    assert result.kind == "image"
    assert_no_original_bytes_at(path, b"SN-CANARY-12345")


def test_no_original_bytes_remain_of_a_refused_temporary_upload():
    uploaded = temporary_upload(WINDOWS_EXECUTABLE + b"CanaryPayload")
    path = uploaded.temporary_file_path()

    with pytest.raises(Refused):
        media_clean(uploaded)

    assert_no_original_bytes_at(path, b"CanaryPayload")


def test_no_original_bytes_remain_of_a_temporary_video_upload():
    uploaded = temporary_upload(movie(), "clip.mp4", "video/mp4")
    path = uploaded.temporary_file_path()

    result = media_clean(uploaded)

    assert b"CanaryPhone" not in cleaned_bytes(result)
    result.content.close()
    assert_no_original_bytes_at(path, b"CanaryPhone")


def test_it_zeroes_the_buffer_of_an_in_memory_upload():
    uploaded = upload(camera_jpeg(), "photo.jpg", "image/jpeg")
    buffer = uploaded.file

    media_clean(uploaded)

    assert buffer.getvalue() == bytes(len(buffer.getvalue()))


def test_wiping_twice_is_harmless():
    uploaded = temporary_upload(camera_jpeg())
    in_memory = upload(b"some words")

    for _ in range(2):
        upload_wipe(uploaded)
        upload_wipe(in_memory)

    assert not os.path.exists(uploaded.temporary_file_path())
    uploaded.close()  # Django closes it again at the end of the request
    assert in_memory.file.getvalue() == bytes(10)
