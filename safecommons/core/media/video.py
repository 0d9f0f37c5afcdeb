"""Videos (MP4, MOV): metadata boxes and timestamps blanked and data tracks emptied, in a working copy on disk.

Re-encoding would need ffmpeg and change the footage. Overwriting in place instead keeps the file's length and
every offset in it valid, so the picture and sound play exactly as before.
"""

import os
from bisect import bisect_right
from collections.abc import Iterable
from itertools import islice
from typing import NamedTuple

from django.utils.translation import gettext

from safecommons.core.errors import Refused
from safecommons.core.media.boxes import Box, boxes, child, children, payload_number, payload_read, video_unreadable
from safecommons.core.media.detect import FileType
from safecommons.core.media.files import CleanFile, disk_file_wipe, on_disk_clean_file, working_copy, zero
from safecommons.core.media.sample_tables import sample_ranges

# Boxes that hold metadata (user data, iTunes-style and XMP metadata, vendor 'uuid' blocks, and 'prft', the
# wall-clock time a live stream or fragment was produced): overwritten by a 'free' box of the same size, so the
# chunk offsets in 'stco'/'co64' stay true without rewriting them.
_METADATA_BOXES = {b"udta", b"meta", b"uuid", b"XMP_", b"prft"}
# Boxes whose children can hold metadata boxes or timestamps.
_CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"moof", b"traf"}
# Boxes carrying creation and modification times; these reveal when the video was shot.
_TIMESTAMP_BOXES = {b"mvhd", b"tkhd", b"mdhd"}
# Free space can hold what an editor left behind, so it is zeroed too.
_FREE_BOXES = {b"free", b"skip"}
# Real files nest a few levels deep; a limit keeps a hostile file from exhausting the stack.
_MAX_DEPTH = 8
# Handler types ('hdlr' in a track's 'mdia') of the tracks kept as they are: pictures and sound. Any other
# track is there to carry data: GoPro 'gpmd' and Apple 'mebx' metadata ('meta' handler), Google 'camm' camera
# motion, DJI flight logs as subtitles ('text', 'sbtl'), timecode ('tmcd', a time of day). These hold GPS
# fixes, serial numbers and times, so their samples are zeroed.
_MEDIA_HANDLERS = {b"vide", b"soun"}
# In 'hdlr', the name follows the version and flags, QuickTime's component type, the handler type and three
# reserved words. Camera makers put their name in it ("GoPro MET").
_HANDLER_NAME_OFFSET = 24
# A sample description starts like any box, then six reserved bytes and a data reference index; what follows
# is particular to the format and may name the device, the software or the keys the samples hold.
_SAMPLE_DESCRIPTION_KEPT_BYTES = 8


class _Track(NamedTuple):
    track_id: int
    handler_type: bytes
    handler: Box
    media: Box


def video_clean(upload, file_type: FileType) -> CleanFile:
    """Blank the metadata of an MP4/MOV in a temporary copy, leaving the picture and sound untouched."""
    copy = working_copy(upload, file_type)
    try:
        _movie_strip(copy)
    except BaseException:
        disk_file_wipe(copy, copy.name)
        raise
    return on_disk_clean_file(copy, file_type)


def _movie_strip(file) -> None:
    top_level = list(boxes(file, 0, file.seek(0, os.SEEK_END)))
    movie_headers = [box for box in top_level if box.box_type == b"moov"]
    if not movie_headers:
        raise video_unreadable()
    tracks = [
        _track_read(file, trak)
        for movie_header in movie_headers
        for trak in children(file, movie_header)
        if trak.box_type == b"trak"
    ]
    _fragments_check(file, top_level, {track.track_id for track in tracks if track.handler_type in _MEDIA_HANDLERS})
    _data_tracks_empty(file, [track for track in tracks if track.handler_type not in _MEDIA_HANDLERS], top_level)
    _metadata_strip(file, top_level, depth=0)


def _track_read(file, trak: Box) -> _Track:
    media = child(file, trak, b"mdia")
    handler = child(file, media, b"hdlr")
    track_header = child(file, trak, b"tkhd")
    # The track id follows the creation and modification times, 32-bit in version 0 and 64-bit in version 1.
    id_offset = 20 if payload_read(file, track_header, 0, 1) == b"\x01" else 12
    return _Track(
        track_id=payload_number(file, track_header, id_offset, 4),
        # The handler type follows the version, flags and a field that is zero in MP4 (QuickTime's component type).
        handler_type=payload_read(file, handler, 8, 4),
        handler=handler,
        media=media,
    )


def _fragments_check(file, top_level: list[Box], media_track_ids: set[int]) -> None:
    """Refuse a fragment ('moof/traf') of any track but pictures and sound: a data track's, or one never declared.

    Each fragment names its track in 'tfhd'. Its samples are located through 'trun' runs, with offsets counted
    from the fragment or from a base in 'tfhd' and sizes defaulting to 'tfhd' or 'trex'. Rather than read all
    that to zero a data track's fragments, such a video is refused, with a message saying what to send instead.
    """
    for fragment in top_level:
        if fragment.box_type != b"moof":
            continue
        for track_fragment in children(file, fragment):
            if track_fragment.box_type == b"traf":
                # The track id follows the version and flags.
                if payload_number(file, child(file, track_fragment, b"tfhd"), 4, 4) not in media_track_ids:
                    raise Refused(_data_track_message())


def _data_tracks_empty(file, data_tracks: list[_Track], top_level: list[Box]) -> None:
    """Zero the samples of each data track, its handler's name and what its sample descriptions say.

    Every sample must lie in a media data box ('mdat'): all are checked before a byte is written, and an offset
    pointing anywhere else (past the end, into the boxes that describe the movie) makes the video unreadable.
    The emptied track stays declared, with zeros where its data was.
    """
    sample_tables = [child(file, child(file, track.media, b"minf"), b"stbl") for track in data_tracks]
    ranges = [byte_range for sample_table in sample_tables for byte_range in sample_ranges(file, sample_table)]
    _ranges_check(ranges, [box for box in top_level if box.box_type == b"mdat"])
    for start, end in ranges:
        zero(file, start, end - start)
    for track, sample_table in zip(data_tracks, sample_tables, strict=True):
        name_start = track.handler.payload_start + _HANDLER_NAME_OFFSET
        zero(file, name_start, max(track.handler.end - name_start, 0))
        _sample_descriptions_zero(file, child(file, sample_table, b"stsd"))


def _ranges_check(ranges: list[tuple[int, int]], media_data: list[Box]) -> None:
    """Each (start, end) must lie within the payload of one 'mdat'; the boxes come in file order."""
    payload_starts = [box.payload_start for box in media_data]
    for start, end in ranges:
        index = bisect_right(payload_starts, start) - 1
        if index < 0 or end > media_data[index].end:
            raise video_unreadable()


def _sample_descriptions_zero(file, descriptions: Box) -> None:
    """Zero each sample description ('stsd' entry) past its format code, reserved bytes and data reference."""
    # version and flags, the number of descriptions, the descriptions
    count = payload_number(file, descriptions, 4, 4)
    for description in islice(boxes(file, descriptions.payload_start + 8, descriptions.end), count):
        kept_end = min(description.payload_start + _SAMPLE_DESCRIPTION_KEPT_BYTES, description.end)
        zero(file, kept_end, description.end - kept_end)


def _metadata_strip(file, level: Iterable[Box], *, depth: int) -> None:
    """Blank metadata boxes, free space and timestamps among these boxes, descending into containers."""
    if depth > _MAX_DEPTH:
        raise video_unreadable()
    for box in level:
        if box.box_type in _METADATA_BOXES:
            file.seek(box.start + 4)
            file.write(b"free")
            zero(file, box.payload_start, box.end - box.payload_start)
        elif box.box_type in _FREE_BOXES:
            zero(file, box.payload_start, box.end - box.payload_start)
        elif box.box_type in _TIMESTAMP_BOXES:
            _timestamps_zero(file, box)
        elif box.box_type in _CONTAINER_BOXES:
            _metadata_strip(file, children(file, box), depth=depth + 1)


def _timestamps_zero(file, box: Box) -> None:
    """Zero the creation and modification times that follow the version and flags (32-bit, or 64 in v1)."""
    field_bytes = 8 if payload_read(file, box, 0, 1) == b"\x01" else 4
    payload_read(file, box, 4, 2 * field_bytes)  # checks the box holds them
    zero(file, box.payload_start + 4, 2 * field_bytes)


def _data_track_message() -> str:
    return gettext(
        "This video carries a data track (for example GPS) that we cannot remove. "
        "Please send it without location data, or as a screen recording."
    )
