"""Photos (JPEG, PNG, WebP) come back re-encoded, upright, without EXIF, XMP, comments or text chunks; unreadable
or oversized ones are refused."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from PIL.PngImagePlugin import PngInfo

from safecommons.core.errors import Refused
from safecommons.core.media import images, media_clean
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
    two_colour_image,
    upload,
)


def test_it_strips_gps_and_camera_details_from_a_jpeg_and_keeps_it_upright():
    original = camera_jpeg()
    assert b"CanaryCam" in original and b"SN-CANARY-12345" in original

    result = media_clean(upload(original, "IMG_0001.JPG", "image/jpeg"))

    data = cleaned_bytes(result)
    for trace in (b"CanaryCam", b"Canary Model 7", b"SN-CANARY-12345", b"CanaryComment", b"CanaryXMP", b"Exif"):
        assert trace not in data
    image = opened(data)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    # Orientation 6 means "turn 90° clockwise to view": the left (red) half ends up on top.
    assert image.size == (20, 40)
    assert_close(image.getpixel((10, 5)), RED)
    assert_close(image.getpixel((10, 35)), BLUE)


def test_it_describes_a_cleaned_image_from_its_bytes_not_its_name():
    result = media_clean(upload(camera_jpeg(), "holiday.png", "image/png"))

    data = cleaned_bytes(result)
    assert (result.kind, result.content_type, result.extension) == ("image", "image/jpeg", ".jpg")
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert isinstance(result.content, ContentFile)
    assert result.content.tell() == 0
    assert "holiday" not in result.content.name


def test_it_drops_text_chunks_and_exif_from_a_png():
    text = PngInfo()
    text.add_text("Author", "CanaryAuthor")
    text.add_text("Comment", "CanaryNote", zip=True)
    original = encoded(two_colour_image("RGBA"), "PNG", pnginfo=text, exif=camera_exif())
    assert b"CanaryAuthor" in original

    result = media_clean(upload(original, "map.png"))

    data = cleaned_bytes(result)
    assert b"tEXt" not in data and b"zTXt" not in data and b"eXIf" not in data
    assert b"CanaryAuthor" not in data and b"CanaryCam" not in data
    image = opened(data)
    assert (image.format, image.mode, result.content_type) == ("PNG", "RGBA", "image/png")
    assert image.text == {}
    assert len(image.getexif()) == 0


def test_it_drops_exif_and_xmp_from_a_webp():
    original = encoded(two_colour_image(), "WEBP", exif=camera_exif(), xmp=XMP)
    assert b"CanaryCam" in original and b"CanaryXMP" in original

    result = media_clean(upload(original, "clip.webp"))

    data = cleaned_bytes(result)
    assert b"EXIF" not in data and b"XMP " not in data
    assert b"CanaryCam" not in data and b"CanaryXMP" not in data
    image = opened(data)
    assert (image.format, result.content_type, result.extension) == ("WEBP", "image/webp", ".webp")
    assert len(image.getexif()) == 0
    # WebP keeps the stored orientation but applies it: the picture comes out upright.
    assert image.size == (20, 40)


def test_it_refuses_a_corrupt_jpeg():
    with pytest.raises(Refused, match="This image could not be read."):
        media_clean(upload(b"\xff\xd8\xff\xe0" + b"not really a photo" * 50, "photo.jpg", "image/jpeg"))


def test_it_refuses_a_truncated_jpeg():
    with pytest.raises(Refused, match="This image could not be read."):
        media_clean(upload(camera_jpeg()[:400], "photo.jpg", "image/jpeg"))


def test_it_refuses_an_image_with_too_many_pixels(monkeypatch):
    monkeypatch.setattr(images, "IMAGE_MAX_PIXELS", 100)

    with pytest.raises(Refused, match="too large"):
        media_clean(upload(encoded(two_colour_image(), "PNG"), "huge.png"))
