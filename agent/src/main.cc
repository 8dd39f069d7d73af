// osprey-agent: capture -> fragmenter -> spool -> uplink, for one camera
// from flags or for many cameras from a TOML file (agent/README.md).
//
//   osprey-agent --endpoint http://host:port --stream NAME
//                --source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/video0
//                --spool-dir DIR [--spool-bytes N] [--spool-policy drop-oldest|refuse-new]
//                [--fragment-ms 2000] [--region us-east-1] [--retention-hours 24]
//                [--width 640 --height 480 --fps 15 --bitrate-kbps 1000] [--log-level info]
//                [--uplink auto|http|ws] [--ca-file PEM] [--control-endpoint http://host:port]
//                [--metrics-listen 127.0.0.1:9471]
//   osprey-agent --config /etc/osprey/agent.toml [--print-config]
//
// Every settings flag is a key of the config table (agent_config.h); --help
// lists them with their defaults.
//
// Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN),
// or access_key_id/secret_access_key in the file. Each camera runs in a
// CameraRunner (camera_runner.h): a camera or device whose pipeline fails is
// restarted with backoff; a file ends its camera at its end, and the agent
// exits once every camera has ended (1 if a file could not be read).
// SIGTERM/SIGINT: stop every capture, flush each open fragment into its
// spool, give the uplinks up to drain_ms (5000), together, to get them
// PERSISTED, exit 0. What is not uploaded stays in the spools.
// Exit 2: a usage or configuration error, with one line naming the key.
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "osprey/agent/agent_config.h"
#include "osprey/agent/camera_runner.h"
#include "osprey/agent/capture_source.h"
#include "osprey/agent/metrics_server.h"
#include "osprey/agent/uplink_transport.h"
#include "osprey/base/logging.h"

namespace {

using namespace osprey;         // NOLINT
using namespace osprey::agent;  // NOLINT

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

// A configuration error: one line naming the key, exit 2.
int ConfigError(const std::string& why) {
  std::fprintf(stderr, "osprey-agent: %s\n", why.c_str());
  return 2;
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "osprey-agent: %s\nusage: osprey-agent --endpoint http://host:port --stream NAME "
               "--source testsrc|file:PATH|file+loop:PATH|rtsp://...|v4l2:/dev/videoN "
               "--spool-dir DIR [--flag VALUE ...]\n"
               "       osprey-agent --config FILE [--print-config]\n"
               "       osprey-agent --help\n",
               why.c_str());
  return 2;
}

void PrintHelp() {
  std::printf(
      "osprey-agent: capture, spool and upload video to an Osprey (or KVS) server.\n\n"
      "  osprey-agent --config FILE [--print-config]   cameras from a TOML file\n"
      "  osprey-agent --FLAG=VALUE ...                  one camera from flags:\n\n");
  for (const AgentFlagHelp& f : AgentFlags()) {
    std::printf("  %s=%s\n      %s\n", f.flag.c_str(), f.default_value.c_str(), f.help.c_str());
  }
}

// Both modes end here: start every camera, supervise, stop on a signal.
int Run(AgentConfig config) {
  log::Level level;
  log::ParseLevel(config.log_level, &level);  // checked by the loader
  log::SetLevel(level);
  if (Status s = ResolveCredentials(&config, [](const char* n) { return std::getenv(n); }); !s.ok()) {
    return Usage(s.message());
  }
  WebSocketTransportOptions transport;
  transport.ca_file = config.ca_file;
  transport.control_endpoint = config.control_endpoint;
  transport.common.endpoint = config.endpoint;
  transport.common.region = config.region;
  transport.common.credentials.access_key_id = config.access_key_id;
  transport.common.credentials.secret_access_key = config.secret_access_key;
  transport.common.credentials.session_token = config.session_token;
  const UplinkKind kind = *ParseUplinkKind(config.uplink);  // checked by the loader

  std::vector<std::unique_ptr<CameraRunner>> runners;
  for (CameraConfig camera : config.cameras) {
    // An encoder asked for by name must exist: a missing one is a setup
    // error (exit 2), not a camera to retry. "auto" is resolved once here
    // too, so the log says which encoder runs.
    Result<VideoEncoder> encoder = ResolveVideoEncoder(camera.capture.encoder);
    if (!encoder.ok()) return Usage(camera.stream + ": " + encoder.status().message());
    if (camera.capture.kind == SourceKind::kTestPattern || camera.capture.kind == SourceKind::kV4l2 ||
        camera.capture.encoder != VideoEncoder::kAuto) {
      log::Info("agent", "video encoder",
                {{"stream", camera.stream}, {"encoder", VideoEncoderName(*encoder)}});
    }
    camera.capture.encoder = *encoder;
    auto runner = CameraRunner::Open({camera, transport, kind});
    if (!runner.ok()) {
      if (runner.status().code() == Status::Code::kInvalidArgument) {
        return Usage(camera.stream + ": " + runner.status().message());
      }
      log::Error("agent", "cannot open the spool",
                 {{"stream", camera.stream}, {"error", runner.status().ToString()}});
      return 1;
    }
    runners.push_back(std::move(*runner));
  }

  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_listen.empty()) {
    auto cameras = [&runners] {
      std::vector<CameraMetrics> out;
      for (const auto& r : runners) out.push_back(r->Metrics());
      return out;
    };
    auto upload = [&runners](std::string_view stream, int64_t from_ms, int64_t to_ms) -> Result<size_t> {
      for (const auto& r : runners) {
        if (r->stream() == stream) return r->QueueUpload(from_ms, to_ms);
      }
      return Status::NotFound("no camera streams to " + std::string(stream));
    };
    auto started = MetricsServer::Start(config.metrics_listen, AgentHttpHandler(cameras, upload));
    if (!started.ok()) {
      log::Error("agent", "cannot serve metrics", {{"error", started.status().ToString()}});
      return started.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
    }
    metrics = std::move(*started);
    log::Info("agent", "serving /metrics", {{"listen", config.metrics_listen},
                                             {"port", int64_t{metrics->port()}}});
  }

  for (auto& r : runners) r->Start();
  while (!g_stop) {
    bool all_finished = true;
    for (auto& r : runners) {
      r->Poll();
      all_finished = all_finished && r->finished();
    }
    if (all_finished) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  bool failed = false;
  for (auto& r : runners) {
    r->StopCapture();
    failed = failed || r->failed();
  }
  // One drain budget for all cameras: each uplink keeps uploading while the
  // ones before it are waited for.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.drain_ms);
  for (auto& r : runners) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    bool drained = r->StopUplink(failed ? std::chrono::milliseconds(0)
                                        : std::max(left, std::chrono::milliseconds(0)));
    r->LogStopped(drained);
  }
  metrics.reset();  // before the runners it reads
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (64 MiB reserved,
  // a few MiB touched); the agent's threads (GStreamer streaming, uplink,
  // syncer) need no more than two, which keeps a camera's RSS under the
  // 30 MiB target (bench/agent.sh).
  mallopt(M_ARENA_MAX, 2);
  std::map<std::string, std::string> flags;
  std::string config_path;
  bool print_config = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintHelp();
      return 0;
    }
    if (arg == "--print-config") {
      print_config = true;
      continue;
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
    if (arg == "--config") {
      config_path = value;
    } else if (IsAgentFlag(arg)) {
      flags[arg] = value;
    } else {
      return Usage("unknown flag " + arg);
    }
  }
  if (!config_path.empty() && !flags.empty()) {
    return Usage("--config takes the settings from the file; " + flags.begin()->first +
                 " cannot be combined with it");
  }
  Result<AgentConfig> config =
      config_path.empty() ? AgentConfigFromFlags(flags) : LoadAgentConfigFile(config_path);
  if (!config.ok()) {
    return config_path.empty() ? Usage(config.status().message())
                               : ConfigError(config.status().message());
  }
  if (print_config) {
    std::fputs(AgentConfigToToml(*config).c_str(), stdout);
    return 0;
  }
  return Run(std::move(config).value());
}
