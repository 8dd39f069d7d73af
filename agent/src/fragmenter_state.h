// The Fragmenter's private state, shared by fragmenter.cc (video, cutting,
// stream header) and fragmenter_audio.cc (audio track, interleaving).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "osprey/agent/fragmenter.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::agent {

inline constexpr uint64_t kVideoTrack = 1;
inline constexpr uint64_t kAudioTrack = 2;

struct Fragmenter::State {
  std::optional<VideoFormat> format;
  std::optional<AudioFormat> audio_format;
  int length_size = 4;
  std::unique_ptr<fragments::ProducerMkvWriter> writer;
  std::string stream_header;             // every track the writer declares
  std::string video_only_stream_header;  // for fragments without audio frames
  // The open fragment.
  bool open = false;
  Fragment current;
  std::optional<int64_t> last_frame_ms;
  double frame_interval_ms = 0;  // moving average, for the cut tolerance
  bool next_is_discontinuity = false;
  // Timestamp repair.
  std::optional<int64_t> last_ts;
  int64_t offset_ms = 0;
  std::optional<int64_t> last_audio_ts;
  // Interleaving queues (capture times, before repair).
  std::deque<AccessUnit> video_queue;
  std::deque<AudioFrame> audio_queue;
  int64_t newest_video_ms = 0;
  int64_t newest_audio_ms = 0;
  bool gave_up_waiting_for_audio = false;
};

}  // namespace osprey::agent
