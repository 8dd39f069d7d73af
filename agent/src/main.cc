// osprey-agent: capture -> fragmenter -> spool -> uplink.
//
//   osprey-agent --endpoint http://host:port --stream NAME
//                --source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/video0
//                --spool-dir DIR [--spool-bytes N] [--spool-policy drop-oldest|refuse-new]
//                [--fragment-ms 2000] [--region us-east-1] [--retention-hours 24]
//                [--width 640 --height 480 --fps 15 --bitrate-kbps 1000] [--log-level info]
//
// Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN).
// SIGTERM/SIGINT: stop capture, flush the open fragment into the spool, give
// the uplink up to --drain-ms (5000) to get it PERSISTED, exit 0. What is not
// uploaded stays in the spool for the next start.
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
  void OnAccessUnit(AccessUnit u) override { f_->OnAccessUnit(std::move(u)); }
  void OnEnd(const Status& s) override {
    f_->OnEnd(s);
    if (!s.ok()) log::Error("agent", "capture ended", {{"error", s.ToString()}});
    else log::Info("agent", "capture ended (end of file)");
    ended_ = true;
  }
  bool ended() const { return ended_; }

 private:
  Fragmenter* f_;
  std::atomic<bool> ended_{false};
};

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "osprey-agent: %s\nusage: osprey-agent --endpoint http://host:port --stream NAME "
               "--source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/videoN "
               "--spool-dir DIR [--spool-bytes N] [--spool-policy drop-oldest|refuse-new] "
               "[--fragment-ms 2000] [--region R] [--retention-hours H] [--width W] [--height H] "
               "[--fps F] [--bitrate-kbps K] [--drain-ms 5000] [--log-level debug|info|warn|error]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"--spool-bytes", std::to_string(uint64_t{1} << 30)}, {"--fragment-ms", "2000"},
      {"--region", "us-east-1"}, {"--retention-hours", "24"}, {"--width", "640"},
      {"--height", "480"}, {"--fps", "15"}, {"--bitrate-kbps", "1000"}, {"--drain-ms", "5000"},
      {"--spool-policy", "drop-oldest"}, {"--log-level", "info"},
      {"--endpoint", ""}, {"--stream", ""}, {"--source", ""}, {"--spool-dir", ""}};
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

  HttpTransportOptions transport_options;
  transport_options.endpoint = flags["--endpoint"];
  transport_options.stream_name = flags["--stream"];
  transport_options.region = flags["--region"];
  transport_options.retention_hours = static_cast<int>(number("--retention-hours", 0));
  transport_options.credentials.access_key_id = ak;
  transport_options.credentials.secret_access_key = sk;
  if (const char* token = std::getenv("AWS_SESSION_TOKEN")) {
    transport_options.credentials.session_token = token;
  }
  auto transport = MakeHttpPutMediaTransport(transport_options);
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
  auto source = OpenGstCaptureSource(capture);
  if (!source.ok() || !(*source)->Start(&capture_sink).ok()) {
    log::Error("agent", "cannot start capture",
               {{"error", source.ok() ? "pipeline failed" : source.status().ToString()}});
    uplink.Stop(std::chrono::milliseconds(0));
    return 1;
  }
  log::Info("agent", "running", {{"stream", flags["--stream"]}, {"source", flags["--source"]},
                                 {"spool_dir", spool_options.dir}});
  while (!g_stop && !capture_sink.ended()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*source)->Stop();
  fragmenter.Flush();  // the open fragment starts with an IDR: keep it
  const bool drained = uplink.Stop(std::chrono::milliseconds(number("--drain-ms", 0)));
  const SpoolStats st = (*spool)->Stats();
  const UplinkStats up = uplink.Stats();
  const FragmenterStats& fs = fragmenter.stats();
  log::Info("agent", "stopped",
            {{"drained", drained}, {"fragments", fs.fragments}, {"spool_last_seq", st.last_seq},
             {"spool_acked_seq", st.acked_seq}, {"persisted", up.persisted},
             {"sent", up.fragments_sent}, {"sessions", up.sessions}, {"rejected", up.rejected},
             {"dropped_units", fs.dropped_units}, {"repaired_timestamps", fs.repaired_timestamps},
             {"discontinuities", fs.discontinuities}, {"spool_dropped", st.dropped_fragments}});
  return 0;
}
