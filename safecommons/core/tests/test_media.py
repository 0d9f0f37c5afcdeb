"""Attachments are recognised by their bytes, refused with a clear message when not accepted, and stored
without the metadata that could identify whoever sent them; the uploaded original is wiped."""

import hashlib
import io
import itertools
import os
import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from safecommons.core.errors import Refused
from safecommons.core.media import CleanFile, detect, documents, images, media_clean, upload_wipe

RED = (255, 0, 0)
BLUE = (0, 0, 255)
CREATED = 0xCAFE0001
MODIFIED = 0xCAFE0002
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>CanaryXMP</rdf:Description></x:xmpmeta>'
# The wall-clock time (NTP format) a producer-reference-time box records.
PRODUCED_AT = struct.pack(">Q", 0xE9CA_FE00_1234_5678)
DATA_TRACK_REFUSAL = (
    "This video carries a data track (for example GPS) that we cannot remove. "
    "Please send it without location data, or as a screen recording."
)


# Builders --------------------------------------------------------------------------------------------------


def camera_exif() -> Image.Exif:
    """What a phone writes: maker, model, serial number, GPS position, and an orientation (turn 90° clockwise)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CanaryCam"
    exif[ExifTags.Base.Model] = "Canary Model 7"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.BodySerialNumber: "SN-CANARY-12345"}
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (40.0, 42.0, 46.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (74.0, 0.0, 21.0),
    }
    return exif


def two_colour_image(mode: str = "RGB") -> Image.Image:
    """40×20, red on the left and blue on the right, so a rotation shows in which half is which colour."""
    image = Image.new(mode, (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    return image


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def camera_jpeg() -> bytes:
    return encoded(two_colour_image(), "JPEG", exif=camera_exif(), comment=b"CanaryComment", xmp=XMP)


def box(box_type: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), box_type) + payload


def full_box(box_type: bytes, version: int, payload: bytes) -> bytes:
    return box(box_type, bytes([version, 0, 0, 0]) + payload)


def quicktime_text(text: str) -> bytes:
    """A QuickTime user-data string: length, language code, text."""
    return struct.pack(">HH", len(text), 0x15C7) + text.encode()


# Frame data that happens to look like a metadata box: it must be left alone, not taken for one.
FRAMES = b"\x00\x00\x00\x14udtaNotMetadataHere" + bytes(range(256)) * 4


def movie(brand: bytes = b"isom", extra_tracks: bytes = b"") -> bytes:
    """ftyp, moov{mvhd, trak{tkhd, mdia{mdhd v1, hdlr, minf}, meta}, udta{©xyz, ©mak}}, mdat, as a phone writes them."""
    ftyp = box(b"ftyp", brand + struct.pack(">I", 512) + brand + b"mp41")
    meta = full_box(b"meta", 0, box(b"hdlr", bytes(8) + b"mdta" + bytes(13)) + box(b"ilst", b"CanaryTitle"))
    udta = box(
        b"udta", box(b"\xa9xyz", quicktime_text("+40.7128-074.0060/")) + box(b"\xa9mak", quicktime_text("CanaryPhone"))
    )
    moov = box(b"moov", movie_header() + track(b"vide", 1, b"avc1", extra=meta) + extra_tracks + udta)
    return ftyp + moov + box(b"mdat", FRAMES)


def movie_header() -> bytes:
    return full_box(b"mvhd", 0, struct.pack(">IIII", CREATED, MODIFIED, 1000, 5000) + bytes(80))


def track(
    handler: bytes,
    track_id: int,
    sample_format: bytes,
    extra: bytes = b"",
    *,
    samples: bytes = b"",
    handler_name: bytes = b"Handler\x00",
    description: bytes = b"",
) -> bytes:
    """A 'trak' whose media handler and sample description say what its samples are; `extra` ends the box.

    `samples` is its sample table past 'stsd' (see `sample_table`); by default the track holds no sample.
    `description` follows the sample description's data reference index.
    """
    tkhd = full_box(b"tkhd", 0, struct.pack(">IIIII", CREATED, MODIFIED, track_id, 0, 5000) + bytes(60))
    mdhd = full_box(b"mdhd", 1, struct.pack(">QQIQ", CREATED, MODIFIED, 1000, 5000) + bytes(4))
    # version and flags, pre_defined (QuickTime's component type), handler type, three reserved words, a name
    hdlr = full_box(b"hdlr", 0, bytes(4) + handler + bytes(12) + handler_name)
    # six reserved bytes and a data reference index, then what the format needs
    stsd = full_box(b"stsd", 0, struct.pack(">I", 1) + box(sample_format, bytes(6) + b"\x00\x01" + description))
    minf = box(b"minf", box(b"stbl", stsd + (samples or sample_table([], []))))
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf) + extra)


def sample_table(
    chunks: list[list[bytes]],
    chunk_offsets: list[int],
    *,
    sizes: str = "stsz",
    offsets_box: bytes = b"stco",
    runs: list[tuple[int, int, int]] | None = None,
) -> bytes:
    """The sample sizes, the samples in each chunk and where each chunk is, as a muxer writes them.

    `sizes` is "stsz" (each size listed), "stsz-every" (one size for every sample) or "stz2-<bits>" (4, 8 or 16).
    `runs` replaces the 'stsc' runs, which otherwise start wherever the number of samples per chunk changes.
    """
    sample_sizes = [len(sample) for chunk in chunks for sample in chunk]
    count = len(sample_sizes)
    if sizes == "stsz":
        sizes_box = full_box(b"stsz", 0, struct.pack(f">II{count}I", 0, count, *sample_sizes))
    elif sizes == "stsz-every":
        (every,) = set(sample_sizes)
        sizes_box = full_box(b"stsz", 0, struct.pack(">II", every, count))
    else:
        bits = int(sizes.removeprefix("stz2-"))
        if bits == 4:
            pairs = itertools.zip_longest(sample_sizes[0::2], sample_sizes[1::2], fillvalue=0)
            packed = bytes(high << 4 | low for high, low in pairs)
        else:
            packed = b"".join(size.to_bytes(max(bits // 8, 1), "big") for size in sample_sizes)
        sizes_box = full_box(b"stz2", 0, bytes(3) + bytes([bits]) + struct.pack(">I", count) + packed)
    if runs is None:
        runs = []
        for chunk_number, chunk in enumerate(chunks, start=1):
            if not runs or runs[-1][1] != len(chunk):
                runs.append((chunk_number, len(chunk), 1))
    stsc = full_box(b"stsc", 0, struct.pack(">I", len(runs)) + b"".join(struct.pack(">III", *run) for run in runs))
    offset_format = ">Q" if offsets_box == b"co64" else ">I"
    offsets = b"".join(struct.pack(offset_format, offset) for offset in chunk_offsets)
    return sizes_box + stsc + full_box(offsets_box, 0, struct.pack(">I", len(chunk_offsets)) + offsets)


# A GoPro-like GPS track: a chunk of three samples, then one of two; every sample is shorter than 16 bytes so that
# 4-bit sizes can describe them. The location and the name each end up in one run of bytes in 'mdat'.
GPS_CHUNKS = [[b"+40.7128", b"-074.0060", b"CanaryGoPro"], [b"Canary", b"GoPro"]]
# The same bytes, one sample each, so that a single size fits every sample.
BYTE_CHUNKS = [[bytes([byte]) for byte in b"+40.7128-074.0060"], [bytes([byte]) for byte in b"CanaryGoPro"]]
# A DJI-like flight log as 3GPP timed text: each sample is a 16-bit length and the text.
SUBTITLE_CHUNKS = [[b"\x00\x11+40.7128-074.0060"], [b"\x00\x0bCanaryGoPro"]]
VIDEO_CHUNKS = [[FRAMES[:300], FRAMES[300:700]], [FRAMES[700:]]]
DEVICE_HANDLER_NAME = b"CanaryGoPro MET\x00"


class MovieWithDataTrack(NamedTuple):
    data: bytes
    video_chunks: list[tuple[int, bytes]]  # where each chunk of the picture track is, and its bytes
    data_chunks: list[tuple[int, bytes]]


def movie_with_data_track(
    handler: bytes = b"meta",
    sample_format: bytes = b"gpmd",
    chunks: list[list[bytes]] = GPS_CHUNKS,
    *,
    moved: Callable[[list[int], int], list[int]] | None = None,
    after_mdat: bytes = b"",
    **table_options,
) -> MovieWithDataTrack:
    """ftyp, moov{mvhd, trak (picture), trak (data), udta}, mdat with picture and data chunks taking turns.

    `moved(offsets, end of mdat)` gives the data chunk offsets the movie declares instead of the true ones.
    """
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isommp41")

    def movie_box(video_offsets: list[int], data_offsets: list[int]) -> bytes:
        video_samples = sample_table(VIDEO_CHUNKS, video_offsets)
        video = track(b"vide", 1, b"avc1", samples=video_samples, handler_name=b"VideoHandler\x00")
        data_track = track(
            handler,
            2,
            sample_format,
            samples=sample_table(chunks, data_offsets, **table_options),
            handler_name=DEVICE_HANDLER_NAME,
            description=b"CanaryDevice SN-0042",
        )
        udta = box(b"udta", box(b"\xa9mak", quicktime_text("CanaryPhone")))
        return box(b"moov", movie_header() + video + data_track + udta)

    position = len(ftyp) + len(movie_box([0] * len(VIDEO_CHUNKS), [0] * len(chunks))) + 8
    video_chunks, data_chunks = [], []
    for video_chunk, data_chunk in itertools.zip_longest(VIDEO_CHUNKS, chunks):
        for placed, chunk in ((video_chunks, video_chunk), (data_chunks, data_chunk)):
            if chunk is not None:
                placed.append((position, b"".join(chunk)))
                position += len(placed[-1][1])
    data_offsets = [offset for offset, _ in data_chunks]
    if moved:
        data_offsets = moved(data_offsets, position)
    mdat = box(b"mdat", b"".join(chunk for _, chunk in sorted(video_chunks + data_chunks)))
    data = ftyp + movie_box([offset for offset, _ in video_chunks], data_offsets) + mdat + after_mdat
    return MovieWithDataTrack(data, video_chunks, data_chunks)


def fragmented_movie(fragment_track_id: int = 1, extra_tracks: bytes = b"") -> bytes:
    """ftyp, moov{mvhd, trak, mvex}, prft, moof{mfhd, traf{tfhd, tfdt}, prft}, mdat: how a live stream is cut."""
    ftyp = box(b"ftyp", b"iso6" + bytes(4) + b"iso6dash")
    trex = full_box(b"trex", 0, struct.pack(">IIIII", 1, 1, 0, 0, 0))
    moov = box(b"moov", movie_header() + track(b"vide", 1, b"avc1") + extra_tracks + box(b"mvex", trex))
    prft = full_box(b"prft", 0, struct.pack(">I", 1) + PRODUCED_AT + struct.pack(">I", 0))
    traf = box(b"traf", full_box(b"tfhd", 0, struct.pack(">I", fragment_track_id)) + full_box(b"tfdt", 0, bytes(4)))
    moof = box(b"moof", full_box(b"mfhd", 0, struct.pack(">I", 1)) + traf + prft)
    return ftyp + moov + prft + moof + box(b"mdat", FRAMES)


def box_offset(data: bytes, box_type: bytes) -> int:
    """Where the (first) box of this type starts, its size field included."""
    return data.index(box_type) - 4


def pdf_with_author(pages: int = 2, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Jane Canary", "/Creator": "CanaryWriter 3.1"})
    writer.xmp_metadata = XMP
    if password:
        writer.encrypt(password)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def pdf_with_photos_and_comments(photo: bytes | None = None) -> bytes:
    """Two pages, each with a line of text and a camera photo kept as sent (EXIF, GPS, comment, XMP, bytes after
    its end), the second photo compressed once more; on each page a signed comment, an attached file and XMP."""
    jpeg = (photo or camera_jpeg()) + b"CanaryTrailer"
    writer = PdfWriter()
    for page_number, compressed in enumerate((False, True)):
        page = writer.add_blank_page(width=200, height=200)
        photo_stream = stream(zlib.compress(jpeg) if compressed else jpeg)
        photo_stream.update(
            pdf_dictionary(
                Type=NameObject("/XObject"),
                Subtype=NameObject("/Image"),
                Width=NumberObject(40),
                Height=NumberObject(20),
                ColorSpace=NameObject("/DeviceRGB"),
                BitsPerComponent=NumberObject(8),
                Filter=ArrayObject([NameObject("/FlateDecode"), NameObject("/DCTDecode")])
                if compressed
                else NameObject("/DCTDecode"),
                Metadata=writer._add_object(stream(XMP.replace(b"CanaryXMP", b"CanaryImageXMP"))),
            )
        )
        font = pdf_dictionary(Type=NameObject("/Font"), Subtype=NameObject("/Type1"), BaseFont=NameObject("/Helvetica"))
        page[NameObject("/Resources")] = pdf_dictionary(
            Font=pdf_dictionary(F1=writer._add_object(font)),
            XObject=pdf_dictionary(Im0=writer._add_object(photo_stream)),
        )
        content = b"BT /F1 12 Tf 20 150 Td (Blue van by the school) Tj ET q 40 0 0 20 20 20 cm /Im0 Do Q"
        page[NameObject("/Contents")] = writer._add_object(stream(content))
        page[NameObject("/Metadata")] = writer._add_object(stream(XMP.replace(b"CanaryXMP", b"CanaryPageXMP")))
        writer.add_annotation(page_number, Text(rect=(20, 60, 60, 100), text="Seen twice", title_bar="Jane Canary"))
        attached_file = pdf_dictionary(
            Type=NameObject("/Filespec"),
            F=TextStringObject("CanaryFileNote.txt"),
            EF=pdf_dictionary(F=writer._add_object(stream(b"CanaryAttachment"))),
        )
        attachment = pdf_dictionary(
            Type=NameObject("/Annot"),
            Subtype=NameObject("/FileAttachment"),
            Rect=ArrayObject(NumberObject(corner) for corner in (100, 60, 120, 80)),
            FS=attached_file,
        )
        writer.add_annotation(page_number, attachment)
    writer.add_attachment("CanaryFileNote.txt", b"CanaryAttachment")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def pdf_dictionary(**entries) -> DictionaryObject:
    return DictionaryObject({NameObject(f"/{key}"): value for key, value in entries.items()})


def stream(data: bytes) -> DecodedStreamObject:
    """A stream object, to add with `PdfWriter._add_object`: pypdf has no public call for adding one."""
    made = DecodedStreamObject()
    made.set_data(data)
    return made


def upload(data: bytes, name: str = "attachment", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def temporary_upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    """An upload the way Django keeps a large one: in a named temporary file on disk."""
    uploaded = TemporaryUploadedFile(name, content_type, len(data), None)
    uploaded.write(data)
    uploaded.seek(0)
    return uploaded


def cleaned_bytes(result: CleanFile) -> bytes:
    data = result.content.read()
    result.content.seek(0)
    return data


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Images ----------------------------------------------------------------------------------------------------


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


# Videos ----------------------------------------------------------------------------------------------------


def test_it_blanks_metadata_boxes_and_timestamps_in_an_mp4_keeping_its_layout():
    original = movie()
    assert b"CanaryPhone" in original and b"+40.7128" in original

    result = media_clean(upload(original, "VID_0001.mp4", "video/mp4"))

    data = cleaned_bytes(result)
    result.content.close()
    assert (result.kind, result.content_type, result.extension) == ("video", "video/mp4", ".mp4")
    assert len(data) == len(original) == result.size
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    for trace in (b"CanaryPhone", b"+40.7128", b"CanaryTitle", b"\xa9xyz", b"\xa9mak", b"ilst"):
        assert trace not in data
    for box_type in (b"udta", b"meta"):
        start = box_offset(original, box_type)
        size = struct.unpack(">I", original[start : start + 4])[0]
        assert data[start : start + 8] == original[start : start + 4] + b"free"
        assert data[start + 8 : start + size] == bytes(size - 8)
    assert timestamps(data, b"mvhd", 4) == (0, 0, 1000)
    assert timestamps(data, b"tkhd", 4) == (0, 0, 1)
    assert timestamps(data, b"mdhd", 8) == (0, 0, 1000)
    mdat = box_offset(original, b"mdat")
    assert data[mdat:] == original[mdat:]
    assert data[: box_offset(original, b"moov")] == original[: box_offset(original, b"moov")]


def timestamps(data: bytes, box_type: bytes, field_bytes: int) -> tuple[int, int, int]:
    """Creation time, modification time, and the 32-bit field after them (timescale or track id)."""
    fields = data.index(box_type) + 8
    width = "Q" if field_bytes == 8 else "I"
    return struct.unpack(f">{width}{width}I", data[fields : fields + 2 * field_bytes + 4])


def test_it_hands_back_a_video_in_a_temporary_file_that_goes_away_on_close():
    result = media_clean(upload(movie()))

    path = result.content.file.name
    assert os.path.exists(path)
    assert result.content.tell() == 0
    result.content.close()
    assert not os.path.exists(path)


def test_it_recognises_a_quicktime_movie_by_brand_and_by_an_old_style_start():
    with_brand = media_clean(upload(movie(brand=b"qt  "), "clip.mp4", "video/mp4"))
    without_ftyp = media_clean(upload(movie()[box_offset(movie(), b"moov") :], "clip.bin"))

    for result in (with_brand, without_ftyp):
        assert (result.content_type, result.extension) == ("video/quicktime", ".mov")
        assert b"CanaryPhone" not in cleaned_bytes(result)
        result.content.close()


def test_it_handles_a_64_bit_box_size_and_a_last_box_running_to_the_end():
    ftyp_and_moov = movie()[: box_offset(movie(), b"mdat")]
    xmp_payload = b"CanaryXMP" * 10
    large_uuid = struct.pack(">I4sQ", 1, b"uuid", 16 + len(xmp_payload)) + xmp_payload
    open_ended_mdat = struct.pack(">I4s", 0, b"mdat") + FRAMES
    original = ftyp_and_moov + large_uuid + open_ended_mdat

    result = media_clean(upload(original))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original)
    uuid_start = len(ftyp_and_moov)
    assert data[uuid_start : uuid_start + 16] == struct.pack(">I4sQ", 1, b"free", 16 + len(xmp_payload))
    assert b"CanaryXMP" not in data and b"CanaryPhone" not in data
    assert data[-len(open_ended_mdat) :] == open_ended_mdat


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-10], id="box-runs-past-the-end"),
        pytest.param(lambda data: data + b"\x00\x00\x00\x04junk", id="box-smaller-than-its-header"),
        pytest.param(lambda data: data[: box_offset(data, b"moov")] + box(b"mdat", FRAMES), id="no-moov"),
    ],
)
def test_it_refuses_a_video_with_a_broken_box_tree(damage):
    with pytest.raises(Refused, match="This video could not be read."):
        media_clean(upload(damage(movie()), "clip.mp4", "video/mp4"))


DATA_TRACK_LAYOUTS = [
    pytest.param(b"meta", b"gpmd", GPS_CHUNKS, {}, id="gopro-gps-32-bit-offsets"),
    pytest.param(b"meta", b"gpmd", GPS_CHUNKS, {"offsets_box": b"co64"}, id="gopro-gps-64-bit-offsets"),
    pytest.param(b"meta", b"mebx", GPS_CHUNKS, {"sizes": "stz2-4"}, id="apple-metadata-4-bit-sizes"),
    pytest.param(b"camm", b"camm", GPS_CHUNKS, {"sizes": "stz2-8"}, id="google-camera-motion-8-bit-sizes"),
    pytest.param(b"tmcd", b"tmcd", GPS_CHUNKS, {"sizes": "stz2-16", "offsets_box": b"co64"}, id="timecode-16-bit"),
    pytest.param(b"meta", b"gpmd", BYTE_CHUNKS, {"sizes": "stsz-every"}, id="one-size-for-every-sample"),
    pytest.param(b"text", b"tx3g", SUBTITLE_CHUNKS, {}, id="dji-flight-log-as-subtitles"),
]


@pytest.mark.parametrize(("handler", "sample_format", "chunks", "table_options"), DATA_TRACK_LAYOUTS)
def test_it_zeroes_the_samples_of_a_data_track_keeping_the_picture_and_every_offset(
    handler, sample_format, chunks, table_options
):
    built = movie_with_data_track(handler, sample_format, chunks, **table_options)
    original = built.data
    for trace in (b"+40.7128-074.0060", b"CanaryGoPro", b"CanaryDevice"):
        assert trace in original

    result = media_clean(upload(original, "GX010001.MP4", "video/mp4"))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original) == result.size
    for trace in (b"+40.7128", b"-074.0060", b"CanaryGoPro", b"CanaryDevice", b"CanaryPhone"):
        assert trace not in data
    mdat = box_offset(original, b"mdat")
    expected_media_data = bytearray(original[mdat:])
    for offset, chunk in built.data_chunks:
        expected_media_data[offset - mdat : offset - mdat + len(chunk)] = bytes(len(chunk))
    assert data[mdat:] == expected_media_data  # the picture's samples and everything else in 'mdat' as they were
    for offset, chunk in built.video_chunks:
        assert data[offset : offset + len(chunk)] == chunk
    # The data track is still declared, its samples where they were, with an empty handler name.
    handler_name = original.index(DEVICE_HANDLER_NAME)
    assert data[handler_name - 12 : handler_name] == original[handler_name - 12 : handler_name]  # type, reserved
    assert data[handler_name : handler_name + len(DEVICE_HANDLER_NAME)] == bytes(len(DEVICE_HANDLER_NAME))
    description = original.index(b"CanaryDevice") - 16
    assert data[description : description + 16] == original[description : description + 16]
    data_track_tables, movie_user_data = original.rindex(b"stsc") - 4, box_offset(original, b"udta")
    assert data[data_track_tables:movie_user_data] == original[data_track_tables:movie_user_data]  # stsc, stco/co64
    assert b"VideoHandler" in data


def test_it_keeps_a_data_track_without_samples_naming_nothing():
    original = movie(extra_tracks=track(b"meta", 2, b"mebx", handler_name=DEVICE_HANDLER_NAME, description=XMP))

    result = media_clean(upload(original, "IMG_0001.MOV", "video/quicktime"))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original)
    assert b"CanaryGoPro" not in data and b"CanaryXMP" not in data
    assert b"mebx" in data


def past_mdat(offsets: list[int], mdat_end: int) -> list[int]:
    return [offsets[0], mdat_end + 100]


def into_the_free_box(offsets: list[int], mdat_end: int) -> list[int]:
    return [offsets[0], mdat_end - 3]


def into_the_file_type(offsets: list[int], mdat_end: int) -> list[int]:
    return [offsets[0], 0]


UNLOCATABLE_SAMPLES = [
    pytest.param({"moved": past_mdat}, id="chunk-past-the-end-of-the-file"),
    pytest.param({"moved": into_the_free_box, "after_mdat": box(b"free", bytes(64))}, id="chunk-running-out-of-mdat"),
    pytest.param({"moved": into_the_file_type}, id="chunk-outside-mdat"),
    pytest.param({"runs": [(1, 3, 1), (2, 3, 1)]}, id="chunks-holding-more-samples-than-there-are"),
    pytest.param({"runs": [(1, 2, 1)]}, id="samples-in-no-chunk"),
    pytest.param({"runs": [(2, 3, 1)]}, id="runs-not-starting-at-the-first-chunk"),
    pytest.param({"runs": [(1, 3, 1), (2, 2, 1), (3, 2, 1)]}, id="run-past-the-last-chunk"),
    pytest.param({"runs": [(1, 3, 1), (2, 2, 1), (2, 2, 1)]}, id="runs-out-of-order"),
    pytest.param({"sizes": "stz2-7"}, id="sizes-of-7-bits"),
    pytest.param({"offsets_box": b"skip"}, id="no-chunk-offsets"),
]


@pytest.mark.parametrize("damage", UNLOCATABLE_SAMPLES)
def test_it_refuses_a_data_track_whose_samples_it_cannot_locate_and_wipes_it(damage, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    uploaded = upload(movie_with_data_track(**damage).data, "GX010001.MP4", "video/mp4")

    with pytest.raises(Refused, match="This video could not be read."):
        media_clean(uploaded)

    assert uploaded.file.getvalue() == bytes(len(uploaded.file.getvalue()))
    assert list(tmp_path.iterdir()) == []  # the working copy is gone too


def test_no_original_bytes_remain_of_a_refused_temporary_video_upload():
    uploaded = temporary_upload(movie_with_data_track(moved=past_mdat).data, "clip.mp4", "video/mp4")
    path = uploaded.temporary_file_path()

    with pytest.raises(Refused, match="could not be read"):
        media_clean(uploaded)

    assert_no_original_bytes_at(path, b"CanaryGoPro")


def test_it_keeps_a_video_with_only_picture_and_sound_tracks():
    original = movie(extra_tracks=track(b"soun", 2, b"mp4a"))

    result = media_clean(upload(original, "clip.mp4", "video/mp4"))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original)
    assert data.count(b"hdlr") == original.count(b"hdlr") - 1  # only the one inside 'meta' is blanked
    assert b"CanaryPhone" not in data


def test_it_refuses_a_video_track_without_a_handler_as_unreadable():
    tkhd = full_box(b"tkhd", 0, struct.pack(">IIIII", 0, 0, 2, 0, 0) + bytes(60))
    handlerless = box(b"trak", tkhd + box(b"mdia", box(b"minf")))

    with pytest.raises(Refused, match="This video could not be read."):
        media_clean(upload(movie(extra_tracks=handlerless), "clip.mp4", "video/mp4"))


def test_it_blanks_producer_reference_times_in_a_fragmented_mp4():
    original = fragmented_movie()
    assert original.count(PRODUCED_AT) == 2

    result = media_clean(upload(original, "live.mp4", "video/mp4"))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original)
    assert PRODUCED_AT not in data and b"prft" not in data
    top_level_prft = box_offset(original, b"prft")
    fragment_prft = original.index(b"prft", top_level_prft + 8) - 4
    for start in (top_level_prft, fragment_prft):
        size = struct.unpack(">I", original[start : start + 4])[0]
        assert data[start : start + size] == original[start : start + 4] + b"free" + bytes(size - 8)
    mdat = box_offset(original, b"mdat")
    assert data[mdat:] == original[mdat:]


@pytest.mark.parametrize(
    "fragment_track_id",
    [pytest.param(2, id="fragment-of-a-data-track"), pytest.param(7, id="fragment-of-an-undeclared-track")],
)
def test_it_refuses_fragments_of_a_track_other_than_picture_and_sound(fragment_track_id):
    gps_track = track(b"meta", 2, b"gpmd")

    with pytest.raises(Refused) as refusal:
        media_clean(upload(fragmented_movie(fragment_track_id, extra_tracks=gps_track), "live.mp4", "video/mp4"))

    assert str(refusal.value) == DATA_TRACK_REFUSAL


def test_it_keeps_a_fragmented_mp4_declaring_a_data_track_it_has_no_fragments_of():
    original = fragmented_movie(1, extra_tracks=track(b"meta", 2, b"gpmd", handler_name=DEVICE_HANDLER_NAME))

    result = media_clean(upload(original, "live.mp4", "video/mp4"))

    data = cleaned_bytes(result)
    result.content.close()
    assert len(data) == len(original)
    assert b"CanaryGoPro" not in data


def test_it_refuses_a_heic_photo_in_the_same_container_as_a_video():
    heic = box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + box(b"meta", b"CanaryExif")

    with pytest.raises(Refused, match="not accepted"):
        media_clean(upload(heic, "IMG_0001.HEIC", "image/heic"))


# Documents -------------------------------------------------------------------------------------------------


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


# Refusals --------------------------------------------------------------------------------------------------


WINDOWS_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"


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


# Wiping the upload -----------------------------------------------------------------------------------------


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


# Helpers ---------------------------------------------------------------------------------------------------


def assert_close(pixel, colour, tolerance=40):
    assert all(abs(channel - expected) <= tolerance for channel, expected in zip(pixel, colour, strict=True)), pixel


def assert_no_original_bytes_at(path: str, trace: bytes):
    """The temporary file is gone; had it survived, it would have to hold none of the original bytes."""
    if os.path.exists(path):
        with open(path, "rb") as leftover:
            assert trace not in leftover.read()
    assert not os.path.exists(path)
