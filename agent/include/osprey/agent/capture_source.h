// CaptureSource: where encoded video comes from. The only implementation in
// production is the GStreamer one (OpenGstCaptureSource; GStreamer stays in
// agent/src/capture), tests may feed a Fragmenter directly.
//
// A source delivers H.264 access units in AVCC form (4-byte, or whatever the
// avcC says, big-endian NAL lengths; alignment=au), each with its capture
// time on the wall clock, and the stream format (avcC CodecPrivate from the
// caps' codec_data, picture size) before the first unit and whenever it
// changes.
//
// With CaptureOptions::audio set, it also delivers encoded audio frames (raw
// AAC access units or Opus packets) with capture times on the same clock,
// and their AudioFormat before the first frame. Video and audio come from
// different GStreamer threads; the source serialises the calls, but the two
// streams are not ordered relative to each other (the Fragmenter
// interleaves them).
//
// Threading: CaptureSink methods are called from the source's streaming
// thread, one call at a time, never after Stop() returned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "osprey/base/result.h"

namespace osprey::agent {

struct VideoFormat {
  std::string codec_private;  // avcC (ISO/IEC 14496-15 AVCDecoderConfigurationRecord)
  uint32_t width = 0;
  uint32_t height = 0;
  bool operator==(const VideoFormat&) const = default;
};

struct AccessUnit {
  std::string data;             // AVCC: length-prefixed NAL units of one picture
  int64_t capture_time_ms = 0;  // epoch ms from the capture clock, not yet repaired
  bool key_hint = false;        // the source's key flag; never trusted to cut on
};

enum class AudioCodec { kNone, kAac, kOpus };

// The H.264 encoder of sources encoded here (test pattern, V4L2, files
// that are not H.264). kAuto: the first hardware encoder GStreamer has
// (VA-API, then a V4L2 memory-to-memory device, then NVENC), else x264;
// OpenGstCaptureSource resolves it before building the pipeline.
enum class VideoEncoder { kAuto, kX264, kVaapi, kV4l2, kNvenc };

// "auto", "x264", "vaapi", "v4l2", "nvenc" (--encoder, config key
// `encoder`). InvalidArgument otherwise.
Status ParseVideoEncoder(const std::string& text, VideoEncoder* encoder);
const char* VideoEncoderName(VideoEncoder encoder);
// The GStreamer element of an encoder ("x264enc", "vaapih264enc", ...);
// nullptr for kAuto.
const char* VideoEncoderElement(VideoEncoder encoder);

// "none", "aac", "opus" (the --audio flag and the config key `audio`).
// InvalidArgument otherwise.
Status ParseAudioCodec(const std::string& text, AudioCodec* codec);
const char* AudioCodecName(AudioCodec codec);

struct AudioFormat {
  AudioCodec codec = AudioCodec::kNone;
  // AAC: the AudioSpecificConfig (caps codec_data); Opus: the OpusHead
  // (RFC 7845 5.1; the caps' first streamheader, or built from the caps).
  std::string codec_private;
  uint32_t sample_rate = 0;
  uint32_t channels = 0;
  bool operator==(const AudioFormat&) const = default;
};

// An OpusHead (RFC 7845 5.1) for channel mapping family 0 (1 or 2
// channels): what Matroska's A_OPUS CodecPrivate holds.
std::string BuildOpusHead(uint32_t input_rate, uint32_t channels, uint16_t pre_skip);

struct AudioFrame {
  std::string data;             // one raw AAC access unit (no ADTS) or one Opus packet
  int64_t capture_time_ms = 0;  // same clock and mapping as AccessUnit
};

class CaptureSink {
 public:
  virtual ~CaptureSink() = default;
  virtual void OnFormat(const VideoFormat& format) = 0;
  virtual void OnAccessUnit(AccessUnit unit) = 0;
  // Audio, only when the source was asked for it. Sinks that do not take
  // audio ignore it (the default).
  virtual void OnAudioFormat(const AudioFormat& /*format*/) {}
  virtual void OnAudioFrame(AudioFrame /*frame*/) {}
  // The source ended (EOS of a non-looping file) or failed. Called once.
  virtual void OnEnd(const Status& status) = 0;
};

enum class SourceKind { kTestPattern, kFile, kRtsp, kV4l2 };

struct CaptureOptions {
  SourceKind kind = SourceKind::kTestPattern;
  std::string location;  // file path, rtsp:// URL or device; unused for the test pattern
  bool loop = false;     // files: seek back to the start at EOS
  // Encoder settings (test pattern and V4L2, and files whose video is not
  // H.264, which keep their own size and frame rate; H.264 files and RTSP
  // are passed through without re-encoding).
  uint32_t width = 640;
  uint32_t height = 480;
  uint32_t fps = 15;
  uint32_t bitrate_kbps = 1000;
  uint32_t fragment_ms = 2000;  // key-int-max = fps * fragment_ms / 1000, rounded up
  // Which encoder; BuildPipelineDescription treats kAuto as x264 (the
  // GStreamer source resolves kAuto first, see VideoEncoder).
  VideoEncoder encoder = VideoEncoder::kAuto;
  // Audio track. testsrc encodes a quiet tone with this codec; files and
  // RTSP pass their own AAC or Opus track through (whichever they have;
  // nothing is re-encoded) and stay video-only without one; V4L2 has no
  // audio. kNone leaves every pipeline exactly as without audio.
  AudioCodec audio = AudioCodec::kNone;
};

// Parses the agent's --source syntax: "testsrc", "file:PATH" ("file+loop:PATH"
// to loop), "rtsp://...", "v4l2:/dev/videoN". InvalidArgument otherwise.
Status ParseSource(const std::string& text, CaptureOptions* options);

// What a file's video turned out to be. OpenGstCaptureSource probes the file
// (GstDiscoverer) before building the pipeline; tests fill it in by hand.
struct FileVideoInfo {
  bool h264 = false;     // passed through as is; anything else is decoded and re-encoded
  uint32_t fps_num = 0;  // the file's frame rate from its caps; 0 when unknown
  uint32_t fps_den = 1;  // (variable rate), then CaptureOptions::fps is used
  // The file's first audio stream, when it is AAC or Opus (kNone otherwise).
  AudioCodec audio = AudioCodec::kNone;
};

// The gst-launch description of the pipeline (ends in "appsink name=sink").
// `file` is used for SourceKind::kFile only. Pure; exposed for tests and logs.
std::string BuildPipelineDescription(const CaptureOptions& options, const FileVideoInfo& file = {});

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // Starts capturing into `sink` (must outlive the source). Unavailable when
  // the pipeline cannot be built or started.
  virtual Status Start(CaptureSink* sink) = 0;
  // Stops the pipeline and waits for the streaming threads; afterwards no
  // sink method runs. Idempotent.
  virtual void Stop() = 0;
};

// A GStreamer-backed source (gst_init is called once, on first use). A file
// is probed here: InvalidArgument (with the path and the reason) when it
// cannot be read, is not a media file or has no video stream; Unavailable
// when no installed plugin decodes its video or the probe times out.
Result<std::unique_ptr<CaptureSource>> OpenGstCaptureSource(const CaptureOptions& options);

// kAuto -> the first hardware encoder whose GStreamer element exists, else
// kX264; a named encoder -> itself, or FailedPrecondition naming the
// missing element. Initialises GStreamer. Any thread.
Result<VideoEncoder> ResolveVideoEncoder(VideoEncoder wanted);

}  // namespace osprey::agent
