// Fragmenter: turns access units into KVS fragments (one MKV Cluster each),
// cut at IDR access units only (NAL type 5 found in the AVCC data: h264parse
// flags non-IDR I frames as key frames too, video-api.md appendix B), with
// absolute epoch-ms producer timestamps that never go backwards.
//
// Timestamps: each unit's capture time (epoch ms) plus a correction offset.
// A unit at or below the previous one gets previous + 1 ms (counted as
// repaired). A jump of more than `discontinuity_ms` either way is a
// discontinuity: the open fragment is emitted, units are dropped until the
// next IDR, and the next fragment has `discontinuity` set; a backward jump
// also moves the offset so time continues from the previous unit. The first
// timestamp is made greater than `min_timestamp_ms` (the spool's newest), so
// a restart never produces 4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS.
//
// Cutting: a fragment starts at an IDR; the first IDR at or after the target
// duration (less half a frame interval, for timestamp rounding) closes it, as
// the KVS producer does without key-frame fragmentation. x264 with
// scenecut=0 and key-int-max = fps * target gives exactly one IDR per
// target; a camera with a shorter GOP gives fragments of whole GOPs of at
// least the target. A fragment
// that reaches max_fragment_ms without an IDR is closed, and units are
// dropped until the next IDR (a fragment never starts without one).
//
// Audio (track 2, A_AAC or A_OPUS, as kvssink writes it): once an audio
// format is known (or from the start with expect_audio), video units and
// audio frames are queued and released in capture-time order (video first
// on a tie), so blocks of both tracks are in timecode order and an IDR that
// cuts a fragment is written before the audio of the same millisecond. One
// stream is held at most `interleave_hold_ms` for the other, so a stalled
// audio source delays video by that much and never stops it. Audio frames
// get the video's clock offset, are repaired to stay strictly increasing,
// and are dropped outside an open fragment (before the first IDR, or older
// than the fragment's start). A fragment that ends up without an audio
// frame is sent with a video-only stream header: KVS rejects a fragment
// missing a declared track (4011); except at Flush()/OnEnd(), where such a
// fragment shorter than `interleave_hold_ms` (stopped right after an IDR,
// its audio still in the encoder) is dropped rather than change the
// stream's track count for a few pictures. With expect_audio, the first fragment
// waits up to `audio_start_wait_ms` of video for the audio format, so that
// a stream starts with both tracks rather than changing its header at once.
//
// Threading: not thread-safe; one thread at a time (the capture source
// serialises its streaming threads) calls it. The FragmentSink is called
// synchronously from those calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "osprey/agent/capture_source.h"
#include "osprey/base/status.h"

namespace osprey::agent {

struct Fragment {
  int64_t producer_timestamp_ms = 0;  // first frame = Cluster Timecode
  int64_t duration_ms = 0;            // last frame - first frame
  uint32_t frames = 0;          // video
  uint32_t audio_frames = 0;
  bool discontinuity = false;
  std::string stream_header;  // ProducerMkvWriter::WriteHeader output
  std::string cluster;        // StartCluster + SimpleBlocks
};

class FragmentSink {
 public:
  virtual ~FragmentSink() = default;
  // An error is logged and counted by the fragmenter (the fragment is lost).
  virtual Status OnFragment(const Fragment& fragment) = 0;
};

struct FragmenterOptions {
  int64_t target_ms = 2000;
  int64_t max_fragment_ms = 10000;   // KVS limit (4002); must stay below 32767
  int64_t discontinuity_ms = 5000;   // clock jump that breaks continuity
  std::optional<int64_t> min_timestamp_ms;  // first timestamp is above this
  std::string track_name = "kinesis_video";
  std::string segment_uid;  // 16 bytes; random when empty
  // Audio (see above). Without expect_audio and without OnAudioFormat
  // calls, the output is exactly that of a video-only fragmenter.
  bool expect_audio = false;
  int64_t interleave_hold_ms = 500;
  int64_t audio_start_wait_ms = 2000;
  std::string audio_track_name = "audio";
};

struct FragmenterStats {
  uint64_t fragments = 0;
  uint64_t idr_units = 0;
  uint64_t units = 0;
  uint64_t dropped_units = 0;   // before the first IDR, after a discontinuity
  uint64_t repaired_timestamps = 0;
  uint64_t discontinuities = 0;
  uint64_t sink_errors = 0;
  uint64_t audio_frames = 0;          // written
  uint64_t dropped_audio_frames = 0;  // outside a fragment, or before the format
  uint64_t repaired_audio_timestamps = 0;
};

// True when the AVCC data holds a NAL unit of type 5 (IDR slice).
// `length_size` is 1, 2 or 4 (avcC lengthSizeMinusOne + 1). Malformed
// lengths end the scan (false unless an IDR was already seen).
bool ContainsIdr(std::span<const uint8_t> avcc, int length_size);
// NAL length size from an avcC record; nullopt when it is too short or not
// version 1.
std::optional<int> AvccLengthSize(std::string_view avcc);

class Fragmenter final : public CaptureSink {
 public:
  // `sink` must outlive the fragmenter.
  Fragmenter(FragmenterOptions options, FragmentSink* sink);
  ~Fragmenter() override;

  void OnFormat(const VideoFormat& format) override;
  void OnAccessUnit(AccessUnit unit) override;
  void OnAudioFormat(const AudioFormat& format) override;
  void OnAudioFrame(AudioFrame frame) override;
  // Writes what is queued and emits the open fragment (if any; see above
  // for one without audio). Status is recorded for end_status().
  void OnEnd(const Status& status) override;
  // Writes what is queued and emits the open fragment; the next unit needs
  // an IDR.
  void Flush();

  const FragmenterStats& stats() const { return stats_; }
  const Status& end_status() const { return end_status_; }

 private:
  struct State;
  int64_t NextTimestamp(int64_t capture_ms, bool* discontinuity);
  void Emit();
  void RebuildHeader();
  bool Interleaving() const;
  // Releases queued units/frames in capture order; `all` ignores the hold.
  void Drain(bool all);
  void WriteVideo(AccessUnit unit);
  void WriteAudio(const AudioFrame& frame);
  void DropAudiolessStub();

  FragmenterOptions options_;
  FragmentSink* sink_;
  std::unique_ptr<State> state_;
  FragmenterStats stats_;
  Status end_status_;
};

}  // namespace osprey::agent
