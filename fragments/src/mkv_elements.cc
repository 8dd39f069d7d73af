#include "mkv_elements.h"

#include <cmath>
#include <set>
#include <string>

namespace osprey::fragments::internal {
namespace {

using ebml::Bytes;
using ebml::Corrupt;
using ebml::ElementHeader;

// Reads an unsigned child, turning a decoding failure into a located error.
Status GetUint(const ElementHeader& h, Bytes body, uint64_t offset, uint64_t* out) {
  auto v = ebml::ReadUint(body);
  if (!v.ok()) return Corrupt(h.id, offset, v.status().message());
  *out = *v;
  return Status::Ok();
}

Status GetFloat(const ElementHeader& h, Bytes body, uint64_t offset, double* out) {
  auto v = ebml::ReadFloat(body);
  if (!v.ok()) return Corrupt(h.id, offset, v.status().message());
  if (!std::isfinite(*v)) return Corrupt(h.id, offset, "not a finite number");
  *out = *v;
  return Status::Ok();
}

uint64_t ChildBodyOffset(const ElementHeader& h, uint64_t offset) {
  return offset + h.header_length;
}

}  // namespace

Result<EbmlHeader> ParseEbmlHeader(const Located& e, const ParserOptions&) {
  EbmlHeader hdr;
  bool have_doc_type = false;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      e.body, e.body_offset(), [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        switch (h.id) {
          case id::kEbmlVersion: return GetUint(h, b, off, &hdr.version);
          case id::kEbmlReadVersion: return GetUint(h, b, off, &hdr.read_version);
          case id::kEbmlMaxIdLength: return GetUint(h, b, off, &hdr.max_id_length);
          case id::kEbmlMaxSizeLength: return GetUint(h, b, off, &hdr.max_size_length);
          case id::kDocTypeVersion: return GetUint(h, b, off, &hdr.doc_type_version);
          case id::kDocTypeReadVersion: return GetUint(h, b, off, &hdr.doc_type_read_version);
          case id::kDocType:
            hdr.doc_type = ebml::ReadString(b);
            have_doc_type = true;
            return Status::Ok();
          default: return Status::Ok();  // Void, CRC-32, DocTypeExtension...
        }
      }));
  if (hdr.read_version != 1) {
    return Corrupt(id::kEbml, e.offset,
                   "EBMLReadVersion " + std::to_string(hdr.read_version) + " is not 1");
  }
  if (hdr.max_id_length > 4 || hdr.max_size_length > 8) {
    return Corrupt(id::kEbml, e.offset, "EBMLMaxIDLength > 4 or EBMLMaxSizeLength > 8");
  }
  if (!have_doc_type || (hdr.doc_type != "matroska" && hdr.doc_type != "webm")) {
    return Corrupt(id::kEbml, e.offset,
                   "DocType \"" + hdr.doc_type + "\" is not \"matroska\" or \"webm\"");
  }
  return hdr;
}

Result<SegmentInfo> ParseInfo(const Located& e, const ParserOptions&) {
  SegmentInfo info;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      e.body, e.body_offset(), [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        switch (h.id) {
          case id::kTimecodeScale:
            OSPREY_RETURN_IF_ERROR(GetUint(h, b, off, &info.timecode_scale_ns));
            if (info.timecode_scale_ns == 0) return Corrupt(h.id, off, "TimecodeScale is 0");
            return Status::Ok();
          case id::kSegmentUid: info.segment_uid = std::string(ebml::AsView(b)); break;
          case id::kTitle: info.title = ebml::ReadString(b); break;
          case id::kMuxingApp: info.muxing_app = ebml::ReadString(b); break;
          case id::kWritingApp: info.writing_app = ebml::ReadString(b); break;
          case id::kDuration: {
            double d = 0;
            OSPREY_RETURN_IF_ERROR(GetFloat(h, b, off, &d));
            info.duration = d;
            break;
          }
          default: break;
        }
        return Status::Ok();
      }));
  return info;
}

namespace {

Status ParseVideo(Bytes body, uint64_t base, TrackEntry* t) {
  t->pixel_width = 0;
  t->pixel_height = 0;
  return ebml::ForEachChild(body, base, [&](const ElementHeader& h, Bytes b, uint64_t off) {
    if (h.id == id::kPixelWidth) return GetUint(h, b, off, &*t->pixel_width);
    if (h.id == id::kPixelHeight) return GetUint(h, b, off, &*t->pixel_height);
    return Status::Ok();
  });
}

Status ParseAudio(Bytes body, uint64_t base, TrackEntry* t) {
  t->sampling_frequency = 8000.0;  // Matroska default
  t->channels = 1;
  return ebml::ForEachChild(body, base, [&](const ElementHeader& h, Bytes b, uint64_t off) {
    if (h.id == id::kSamplingFrequency) return GetFloat(h, b, off, &*t->sampling_frequency);
    if (h.id == id::kChannels) return GetUint(h, b, off, &*t->channels);
    if (h.id == id::kBitDepth) {
      t->bit_depth = 0;
      return GetUint(h, b, off, &*t->bit_depth);
    }
    return Status::Ok();
  });
}

Result<TrackEntry> ParseTrackEntry(Bytes body, uint64_t offset, uint64_t base,
                                   const ParserOptions& o) {
  TrackEntry t;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      body, base, [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        switch (h.id) {
          case id::kTrackNumber: return GetUint(h, b, off, &t.number);
          case id::kTrackUid: return GetUint(h, b, off, &t.uid);
          case id::kTrackType: return GetUint(h, b, off, &t.type);
          case id::kCodecId: t.codec_id = ebml::ReadString(b); return Status::Ok();
          case id::kName: t.name = ebml::ReadString(b); return Status::Ok();
          case id::kCodecPrivate:
            if (b.size() > o.max_codec_private) {
              return Status::ResourceExhausted(
                  "CodecPrivate at offset " + std::to_string(off) + ": " +
                  std::to_string(b.size()) + " bytes exceeds the limit of " +
                  std::to_string(o.max_codec_private));
            }
            t.codec_private = std::string(ebml::AsView(b));
            return Status::Ok();
          case id::kDefaultDuration:
            t.default_duration_ns = 0;
            return GetUint(h, b, off, &*t.default_duration_ns);
          case id::kVideo: return ParseVideo(b, ChildBodyOffset(h, off), &t);
          case id::kAudio: return ParseAudio(b, ChildBodyOffset(h, off), &t);
          default: return Status::Ok();
        }
      }));
  if (t.number == 0) return Corrupt(id::kTrackEntry, offset, "TrackNumber missing or 0");
  return t;
}

}  // namespace

Result<std::vector<TrackEntry>> ParseTracks(const Located& e, const ParserOptions& o) {
  std::vector<TrackEntry> tracks;
  std::set<uint64_t> numbers;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      e.body, e.body_offset(), [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        if (h.id != id::kTrackEntry) return Status::Ok();
        if (static_cast<int>(tracks.size()) >= o.max_tracks) {
          return Status::ResourceExhausted("TrackEntry at offset " + std::to_string(off) +
                                           ": more than " + std::to_string(o.max_tracks) +
                                           " tracks");
        }
        auto t = ParseTrackEntry(b, off, ChildBodyOffset(h, off), o);
        if (!t.ok()) return t.status();
        if (!numbers.insert(t->number).second) {
          return Corrupt(h.id, off, "duplicate TrackNumber " + std::to_string(t->number));
        }
        tracks.push_back(std::move(*t));
        return Status::Ok();
      }));
  return tracks;
}

namespace {

// SimpleTags may nest (a SimpleTag inside a SimpleTag); nested ones are
// checked for structure, up to max_depth, but not reported.
// `offset` is the nested SimpleTag's own offset, `depth` its nesting level.
Status SkipNested(Bytes body, uint64_t offset, uint64_t base, int depth, const ParserOptions& o) {
  if (depth > o.max_depth) {
    return Corrupt(id::kSimpleTag, offset, "nesting deeper than " + std::to_string(o.max_depth));
  }
  return ebml::ForEachChild(body, base, [&](const ElementHeader& h, Bytes b, uint64_t off) {
    if (h.id == id::kSimpleTag) return SkipNested(b, off, ChildBodyOffset(h, off), depth + 1, o);
    return Status::Ok();
  });
}

Result<SimpleTag> ParseSimpleTag(Bytes body, uint64_t base, const ParserOptions& o) {
  SimpleTag st;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      body, base, [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        switch (h.id) {
          case id::kTagName: st.name = ebml::ReadString(b); break;
          case id::kTagString: st.value = ebml::ReadString(b); break;
          case id::kSimpleTag: return SkipNested(b, off, ChildBodyOffset(h, off), 4, o);
          default: break;
        }
        return Status::Ok();
      }));
  return st;
}

}  // namespace

Result<std::vector<Tag>> ParseTags(const Located& e, const ParserOptions& o) {
  std::vector<Tag> tags;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      e.body, e.body_offset(), [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        if (h.id != id::kTag) return Status::Ok();
        Tag tag;
        OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
            b, ChildBodyOffset(h, off),
            [&](const ElementHeader& ch, Bytes cb, uint64_t coff) -> Status {
              if (ch.id != id::kSimpleTag) return Status::Ok();
              auto st = ParseSimpleTag(cb, ChildBodyOffset(ch, coff), o);
              if (!st.ok()) return st.status();
              tag.simple_tags.push_back(std::move(*st));
              return Status::Ok();
            }));
        tags.push_back(std::move(tag));
        return Status::Ok();
      }));
  return tags;
}

Status ParseBlock(const Located& e, bool simple_block, Frame* frame) {
  const uint32_t element = simple_block ? id::kSimpleBlock : id::kBlock;
  const Bytes b = e.body;
  const int track_len = b.empty() ? 0 : ebml::VintLength(b[0]);
  if (track_len == 0 || b.size() < static_cast<size_t>(track_len) + 3) {
    return Corrupt(element, e.offset, "block header truncated or track number invalid");
  }
  uint64_t track = b[0] & (0xFFu >> track_len);
  for (int i = 1; i < track_len; ++i) track = (track << 8) | b[i];
  if (track == 0) return Corrupt(element, e.offset, "track number 0");
  const uint8_t flags = b[track_len + 2];
  if ((flags & 0x06) != 0) {
    char m[64];
    std::snprintf(m, sizeof m, "laced block (flags 0x%02X) is not supported", flags);
    return Corrupt(element, e.offset, m);
  }
  frame->track_number = track;
  frame->relative_timecode =
      static_cast<int16_t>(static_cast<uint16_t>((b[track_len] << 8) | b[track_len + 1]));
  frame->invisible = (flags & 0x08) != 0;
  if (simple_block) {
    frame->keyframe = (flags & 0x80) != 0;
    frame->discardable = (flags & 0x01) != 0;
  }
  frame->payload = b.subspan(track_len + 3);
  return Status::Ok();
}

Status ParseBlockGroup(const Located& e, Frame* frame) {
  bool have_block = false;
  bool have_reference = false;
  OSPREY_RETURN_IF_ERROR(ebml::ForEachChild(
      e.body, e.body_offset(), [&](const ElementHeader& h, Bytes b, uint64_t off) -> Status {
        switch (h.id) {
          case id::kBlock:
            if (have_block) return Corrupt(h.id, off, "second Block in one BlockGroup");
            have_block = true;
            return ParseBlock(Located{b, off, h.header_length}, false, frame);
          case id::kReferenceBlock: have_reference = true; return Status::Ok();
          case id::kBlockDuration:
            frame->duration = 0;
            return GetUint(h, b, off, &*frame->duration);
          default: return Status::Ok();
        }
      }));
  if (!have_block) return Corrupt(id::kBlockGroup, e.offset, "no Block");
  frame->keyframe = !have_reference;
  frame->from_block_group = true;
  return Status::Ok();
}

}  // namespace osprey::fragments::internal
