"""Photos (JPEG, PNG, WebP): the pixels re-encoded into a new image, so nothing the camera wrote is carried over."""

import io

from django.utils.translation import gettext
from PIL import Image, ImageOps

from safecommons.core.errors import Refused
from safecommons.core.media.detect import FileType
from safecommons.core.media.files import CleanFile, in_memory_clean_file

# Enough for a 48-megapixel phone photo at full resolution; decoding costs about 3 bytes a pixel, twice.
IMAGE_MAX_PIXELS = 50_000_000

# Pillow writes only these modes for each format; anything else is converted first.
_SAVE_MODES = {
    "JPEG": {"L", "RGB"},
    "PNG": {"1", "L", "LA", "I", "I;16", "RGB", "RGBA"},
    "WEBP": {"RGB", "RGBA"},
}
_SAVE_OPTIONS = {"JPEG": {"quality": 90}, "PNG": {}, "WEBP": {"quality": 90}}


def image_clean(upload, file_type: FileType) -> CleanFile:
    """Re-encode the pixels into a new image: nothing the camera wrote (EXIF, XMP, comments) is carried over.

    The picture is turned upright first, since dropping the orientation tag would otherwise leave it sideways.
    """
    pixels = _upright_pixels(upload, file_type.pillow_format)
    output = io.BytesIO()
    pixels.save(output, format=file_type.pillow_format, **_SAVE_OPTIONS[file_type.pillow_format])
    return in_memory_clean_file(output.getvalue(), file_type)


def _upright_pixels(upload, pillow_format: str) -> Image.Image:
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
            return _copy_without_info(image, _SAVE_MODES[pillow_format])
        except Exception as error:
            raise Refused(unreadable) from error


def _copy_without_info(image: Image.Image, save_modes: set[str]) -> Image.Image:
    """A fresh image holding only the pixels: its `info` (exif, xmp, icc_profile, comments, text) is empty."""
    if image.mode in save_modes:
        source = image
    else:
        source = image.convert("RGBA" if image.has_transparency_data and "RGBA" in save_modes else "RGB")
    clean = Image.new(source.mode, source.size)
    clean.paste(source)
    return clean
