// Test support (tests and fuzzers): an MkvHandler that records every event
// as one text line and keeps owned copies of frames and tags, plus helpers
// that parse a buffer split in different ways.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/fragments/mkv_parser.h"

namespace osprey::fragments::testing {

struct OwnedFrame {
  uint64_t track = 0;
  int64_t timecode = 0;
  bool keyframe = false;
  std::string payload;
  bool operator==(const OwnedFrame&) const = default;
};

class EventRecorder : public MkvHandler {
 public:
  std::vector<std::string> events;
  std::vector<OwnedFrame> frames;
  std::vector<std::vector<Tag>> tags;  // one entry per Tags element
  std::vector<TrackEntry> tracks;
  std::string tracks_raw;
  std::string info_raw;
  SegmentInfo info;
  EbmlHeader ebml;

  Status OnEbmlHeader(const EbmlHeader& h, uint64_t offset) override {
    ebml = h;
    Add("ebml@" + std::to_string(offset) + " doctype=" + h.doc_type + " v" +
        std::to_string(h.doc_type_version));
    return Status::Ok();
  }
  Status OnSegmentStart(const SegmentStart& s) override {
    Add("segment@" + std::to_string(s.offset) + " data@" + std::to_string(s.data_offset) +
        " size=" + (s.size ? std::to_string(*s.size) : "unknown"));
    return Status::Ok();
  }
  Status OnInfo(const SegmentInfo& i, std::span<const uint8_t> raw) override {
    info = i;
    info_raw.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    Add("info scale=" + std::to_string(i.timecode_scale_ns) + " raw=" + std::to_string(raw.size()));
    return Status::Ok();
  }
  Status OnTracks(const std::vector<TrackEntry>& t, std::span<const uint8_t> raw) override {
    tracks = t;
    tracks_raw.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    std::string line = "tracks";
    for (const TrackEntry& e : t) {
      line += " #" + std::to_string(e.number) + ":" + e.codec_id + ":" + e.name + ":cp" +
              std::to_string(e.codec_private.size());
    }
    Add(line);
    return Status::Ok();
  }
  Status OnClusterStart(const ClusterStart& c) override {
    Add("cluster@" + std::to_string(c.offset) + " data@" + std::to_string(c.data_offset) + " tc=" + std::to_string(c.timecode) +
        " size=" + (c.size ? std::to_string(*c.size) : "unknown"));
    return Status::Ok();
  }
  Status OnFrame(const Frame& f) override {
    OwnedFrame o{f.track_number, f.timecode, f.keyframe,
                 std::string(reinterpret_cast<const char*>(f.payload.data()), f.payload.size())};
    Add("frame@" + std::to_string(f.offset) + " track=" + std::to_string(f.track_number) +
        " tc=" + std::to_string(f.timecode) + " rel=" + std::to_string(f.relative_timecode) +
        " key=" + std::to_string(f.keyframe) + " inv=" + std::to_string(f.invisible) +
        " disc=" + std::to_string(f.discardable) + " bg=" + std::to_string(f.from_block_group) +
        " dur=" + (f.duration ? std::to_string(*f.duration) : "-") + " payload=" + Hash(o.payload));
    frames.push_back(std::move(o));
    return Status::Ok();
  }
  Status OnClusterEnd(const ClusterEnd& c) override {
    Add("cluster-end@" + std::to_string(c.offset) + " end=" + std::to_string(c.end_offset) +
        " frames=" + std::to_string(c.frame_count));
    return Status::Ok();
  }
  Status OnTags(const std::vector<Tag>& t, std::span<const uint8_t> raw,
                uint64_t offset) override {
    tags.push_back(t);
    std::string line = "tags@" + std::to_string(offset) + " raw=" + std::to_string(raw.size());
    for (const Tag& tag : t) {
      line += " [";
      for (const SimpleTag& st : tag.simple_tags) line += st.name + "=" + st.value + ";";
      line += "]";
    }
    Add(line);
    return Status::Ok();
  }
  Status OnSegmentEnd(uint64_t end) override {
    Add("segment-end=" + std::to_string(end));
    return Status::Ok();
  }

  // Size and FNV-1a of a payload: compact but exact enough for comparisons.
  static std::string Hash(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%zu/%016llx", s.size(), static_cast<unsigned long long>(h));
    return buf;
  }

 private:
  void Add(std::string line) { events.push_back(std::move(line)); }
};

struct ParseOutcome {
  EventRecorder recorder;
  Status status;
};

// Parser options from the first byte of a fuzz input (fuzz/mkv_parser_fuzz.cc
// and the corpus test): bit 0 allows several Segments, bit 1 sets small
// limits (bits 4-7 scale max_element_size) so the limit paths are reached.
inline ParserOptions OptionsFromModeByte(uint8_t mode) {
  ParserOptions options;
  options.allow_multiple_segments = (mode & 1) != 0;
  if (mode & 2) {
    options.max_element_size = 64 + (mode >> 4) * 64;
    options.max_header_element_size = 256;
    options.max_codec_private = 16;
    options.max_depth = 4;
    options.max_tracks = 2;
  }
  return options;
}

// Feeds `data` in pieces of `chunk` bytes (0: all at once), then Finish().
inline ParseOutcome ParseInChunks(std::string_view data, size_t chunk, ParserOptions options = {}) {
  ParseOutcome out;
  MkvParser parser(&out.recorder, options);
  if (chunk == 0) chunk = data.size() + 1;
  for (size_t pos = 0; pos < data.size() && out.status.ok(); pos += chunk) {
    out.status = parser.Feed(data.substr(pos, chunk));
  }
  if (out.status.ok()) out.status = parser.Finish();
  return out;
}

// Feeds data[0, split) then data[split, end), then Finish().
inline ParseOutcome ParseSplit(std::string_view data, size_t split, ParserOptions options = {}) {
  ParseOutcome out;
  MkvParser parser(&out.recorder, options);
  out.status = parser.Feed(data.substr(0, split));
  if (out.status.ok()) out.status = parser.Feed(data.substr(split));
  if (out.status.ok()) out.status = parser.Finish();
  return out;
}

}  // namespace osprey::fragments::testing
