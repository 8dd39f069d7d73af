// MkvParser: a streaming, validating Matroska (EBML) parser for PutMedia
// bodies and GetMedia output. Bytes go in through Feed() in chunks of any
// size; events come out through an MkvHandler. The event sequence depends
// only on the bytes, never on how they were split into chunks (tested by
// feeding every test input one byte at a time).
//
// What is accepted, what is rejected and with which message: FORMAT.md.
//
// Memory: the parser keeps at most one element body in its own buffer, and
// only when it must: EBML header, Info, Tracks and Tags are always buffered
// whole (each at most ParserOptions::max_header_element_size); a SimpleBlock
// or BlockGroup is handed out as a view into the caller's buffer when it lies
// wholly inside one Feed() call, and is otherwise assembled in the parser's
// buffer (at most max_element_size) and handed out whole. One event per
// frame, never pieces: consumers (fragment store, HLS packaging, decoders)
// need whole access units, and a frame is at most a few hundred KB.
// Clusters and Segments are never buffered: they are streamed.
//
// Errors: the first error (from the bytes or returned by the handler) is
// sticky; Feed() and Finish() keep returning it. Messages name the element
// and give the byte offset from the start of the stream, e.g.
//   "SimpleBlock at offset 1234: laced block (flags 0x06) is not supported".
// Codes: Corruption for malformed data, ResourceExhausted for a limit,
// FailedPrecondition for Feed()/Finish() after Finish().
//
// Thread safety: none. One parser per connection, used from one thread (or
// strand) at a time; handler callbacks run synchronously inside Feed() and
// Finish() on that thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "osprey/base/status.h"
#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments {

struct ParserOptions {
  // Largest element other than Segment (a Cluster, a block, ...). An
  // unknown-size Cluster may not grow past this either. KVS: 50 MB/fragment.
  uint64_t max_element_size = 50'000'000;
  // Largest EBML header, Info, Tracks or Tags element (buffered whole).
  uint64_t max_header_element_size = 4 * 1024 * 1024;
  // Largest CodecPrivate of one track.
  uint64_t max_codec_private = 1024 * 1024;
  // Deepest master nesting inside a buffered element (Tags > Tag > SimpleTag).
  int max_depth = 8;
  // Most TrackEntry elements in one Tracks.
  int max_tracks = 32;
  // PutMedia carries one EBML header + Segment; GetMedia output is a
  // sequence of them (one per chunk). False rejects a second one.
  bool allow_multiple_segments = false;
};

struct SegmentStart {
  uint64_t offset = 0;               // of the Segment element
  uint64_t data_offset = 0;          // of its first child
  std::optional<uint64_t> size;      // of the body; nullopt: unknown size
};

struct ClusterStart {
  uint64_t offset = 0;           // of the Cluster element
  uint64_t data_offset = 0;      // of its first child
  std::optional<uint64_t> size;  // of the body; nullopt: unknown size
  uint64_t timecode = 0;         // Cluster Timecode as written
};

struct ClusterEnd {
  uint64_t offset = 0;      // of the Cluster element
  uint64_t end_offset = 0;  // one past its last byte
  uint64_t frame_count = 0;
};

// Callbacks; each default does nothing. A non-OK return stops the parser and
// becomes its sticky error. Spans are valid only during the call.
class MkvHandler {
 public:
  virtual ~MkvHandler() = default;
  virtual Status OnEbmlHeader(const EbmlHeader&, uint64_t /*offset*/) { return Status::Ok(); }
  virtual Status OnSegmentStart(const SegmentStart&) { return Status::Ok(); }
  // `raw` is the whole Info (Tracks) element, header included, as received:
  // what GetMedia repeats in every chunk.
  virtual Status OnInfo(const SegmentInfo&, std::span<const uint8_t> /*raw*/) {
    return Status::Ok();
  }
  virtual Status OnTracks(const std::vector<TrackEntry>&, std::span<const uint8_t> /*raw*/) {
    return Status::Ok();
  }
  // Sent when the Cluster's Timecode has been read (it must precede blocks).
  virtual Status OnClusterStart(const ClusterStart&) { return Status::Ok(); }
  virtual Status OnFrame(const Frame&) { return Status::Ok(); }
  virtual Status OnClusterEnd(const ClusterEnd&) { return Status::Ok(); }
  virtual Status OnTags(const std::vector<Tag>&, std::span<const uint8_t> /*raw*/,
                        uint64_t /*offset*/) {
    return Status::Ok();
  }
  // end_offset: one past the Segment's last byte (for unknown size: where
  // the next EBML header starts, or the end of the stream).
  virtual Status OnSegmentEnd(uint64_t /*end_offset*/) { return Status::Ok(); }
};

class MkvParser {
 public:
  // `handler` must outlive the parser.
  explicit MkvParser(MkvHandler* handler, ParserOptions options = {});
  ~MkvParser();
  MkvParser(const MkvParser&) = delete;
  MkvParser& operator=(const MkvParser&) = delete;

  // Parses the next bytes of the stream. Any split is allowed, including
  // empty chunks.
  Status Feed(std::span<const uint8_t> data);
  Status Feed(std::string_view data) {
    return Feed(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // The stream has ended: closes an open unknown-size Cluster and Segment
  // (sending their end events). Fails when the stream stops inside an
  // element, inside a known-size Segment or Cluster, or after an EBML header
  // with no Segment. An empty stream is not an error. Call once; Feed() and
  // Finish() fail afterwards.
  Status Finish();

  // Bytes consumed so far: the stream offset of the next byte.
  uint64_t offset() const;
  // Timecode scale of the current Segment (default until Info is read).
  uint64_t timecode_scale_ns() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::fragments
