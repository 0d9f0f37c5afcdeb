"""Where a track's samples lie in the file, read from its sample table ('stbl').

Samples are stored in chunks: 'stco' (or 'co64' in a large file) gives where each chunk starts, 'stsc' how
many samples each chunk holds, in runs of alike chunks, and 'stsz' (or the compact 'stz2') the size of each
sample. A chunk's samples follow one another, so each chunk is one range of bytes.
"""

import struct
from itertools import accumulate
from typing import NamedTuple

from safecommons.core.media.boxes import Box, child, child_or_none, payload_number, payload_read, video_unreadable

_NUMBER_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


class _SampleSizes(NamedTuple):
    count: int
    every: int  # the size of every sample, or 0 when each sample's size is listed
    running_totals: list[int]  # with a list, running_totals[n] is the size of the first n samples together

    def span(self, first: int, number: int) -> int:
        """How many bytes `number` samples from the `first` (counted from 0) take."""
        if self.every:
            return self.every * number
        return self.running_totals[first + number] - self.running_totals[first]


def sample_ranges(file, sample_table: Box) -> list[tuple[int, int]]:
    """The (start, end) file offsets of the bytes each chunk's samples fill; chunks without bytes are left out.

    A table that does not add up (chunks holding more or fewer samples than there are, runs out of order or
    past the last chunk) is refused as unreadable: a sample that cannot be located cannot be blanked.
    """
    sizes = _sample_sizes(file, sample_table)
    runs = _chunk_runs(file, sample_table)
    chunk_offsets = _chunk_offsets(file, sample_table)
    if runs and runs[0][0] != 1:
        raise video_unreadable()
    # Each run of chunks lasts until the next one starts; the last, until the last chunk.
    run_ends = [first_chunk for first_chunk, _ in runs[1:]] + [len(chunk_offsets) + 1] if runs else []
    ranges = []
    sample = 0
    for (first_chunk, samples_per_chunk), run_end in zip(runs, run_ends, strict=True):
        if first_chunk >= run_end:
            raise video_unreadable()
        for chunk_offset in chunk_offsets[first_chunk - 1 : run_end - 1]:
            if sample + samples_per_chunk > sizes.count:
                raise video_unreadable()
            length = sizes.span(sample, samples_per_chunk)
            if length:
                ranges.append((chunk_offset, chunk_offset + length))
            sample += samples_per_chunk
    if sample != sizes.count:
        raise video_unreadable()
    return ranges


def _sample_sizes(file, sample_table: Box) -> _SampleSizes:
    """From 'stsz' (one size for every sample, or 32 bits each) or 'stz2' (4, 8 or 16 bits each)."""
    if sizes_box := child_or_none(file, sample_table, b"stsz"):
        # version and flags, the size of every sample (0 when listed), the number of samples, the list
        every = payload_number(file, sizes_box, 4, 4)
        count = payload_number(file, sizes_box, 8, 4)
        if every:
            return _SampleSizes(count, every, [])
        sizes = _numbers(file, sizes_box, 12, count, 4)
    elif sizes_box := child_or_none(file, sample_table, b"stz2"):
        # version and flags, 3 reserved bytes, the bits each size takes, the number of samples, the list
        field_bits = payload_number(file, sizes_box, 7, 1)
        count = payload_number(file, sizes_box, 8, 4)
        if field_bits == 4:
            packed = payload_read(file, sizes_box, 12, (count + 1) // 2)
            sizes = [half for byte in packed for half in (byte >> 4, byte & 0x0F)][:count]
        elif field_bits in (8, 16):
            sizes = _numbers(file, sizes_box, 12, count, field_bits // 8)
        else:
            raise video_unreadable()
    else:
        raise video_unreadable()
    return _SampleSizes(count, 0, list(accumulate(sizes, initial=0)))


def _chunk_runs(file, sample_table: Box) -> list[tuple[int, int]]:
    """(first chunk, counted from 1; samples in each chunk) of each run in 'stsc'."""
    runs_box = child(file, sample_table, b"stsc")
    # version and flags, the number of runs, then per run: first chunk, samples per chunk, sample description
    count = payload_number(file, runs_box, 4, 4)
    numbers = _numbers(file, runs_box, 8, 3 * count, 4)
    return list(zip(numbers[0::3], numbers[1::3], strict=True))


def _chunk_offsets(file, sample_table: Box) -> tuple[int, ...]:
    """Where each chunk starts in the file, from 'stco' (32-bit offsets) or 'co64' (64-bit)."""
    if offsets_box := child_or_none(file, sample_table, b"stco"):
        width = 4
    elif offsets_box := child_or_none(file, sample_table, b"co64"):
        width = 8
    else:
        raise video_unreadable()
    # version and flags, the number of chunks, the offsets
    return _numbers(file, offsets_box, 8, payload_number(file, offsets_box, 4, 4), width)


def _numbers(file, table: Box, offset: int, count: int, width: int) -> tuple[int, ...]:
    """`count` big-endian unsigned numbers of `width` bytes each, from `offset` into the table's payload."""
    data = payload_read(file, table, offset, count * width)  # checked against the box before it is read
    return struct.unpack(f">{count}{_NUMBER_FORMATS[width]}", data)
