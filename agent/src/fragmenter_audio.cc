// The Fragmenter's audio track: format, interleaving with the video in
// capture-time order, audio timestamps (fragmenter.h).
#include <algorithm>

#include "fragmenter_state.h"
#include "osprey/base/logging.h"

namespace osprey::agent {

bool Fragmenter::Interleaving() const {
  return options_.expect_audio || state_->audio_format.has_value();
}

void Fragmenter::OnAudioFormat(const AudioFormat& format) {
  State& st = *state_;
  if (st.audio_format && *st.audio_format == format) return;
  if (format.codec == AudioCodec::kNone || format.sample_rate == 0 || format.channels == 0) {
    log::Error("agent.fragmenter", "audio format not usable",
               {{"codec", AudioCodecName(format.codec)}, {"rate", format.sample_rate},
                {"channels", format.channels}});
    return;
  }
  // Frames already queued belong to the old format. At the first format
  // nothing of it is queued, and the video held for it stays held.
  if (st.audio_format) Drain(/*all=*/true);
  Emit();
  st.audio_format = format;
  RebuildHeader();
  log::Info("agent.fragmenter", "audio format",
            {{"codec", AudioCodecName(format.codec)}, {"rate", format.sample_rate},
             {"channels", format.channels}});
}

void Fragmenter::OnAudioFrame(AudioFrame frame) {
  State& st = *state_;
  if (!st.audio_format) {
    ++stats_.dropped_audio_frames;
    return;
  }
  st.newest_audio_ms = std::max(st.newest_audio_ms, frame.capture_time_ms);
  st.audio_queue.push_back(std::move(frame));
  Drain(/*all=*/false);
}

void Fragmenter::Drain(bool all) {
  State& st = *state_;
  for (;;) {
    const bool have_video = !st.video_queue.empty();
    const bool have_audio = !st.audio_queue.empty();
    bool take_video = false;
    if (have_video && have_audio) {
      // Ties go to the video: an IDR opens its fragment before the audio
      // of the same millisecond, which then belongs to that fragment.
      take_video = st.video_queue.front().capture_time_ms <= st.audio_queue.front().capture_time_ms;
    } else if (have_video) {
      const int64_t held = st.newest_video_ms - st.video_queue.front().capture_time_ms;
      if (!all && !st.audio_format && !st.gave_up_waiting_for_audio) {
        if (held < options_.audio_start_wait_ms) return;
        st.gave_up_waiting_for_audio = true;
        log::Warn("agent.fragmenter", "no audio yet; starting with video only",
                  {{"waited_ms", held}});
      } else if (!all && st.audio_format && held < options_.interleave_hold_ms) {
        return;
      }
      take_video = true;
    } else if (have_audio) {
      const int64_t held = st.newest_audio_ms - st.audio_queue.front().capture_time_ms;
      if (!all && held < options_.interleave_hold_ms) return;
    } else {
      return;
    }
    if (take_video) {
      AccessUnit unit = std::move(st.video_queue.front());
      st.video_queue.pop_front();
      WriteVideo(std::move(unit));
    } else {
      AudioFrame frame = std::move(st.audio_queue.front());
      st.audio_queue.pop_front();
      WriteAudio(frame);
    }
  }
}

void Fragmenter::DropAudiolessStub() {
  State& st = *state_;
  if (!st.open || !st.audio_format || st.current.audio_frames > 0 ||
      st.current.duration_ms >= options_.interleave_hold_ms) {
    return;
  }
  // Stopped just after an IDR: its audio was still in the encoder. Sent
  // video-only it would change the track count at the very end of the
  // stream (KVS HLS refuses that in a session), for a few pictures.
  stats_.dropped_units += st.current.frames;
  log::Info("agent.fragmenter", "dropped the last fragment: no audio captured for it yet",
            {{"frames", st.current.frames}, {"duration_ms", st.current.duration_ms}});
  st.open = false;
  st.current = Fragment{};
}

void Fragmenter::WriteAudio(const AudioFrame& frame) {
  State& st = *state_;
  if (!st.open || !st.writer) {
    ++stats_.dropped_audio_frames;  // before the first IDR or after a cut without one
    return;
  }
  // The video's offset: both tracks are on one capture clock.
  int64_t ts = frame.capture_time_ms + st.offset_ms;
  if (ts < st.current.producer_timestamp_ms) {
    ++stats_.dropped_audio_frames;  // belongs before this fragment (came late)
    return;
  }
  if (st.last_audio_ts && ts <= *st.last_audio_ts) {
    ++stats_.repaired_audio_timestamps;
    ts = *st.last_audio_ts + 1;
  }
  if (ts - st.current.producer_timestamp_ms >= options_.max_fragment_ms) {
    ++stats_.dropped_audio_frames;  // a clock jump; the video side handles it
    return;
  }
  fragments::FrameSpec spec;
  spec.track_number = kAudioTrack;
  spec.timecode = ts;
  spec.keyframe = true;  // every AAC/Opus frame decodes alone
  spec.payload = frame.data;
  if (Status s = st.writer->WriteFrame(spec, &st.current.cluster); !s.ok()) {
    ++stats_.dropped_audio_frames;
    log::Error("agent.fragmenter", "audio frame not written", {{"error", s.ToString()}});
    return;
  }
  st.last_audio_ts = ts;
  ++st.current.audio_frames;
  ++stats_.audio_frames;
  st.current.duration_ms = std::max(st.current.duration_ms, ts - st.current.producer_timestamp_ms);
}

}  // namespace osprey::agent
