// The gst-launch descriptions of the capture pipelines and the --source
// parser. Pure string code, no GStreamer calls.
#include <algorithm>
#include <cstdint>
#include <string>

#include "osprey/agent/capture_source.h"

namespace osprey::agent {
namespace {

// Quotes a property value for gst_parse_launch.
std::string Quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// x264 with one IDR per fragment: key-int-max = fps * fragment seconds and
// scenecut off (appendix B: scene cuts add IDRs and short fragments); no
// B-frames, so decode order equals presentation order. Rounded up: the
// Fragmenter cuts at the first IDR at or after the target (less half a
// frame), so a GOP a frame short of it would make two-GOP fragments.
std::string Encoder(const CaptureOptions& o, uint64_t fps_num, uint64_t fps_den) {
  const uint64_t num = fps_num * o.fragment_ms;
  const uint64_t den = fps_den * 1000;
  const uint64_t key_int = std::max<uint64_t>(1, (num + den - 1) / den);
  return "videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=" +
         std::to_string(key_int) + " bitrate=" + std::to_string(o.bitrate_kbps) +
         " option-string=scenecut=0 ! ";
}

std::string Encoder(const CaptureOptions& o) { return Encoder(o, o.fps, 1); }

std::string RawCaps(const CaptureOptions& o) {
  return "video/x-raw,width=" + std::to_string(o.width) + ",height=" + std::to_string(o.height) +
         ",framerate=" + std::to_string(o.fps) + "/1 ! ";
}

// AVCC access units with SPS/PPS also in band at every IDR, so every
// fragment decodes alone.
constexpr const char* kParseTail =
    "h264parse config-interval=-1 ! video/x-h264,stream-format=avc,alignment=au ! ";

}  // namespace

Status ParseSource(const std::string& text, CaptureOptions* o) {
  auto starts = [&](const char* p) { return text.rfind(p, 0) == 0; };
  if (text == "testsrc") {
    o->kind = SourceKind::kTestPattern;
  } else if (starts("file+loop:") && text.size() > 10) {
    o->kind = SourceKind::kFile;
    o->location = text.substr(10);
    o->loop = true;
  } else if (starts("file:") && text.size() > 5) {
    o->kind = SourceKind::kFile;
    o->location = text.substr(5);
  } else if (starts("rtsp://") || starts("rtsps://")) {
    o->kind = SourceKind::kRtsp;
    o->location = text;
  } else if (starts("v4l2:") && text.size() > 5) {
    o->kind = SourceKind::kV4l2;
    o->location = text.substr(5);
  } else {
    return Status::InvalidArgument(
        "--source must be testsrc, file:PATH, file+loop:PATH, rtsp://... or v4l2:/dev/videoN, got '" +
        text + "'");
  }
  return Status::Ok();
}

std::string BuildPipelineDescription(const CaptureOptions& o, const FileVideoInfo& file) {
  std::string d;
  switch (o.kind) {
    case SourceKind::kTestPattern:
      d = "videotestsrc is-live=true pattern=ball ! " + RawCaps(o) + Encoder(o) + kParseTail;
      break;
    case SourceKind::kFile:
      if (file.h264) {
        // parsebin picks the demuxer and parser; the H.264 is passed through.
        d = "filesrc location=" + Quote(o.location) + " ! parsebin ! " + kParseTail;
      } else {
        // decodebin picks demuxer and decoder; the picture keeps the file's
        // size and rate (no caps filter), and the GOP follows the file's
        // rate so that one IDR still starts each fragment. Other streams
        // (audio) find nothing to link to and are dropped by the demuxer.
        const bool rate_known = file.fps_num > 0 && file.fps_den > 0;
        d = "filesrc location=" + Quote(o.location) + " ! decodebin ! " +
            Encoder(o, rate_known ? file.fps_num : o.fps, rate_known ? file.fps_den : 1) +
            kParseTail;
      }
      break;
    case SourceKind::kRtsp:
      d = "rtspsrc location=" + Quote(o.location) + " latency=200 ! rtph264depay ! " + kParseTail;
      break;
    case SourceKind::kV4l2:
      d = "v4l2src device=" + Quote(o.location) + " ! " + RawCaps(o) + Encoder(o) + kParseTail;
      break;
  }
  // Files are paced to real time (sync) so their timestamps follow the
  // clock; live sources are taken as they come.
  d += std::string("appsink name=sink max-buffers=64 sync=") +
       (o.kind == SourceKind::kFile ? "true" : "false");
  return d;
}

}  // namespace osprey::agent
