// MkvParser's private state. Its methods are split in two files:
// mkv_parser.cc streams bytes (element headers, collecting, skipping, the
// Segment/Cluster stack limits); mkv_parser_events.cc turns completed
// elements into handler events and keeps the per-Segment/Cluster state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ebml.h"
#include "osprey/fragments/mkv_parser.h"

namespace osprey::fragments {

// Where an element may appear: 0 top level, 1 in Segment, 2 in Cluster.
inline constexpr int kLevelGlobal = -2;   // Void, CRC-32: anywhere
inline constexpr int kLevelUnknown = -1;  // not a Matroska ID we know: skipped
inline constexpr int kLevelDeeper = 3;    // known, but only inside a buffered element
int ElementLevel(uint32_t id);

class MkvParser::Impl {
 public:
  Impl(MkvHandler* handler, ParserOptions options) : handler_(handler), options_(options) {}
  Status Feed(ebml::Bytes data);
  Status Finish();
  uint64_t offset() const { return pos_; }
  uint64_t timecode_scale_ns() const { return timecode_scale_; }

 private:
  enum class Mode { kHeader, kCollect, kSkip };
  struct Open {
    uint32_t id;
    uint64_t offset;
    uint64_t data_offset;
    uint64_t end;  // kUnknownSize for unknown size
  };

  void Fail(Status s);    // keeps the first error
  Status Stop(Status s);  // Fail, then the sticky error
  bool Check(Status s);  // false (and sticky error) when s is not OK
  int ContextLevel() const;

  // mkv_parser.cc
  size_t StepHeader(ebml::Bytes data);
  size_t StepCollect(ebml::Bytes data);
  size_t StepSkip(ebml::Bytes data);
  void OnHeader(const ebml::ElementHeader& h, uint64_t offset);
  void StartCollect(const ebml::ElementHeader& h, bool buffer_all);

  // mkv_parser_events.cc
  void Complete(ebml::Bytes body);  // cur_ has been read whole
  void CompleteBlock(ebml::Bytes body);
  void OpenSegment(const ebml::ElementHeader& h, uint64_t offset, uint64_t end);
  void OpenCluster(const ebml::ElementHeader& h, uint64_t offset, uint64_t end);
  // Closes stack_.back(), which ends at stream offset `end`, sending its end event.
  bool Close(uint64_t end);
  void CloseFinished();  // closes every known-size master ending at pos_

  MkvHandler* handler_;
  ParserOptions options_;
  Status error_;
  bool finished_ = false;
  uint64_t pos_ = 0;  // stream offset of the next byte

  // The element being read.
  Mode mode_ = Mode::kHeader;
  uint8_t hdr_[12] = {};  // ID (<= 4) + size (<= 8)
  size_t hdr_len_ = 0;
  ebml::ElementHeader cur_;
  uint64_t cur_offset_ = 0;
  uint64_t remaining_ = 0;
  bool buffer_all_ = false;
  size_t raw_header_len_ = 0;
  std::vector<uint8_t> buf_;

  // Open masters: at most Segment and Cluster.
  std::vector<Open> stack_;
  bool ebml_pending_ = false;  // EBML header read, Segment not yet
  uint64_t ebml_offset_ = 0;
  int segments_ = 0;
  uint64_t timecode_scale_ = kDefaultTimecodeScaleNs;
  bool have_info_ = false;
  bool have_tracks_ = false;
  std::optional<uint64_t> prev_cluster_timecode_;
  bool cluster_has_timecode_ = false;
  uint64_t cluster_timecode_ = 0;
  uint64_t cluster_frames_ = 0;
};

}  // namespace osprey::fragments
