// FragmentCutter: the single-threaded half of IngestSession. It drives the
// MkvParser over the PutMedia body, keeps the raw bytes of the Cluster being
// received (computed from the parser's stream offsets), the stream header
// (Info + Tracks as received) and the producer's metadata Tags, applies the
// PutMedia rules, and hands BUFFERING points and sealed fragments to its Sink.
//
// Byte retention: every fed byte is appended to one buffer. Outside a Cluster
// the buffer is cut at each element boundary the parser reports (EBML header,
// Segment start, Info, Tracks, Tags, Cluster end); bytes of skipped elements
// (Void, SeekHead, Cues...) are dropped once the buffer holds more than a
// Cluster could (max_fragment_bytes plus an element header), since a Cluster
// that started earlier would already have failed the parser's size limit.
// When a Cluster's Timecode is read (OnClusterStart) the buffer is cut to the
// Cluster's first byte, so the Cluster accumulates from offset 0 and is moved
// out whole when it ends: one copy per byte.
//
// Thread safety: none; IngestSession holds its lock around every call.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "osprey/fragments/ingest_session.h"
#include "osprey/fragments/mkv_parser.h"

namespace osprey::fragments::internal {

// A fragment as the acks name it.
struct FragmentRef {
  uint64_t index = 0;
  std::string number;
  uint64_t timecode = 0;  // raw Cluster Timecode
};

struct IngestError {
  int id = 0;
  std::string message;
};

class FragmentCutter : private MkvHandler {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // The Cluster's Timecode has been read: announce BUFFERING (or hold it
    // back while the fragment may be a retry, see IngestSession).
    virtual void OnBuffering(const FragmentRef& fragment, int64_t producer_timestamp_ms) = 0;
    // The Cluster is complete and passed every check: RECEIVED, then store.
    virtual void OnSealed(const FragmentRef& fragment, FragmentInput input) = 0;
  };

  // `options.log` and `sink` must outlive the cutter.
  FragmentCutter(const IngestOptions& options, Sink* sink);
  ~FragmentCutter() override;

  // False once an error happened (error() says which); later calls do nothing.
  bool Feed(std::span<const uint8_t> data);
  // The body ended: closes an open unknown-size Cluster (sealed if valid).
  bool EndOfBody();
  // Seals an open Cluster if the bytes so far end on an element boundary;
  // otherwise drops it. Never an error.
  void Shutdown();

  const std::optional<IngestError>& error() const { return error_; }
  // The fragment an ERROR ack names: the open one, else the last one started.
  std::optional<FragmentRef> ErrorTarget() const;
  uint64_t bytes_received() const { return fed_end_; }

 private:
  struct TrackStats {
    uint64_t frames = 0;
    int64_t min_timecode = 0;
    int64_t max_timecode = 0;
  };
  struct OpenFragment {
    FragmentRef ref;
    uint64_t offset = 0;  // of the Cluster element
    int64_t server_timestamp_ms = 0;
    int64_t producer_timestamp_ms = 0;
    std::vector<SimpleTag> metadata;
    std::map<uint64_t, TrackStats> tracks;
    std::optional<int64_t> last_timecode;  // the latest frame's timecode
    uint64_t last_track = 0;               // ... and its track
    std::optional<uint64_t> last_block_duration;
  };

  // MkvHandler
  Status OnEbmlHeader(const EbmlHeader&, uint64_t offset) override;
  Status OnSegmentStart(const SegmentStart& s) override;
  Status OnInfo(const SegmentInfo&, std::span<const uint8_t> raw) override;
  Status OnTracks(const std::vector<TrackEntry>& tracks, std::span<const uint8_t> raw) override;
  Status OnClusterStart(const ClusterStart& c) override;
  Status OnFrame(const Frame& f) override;
  Status OnClusterEnd(const ClusterEnd& c) override;
  Status OnTags(const std::vector<Tag>& tags, std::span<const uint8_t> raw,
                uint64_t offset) override;

  // Records the error and returns the Status that stops the parser.
  Status Reject(int id, std::string message);
  // Maps an error the parser found by itself (not one of ours) to an ErrorId.
  void RejectParserError(const Status& s);
  // Drops retained bytes before stream offset `offset`.
  void DropBefore(uint64_t offset);
  int64_t ArrivalMs(uint64_t offset) const;
  // Ticks (TimecodeScale units) to ms; nullopt on overflow.
  std::optional<int64_t> TicksToMs(int64_t ticks) const;
  int64_t DurationMs(const OpenFragment& f) const;
  Status CheckMetadata(const SimpleTag& tag) const;

  IngestOptions options_;
  Sink* sink_;
  MkvParser parser_;
  int64_t start_ms_ = 0;
  std::optional<IngestError> error_;
  std::optional<FragmentRef> error_target_;

  // Retained bytes: buf_[head_..] are stream offsets [buf_offset_ + head_, fed_end_).
  std::string buf_;
  uint64_t buf_offset_ = 0;
  size_t head_ = 0;
  uint64_t fed_end_ = 0;
  std::deque<std::pair<uint64_t, int64_t>> arrivals_;  // (first offset of a chunk, ms)

  std::string info_raw_;
  std::string tracks_raw_;
  std::vector<TrackEntry> tracks_;
  std::vector<SimpleTag> pending_metadata_;  // for the next Cluster
  std::optional<OpenFragment> open_;
  std::optional<FragmentRef> last_started_;
  std::optional<int64_t> previous_last_timecode_;  // of the last sealed fragment
};

}  // namespace osprey::fragments::internal
