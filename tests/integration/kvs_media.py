"""Reading what the KVS media APIs return, for the integration tests.

GetMedia and GetMediaForFragmentList answer with a sequence of standalone
MKV chunks, one per fragment (shared/spec/video-api.md section 5). The
helpers here split such a body into its chunks and pull out of each the
AWS tags and the raw Cluster element, without any MKV library, so that a
test can compare stored bytes with what a producer sent.
"""
import hashlib

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
TAGS = 0x1254C367
TAG = 0x7373
SIMPLE_TAG = 0x67C8
TAG_NAME = 0x45A3
TAG_STRING = 0x4487
UNKNOWN = None


def read_id(buf, pos):
    first = buf[pos]
    length = 1
    mask = 0x80
    while length <= 4 and not first & mask:
        mask >>= 1
        length += 1
    if length > 4:
        raise ValueError(f"bad element id at {pos}")
    return int.from_bytes(buf[pos:pos + length], "big"), pos + length


def read_size(buf, pos):
    first = buf[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError(f"bad element size at {pos}")
    value = first & (mask - 1)
    all_ones = value == mask - 1
    for b in buf[pos + 1:pos + length]:
        value = (value << 8) | b
        all_ones = all_ones and b == 0xFF
    return (UNKNOWN if all_ones else value), pos + length


def _parse_tags(body):
    tags = {}
    pos = 0
    while pos < len(body):
        eid, p = read_id(body, pos)
        size, p = read_size(body, p)
        if eid == TAG:
            tags.update(_parse_tags(body[p:p + size]))
        elif eid == SIMPLE_TAG:
            name = value = None
            q = p
            while q < p + size:
                cid, r = read_id(body, q)
                csize, r = read_size(body, r)
                if cid == TAG_NAME:
                    name = body[r:r + csize].decode()
                elif cid == TAG_STRING:
                    value = body[r:r + csize].decode()
                q = r + csize
            if name is not None:
                tags[name] = value
        pos = p + size
    return tags


def split_chunks(data):
    """Yields dicts {tags: {...}, cluster: bytes or None} per chunk."""
    pos = 0
    chunk = None
    while pos < len(data):
        eid, p = read_id(data, pos)
        size, p = read_size(data, p)
        if eid == EBML:
            if chunk is not None:
                yield chunk
            chunk = {"tags": {}, "cluster": None}
            pos = p + size
        elif eid == SEGMENT:
            pos = p  # descend: level-1 children follow
        elif eid == TAGS:
            chunk["tags"].update(_parse_tags(data[p:p + size]))
            pos = p + size
        elif eid == CLUSTER:
            start = pos
            if size is UNKNOWN:
                # An unknown-size cluster ends at the next level-1 element.
                q = p
                while q < len(data):
                    cid, r = read_id(data, q)
                    if cid in (CLUSTER, TAGS, EBML, SEGMENT):
                        break
                    csize, r = read_size(data, r)
                    q = r + csize
                pos = q
            else:
                pos = p + size
            chunk["cluster"] = bytes(data[start:pos])
        else:
            if size is UNKNOWN:
                raise ValueError(f"unknown-size element {eid:#x} at {pos}")
            pos = p + size
    if chunk is not None:
        yield chunk


def sha256(data):
    return hashlib.sha256(data).hexdigest()
