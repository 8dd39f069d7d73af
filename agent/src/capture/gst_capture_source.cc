// CaptureSource on GStreamer: a gst-launch pipeline ending in an appsink
// (pipeline_description.cc), a bus thread for EOS, errors and looping. Files
// are probed first (file_probe.cc) to choose pass-through or re-encoding.
//
// Threading: appsink's new-sample callback runs on the pipeline's streaming
// thread (with audio, the audio appsink's on another one); the bus thread
// reports the end. All call the CaptureSink under sink_mu_, so the sink sees
// one call at a time; the epoch mapping of the capture clock is shared by
// both appsinks and also kept under sink_mu_. Stop() sets the pipeline to
// NULL (which joins the streaming threads) and joins the bus thread.
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "audio_caps.h"
#include "file_probe.h"
#include "osprey/agent/capture_source.h"
#include "osprey/base/logging.h"

namespace osprey::agent {
namespace {

std::once_flag gst_once;

void InitGstOnce() {
  std::call_once(gst_once, [] { gst_init(nullptr, nullptr); });
}

class GstCaptureSource final : public CaptureSource {
 public:
  GstCaptureSource(CaptureOptions options, FileVideoInfo file)
      : options_(std::move(options)), file_(file) {}
  ~GstCaptureSource() override { Stop(); }

  Status Start(CaptureSink* sink) override {
    InitGstOnce();
    const std::string description = BuildPipelineDescription(options_, file_);
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(description.c_str(), &error);
    if (error != nullptr) {
      std::string msg = error->message;
      g_error_free(error);
      if (pipeline_ != nullptr) gst_object_unref(pipeline_);
      pipeline_ = nullptr;
      return Status::Unavailable("capture pipeline: " + msg);
    }
    GstElement* appsink = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    if (appsink == nullptr) return Status::Internal("capture pipeline has no appsink");
    {
      std::lock_guard lock(sink_mu_);
      sink_ = sink;
    }
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = &GstCaptureSource::OnNewSample;
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, this, nullptr);
    gst_object_unref(appsink);
    if (GstElement* audio = gst_bin_get_by_name(GST_BIN(pipeline_), "audio")) {
      GstAppSinkCallbacks audio_callbacks{};
      audio_callbacks.new_sample = &GstCaptureSource::OnNewAudioSample;
      gst_app_sink_set_callbacks(GST_APP_SINK(audio), &audio_callbacks, this, nullptr);
      gst_object_unref(audio);
    }
    log::Info("agent.capture", "starting pipeline", {{"pipeline", description}});
    if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      Stop();
      return Status::Unavailable("capture pipeline failed to start: " + description);
    }
    bus_thread_ = std::thread([this] { BusLoop(); });
    return Status::Ok();
  }

  void Stop() override {
    stopping_ = true;
    if (pipeline_ != nullptr) gst_element_set_state(pipeline_, GST_STATE_NULL);
    if (bus_thread_.joinable()) bus_thread_.join();
    {
      std::lock_guard lock(sink_mu_);
      sink_ = nullptr;
    }
    if (pipeline_ != nullptr) {
      gst_object_unref(pipeline_);
      pipeline_ = nullptr;
    }
    gst_caps_replace(&last_audio_caps_, nullptr);
  }

 private:
  static GstFlowReturn OnNewSample(GstAppSink* appsink, gpointer user) {
    auto* self = static_cast<GstCaptureSource*>(user);
    GstSample* sample = gst_app_sink_pull_sample(appsink);
    if (sample == nullptr) return GST_FLOW_EOS;
    self->HandleSample(sample);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  static GstFlowReturn OnNewAudioSample(GstAppSink* appsink, gpointer user) {
    auto* self = static_cast<GstCaptureSource*>(user);
    GstSample* sample = gst_app_sink_pull_sample(appsink);
    if (sample == nullptr) return GST_FLOW_EOS;
    self->HandleAudioSample(sample);
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }

  void HandleAudioSample(GstSample* sample) {
    GstCaps* caps = gst_sample_get_caps(sample);
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    if (caps == nullptr || buffer == nullptr) return;
    AudioFrame frame;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
    frame.data.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
    if (frame.data.empty()) return;

    std::lock_guard lock(sink_mu_);
    if (sink_ == nullptr) return;
    if (last_audio_caps_ == nullptr || !gst_caps_is_equal(caps, last_audio_caps_)) {
      Result<AudioFormat> format = AudioFormatFromCaps(caps);
      if (!format.ok()) {
        log::Error("agent.capture", "audio caps not usable", {{"error", format.status().ToString()}});
        return;
      }
      gst_caps_replace(&last_audio_caps_, caps);
      log::Info("agent.capture", "audio format",
                {{"codec", AudioCodecName(format->codec)},
                 {"rate", format->sample_rate},
                 {"channels", format->channels},
                 {"codec_private_bytes", static_cast<uint64_t>(format->codec_private.size())}});
      sink_->OnAudioFormat(*format);
    }
    frame.capture_time_ms = CaptureTimeMs(sample, buffer);
    sink_->OnAudioFrame(std::move(frame));
  }

  void HandleSample(GstSample* sample) {
    VideoFormat format;
    if (GstCaps* caps = gst_sample_get_caps(sample)) {
      const GstStructure* s = gst_caps_get_structure(caps, 0);
      int w = 0, h = 0;
      gst_structure_get_int(s, "width", &w);
      gst_structure_get_int(s, "height", &h);
      format.width = static_cast<uint32_t>(w);
      format.height = static_cast<uint32_t>(h);
      const GValue* v = gst_structure_get_value(s, "codec_data");
      if (v != nullptr && G_VALUE_HOLDS(v, GST_TYPE_BUFFER)) {
        GstBuffer* cd = gst_value_get_buffer(v);
        GstMapInfo map;
        if (gst_buffer_map(cd, &map, GST_MAP_READ)) {
          format.codec_private.assign(reinterpret_cast<const char*>(map.data), map.size);
          gst_buffer_unmap(cd, &map);
        }
      }
    }
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    if (buffer == nullptr) return;
    AccessUnit unit;
    unit.key_hint = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
    unit.data.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);

    std::lock_guard lock(sink_mu_);
    if (sink_ == nullptr) return;
    unit.capture_time_ms = CaptureTimeMs(sample, buffer);
    if (!(format == last_format_) && !format.codec_private.empty()) {
      last_format_ = format;
      sink_->OnFormat(format);
    }
    sink_->OnAccessUnit(std::move(unit));
  }

  // The buffer's time on the pipeline clock (running time + base time),
  // mapped to the epoch with an offset taken once: the capture clock's
  // rate, not the wall clock's steps, decides the spacing of timestamps.
  // Decode timestamps when present (blocks are written in decode order).
  // REQUIRES: sink_mu_ is held (the offset is shared by both appsinks).
  int64_t CaptureTimeMs(GstSample* sample, GstBuffer* buffer) {
    const int64_t now_ms = g_get_real_time() / 1000;
    GstClockTime ts = GST_BUFFER_DTS_IS_VALID(buffer) ? GST_BUFFER_DTS(buffer) : GST_BUFFER_PTS(buffer);
    const GstSegment* segment = gst_sample_get_segment(sample);
    GstClock* clock = gst_element_get_clock(pipeline_);
    if (!GST_CLOCK_TIME_IS_VALID(ts) || segment == nullptr || clock == nullptr) {
      if (clock != nullptr) gst_object_unref(clock);
      return now_ms;
    }
    GstClockTime running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, ts);
    if (!GST_CLOCK_TIME_IS_VALID(running)) {
      gst_object_unref(clock);
      return now_ms;
    }
    const int64_t clock_ns = static_cast<int64_t>(running + gst_element_get_base_time(pipeline_));
    if (!have_offset_) {
      epoch_offset_ns_ = g_get_real_time() * 1000 - static_cast<int64_t>(gst_clock_get_time(clock));
      have_offset_ = true;
    }
    gst_object_unref(clock);
    return (clock_ns + epoch_offset_ns_) / 1000000;
  }

  void BusLoop() {
    GstBus* bus = gst_element_get_bus(pipeline_);
    while (!stopping_) {
      GstMessage* msg = gst_bus_timed_pop_filtered(
          bus, 100 * GST_MSECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
      if (msg == nullptr) continue;
      Status end;
      bool done = true;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        if (options_.loop) {
          log::Info("agent.capture", "end of file, looping");
          done = !gst_element_seek_simple(
              pipeline_, GST_FORMAT_TIME,
              static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT), 0);
          if (done) end = Status::Unavailable("loop seek failed");
        }
      } else {
        GError* err = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(msg, &err, &debug);
        end = Status::Unavailable(std::string("capture: ") + (err ? err->message : "error"));
        log::Error("agent.capture", "pipeline error",
                   {{"error", err ? err->message : ""}, {"debug", debug ? debug : ""}});
        if (err) g_error_free(err);
        g_free(debug);
      }
      gst_message_unref(msg);
      if (done) {
        std::lock_guard lock(sink_mu_);
        if (sink_ != nullptr) sink_->OnEnd(end);
        break;
      }
    }
    gst_object_unref(bus);
  }

  const CaptureOptions options_;
  const FileVideoInfo file_;  // what ProbeFile found (files only)
  GstElement* pipeline_ = nullptr;
  std::thread bus_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex sink_mu_;
  CaptureSink* sink_ = nullptr;      // guarded by sink_mu_
  VideoFormat last_format_;          // guarded by sink_mu_
  GstCaps* last_audio_caps_ = nullptr;  // guarded by sink_mu_
  bool have_offset_ = false;         // guarded by sink_mu_
  int64_t epoch_offset_ns_ = 0;      // guarded by sink_mu_
};

}  // namespace

Result<VideoEncoder> ResolveVideoEncoder(VideoEncoder wanted) {
  InitGstOnce();
  auto available = [](VideoEncoder e) {
    GstElementFactory* f = gst_element_factory_find(VideoEncoderElement(e));
    if (f == nullptr) return false;
    gst_object_unref(f);
    return true;
  };
  if (wanted != VideoEncoder::kAuto) {
    if (available(wanted)) return wanted;
    return Status::FailedPrecondition(
        std::string("the ") + VideoEncoderName(wanted) + " encoder (GStreamer element " +
        VideoEncoderElement(wanted) + ") is not available on this machine");
  }
  for (VideoEncoder e : {VideoEncoder::kVaapi, VideoEncoder::kV4l2, VideoEncoder::kNvenc}) {
    if (available(e)) return e;
  }
  return VideoEncoder::kX264;
}

Result<std::unique_ptr<CaptureSource>> OpenGstCaptureSource(const CaptureOptions& options) {
  if (options.kind != SourceKind::kTestPattern && options.location.empty()) {
    return Status::InvalidArgument("capture source needs a location");
  }
  InitGstOnce();
  FileVideoInfo file;
  if (options.kind == SourceKind::kFile) {
    OSPREY_ASSIGN_OR_RETURN(file, ProbeFile(options.location));
  }
  CaptureOptions resolved = options;
  OSPREY_ASSIGN_OR_RETURN(resolved.encoder, ResolveVideoEncoder(options.encoder));
  return std::unique_ptr<CaptureSource>(std::make_unique<GstCaptureSource>(resolved, file));
}

}  // namespace osprey::agent
