// FragmentCutter: one fragment per Cluster, as the producer framed it
// (video-api.md 4.2, appendix B: we store what the producer cut, never re-cut).
#include "ingest/fragment_cutter.h"

#include <algorithm>
#include <chrono>

#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::fragments::internal {
namespace {

// 9999-12-31T23:59:59.999Z: producer timestamps past it (or before 1970)
// are 4007; it also keeps every later conversion (seconds text, HLS dates)
// far from overflow.
constexpr int64_t kMaxEpochMs = 253'402'300'799'999;
// Longest element header: 4-byte ID + 8-byte size, rounded up.
constexpr uint64_t kHeaderSlack = 16;

ParserOptions MakeParserOptions(const IngestLimits& limits) {
  ParserOptions o;
  // The parser's element limit is the fragment size limit: a Cluster that
  // grows past it fails as soon as its bytes say so (mapped to 4001).
  o.max_element_size = limits.max_fragment_bytes;
  return o;
}

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Event tags the KVS producer sends (video-api.md 7); stored, no action.
bool IsProducerEventTag(std::string_view name) {
  return name == "AWS_KINESISVIDEO_IMAGE_GENERATION" || name == "AWS_KINESISVIDEO_IMAGE_PREFIX" ||
         name == "AWS_KINESISVIDEO_NOTIFICATION";
}

}  // namespace

FragmentCutter::FragmentCutter(const IngestOptions& options, Sink* sink)
    : options_(options), sink_(sink), parser_(this, MakeParserOptions(options.limits)) {
  if (!options_.clock) options_.clock = SystemClockMs;
  start_ms_ = options_.clock();
}

FragmentCutter::~FragmentCutter() = default;

bool FragmentCutter::Feed(std::span<const uint8_t> data) {
  if (error_) return false;
  if (data.empty()) return true;
  const int64_t now = options_.clock();
  if (now - start_ms_ > options_.limits.max_connection_duration_ms) {
    (void)Reject(ack_error::kMaxConnectionDurationReached,
           "connection open for more than " +
               std::to_string(options_.limits.max_connection_duration_ms) + " ms");
    return false;
  }
  arrivals_.emplace_back(fed_end_, now);
  buf_.append(reinterpret_cast<const char*>(data.data()), data.size());
  fed_end_ += data.size();
  const Status s = parser_.Feed(data);
  if (!s.ok()) {
    if (!error_) RejectParserError(s);
    return false;
  }
  if (!open_) {
    // Outside a Cluster: keep no more than a Cluster could have sent before
    // its Timecode (see the header), so skipped elements cost no memory.
    const uint64_t keep = options_.limits.max_fragment_bytes + kHeaderSlack;
    if (fed_end_ - (buf_offset_ + head_) > keep) DropBefore(fed_end_ - keep);
  }
  return true;
}

bool FragmentCutter::EndOfBody() {
  if (error_) return false;
  const Status s = parser_.Finish();
  if (!s.ok()) {
    if (!error_) RejectParserError(s);
    return false;
  }
  return true;
}

void FragmentCutter::Shutdown() {
  if (error_) return;
  const Status s = parser_.Finish();
  if (!s.ok()) {
    // Cut mid-element, or the last Cluster is not valid: drop it without an
    // ERROR. The producer never got its PERSISTED and resends it.
    error_.reset();
    open_.reset();
  }
}

std::optional<FragmentRef> FragmentCutter::ErrorTarget() const {
  if (error_) return error_target_;
  if (open_) return open_->ref;
  return last_started_;
}

Status FragmentCutter::Reject(int id, std::string message) {
  if (!error_) {
    error_ = IngestError{id, message};
    error_target_ = open_ ? std::optional<FragmentRef>(open_->ref) : last_started_;
  }
  return Status::Cancelled(message);
}

void FragmentCutter::RejectParserError(const Status& s) {
  const std::string& m = s.message();
  int id = ack_error::kInvalidMkvData;
  if (s.code() == Status::Code::kResourceExhausted) {
    // The limits and messages of FORMAT.md section 2.
    if (m.starts_with("TrackEntry")) {
      id = ack_error::kMoreThanAllowedTracksFound;
    } else if (m.starts_with("Tags")) {
      id = ack_error::kFragmentMetadataLimitReached;
    } else if (m.starts_with("Cluster") || m.starts_with("SimpleBlock") ||
               m.starts_with("BlockGroup") || open_) {
      id = ack_error::kMaxFragmentSizeReached;
    }
  } else if (s.code() == Status::Code::kCorruption &&
             m.find("is lower than the previous Cluster's") != std::string::npos) {
    id = ack_error::kFragmentTimecodeLesserThanPrevious;
  }
  (void)Reject(id, m);
}

void FragmentCutter::DropBefore(uint64_t offset) {
  if (offset <= buf_offset_ + head_) return;
  const uint64_t index = offset - buf_offset_;
  if (index >= buf_.size()) {
    buf_offset_ += buf_.size();
    buf_.clear();
    head_ = 0;
  } else {
    head_ = static_cast<size_t>(index);
    // Compact once the dead prefix dominates: amortised O(1) per byte.
    if (head_ > 64 * 1024 && head_ * 2 > buf_.size()) {
      buf_.erase(0, head_);
      buf_offset_ += head_;
      head_ = 0;
    }
  }
  const uint64_t live = buf_offset_ + head_;
  while (arrivals_.size() >= 2 && arrivals_[1].first <= live) arrivals_.pop_front();
}

int64_t FragmentCutter::ArrivalMs(uint64_t offset) const {
  int64_t ms = arrivals_.empty() ? options_.clock() : arrivals_.front().second;
  for (const auto& [first, at] : arrivals_) {
    if (first > offset) break;
    ms = at;
  }
  return ms;
}

std::optional<int64_t> FragmentCutter::TicksToMs(int64_t ticks) const {
  const __int128 ns = static_cast<__int128>(ticks) * parser_.timecode_scale_ns();
  const __int128 ms = ns / 1'000'000;
  if (ms > kMaxEpochMs || ms < -kMaxEpochMs) return std::nullopt;
  return static_cast<int64_t>(ms);
}

int64_t FragmentCutter::DurationMs(const OpenFragment& f) const {
  if (!f.last_timecode) return 0;
  // Last frame's start, relative to the Cluster Timecode, plus an estimate
  // of that frame's own duration: the track's DefaultDuration, else the
  // frame's BlockDuration, else the track's mean frame interval in this
  // fragment (first to last timecode over frames - 1), else 0.
  int64_t ticks = *f.last_timecode - static_cast<int64_t>(f.ref.timecode);
  int64_t estimate = 0;
  const uint64_t scale = std::max<uint64_t>(1, parser_.timecode_scale_ns());
  for (const TrackEntry& t : tracks_) {
    if (t.number == f.last_track && t.default_duration_ns) {
      estimate = static_cast<int64_t>(*t.default_duration_ns / scale);
    }
  }
  if (estimate == 0 && f.last_block_duration) {
    estimate = static_cast<int64_t>(std::min<uint64_t>(*f.last_block_duration, INT32_MAX));
  }
  if (estimate == 0) {
    auto it = f.tracks.find(f.last_track);
    if (it != f.tracks.end() && it->second.frames >= 2) {
      estimate = (it->second.max_timecode - it->second.min_timecode) /
                 static_cast<int64_t>(it->second.frames - 1);
    }
  }
  ticks = std::max<int64_t>(0, ticks + estimate);
  return TicksToMs(ticks).value_or(kMaxEpochMs);
}

Status FragmentCutter::CheckMetadata(const SimpleTag& tag) const {
  const IngestLimits& l = options_.limits;
  if (tag.name.empty()) {
    return Status::InvalidArgument("fragment metadata with an empty name");
  }
  if (tag.name.size() > l.max_metadata_name_bytes) {
    return Status::InvalidArgument("fragment metadata name of " + std::to_string(tag.name.size()) +
                                   " bytes (limit " + std::to_string(l.max_metadata_name_bytes) +
                                   ")");
  }
  if (tag.value.size() > l.max_metadata_value_bytes) {
    return Status::InvalidArgument("fragment metadata \"" + tag.name + "\": value of " +
                                   std::to_string(tag.value.size()) + " bytes (limit " +
                                   std::to_string(l.max_metadata_value_bytes) + ")");
  }
  if (tag.name.starts_with("AWS") && !IsProducerEventTag(tag.name)) {
    return Status::InvalidArgument("fragment metadata name \"" + tag.name +
                                   "\": the AWS prefix is reserved");
  }
  return Status::Ok();
}

// --- MkvHandler -----------------------------------------------------------

Status FragmentCutter::OnEbmlHeader(const EbmlHeader&, uint64_t) {
  DropBefore(parser_.offset());
  return Status::Ok();
}

Status FragmentCutter::OnSegmentStart(const SegmentStart& s) {
  DropBefore(s.data_offset);
  return Status::Ok();
}

Status FragmentCutter::OnInfo(const SegmentInfo&, std::span<const uint8_t> raw) {
  info_raw_.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
  DropBefore(parser_.offset());
  return Status::Ok();
}

Status FragmentCutter::OnTracks(const std::vector<TrackEntry>& tracks,
                                std::span<const uint8_t> raw) {
  if (tracks.size() > static_cast<size_t>(options_.limits.max_tracks)) {
    return Reject(ack_error::kMoreThanAllowedTracksFound,
                  std::to_string(tracks.size()) + " tracks (limit " +
                      std::to_string(options_.limits.max_tracks) + ")");
  }
  tracks_ = tracks;
  tracks_raw_.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
  DropBefore(parser_.offset());
  return Status::Ok();
}

Status FragmentCutter::OnTags(const std::vector<Tag>& tags, std::span<const uint8_t>,
                              uint64_t) {
  // Tags come between Clusters (a Tags header ends an unknown-size Cluster,
  // and the parser refuses one inside a known-size Cluster), so the Cluster
  // before them is already sealed: END_OF_FRAGMENT needs no further action.
  // User metadata and event tags belong to the next Cluster (appendix A).
  for (const Tag& tag : tags) {
    for (const SimpleTag& st : tag.simple_tags) {
      if (st.name == kTagEndOfFragment) continue;  // a marker, not metadata
      if (Status s = CheckMetadata(st); !s.ok()) {
        return Reject(ack_error::kFragmentMetadataLimitReached, s.message());
      }
      if (pending_metadata_.size() >=
          static_cast<size_t>(options_.limits.max_metadata_per_fragment)) {
        return Reject(ack_error::kFragmentMetadataLimitReached,
                      "more than " + std::to_string(options_.limits.max_metadata_per_fragment) +
                          " fragment metadata items");
      }
      pending_metadata_.push_back(st);
    }
  }
  DropBefore(parser_.offset());
  return Status::Ok();
}

}  // namespace osprey::fragments::internal
