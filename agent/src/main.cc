// osprey-agent: capture -> fragmenter -> spool -> uplink.
//
//   osprey-agent --endpoint http://host:port --stream NAME
//                --source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/video0
//                --spool-dir DIR [--spool-bytes N] [--spool-policy drop-oldest|refuse-new]
//                [--fragment-ms 2000] [--region us-east-1] [--retention-hours 24]
//                [--width 640 --height 480 --fps 15 --bitrate-kbps 1000] [--log-level info]
//                [--uplink auto|http|ws] [--ca-file PEM] [--control-endpoint http://host:port]
//
// --uplink: auto (default) picks the WebSocket ingest for ws:// and wss://
// endpoints and chunked HTTP PutMedia for http:// (agent/README.md).
//
// Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN).
// A camera or device whose pipeline fails is restarted with backoff; a file
// ends the agent at its end.
// SIGTERM/SIGINT: stop capture, flush the open fragment into the spool, give
// the uplink up to --drain-ms (5000) to get it PERSISTED, exit 0. What is not
// uploaded stays in the spool for the next start.
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "osprey/agent/capture_source.h"
#include "osprey/agent/fragmenter.h"
#include "osprey/agent/spool.h"
#include "osprey/agent/spool_sink.h"
#include "osprey/agent/uplink.h"
#include "osprey/agent/uplink_transport.h"
#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"

namespace {

using namespace osprey;         // NOLINT
using namespace osprey::agent;  // NOLINT

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// Serialises capture callbacks with the final Flush() and records the end.
class CaptureToFragmenter final : public CaptureSink {
 public:
  explicit CaptureToFragmenter(Fragmenter* f) : f_(f) {}
  void OnFormat(const VideoFormat& v) override { f_->OnFormat(v); }
  void OnAccessUnit(AccessUnit unit) override { f_->OnAccessUnit(std::move(unit)); }
  void OnEnd(const Status& s) override {
    f_->OnEnd(s);
    if (!s.ok()) log::Error("agent", "capture ended", {{"error", s.ToString()}});
    else log::Info("agent", "capture ended (end of stream)");
    ended_ = true;
  }
  bool ended() const { return ended_; }
  // Only between a source's Stop() and the next source's Start().
  void Reset() { ended_ = false; }

 private:
  Fragmenter* f_;
  std::atomic<bool> ended_{false};
};

// Sleeps `d` unless a signal asks the agent to stop first.
void SleepUnlessStopped(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "osprey-agent: %s\nusage: osprey-agent --endpoint http://host:port --stream NAME "
               "--source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/videoN "
               "--spool-dir DIR [--spool-bytes N] [--spool-policy drop-oldest|refuse-new] "
               "[--fragment-ms 2000] [--region R] [--retention-hours H] [--width W] [--height H] "
               "[--fps F] [--bitrate-kbps K] [--drain-ms 5000] [--log-level debug|info|warn|error] "
               "[--uplink auto|http|ws] [--ca-file PEM] [--control-endpoint http://host:port]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (64 MiB reserved,
  // a few MiB touched); the agent's threads (GStreamer streaming, uplink,
  // syncer) need no more than two, which keeps a camera's RSS under the
  // 30 MiB target (bench/agent.sh).
  mallopt(M_ARENA_MAX, 2);
  std::map<std::string, std::string> flags = {
      {"--spool-bytes", std::to_string(uint64_t{1} << 30)}, {"--fragment-ms", "2000"},
      {"--region", "us-east-1"}, {"--retention-hours", "24"}, {"--width", "640"},
      {"--height", "480"}, {"--fps", "15"}, {"--bitrate-kbps", "1000"}, {"--drain-ms", "5000"},
      {"--spool-policy", "drop-oldest"}, {"--log-level", "info"},
      {"--endpoint", ""}, {"--stream", ""}, {"--source", ""}, {"--spool-dir", ""},
      {"--uplink", "auto"}, {"--ca-file", ""}, {"--control-endpoint", ""}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage("missing value for " + arg);
    }
    if (!flags.count(arg)) return Usage("unknown flag " + arg);
    flags[arg] = value;
  }
  for (const char* required : {"--endpoint", "--stream", "--source", "--spool-dir"}) {
    if (flags[required].empty()) return Usage(std::string(required) + " is required");
  }
  log::Level level;
  if (!log::ParseLevel(flags["--log-level"], &level)) return Usage("bad --log-level");
  log::SetLevel(level);
  auto number = [&](const char* name, int64_t min) -> int64_t {
    char* end = nullptr;
    long long v = std::strtoll(flags[name].c_str(), &end, 10);
    if (*end != '\0' || v < min) {
      std::fprintf(stderr, "osprey-agent: bad %s\n", name);
      std::exit(2);
    }
    return v;
  };
  const char* ak = std::getenv("AWS_ACCESS_KEY_ID");
  const char* sk = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (ak == nullptr || sk == nullptr) return Usage("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");

  CaptureOptions capture;
  if (Status s = ParseSource(flags["--source"], &capture); !s.ok()) return Usage(s.message());
  capture.fragment_ms = static_cast<uint32_t>(number("--fragment-ms", 100));
  capture.width = static_cast<uint32_t>(number("--width", 16));
  capture.height = static_cast<uint32_t>(number("--height", 16));
  capture.fps = static_cast<uint32_t>(number("--fps", 1));
  capture.bitrate_kbps = static_cast<uint32_t>(number("--bitrate-kbps", 10));

  SpoolOptions spool_options;
  spool_options.dir = flags["--spool-dir"];
  spool_options.max_bytes = static_cast<uint64_t>(number("--spool-bytes", 64 << 10));
  if (flags["--spool-policy"] == "refuse-new") {
    spool_options.policy = SpoolOverflowPolicy::kRefuseNew;
  } else if (flags["--spool-policy"] != "drop-oldest") {
    return Usage("bad --spool-policy");
  }
  Result<std::unique_ptr<Spool>> spool = Spool::Open(spool_options);
  if (!spool.ok()) {
    log::Error("agent", "cannot open the spool", {{"error", spool.status().ToString()}});
    return 1;
  }

  WebSocketTransportOptions uplink_options;
  HttpTransportOptions& transport_options = uplink_options.common;
  uplink_options.ca_file = flags["--ca-file"];
  uplink_options.control_endpoint = flags["--control-endpoint"];
  transport_options.endpoint = flags["--endpoint"];
  transport_options.stream_name = flags["--stream"];
  transport_options.region = flags["--region"];
  transport_options.retention_hours = static_cast<int>(number("--retention-hours", 0));
  transport_options.credentials.access_key_id = ak;
  transport_options.credentials.secret_access_key = sk;
  if (const char* token = std::getenv("AWS_SESSION_TOKEN")) {
    transport_options.credentials.session_token = token;
  }
  Result<UplinkKind> uplink_kind = ParseUplinkKind(flags["--uplink"]);
  if (!uplink_kind.ok()) return Usage(uplink_kind.status().message());
  auto transport = MakeUplinkTransport(*uplink_kind, uplink_options);
  if (!transport.ok()) return Usage(transport.status().message());

  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  Uplink uplink(UplinkOptions{}, spool->get(), transport->get());
  uplink.Start();

  SpoolFragmentSink spool_sink(spool->get(), "agent");
  FragmenterOptions fragmenter_options;
  fragmenter_options.target_ms = capture.fragment_ms;
  fragmenter_options.min_timestamp_ms = (*spool)->LastProducerTimestamp();
  // A SegmentUID that stays the same across restarts (the KVS producer keeps
  // it across sessions), so a restart does not change the stream header and
  // the backlog and the new fragments share one PutMedia session.
  const std::string uid_hex = auth::Sha256Hex("osprey-agent/" + flags["--stream"]);
  for (size_t i = 0; i < 32; i += 2) {
    fragmenter_options.segment_uid.push_back(
        static_cast<char>(std::stoi(uid_hex.substr(i, 2), nullptr, 16)));
  }
  Fragmenter fragmenter(fragmenter_options, &spool_sink);
  CaptureToFragmenter capture_sink(&fragmenter);
  // A camera, a device or the test pattern is live: when its pipeline fails
  // (camera rebooting, network down, device unplugged) or never starts (the
  // camera is still off at boot), it is rebuilt after a backoff of 1 s
  // doubling to 30 s, reset once a pipeline has run for a minute. Footage
  // after the gap gets a discontinuity (the fragmenter sees the clock jump).
  // A file ends the agent: at its end (exit 0) or when it cannot be read (1).
  const bool live = capture.kind != SourceKind::kFile;
  constexpr auto kBackoffMin = std::chrono::milliseconds(1000);
  constexpr auto kBackoffMax = std::chrono::milliseconds(30000);
  auto backoff = kBackoffMin;
  std::unique_ptr<CaptureSource> source;
  auto started_at = std::chrono::steady_clock::now();
  int64_t restarts = 0;
  bool first = true;
  while (!g_stop) {
    if (source == nullptr) {
      auto opened = OpenGstCaptureSource(capture);
      Status started = opened.ok() ? (*opened)->Start(&capture_sink) : opened.status();
      if (!started.ok()) {
        if (!live) {
          log::Error("agent", "cannot start capture", {{"error", started.ToString()}});
          uplink.Stop(std::chrono::milliseconds(0));
          return 1;
        }
        log::Warn("agent", "capture did not start; retrying",
                  {{"error", started.ToString()}, {"backoff_ms", int64_t(backoff.count())}});
        SleepUnlessStopped(backoff);
        backoff = std::min(backoff * 2, kBackoffMax);
        continue;
      }
      source = std::move(*opened);
      started_at = std::chrono::steady_clock::now();
      if (first) {
        log::Info("agent", "running",
                  {{"stream", flags["--stream"]}, {"source", flags["--source"]},
                   {"spool_dir", spool_options.dir},
                   {"uplink", UplinkKindName(*ResolveUplinkKind(*uplink_kind, flags["--endpoint"]))}});
        first = false;
      } else {
        log::Info("agent", "capture restarted", {{"restarts", restarts}});
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!capture_sink.ended()) continue;
    if (!live) break;
    source->Stop();
    source.reset();
    capture_sink.Reset();
    ++restarts;
    if (std::chrono::steady_clock::now() - started_at > std::chrono::minutes(1)) {
      backoff = kBackoffMin;
    }
    log::Warn("agent", "capture lost; restarting", {{"backoff_ms", int64_t(backoff.count())}});
    SleepUnlessStopped(backoff);
    backoff = std::min(backoff * 2, kBackoffMax);
  }
  if (source != nullptr) source->Stop();
  fragmenter.Flush();  // the open fragment starts with an IDR: keep it
  const bool drained = uplink.Stop(std::chrono::milliseconds(number("--drain-ms", 0)));
  const SpoolStats st = (*spool)->Stats();
  const UplinkStats up = uplink.Stats();
  const FragmenterStats& fs = fragmenter.stats();
  log::Info("agent", "stopped",
            {{"drained", drained}, {"fragments", fs.fragments}, {"spool_last_seq", st.last_seq},
             {"spool_acked_seq", st.acked_seq}, {"persisted", up.persisted},
             {"sent", up.fragments_sent}, {"sessions", up.sessions}, {"rejected", up.rejected},
             {"capture_restarts", restarts}, {"dropped_units", fs.dropped_units}, {"repaired_timestamps", fs.repaired_timestamps},
             {"discontinuities", fs.discontinuities}, {"spool_dropped", st.dropped_fragments}});
  return 0;
}
