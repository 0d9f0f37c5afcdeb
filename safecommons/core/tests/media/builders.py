"""What the media tests send, and how they read back the result: photos, videos and PDFs carrying the metadata
a phone or an editor writes into them, uploads as Django hands them over, and the checks the test files share."""

import io
import itertools
import os
import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple

from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import ExifTags, Image
from pypdf import PdfWriter
from pypdf.annotations import Text
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from safecommons.core.media import CleanFile

RED = (255, 0, 0)
BLUE = (0, 0, 255)
CREATED = 0xCAFE0001
MODIFIED = 0xCAFE0002
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>CanaryXMP</rdf:Description></x:xmpmeta>'
# The wall-clock time (NTP format) a producer-reference-time box records.
PRODUCED_AT = struct.pack(">Q", 0xE9CA_FE00_1234_5678)
WINDOWS_EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"


# Photos ----------------------------------------------------------------------------------------------------


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


# Videos ----------------------------------------------------------------------------------------------------


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


# Documents -------------------------------------------------------------------------------------------------


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


# Uploads and results ---------------------------------------------------------------------------------------


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


def assert_close(pixel, colour, tolerance=40):
    assert all(abs(channel - expected) <= tolerance for channel, expected in zip(pixel, colour, strict=True)), pixel


def assert_no_original_bytes_at(path: str, trace: bytes):
    """The temporary file is gone; had it survived, it would have to hold none of the original bytes."""
    if os.path.exists(path):
        with open(path, "rb") as leftover:
            assert trace not in leftover.read()
    assert not os.path.exists(path)
