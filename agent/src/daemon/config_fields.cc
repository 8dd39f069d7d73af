#include "daemon/config_fields.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "osprey/agent/upload_schedule.h"
#include "osprey/agent/uplink_transport.h"
#include "osprey/base/logging.h"

namespace osprey::agent::config_internal {
namespace {

std::string CheckRegion(std::string_view s) {
  bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  return ok ? "" : "must be lowercase letters, digits and hyphens (e.g. us-east-1), got " + Quote(s);
}
std::string CheckAny(std::string_view) { return ""; }
std::string CheckNotEmpty(std::string_view s) { return s.empty() ? "must not be empty" : ""; }
std::string CheckEndpoint(std::string_view s) {
  if (s.empty() || s.starts_with("http://") || s.starts_with("https://") || s.starts_with("ws://") ||
      s.starts_with("wss://")) {
    return "";
  }
  return "endpoint must start with http://, https://, ws:// or wss://, got " + Quote(s);
}
std::string CheckUplink(std::string_view s) {
  auto kind = ParseUplinkKind(s);
  return kind.ok() ? "" : kind.status().message();
}
std::string CheckLogLevel(std::string_view s) {
  log::Level level;
  return log::ParseLevel(s, &level) ? "" : "must be one of debug, info, warn, error; got " + Quote(s);
}
std::string CheckListen(std::string_view s) {
  if (s.empty()) return "";
  size_t colon = s.rfind(':');
  int port = -1;
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view p = s.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty()) port = -1;
  }
  if (port < 0 || port > 65535) return "must be empty (off) or host:port, got " + Quote(s);
  return "";
}
std::string CheckStream(std::string_view s) {
  // KVS stream names: 1-256 of [a-zA-Z0-9_.-]; also a directory name here.
  bool ok = !s.empty() && s.size() <= 256 && s != "." && s != ".." &&
            std::all_of(s.begin(), s.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
            });
  return ok ? "" : "must be 1-256 characters of a-z, A-Z, 0-9, '_', '.', '-', got " + Quote(s);
}
std::string CheckSource(std::string_view s) {
  if (s.empty()) return "";  // required: reported by Finalize
  CaptureOptions scratch;
  Status st = ParseSource(std::string(s), &scratch);
  return st.ok() ? "" : st.message();
}
std::string CheckUpload(std::string_view s) {
  return s == "always" || s == "off" || s == "schedule"
             ? ""
             : "must be \"always\", \"off\" or \"schedule\", got " + Quote(s);
}
std::string CheckCron(std::string_view s) {
  if (s.empty()) return "";  // required with upload = "schedule": Finalize
  auto parsed = UploadSchedule::Parse(s, 1);
  return parsed.ok() ? "" : parsed.status().message();
}
std::string CheckEncoder(std::string_view s) {
  VideoEncoder encoder;
  Status st = ParseVideoEncoder(std::string(s), &encoder);
  return st.ok() ? "" : st.message();
}
std::string CheckAudio(std::string_view s) {
  AudioCodec codec;
  Status st = ParseAudioCodec(std::string(s), &codec);
  return st.ok() ? "" : st.message();
}
std::string CheckPolicy(std::string_view s) {
  return s == "drop-oldest" || s == "refuse-new"
             ? ""
             : "must be \"drop-oldest\" or \"refuse-new\", got " + Quote(s);
}

// Accessors: one lambda pair per row keeps the table declarative.
#define GLOBAL_STR(m)                                                                        \
  [](AgentConfig* a, CameraConfig*, const Value& v) { a->m = std::get<std::string>(v); }, \
      [](const AgentConfig& a, const CameraConfig&) -> Value { return a.m; }
#define GLOBAL_INT(m)                                                                    \
  [](AgentConfig* a, CameraConfig*, const Value& v) { a->m = std::get<int64_t>(v); }, \
      [](const AgentConfig& a, const CameraConfig&) -> Value { return int64_t(a.m); }
#define CAMERA_STR(m)                                                                        \
  [](AgentConfig*, CameraConfig* c, const Value& v) { c->m = std::get<std::string>(v); }, \
      [](const AgentConfig&, const CameraConfig& c) -> Value { return c.m; }
#define CAMERA_INT(m, type)                                                        \
  [](AgentConfig*, CameraConfig* c, const Value& v) {                              \
    c->m = static_cast<type>(std::get<int64_t>(v));                                \
  },                                                                               \
      [](const AgentConfig&, const CameraConfig& c) -> Value { return int64_t(c.m); }

constexpr int64_t kDay = 86'400'000;

const Field kFields[] = {
    // Global.
    {"endpoint", Scope::kGlobal, true, false, 0, 0, CheckEndpoint,
     "server: http:// or https:// (chunked PutMedia), ws:// or wss:// (WebSocket ingest); required",
     GLOBAL_STR(endpoint)},
    {"region", Scope::kGlobal, true, false, 0, 0, CheckRegion, "AWS region in request signatures",
     GLOBAL_STR(region)},
    {"access_key_id", Scope::kGlobal, false, false, 0, 0, CheckAny,
     "access key id; empty: AWS_ACCESS_KEY_ID", GLOBAL_STR(access_key_id)},
    {"secret_access_key", Scope::kGlobal, false, false, 0, 0, CheckAny,
     "secret key; empty: AWS_SECRET_ACCESS_KEY", GLOBAL_STR(secret_access_key)},
    {"session_token", Scope::kGlobal, false, false, 0, 0, CheckAny,
     "session token; empty: AWS_SESSION_TOKEN", GLOBAL_STR(session_token)},
    {"uplink", Scope::kGlobal, true, false, 0, 0, CheckUplink,
     "auto (WebSocket for ws:// and wss://, else PutMedia), http or ws", GLOBAL_STR(uplink)},
    {"ca_file", Scope::kGlobal, true, false, 0, 0, CheckAny,
     "https:// and wss://: PEM CAs trusted instead of the system store", GLOBAL_STR(ca_file)},
    {"control_endpoint", Scope::kGlobal, true, false, 0, 0, CheckAny,
     "DescribeStream/CreateStream endpoint (empty: the endpoint, ws[s]:// read as http[s]://)",
     GLOBAL_STR(control_endpoint)},
    {"spool_root", Scope::kGlobal, false, false, 0, 0, CheckNotEmpty,
     "each camera's spool is SPOOL_ROOT/<stream> unless it sets spool_dir",
     GLOBAL_STR(spool_root)},
    {"log_level", Scope::kGlobal, true, false, 0, 0, CheckLogLevel, "debug, info, warn or error",
     GLOBAL_STR(log_level)},
    {"metrics_listen", Scope::kGlobal, true, false, 0, 0, CheckListen,
     "host:port serving GET /metrics and /healthz (empty: off)", GLOBAL_STR(metrics_listen)},
    {"drain_ms", Scope::kGlobal, true, true, 0, kDay,
     nullptr, "on stop, time the uplinks get to have the spool PERSISTED", GLOBAL_INT(drain_ms)},
    // Per camera.
    {"stream", Scope::kCameraOnly, true, false, 0, 0, CheckStream,
     "video stream name; created on first use; required", CAMERA_STR(stream)},
    {"source", Scope::kCameraOnly, true, false, 0, 0, CheckSource,
     "testsrc, file:PATH, file+loop:PATH, rtsp://..., v4l2:/dev/videoN; required",
     CAMERA_STR(source)},
    {"spool_dir", Scope::kCameraOnly, true, false, 0, 0, CheckAny,
     "spool directory (flags: required; file: default SPOOL_ROOT/<stream>)",
     CAMERA_STR(spool_dir)},
    {"spool_bytes", Scope::kCamera, true, true, 64 << 10, int64_t{1} << 50, nullptr,
     "disk bound of the spool", CAMERA_INT(spool_bytes, uint64_t)},
    {"spool_policy", Scope::kCamera, true, false, 0, 0, CheckPolicy,
     "when the spool is full: drop-oldest or refuse-new",
     [](AgentConfig*, CameraConfig* c, const Value& v) {
       c->spool_policy = std::get<std::string>(v) == "refuse-new" ? SpoolOverflowPolicy::kRefuseNew
                                                                  : SpoolOverflowPolicy::kDropOldest;
     },
     [](const AgentConfig&, const CameraConfig& c) -> Value {
       return std::string(c.spool_policy == SpoolOverflowPolicy::kRefuseNew ? "refuse-new"
                                                                           : "drop-oldest");
     }},
    {"fragment_ms", Scope::kCamera, true, true, 100, 10000, nullptr,
     "target fragment duration (cut at the first IDR after it)", CAMERA_INT(capture.fragment_ms, uint32_t)},
    {"retention_hours", Scope::kCamera, true, true, 0, 87600, nullptr,
     "retention of the stream when the agent creates it", CAMERA_INT(retention_hours, int)},
    {"width", Scope::kCamera, true, true, 16, 8192, nullptr, "encoded width (testsrc, v4l2, files re-encoded)",
     CAMERA_INT(capture.width, uint32_t)},
    {"height", Scope::kCamera, true, true, 16, 8192, nullptr, "encoded height",
     CAMERA_INT(capture.height, uint32_t)},
    {"fps", Scope::kCamera, true, true, 1, 240, nullptr, "encoded frame rate",
     CAMERA_INT(capture.fps, uint32_t)},
    {"bitrate_kbps", Scope::kCamera, true, true, 10, 1'000'000, nullptr, "encoder bit rate",
     CAMERA_INT(capture.bitrate_kbps, uint32_t)},
    {"encoder", Scope::kCamera, true, false, 0, 0, CheckEncoder,
     "H.264 encoder for testsrc, v4l2 and re-encoded files: auto (a hardware encoder "
     "GStreamer has: vaapi, v4l2, nvenc; else x264), x264, vaapi, v4l2 or nvenc",
     [](AgentConfig*, CameraConfig* c, const Value& v) {
       (void)ParseVideoEncoder(std::get<std::string>(v), &c->capture.encoder);  // checked above
     },
     [](const AgentConfig&, const CameraConfig& c) -> Value {
       return std::string(VideoEncoderName(c.capture.encoder));
     }},
    {"audio", Scope::kCamera, true, false, 0, 0, CheckAudio,
     "audio track: none, aac or opus (testsrc encodes it; files and RTSP pass theirs through)",
     [](AgentConfig*, CameraConfig* c, const Value& v) {
       (void)ParseAudioCodec(std::get<std::string>(v), &c->capture.audio);  // checked above
     },
     [](const AgentConfig&, const CameraConfig& c) -> Value {
       return std::string(AudioCodecName(c.capture.audio));
     }},
    // Edge recording and upload schedules (file only).
    {"record_dir", Scope::kCameraOnly, false, false, 0, 0, CheckAny,
     "keep every fragment as an MKV file here (empty: no recording)", CAMERA_STR(record_dir)},
    {"record_hours", Scope::kCamera, false, true, 1, 87600, nullptr,
     "recorded files older than this are deleted", CAMERA_INT(record_hours, int)},
    {"record_bytes", Scope::kCamera, false, true, 64 << 10, int64_t{1} << 50, nullptr,
     "the recording's disk bound (oldest files deleted first)", CAMERA_INT(record_bytes, uint64_t)},
    {"upload", Scope::kCamera, false, false, 0, 0, CheckUpload,
     "always, off (record only) or schedule (upload_schedule windows)", CAMERA_STR(upload)},
    {"upload_schedule", Scope::kCamera, false, false, 0, 0, CheckCron,
     "five-field cron (UTC) of upload window starts", CAMERA_STR(upload_schedule)},
    {"upload_duration_s", Scope::kCamera, false, true, 1, UploadSchedule::kMaxDurationS, nullptr,
     "length of each upload window", CAMERA_INT(upload_duration_s, int64_t)},
};

}  // namespace

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

const Field* Fields() { return kFields; }
size_t FieldCount() { return std::size(kFields); }

const Field* FindByKey(std::string_view key) {
  for (const Field& f : kFields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string FlagName(const Field& f) {
  std::string s = "--" + std::string(f.key);
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

const Field* FindByFlag(std::string_view flag) {
  for (const Field& f : kFields) {
    if (f.flag && FlagName(f) == flag) return &f;
  }
  return nullptr;
}

std::string CheckValue(const Field& f, const Value& v) {
  if (!f.integer) return f.check(std::get<std::string>(v));
  int64_t n = std::get<int64_t>(v);
  if (n >= f.min && n <= f.max) return "";
  return "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max) + ", got " +
         std::to_string(n);
}

Result<Value> ParseText(const Field& f, std::string_view text) {
  if (!f.integer) return Value(std::string(text));
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || end != text.data() + text.size() || ec != std::errc()) {
    return Status::InvalidArgument("must be an integer, got " + Quote(text));
  }
  return Value(n);
}

Status Finalize(AgentConfig* config, bool from_file,
                const std::function<std::string(size_t, std::string_view)>& where_camera,
                const std::function<std::string(std::string_view)>& where_global) {
  if (config->endpoint.empty()) return Status::InvalidArgument(where_global("endpoint") + ": is required");
  Result<UplinkKind> kind = ParseUplinkKind(config->uplink);
  if (kind.ok()) kind = ResolveUplinkKind(*kind, config->endpoint);
  if (!kind.ok()) return Status::InvalidArgument(where_global("uplink") + ": " + kind.status().message());
  if (config->cameras.empty()) {
    return Status::InvalidArgument("camera: at least one [[camera]] table is required");
  }
  std::map<std::string, size_t> streams;
  std::map<std::string, size_t> dirs;
  for (size_t i = 0; i < config->cameras.size(); ++i) {
    CameraConfig& c = config->cameras[i];
    for (std::string_view key : {"stream", "source"}) {
      if (FindByKey(key)->get(*config, c) == Value(std::string())) {
        return Status::InvalidArgument(where_camera(i, key) + ": is required");
      }
    }
    // Keep the encoder settings the keys gave; the source gives the rest.
    if (Status s = ParseSource(c.source, &c.capture); !s.ok()) {
      return Status::InvalidArgument(where_camera(i, "source") + ": " + s.message());
    }
    if (c.spool_dir.empty()) {
      if (!from_file) return Status::InvalidArgument(where_camera(i, "spool_dir") + ": is required");
      c.spool_dir = config->spool_root + "/" + c.stream;
    }
    if (auto [it, fresh] = streams.emplace(c.stream, i); !fresh) {
      return Status::InvalidArgument(where_camera(i, "stream") + ": duplicate stream name " +
                                     Quote(c.stream) + " (also camera[" +
                                     std::to_string(it->second) + "])");
    }
    if (c.upload == "schedule" && c.upload_schedule.empty()) {
      return Status::InvalidArgument(where_camera(i, "upload_schedule") +
                                     ": is required with upload = \"schedule\"");
    }
    if (!c.record_dir.empty()) {
      if (auto [it, fresh] = dirs.emplace(c.record_dir, i); !fresh) {
        return Status::InvalidArgument(where_camera(i, "record_dir") + ": directory " +
                                       Quote(c.record_dir) + " is also used by camera[" +
                                       std::to_string(it->second) + "]");
      }
    }
    if (auto [it, fresh] = dirs.emplace(c.spool_dir, i); !fresh) {
      return Status::InvalidArgument(where_camera(i, "spool_dir") + ": spool directory " +
                                     Quote(c.spool_dir) + " is also camera[" +
                                     std::to_string(it->second) + "]'s");
    }
  }
  return Status::Ok();
}

}  // namespace osprey::agent::config_internal
