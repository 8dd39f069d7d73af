// Writers for the two Matroska streams Osprey produces:
//
//  * GetMedia chunks (WriteGetMediaChunk): one standalone MKV per fragment,
//    laid out as video-api.md section 5 describes (FORMAT.md has the bytes).
//    The stream header (Info + Tracks) and the Cluster are passed as bytes,
//    normally exactly as ingested; EncodeStreamHeader/EncodeCluster build
//    them from structs when there are no ingested bytes (tests, synthetic
//    streams).
//  * The producer stream (ProducerMkvWriter): what the KVS producer sends in
//    PutMedia (video-api.md section 7), used by the agent.
//
// All functions are pure: they append to or return a std::string and keep no
// global state. Thread safety: functions may be called from any thread; one
// ProducerMkvWriter object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/fragments/mkv_types.h"

namespace osprey::fragments {

// Tag names of the AWS metadata in GetMedia output.
inline constexpr std::string_view kTagFragmentNumber = "AWS_KINESISVIDEO_FRAGMENT_NUMBER";
inline constexpr std::string_view kTagServerTimestamp = "AWS_KINESISVIDEO_SERVER_TIMESTAMP";
inline constexpr std::string_view kTagProducerTimestamp = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP";
inline constexpr std::string_view kTagMillisBehindNow = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW";
inline constexpr std::string_view kTagContinuationToken = "AWS_KINESISVIDEO_CONTINUATION_TOKEN";
inline constexpr std::string_view kTagErrorId = "AWS_KINESISVIDEO_ERROR_ID";
inline constexpr std::string_view kTagErrorCode = "AWS_KINESISVIDEO_ERROR_CODE";
inline constexpr std::string_view kTagEndOfFragment = "AWS_KINESISVIDEO_END_OF_FRAGMENT";

// Epoch milliseconds as seconds with exactly 3 decimals: 1511852109126 ->
// "1511852109.126". Negative values keep the sign: -1 -> "-0.001".
std::string FormatEpochSeconds(int64_t epoch_ms);

// EBML header: version 1, MaxIDLength 4, MaxSizeLength 8, DocTypeVersion 2.
std::string EncodeEbmlHeader(std::string_view doc_type = "matroska");
// Info and Tracks elements (known sizes), in that order, as one string.
std::string EncodeInfo(const SegmentInfo& info);
std::string EncodeTracks(const std::vector<TrackEntry>& tracks);
std::string EncodeStreamHeader(const SegmentInfo& info, const std::vector<TrackEntry>& tracks);
// A Tags element holding `tags`; one Tag per entry, no Targets.
std::string EncodeTags(const std::vector<Tag>& tags);

// A frame to write; the timecode is absolute, in TimecodeScale units.
struct FrameSpec {
  uint64_t track_number = 1;
  int64_t timecode = 0;
  bool keyframe = false;
  std::string_view payload;
};

// A Cluster of known size with a Timecode and one SimpleBlock per frame.
// Fails when a frame's offset from `timecode` does not fit in int16 or a
// track number is 0 or above 127 (one-byte track vint).
Result<std::string> EncodeCluster(uint64_t timecode, std::span<const FrameSpec> frames);

struct GetMediaChunk {
  // Info + Tracks (and whatever else the producer put before its first
  // Cluster), as bytes: EncodeStreamHeader() or ingested bytes.
  std::string_view stream_header;
  std::string fragment_number;
  int64_t server_timestamp_ms = 0;
  int64_t producer_timestamp_ms = 0;
  // One complete Cluster element, known or unknown size.
  std::string_view cluster;
  // The producer's fragment metadata; no Tags element is written when empty.
  std::vector<SimpleTag> fragment_metadata;
  int64_t millis_behind_now = 0;
  std::string continuation_token;
};

// EBML header, Segment (unknown size), stream_header, Tags(FRAGMENT_NUMBER,
// SERVER_TIMESTAMP, PRODUCER_TIMESTAMP), cluster, [Tags(metadata)],
// Tags(MILLIS_BEHIND_NOW, CONTINUATION_TOKEN).
std::string WriteGetMediaChunk(const GetMediaChunk& chunk);

// The final chunk of a failed GetMedia: EBML header, Segment (unknown size),
// Tags(FRAGMENT_NUMBER, ERROR_ID, ERROR_CODE).
std::string WriteGetMediaErrorChunk(std::string_view fragment_number, int error_id,
                                    std::string_view error_code);

// Producer side, as the KVS PIC generator writes it: the stream header once
// (EBML, Segment of unknown size, Info, Tracks), then Clusters of unknown
// size, each with an 8-byte Timecode and Position 0, SimpleBlocks with an
// 8-byte size, and Tags between Clusters.
class ProducerMkvWriter {
 public:
  // info.timecode_scale_ns is the scale of every timecode given later.
  ProducerMkvWriter(SegmentInfo info, std::vector<TrackEntry> tracks);

  // Appends the stream header. Call once, first.
  void WriteHeader(std::string* out);
  // Appends a Cluster header; frames written next belong to it.
  void StartCluster(uint64_t timecode, std::string* out);
  // Appends one SimpleBlock. Fails (appending nothing) before the first
  // Cluster, for an undeclared track, or when the offset from the Cluster
  // timecode does not fit in int16 (start a new Cluster first).
  Status WriteFrame(const FrameSpec& frame, std::string* out);
  // Appends a Tags element (fragment metadata, END_OF_FRAGMENT). It ends the
  // current Cluster: the next frame needs a StartCluster.
  void WriteTags(const std::vector<Tag>& tags, std::string* out);

 private:
  SegmentInfo info_;
  std::vector<TrackEntry> tracks_;
  std::optional<uint64_t> cluster_timecode_;
};

}  // namespace osprey::fragments
