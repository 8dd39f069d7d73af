#include "osprey/agent/fragmenter.h"

#include <algorithm>
#include <random>

#include "fragmenter_state.h"

#include "osprey/base/logging.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::agent {

using fragments::ProducerMkvWriter;

bool ContainsIdr(std::span<const uint8_t> avcc, int length_size) {
  size_t pos = 0;
  const size_t ls = static_cast<size_t>(length_size);
  while (pos + ls <= avcc.size()) {
    uint64_t len = 0;
    for (size_t i = 0; i < ls; ++i) len = (len << 8) | avcc[pos + i];
    pos += ls;
    if (len == 0 || len > avcc.size() - pos) return false;
    if ((avcc[pos] & 0x1f) == 5) return true;
    pos += len;
  }
  return false;
}

std::optional<int> AvccLengthSize(std::string_view avcc) {
  if (avcc.size() < 7 || static_cast<uint8_t>(avcc[0]) != 1) return std::nullopt;
  int size = (static_cast<uint8_t>(avcc[4]) & 0x03) + 1;
  if (size == 3) return std::nullopt;
  return size;
}

Fragmenter::Fragmenter(FragmenterOptions options, FragmentSink* sink)
    : options_(std::move(options)), sink_(sink), state_(std::make_unique<State>()) {
  if (options_.segment_uid.size() != 16) {
    std::random_device rd;
    options_.segment_uid.resize(16);
    for (char& c : options_.segment_uid) c = static_cast<char>(rd() & 0xff);
  }
  if (options_.max_fragment_ms > 30000) options_.max_fragment_ms = 30000;  // int16 block offsets
}

Fragmenter::~Fragmenter() = default;

void Fragmenter::OnFormat(const VideoFormat& format) {
  State& st = *state_;
  if (st.format && *st.format == format) return;
  std::optional<int> ls = AvccLengthSize(format.codec_private);
  if (!ls) {
    log::Error("agent.fragmenter", "caps codec_data is not an avcC record",
               {{"bytes", static_cast<uint64_t>(format.codec_private.size())}});
    return;
  }
  // Queued units belong to the old format; a new header needs a new
  // Segment: write them, close what was open.
  if (st.format) Drain(/*all=*/true);
  Emit();
  st.format = format;
  st.length_size = *ls;
  RebuildHeader();
  log::Info("agent.fragmenter", "stream format",
            {{"width", format.width}, {"height", format.height}, {"nal_length_size", *ls}});
}

void Fragmenter::RebuildHeader() {
  State& st = *state_;
  if (!st.format) return;
  fragments::SegmentInfo info;
  info.timecode_scale_ns = 1000000;  // ms, as the KVS producer
  info.segment_uid = options_.segment_uid;
  info.title = "osprey-agent";
  info.muxing_app = "osprey-agent";
  info.writing_app = "osprey-agent";
  fragments::TrackEntry track;
  track.number = kVideoTrack;
  track.uid = 1;
  track.type = 1;
  track.codec_id = "V_MPEG4/ISO/AVC";
  track.name = options_.track_name;
  track.codec_private = st.format->codec_private;
  if (st.format->width) track.pixel_width = st.format->width;
  if (st.format->height) track.pixel_height = st.format->height;
  std::vector<fragments::TrackEntry> tracks{track};
  if (st.audio_format) {
    const AudioFormat& a = *st.audio_format;
    fragments::TrackEntry audio;
    audio.number = kAudioTrack;
    audio.uid = 2;
    audio.type = 2;
    audio.codec_id = a.codec == AudioCodec::kAac ? "A_AAC" : "A_OPUS";
    audio.name = options_.audio_track_name;
    audio.codec_private = a.codec_private;
    audio.sampling_frequency = static_cast<double>(a.sample_rate);
    audio.channels = a.channels;
    tracks.push_back(audio);
  }
  st.writer = std::make_unique<ProducerMkvWriter>(info, tracks);
  st.stream_header.clear();
  st.writer->WriteHeader(&st.stream_header);
  st.video_only_stream_header.clear();
  if (st.audio_format) {
    ProducerMkvWriter video_only(info, {track});
    video_only.WriteHeader(&st.video_only_stream_header);
  }
}

int64_t Fragmenter::NextTimestamp(int64_t capture_ms, bool* discontinuity) {
  State& st = *state_;
  *discontinuity = false;
  if (!st.last_ts) {
    // First unit: stay above everything spooled before a restart.
    if (options_.min_timestamp_ms && capture_ms <= *options_.min_timestamp_ms) {
      st.offset_ms = *options_.min_timestamp_ms + 1 - capture_ms;
    }
    st.last_ts = capture_ms + st.offset_ms;
    return *st.last_ts;
  }
  int64_t ts = capture_ms + st.offset_ms;
  const int64_t delta = ts - *st.last_ts;
  if (delta > options_.discontinuity_ms || delta < -options_.discontinuity_ms) {
    *discontinuity = true;
    ++stats_.discontinuities;
    log::Warn("agent.fragmenter", "capture clock jumped", {{"delta_ms", delta}});
    if (delta < 0) {
      st.offset_ms += *st.last_ts + 1 - ts;
      ts = *st.last_ts + 1;
    }
  } else if (ts <= *st.last_ts) {
    ++stats_.repaired_timestamps;
    ts = *st.last_ts + 1;
  }
  st.last_ts = ts;
  return ts;
}

void Fragmenter::OnAccessUnit(AccessUnit unit) {
  if (!Interleaving()) {
    WriteVideo(std::move(unit));
    return;
  }
  State& st = *state_;
  st.newest_video_ms = std::max(st.newest_video_ms, unit.capture_time_ms);
  st.video_queue.push_back(std::move(unit));
  Drain(/*all=*/false);
}

void Fragmenter::WriteVideo(AccessUnit unit) {
  State& st = *state_;
  ++stats_.units;
  if (!st.writer) {
    ++stats_.dropped_units;
    return;
  }
  bool discontinuity = false;
  const int64_t ts = NextTimestamp(unit.capture_time_ms, &discontinuity);
  const bool idr = ContainsIdr(
      {reinterpret_cast<const uint8_t*>(unit.data.data()), unit.data.size()}, st.length_size);
  if (idr) ++stats_.idr_units;
  if (discontinuity) {
    Emit();
    st.next_is_discontinuity = true;
  } else if (st.last_frame_ms) {
    const double delta = static_cast<double>(ts - *st.last_frame_ms);
    st.frame_interval_ms =
        st.frame_interval_ms == 0 ? delta : 0.9 * st.frame_interval_ms + 0.1 * delta;
  }
  st.last_frame_ms = ts;
  if (st.open) {
    const int64_t elapsed = ts - st.current.producer_timestamp_ms;
    // Half a frame of tolerance absorbs millisecond rounding of the
    // timestamps, so an IDR exactly one target after the last one cuts.
    const int64_t tolerance = std::max<int64_t>(1, static_cast<int64_t>(st.frame_interval_ms / 2));
    if (idr && elapsed + tolerance >= options_.target_ms) {
      Emit();
    } else if (elapsed >= options_.max_fragment_ms) {
      log::Warn("agent.fragmenter", "no IDR within the maximum fragment duration; waiting for one",
                {{"elapsed_ms", elapsed}});
      Emit();
    }
  }
  if (!st.open) {
    if (!idr) {
      ++stats_.dropped_units;
      return;
    }
    st.open = true;
    st.current = Fragment{};
    st.current.producer_timestamp_ms = ts;
    st.current.discontinuity = st.next_is_discontinuity;
    st.next_is_discontinuity = false;
    st.current.stream_header = st.stream_header;
    st.writer->StartCluster(static_cast<uint64_t>(ts), &st.current.cluster);
  }
  fragments::FrameSpec frame;
  frame.track_number = kVideoTrack;
  frame.timecode = ts;
  frame.keyframe = idr;
  frame.payload = unit.data;
  if (Status s = st.writer->WriteFrame(frame, &st.current.cluster); !s.ok()) {
    // Cannot happen while max_fragment_ms < 32767; drop rather than corrupt.
    ++stats_.dropped_units;
    log::Error("agent.fragmenter", "frame not written", {{"error", s.ToString()}});
    return;
  }
  ++st.current.frames;
  st.current.duration_ms = std::max(st.current.duration_ms, ts - st.current.producer_timestamp_ms);
}

void Fragmenter::Emit() {
  State& st = *state_;
  if (!st.open) return;
  st.open = false;
  ++stats_.fragments;
  // A declared track without a frame is refused (4011): such a fragment
  // (audio stalled, or dropped) goes out with the video-only header.
  if (st.audio_format && st.current.audio_frames == 0) {
    st.current.stream_header = st.video_only_stream_header;
  }
  if (Status s = sink_->OnFragment(st.current); !s.ok()) {
    ++stats_.sink_errors;
    log::Error("agent.fragmenter", "fragment lost", {{"error", s.ToString()},
               {"producer_timestamp_ms", st.current.producer_timestamp_ms}});
  }
  st.current = Fragment{};
}

void Fragmenter::Flush() {
  Drain(/*all=*/true);
  DropAudiolessStub();
  Emit();
}

void Fragmenter::OnEnd(const Status& status) {
  Drain(/*all=*/true);
  DropAudiolessStub();
  Emit();
  end_status_ = status;
}

}  // namespace osprey::agent
