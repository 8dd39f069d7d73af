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

// One IDR per fragment: a key frame interval of fps * fragment seconds, no
// B-frames (decode order = presentation order), constant bit rate. x264:
// scenecut off (appendix B: scene cuts add IDRs and short fragments).
// Rounded up: the Fragmenter cuts at the first IDR at or after the target
// (less half a frame), so a GOP a frame short of it would make two-GOP
// fragments. The hardware encoders' settings follow their GStreamer
// elements' documentation; this machine has none of them, so those
// strings are checked by the unit tests only (agent/README.md).
std::string Encoder(const CaptureOptions& o, uint64_t fps_num, uint64_t fps_den) {
  const uint64_t num = fps_num * o.fragment_ms;
  const uint64_t den = fps_den * 1000;
  const std::string key_int = std::to_string(std::max<uint64_t>(1, (num + den - 1) / den));
  const std::string kbps = std::to_string(o.bitrate_kbps);
  switch (o.encoder) {
    case VideoEncoder::kVaapi:
      return "videoconvert ! vaapih264enc rate-control=cbr max-bframes=0 keyframe-period=" +
             key_int + " bitrate=" + kbps + " ! ";
    case VideoEncoder::kV4l2:
      return "videoconvert ! v4l2h264enc extra-controls=\"controls,video_bitrate=" +
             std::to_string(uint64_t{o.bitrate_kbps} * 1000) + ",h264_i_frame_period=" + key_int +
             ",video_b_frames=0\" ! video/x-h264,level=(string)4 ! ";
    case VideoEncoder::kNvenc:
      return "videoconvert ! nvh264enc rc-mode=cbr zerolatency=true bframes=0 gop-size=" +
             key_int + " bitrate=" + kbps + " ! ";
    case VideoEncoder::kAuto:
    case VideoEncoder::kX264:
      break;
  }
  return "videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=" +
         key_int + " bitrate=" + kbps + " option-string=scenecut=0 ! ";
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

// The audio appsink: raw AAC access units (codec_data in the caps) or Opus
// packets. Its own streaming thread; the source serialises the callbacks.
std::string AudioSink(const CaptureOptions& o) {
  return std::string("appsink name=audio max-buffers=64 sync=") +
         (o.kind == SourceKind::kFile ? "true" : "false");
}

constexpr const char* kAacRaw = "aacparse ! audio/mpeg,mpegversion=4,stream-format=raw ! ";

// A leaky queue in front of a live encoder: if the encoder (or the sink)
// falls behind, old audio is dropped instead of blocking its source.
constexpr const char* kLeakyQueue =
    "queue leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=1000000000 ! ";

// testsrc audio: a quiet 440 Hz tone, 48 kHz stereo, encoded live.
std::string TestAudio(const CaptureOptions& o) {
  std::string d =
      "audiotestsrc is-live=true wave=sine freq=440 volume=0.05 ! "
      "audio/x-raw,rate=48000,channels=2 ! audioconvert ! ";
  d += kLeakyQueue;
  if (o.audio == AudioCodec::kAac) {
    d += std::string("voaacenc bitrate=64000 ! ") + kAacRaw;
  } else {
    d += "opusenc bitrate=64000 ! audio/x-opus ! ";
  }
  return d + AudioSink(o);
}

// A demuxed file's AAC or Opus, passed through. Both branches of the
// demuxer get a queue, so that neither blocks the other while the sinks
// wait for their clock (the demuxer interleaves by file position, not
// time); 3 s covers loose interleaving.
constexpr const char* kFileQueue =
    "queue max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 ! ";

std::string FileAudio(const CaptureOptions& o, AudioCodec codec) {
  std::string d = codec == AudioCodec::kAac ? "demux. ! audio/mpeg ! " : "demux. ! audio/x-opus ! ";
  d += kFileQueue;
  d += codec == AudioCodec::kAac ? kAacRaw : "opusparse ! ";
  return d + AudioSink(o);
}

// RTSP audio of the codec asked for, depayloaded only: AAC as RFC 3640
// (MPEG4-GENERIC, what most cameras send) or Opus (RFC 7587). MP4A-LATM
// is not taken: rtpmp4adepay (GStreamer 1.22) leaves the LATM
// PayloadLengthInfo in front of each frame, so it is not raw AAC. A stream
// of another codec, or none, leaves the branch unlinked and the video as
// it is.
std::string RtspAudio(const CaptureOptions& o) {
  std::string d;
  if (o.audio == AudioCodec::kAac) {
    d = "src. ! application/x-rtp,media=audio,encoding-name=MPEG4-GENERIC ! rtpmp4gdepay ! ";
    d += kAacRaw;
  } else {
    d = "src. ! application/x-rtp,media=audio,encoding-name=OPUS ! rtpopusdepay ! ";
  }
  return d + kLeakyQueue + AudioSink(o);
}

}  // namespace

namespace {
struct EncoderName {
  VideoEncoder encoder;
  const char* name;
  const char* element;
};
constexpr EncoderName kEncoders[] = {
    {VideoEncoder::kAuto, "auto", nullptr},
    {VideoEncoder::kX264, "x264", "x264enc"},
    {VideoEncoder::kVaapi, "vaapi", "vaapih264enc"},
    {VideoEncoder::kV4l2, "v4l2", "v4l2h264enc"},
    {VideoEncoder::kNvenc, "nvenc", "nvh264enc"},
};
}  // namespace

Status ParseVideoEncoder(const std::string& text, VideoEncoder* encoder) {
  for (const EncoderName& e : kEncoders) {
    if (text == e.name) {
      *encoder = e.encoder;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("encoder must be auto, x264, vaapi, v4l2 or nvenc, got '" + text +
                                 "'");
}

const char* VideoEncoderName(VideoEncoder encoder) {
  for (const EncoderName& e : kEncoders) {
    if (e.encoder == encoder) return e.name;
  }
  return "auto";
}

const char* VideoEncoderElement(VideoEncoder encoder) {
  for (const EncoderName& e : kEncoders) {
    if (e.encoder == encoder) return e.element;
  }
  return nullptr;
}

Status ParseAudioCodec(const std::string& text, AudioCodec* codec) {
  if (text == "none") {
    *codec = AudioCodec::kNone;
  } else if (text == "aac") {
    *codec = AudioCodec::kAac;
  } else if (text == "opus") {
    *codec = AudioCodec::kOpus;
  } else {
    return Status::InvalidArgument("audio must be none, aac or opus, got '" + text + "'");
  }
  return Status::Ok();
}

const char* AudioCodecName(AudioCodec codec) {
  switch (codec) {
    case AudioCodec::kAac:
      return "aac";
    case AudioCodec::kOpus:
      return "opus";
    case AudioCodec::kNone:
      break;
  }
  return "none";
}

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
  // Audio branches are separate chains of the same pipeline, added after
  // the video's appsink; without audio the description is unchanged.
  std::string audio;
  switch (o.kind) {
    case SourceKind::kTestPattern:
      d = "videotestsrc is-live=true pattern=ball ! " + RawCaps(o) + Encoder(o) + kParseTail;
      if (o.audio != AudioCodec::kNone) audio = TestAudio(o);
      break;
    case SourceKind::kFile:
      if (file.h264 && o.audio != AudioCodec::kNone && file.audio != AudioCodec::kNone) {
        // Named parsebin: each branch links to the pad whose caps it takes.
        d = "filesrc location=" + Quote(o.location) + " ! parsebin name=demux demux. ! " +
            "video/x-h264 ! " + kFileQueue + kParseTail;
        audio = FileAudio(o, file.audio);
      } else if (file.h264) {
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
      if (o.audio != AudioCodec::kNone) {
        d = "rtspsrc name=src location=" + Quote(o.location) +
            " latency=200 src. ! application/x-rtp,media=video ! rtph264depay ! " + kParseTail;
        audio = RtspAudio(o);
      } else {
        d = "rtspsrc location=" + Quote(o.location) + " latency=200 ! rtph264depay ! " +
            kParseTail;
      }
      break;
    case SourceKind::kV4l2:
      d = "v4l2src device=" + Quote(o.location) + " ! " + RawCaps(o) + Encoder(o) + kParseTail;
      break;
  }
  // Files are paced to real time (sync) so their timestamps follow the
  // clock; live sources are taken as they come.
  d += std::string("appsink name=sink max-buffers=64 sync=") +
       (o.kind == SourceKind::kFile ? "true" : "false");
  if (!audio.empty()) d += " " + audio;
  return d;
}

}  // namespace osprey::agent
