"""H.264 and MKV bits for tests that compare stored video with its source.

Annex B and AVCC NAL unit splitting, the SPS/PPS of an avcC record, and,
on top of kvs_media's EBML reader, the CodecPrivate of a GetMedia chunk and
the access units (SimpleBlock payloads) of a Cluster. NAL units stay in
their escaped form (emulation prevention bytes kept) on both sides, so
equal bytes mean an identical bitstream.
"""
from kvs_media import read_id, read_size

SEGMENT, TRACKS, TRACK_ENTRY, CODEC_PRIVATE = 0x18538067, 0x1654AE6B, 0xAE, 0x63A2
SIMPLE_BLOCK = 0xA3


def annexb_nals(data):
    """The NAL units of an Annex B byte stream (start codes removed)."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    nals = []
    for n, s in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(data)
        nal = data[s:end]
        # A 4-byte start code leaves its leading zero on the previous NAL
        # (trailing zero bytes are never part of a NAL unit).
        nals.append(nal.rstrip(b"\x00") if n + 1 < len(starts) else nal)
    return nals


def avcc_nals(data, length_size=4):
    out, pos = [], 0
    while pos + length_size <= len(data):
        n = int.from_bytes(data[pos:pos + length_size], "big")
        out.append(data[pos + length_size:pos + length_size + n])
        pos += length_size + n
    assert pos == len(data), "malformed AVCC access unit"
    return out


def nal_type(nal):
    return nal[0] & 0x1F


def avcc_parameter_sets(record):
    """SPS and PPS lists of an AVCDecoderConfigurationRecord."""
    assert record[0] == 1, "avcC version"
    pos = 5
    sps = []
    for _ in range(record[pos] & 0x1F):
        n = int.from_bytes(record[pos + 1:pos + 3], "big")
        sps.append(record[pos + 3:pos + 3 + n])
        pos += 2 + n
    count, pos = record[pos + 1], pos + 2
    pps = []
    for _ in range(count):
        n = int.from_bytes(record[pos:pos + 2], "big")
        pps.append(record[pos + 2:pos + 2 + n])
        pos += 2 + n
    return sps, pps


def children(buf, start, end):
    pos = start
    while pos < end:
        eid, p = read_id(buf, pos)
        size, p = read_size(buf, p)
        stop = end if size is None else p + size
        yield eid, p, stop
        pos = stop


def codec_private(chunk_bytes):
    for eid, p, stop in children(chunk_bytes, 0, len(chunk_bytes)):
        if eid != SEGMENT:
            continue
        for cid, q, cstop in children(chunk_bytes, p, stop):
            if cid == TRACKS:
                for tid, r, tstop in children(chunk_bytes, q, cstop):
                    if tid == TRACK_ENTRY:
                        for fid, s, fstop in children(chunk_bytes, r, tstop):
                            if fid == CODEC_PRIVATE:
                                return chunk_bytes[s:fstop]
    return None


def cluster_frames(cluster):
    """The SimpleBlock payloads (one access unit each) of a Cluster, in order."""
    _, p = read_id(cluster, 0)
    size, p = read_size(cluster, p)
    end = len(cluster) if size is None else p + size
    frames = []
    for eid, q, stop in children(cluster, p, end):
        if eid == SIMPLE_BLOCK:
            _, r = read_size(cluster, q)  # track number (a vint)
            frames.append(cluster[r + 3:stop])  # int16 timecode, flags
    return frames
