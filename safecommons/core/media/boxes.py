"""Walking the boxes of an MP4 (ISO base media) file or a QuickTime movie, and reading fields from them.

Every size is checked against the box that contains it, so a damaged or hostile file can neither send a read
past its end nor make boxes overlap; what does not add up is refused as unreadable.
"""

from collections.abc import Iterator
from typing import NamedTuple

from django.utils.translation import gettext

from safecommons.core.errors import Refused


class Box(NamedTuple):
    box_type: bytes
    start: int  # where its size field is
    payload_start: int  # just after its header
    end: int


def boxes(file, start: int, end: int) -> Iterator[Box]:
    """Each box laid end to end in [start, end) of the file.

    A size of 1 means a 64-bit size follows the type; a size of 0 means the box runs to the end.
    """
    position = start
    while position < end:
        file.seek(position)
        header = file.read(8)
        if len(header) < 8:
            raise video_unreadable()
        box_size, box_type = int.from_bytes(header[:4], "big"), header[4:]
        payload_start = position + 8
        if box_size == 1:
            large_size = file.read(8)
            if len(large_size) < 8:
                raise video_unreadable()
            box_size = int.from_bytes(large_size, "big")
            payload_start += 8
        elif box_size == 0:
            box_size = end - position
        if box_size < payload_start - position or position + box_size > end:
            raise video_unreadable()
        yield Box(box_type, position, payload_start, position + box_size)
        position += box_size


def children(file, parent: Box) -> Iterator[Box]:
    return boxes(file, parent.payload_start, parent.end)


def child(file, parent: Box, box_type: bytes) -> Box:
    """The first child of this type, which must be there."""
    found = child_or_none(file, parent, box_type)
    if found is None:
        raise video_unreadable()
    return found


def child_or_none(file, parent: Box, box_type: bytes) -> Box | None:
    return next((box for box in children(file, parent) if box.box_type == box_type), None)


def payload_read(file, box: Box, offset: int, length: int) -> bytes:
    """`length` bytes at `offset` into the box's payload, which must hold them."""
    if box.payload_start + offset + length > box.end:
        raise video_unreadable()
    file.seek(box.payload_start + offset)
    return file.read(length)


def payload_number(file, box: Box, offset: int, length: int) -> int:
    """The big-endian unsigned number of `length` bytes at `offset` into the box's payload."""
    return int.from_bytes(payload_read(file, box, offset, length), "big")


def video_unreadable() -> Refused:
    """The refusal for a video whose structure does not add up, to raise."""
    return Refused(gettext("This video could not be read."))
