// osprey-test-rtsp-camera: an RTSP IP-camera stand-in for the agent's tests
// and benchmarks, on gst-rtsp-server (Debian libgstrtspserver-1.0-dev).
//
//   osprey-test-rtsp-camera [--port 0] [--path /cam] [--transport any|tcp|udp]
//       [--width 640 --height 480 --fps 30 --bitrate-kbps 2000 --gop 30 --pattern ball]
//       [--audio none|aac|opus] [--file PATH]
//
// Without --file it is a live camera: videotestsrc (a moving pattern) encoded
// by x264 at the given size, rate, bitrate and GOP, no B-frames; --audio adds
// a second stream, a 440 Hz tone at 48 kHz stereo, as AAC (RTP
// MPEG4-GENERIC, RFC 3640, what most cameras send) or Opus (RFC 7587). With --file
// it serves the H.264 of PATH (raw Annex B, MP4, MKV: whatever parsebin
// reads) without re-encoding, looping forever with timestamps that keep
// increasing, so a test can compare what a client stored with the file's own
// bytes and decoded frames. The file is read into memory once at start.
//
// It serves on 127.0.0.1 only. When ready it prints one line, the URL
// (rtsp://127.0.0.1:PORT/PATH), on stdout; --port 0 picks a free port.
// SIGTERM or SIGINT stops it (exit 0). Bad flags exit 2; an unreadable file
// or a file without H.264 video exits 1 with the reason on stderr.
//
// Threading: everything runs on the GLib main loop thread, except the
// appsrc need-data callback, which runs on the media's streaming thread and
// touches only its own per-media counter and the read-only frame list.
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib-unix.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Options {
  int port = 0;
  std::string path = "/cam";
  std::string transport = "any";
  int width = 640, height = 480, fps = 30, bitrate_kbps = 2000, gop = 30;
  std::string pattern = "ball";
  std::string audio = "none";
  std::string file;
};

// The pre-encoded clip: one buffer per access unit, in decode order, the
// first one an IDR. Written once before the server starts, then read-only.
struct Clip {
  std::vector<GstBuffer*> frames;
  GstCaps* caps = nullptr;
  GstClockTime frame_duration = 0;
};

Clip g_clip;

constexpr const char* kUsage =
    "usage: osprey-test-rtsp-camera [--port N] [--path /cam] [--transport any|tcp|udp] "
    "[--width W] [--height H] [--fps F] [--bitrate-kbps K] [--gop G] [--pattern NAME] "
    "[--audio none|aac|opus] [--file PATH]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "osprey-test-rtsp-camera: %s\n%s", why.c_str(), kUsage);
  return 2;
}

std::string Quote(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// Reads every H.264 access unit of `path` through parsebin and h264parse.
// Returns an empty string on success, else the reason.
std::string LoadClip(const std::string& path, int fallback_fps) {
  const std::string description =
      "filesrc location=" + Quote(path) +
      " ! parsebin ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au"
      " ! appsink name=sink sync=false max-buffers=0";
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (error != nullptr) {
    std::string msg = error->message;
    g_error_free(error);
    if (pipeline != nullptr) gst_object_unref(pipeline);
    return "cannot build the reader pipeline: " + msg;
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  std::string failure;
  while (true) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 10);
    if (sample == nullptr) {
      if (gst_app_sink_is_eos(GST_APP_SINK(sink))) break;
      if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
        GError* err = nullptr;
        gst_message_parse_error(m, &err, nullptr);
        // Not-linked (a stream h264parse cannot take) surfaces as a generic
        // data-flow error, hence the hint.
        failure = std::string("cannot read H.264 video from ") + path + ": " +
                  (err ? err->message : "error") + " (is it a file with H.264 video?)";
        if (err) g_error_free(err);
        gst_message_unref(m);
        break;
      }
      continue;
    }
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    const bool key = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    if (g_clip.caps == nullptr) g_clip.caps = gst_caps_copy(gst_sample_get_caps(sample));
    // A loop must restart on a keyframe: leading non-key units are dropped.
    if (key || !g_clip.frames.empty()) g_clip.frames.push_back(gst_buffer_ref(buffer));
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  if (!failure.empty()) return failure;
  if (g_clip.frames.empty()) return path + " has no H.264 video";
  int num = 0, den = 1;
  const GstStructure* s = gst_caps_get_structure(g_clip.caps, 0);
  if (!gst_structure_get_fraction(s, "framerate", &num, &den) || num <= 0 || den <= 0) {
    num = fallback_fps;
    den = 1;
  }
  g_clip.frame_duration = gst_util_uint64_scale(GST_SECOND, den, num);
  return "";
}

// Per-media playback position (a shared media has one; each new media after
// all clients left starts again at frame 0, like a camera just switched on).
struct Playback {
  uint64_t next = 0;
};

void OnNeedData(GstElement* appsrc, guint, gpointer user) {
  auto* play = static_cast<Playback*>(user);
  const uint64_t i = play->next++;
  // A shallow copy shares the memory and gets its own timestamps: the
  // bytes sent are the file's, the timeline keeps increasing across loops.
  GstBuffer* buffer = gst_buffer_copy(g_clip.frames[i % g_clip.frames.size()]);
  GST_BUFFER_PTS(buffer) = i * g_clip.frame_duration;
  GST_BUFFER_DTS(buffer) = i * g_clip.frame_duration;
  GST_BUFFER_DURATION(buffer) = g_clip.frame_duration;
  gst_app_src_push_buffer(GST_APP_SRC(appsrc), buffer);
}

void OnMediaConfigure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer) {
  GstElement* bin = gst_rtsp_media_get_element(media);
  GstElement* appsrc = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");
  g_object_set(appsrc, "format", GST_FORMAT_TIME, "caps", g_clip.caps, nullptr);
  auto* play = new Playback;
  // Freed with the media's pipeline.
  g_object_set_data_full(G_OBJECT(bin), "osprey-playback", play,
                         [](gpointer p) { delete static_cast<Playback*>(p); });
  g_signal_connect(appsrc, "need-data", G_CALLBACK(OnNeedData), play);
  gst_object_unref(appsrc);
  gst_object_unref(bin);
}

gboolean OnSignal(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop*>(loop));
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string> values;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage("missing value for " + arg);
    }
    values[arg] = value;
  }
  auto number = [&](const char* name, int* out, int min, int max) {
    auto it = values.find(name);
    if (it == values.end()) return true;
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v < min || v > max) return false;
    *out = static_cast<int>(v);
    values.erase(it);
    return true;
  };
  if (!number("--port", &o.port, 0, 65535)) return Usage("bad --port");
  if (!number("--width", &o.width, 16, 7680)) return Usage("bad --width");
  if (!number("--height", &o.height, 16, 4320)) return Usage("bad --height");
  if (!number("--fps", &o.fps, 1, 240)) return Usage("bad --fps");
  if (!number("--bitrate-kbps", &o.bitrate_kbps, 10, 200000)) return Usage("bad --bitrate-kbps");
  if (!number("--gop", &o.gop, 1, 10000)) return Usage("bad --gop");
  for (auto [name, field] : {std::pair{"--path", &o.path}, {"--transport", &o.transport},
                             {"--pattern", &o.pattern}, {"--audio", &o.audio},
                             {"--file", &o.file}}) {
    if (auto it = values.find(name); it != values.end()) {
      *field = it->second;
      values.erase(it);
    }
  }
  if (!values.empty()) return Usage("unknown flag " + values.begin()->first);
  if (o.path.empty() || o.path[0] != '/') return Usage("--path must start with /");
  if (o.audio != "none" && o.audio != "aac" && o.audio != "opus") {
    return Usage("--audio must be none, aac or opus");
  }
  if (o.audio != "none" && !o.file.empty()) return Usage("--audio is for the live camera only");
  GstRTSPLowerTrans protocols;
  if (o.transport == "any") {
    protocols = static_cast<GstRTSPLowerTrans>(GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_TCP);
  } else if (o.transport == "tcp") {
    protocols = GST_RTSP_LOWER_TRANS_TCP;
  } else if (o.transport == "udp") {
    protocols = GST_RTSP_LOWER_TRANS_UDP;
  } else {
    return Usage("--transport must be any, tcp or udp");
  }

  gst_init(nullptr, nullptr);
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  std::string launch;
  if (!o.file.empty()) {
    if (std::string why = LoadClip(o.file, o.fps); !why.empty()) {
      std::fprintf(stderr, "osprey-test-rtsp-camera: %s\n", why.c_str());
      return 1;
    }
    launch = "( appsrc name=src ! rtph264pay name=pay0 pt=96 config-interval=-1 )";
    g_signal_connect(factory, "media-configure", G_CALLBACK(OnMediaConfigure), nullptr);
    std::fprintf(stderr, "osprey-test-rtsp-camera: %zu frames from %s, %.3f fps, looping\n",
                 g_clip.frames.size(), o.file.c_str(), 1e9 / static_cast<double>(g_clip.frame_duration));
  } else {
    launch = "( videotestsrc is-live=true pattern=" + o.pattern + " ! video/x-raw,width=" +
             std::to_string(o.width) + ",height=" + std::to_string(o.height) +
             ",framerate=" + std::to_string(o.fps) +
             "/1 ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=" +
             std::to_string(o.gop) + " bitrate=" + std::to_string(o.bitrate_kbps) +
             " option-string=scenecut=0 ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1";
    if (o.audio != "none") {
      launch += " audiotestsrc is-live=true wave=sine freq=440 volume=0.05 ! "
                "audio/x-raw,rate=48000,channels=2 ! audioconvert ! ";
      launch += o.audio == "aac" ? "voaacenc bitrate=64000 ! aacparse ! rtpmp4gpay name=pay1 pt=97"
                                 : "opusenc bitrate=64000 ! rtpopuspay name=pay1 pt=97";
    }
    launch += " )";
  }
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_set_protocols(factory, protocols);

  GstRTSPServer* server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, std::to_string(o.port).c_str());
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, o.path.c_str(), factory);  // takes the factory
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, nullptr) == 0) {
    std::fprintf(stderr, "osprey-test-rtsp-camera: cannot listen on 127.0.0.1:%d\n", o.port);
    return 1;
  }
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGTERM, OnSignal, loop);
  g_unix_signal_add(SIGINT, OnSignal, loop);
  std::printf("rtsp://127.0.0.1:%d%s\n", gst_rtsp_server_get_bound_port(server), o.path.c_str());
  std::fflush(stdout);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  g_object_unref(server);
  for (GstBuffer* b : g_clip.frames) gst_buffer_unref(b);
  if (g_clip.caps != nullptr) gst_caps_unref(g_clip.caps);
  return 0;
}
