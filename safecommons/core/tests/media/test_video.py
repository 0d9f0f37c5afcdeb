"""Videos (MP4, MOV) keep their length, layout and footage while metadata boxes, timestamps and the samples of
data tracks (GPS, device) are blanked; what cannot be read or cleaned safely is refused."""

import hashlib
import os
import struct

import pytest

from safecommons.core.errors import Refused
from safecommons.core.media import media_clean
from safecommons.core.tests.media.builders import (
    BYTE_CHUNKS,
    DEVICE_HANDLER_NAME,
    FRAMES,
    GPS_CHUNKS,
    PRODUCED_AT,
    SUBTITLE_CHUNKS,
    XMP,
    assert_no_original_bytes_at,
    box,
    box_offset,
    cleaned_bytes,
    fragmented_movie,
    full_box,
    movie,
    movie_with_data_track,
    temporary_upload,
    track,
    upload,
)

DATA_TRACK_REFUSAL = (
    "This video carries a data track (for example GPS) that we cannot remove. "
    "Please send it without location data, or as a screen recording."
)


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
