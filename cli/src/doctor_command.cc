// osprey doctor: what stands between this machine and a working Osprey.
//
//   osprey doctor [--endpoint URL] [--region R] [--stale-seconds N] [--json]
//
// Checks, in order, each "ok", "warn" or "FAIL" with one line saying what
// was found and, when it is not ok, what to do:
//   server       GET /healthz answers 200 (and how fast)
//   clock        the server's Date against this machine's clock: SigV4
//                refuses requests more than 5 minutes off (FAIL), and
//                producer timestamps drift with it (warn beyond 30 s)
//   credentials  a signed ListStreams is accepted
//   streams      every video stream has a fragment newer than
//                --stale-seconds (default 60): a camera that stopped
//                sending shows here
//   gstreamer    the elements osprey-agent and ospreysink build their
//                pipelines from, and ospreysink itself, are installed
//   ffmpeg       ffprobe/ffmpeg, which the docs use to check footage
// Later checks that need the server are skipped when it is unreachable.
// Exit code 0 when nothing failed (warnings allowed), 1 otherwise.
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "cli_util.h"
#include "osprey/base/json_writer.h"
#include "osprey/client/list_fragments.h"

namespace osprey::cli {
namespace {

enum class Verdict { kOk, kWarn, kFail, kSkipped };

struct Check {
  std::string name;
  Verdict verdict = Verdict::kOk;
  std::string detail;
};

const char* VerdictText(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "ok";
    case Verdict::kWarn: return "warn";
    case Verdict::kFail: return "FAIL";
    case Verdict::kSkipped: return "skipped";
  }
  return "?";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "Sun, 29 Nov 2026 10:15:02 GMT" -> epoch ms; -1 when it does not parse.
int64_t ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// Runs `command` through sh with its output discarded; true on exit 0.
bool Succeeds(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

struct ServerProbe {
  bool reachable = false;
  int64_t clock_offset_ms = 0;  // server minus local
  bool has_date = false;
};

Check CheckServer(const Connection& c, ServerProbe* probe) {
  Check check{"server", Verdict::kOk, ""};
  const std::string where = "http://" + c.url.host + ":" + std::to_string(c.url.port);
  const int64_t sent = NowMs();
  auto conn = client::HttpConnection::Connect(c.url, std::chrono::milliseconds(3000),
                                              std::chrono::milliseconds(5000));
  Result<client::ResponseHead> head = Status::Unavailable("not sent");
  if (conn.ok()) {
    Status s = (*conn)->SendAll("GET /healthz HTTP/1.1\r\nHost: " + c.url.host +
                                "\r\nConnection: close\r\n\r\n");
    head = s.ok() ? (*conn)->ReadResponseHead() : Result<client::ResponseHead>(s);
  }
  const int64_t received = NowMs();
  if (!conn.ok() || !head.ok()) {
    check.verdict = Verdict::kFail;
    check.detail = "cannot reach " + where + " (" +
                   (conn.ok() ? head.status().message() : conn.status().message()) +
                   "): is osprey-server running, and is --endpoint / OSPREY_ENDPOINT right?";
    return check;
  }
  probe->reachable = true;
  const int64_t server_ms = ParseHttpDate(head->Header("Date"));
  if (server_ms >= 0) {
    probe->has_date = true;
    // The Date has one-second resolution: compare with the middle of the
    // exchange and allow for the truncation.
    probe->clock_offset_ms = server_ms + 500 - (sent + received) / 2;
  }
  if (head->status != 200) {
    check.verdict = Verdict::kFail;
    check.detail = where + "/healthz answered HTTP " + std::to_string(head->status) +
                   ": something other than osprey-server listens there?";
    return check;
  }
  check.detail = where + " answers /healthz in " + std::to_string(received - sent) + " ms";
  return check;
}

Check CheckClock(const ServerProbe& probe) {
  Check check{"clock", Verdict::kOk, ""};
  if (!probe.has_date) {
    check.verdict = Verdict::kSkipped;
    check.detail = "the server sent no Date header";
    return check;
  }
  const double off_s = static_cast<double>(probe.clock_offset_ms) / 1000.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "server clock %+.1f s from this machine's", off_s);
  check.detail = buf;
  if (std::fabs(off_s) > 300) {
    check.verdict = Verdict::kFail;
    check.detail += ": signed requests are refused beyond 5 minutes; sync both clocks (NTP)";
  } else if (std::fabs(off_s) > 30) {
    check.verdict = Verdict::kWarn;
    check.detail += ": producer timestamps will disagree with server time; enable NTP";
  }
  return check;
}

Check CheckCredentials(const Connection& c) {
  Check check{"credentials", Verdict::kOk, ""};
  if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty()) {
    check.verdict = Verdict::kFail;
    check.detail = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the server prints "
                   "its key at first start; DATA_DIR/credentials.toml keeps it)";
    return check;
  }
  auto r = client::PostJson(c.url, client::KvsCall("/listStreams"), "{}", c.credentials, c.region,
                            std::chrono::milliseconds(10000));
  if (!r.ok()) {
    check.verdict = Verdict::kFail;
    check.detail = r.status().message();
  } else if (r->status != 200) {
    check.verdict = Verdict::kFail;
    check.detail = client::ApiError(*r).message();
    if (r->error_type == "UnrecognizedClientException") {
      check.detail += " (use a key from the server's DATA_DIR/credentials.toml)";
    } else if (r->error_type == "InvalidSignatureException") {
      check.detail += " (AWS_SECRET_ACCESS_KEY does not match the access key)";
    }
  } else {
    check.detail = "access key " + c.credentials.access_key_id + " accepted";
  }
  return check;
}

Check CheckStreams(const Connection& c, int64_t stale_ms) {
  Check check{"streams", Verdict::kOk, ""};
  auto listed = CallApi(c, client::KvsCall("/listStreams"), "{\"MaxResults\":10000}");
  if (!listed.ok()) {
    check.verdict = Verdict::kFail;
    check.detail = listed.status().message();
    return check;
  }
  std::vector<std::string> names;
  if (const Value* infos = listed->Find("StreamInfoList");
      infos != nullptr && infos->type() == Value::Type::kArray) {
    for (const Value& info : infos->as_array()) names.push_back(Text(info, "StreamName"));
  }
  if (names.empty()) {
    check.verdict = Verdict::kWarn;
    check.detail = "no video streams yet (osprey video create, or start osprey-agent)";
    return check;
  }
  const int64_t now = NowMs();
  std::string quiet;
  size_t quiet_count = 0;
  for (const std::string& name : names) {
    client::ProducerTimeRange range;
    range.url = c.url;
    range.credentials = c.credentials;
    range.region = c.region;
    range.stream_name = name;
    range.from_ms = now - stale_ms;
    range.to_ms = now + 60'000;  // a producer clock slightly ahead still counts
    auto fragments = client::ListFragmentsByProducerTime(range);
    if (fragments.ok() && !fragments->empty()) continue;
    ++quiet_count;
    if (!quiet.empty()) quiet += ", ";
    quiet += name;
    if (!fragments.ok()) quiet += " (" + fragments.status().message() + ")";
  }
  const std::string window = std::to_string(stale_ms / 1000) + " s";
  if (quiet_count == 0) {
    check.detail = std::to_string(names.size()) + " video stream(s), each with a fragment in the last " +
                   window;
    return check;
  }
  check.verdict = Verdict::kWarn;
  check.detail = std::to_string(quiet_count) + " of " + std::to_string(names.size()) +
                 " video stream(s) received nothing in the last " + window + ": " + quiet;
  return check;
}

Check CheckGStreamer() {
  Check check{"gstreamer", Verdict::kOk, ""};
  if (!Succeeds("command -v gst-inspect-1.0")) {
    check.verdict = Verdict::kWarn;
    check.detail = "gst-inspect-1.0 not found: osprey-agent needs GStreamer (apt install "
                   "gstreamer1.0-tools and the plugin packages)";
    return check;
  }
  struct Element {
    const char* name;
    const char* package;
  };
  static const Element kElements[] = {
      {"videotestsrc", "gstreamer1.0-plugins-base"}, {"videoconvert", "gstreamer1.0-plugins-base"},
      {"appsink", "gstreamer1.0-plugins-base"},      {"decodebin", "gstreamer1.0-plugins-base"},
      {"rtspsrc", "gstreamer1.0-plugins-good"},      {"rtph264depay", "gstreamer1.0-plugins-good"},
      {"v4l2src", "gstreamer1.0-plugins-good"},      {"h264parse", "gstreamer1.0-plugins-bad"},
      {"x264enc", "gstreamer1.0-plugins-ugly"},
  };
  std::string missing;
  for (const Element& e : kElements) {
    if (Succeeds(std::string("gst-inspect-1.0 --exists ") + e.name)) continue;
    missing += std::string(missing.empty() ? "" : ", ") + e.name + " (" + e.package + ")";
  }
  const bool sink = Succeeds("gst-inspect-1.0 --exists ospreysink");
  if (!missing.empty()) {
    check.verdict = Verdict::kWarn;
    check.detail = "missing: " + missing;
  } else {
    check.detail = "every element osprey-agent uses is installed";
  }
  check.detail += sink ? "; ospreysink found"
                       : "; ospreysink not found (set GST_PLUGIN_PATH to the build's gst-plugins)";
  return check;
}

Check CheckFfmpeg() {
  Check check{"ffmpeg", Verdict::kOk, ""};
  const bool probe = Succeeds("command -v ffprobe");
  const bool mpeg = Succeeds("command -v ffmpeg");
  if (probe && mpeg) {
    check.detail = "ffprobe and ffmpeg found";
  } else {
    check.verdict = Verdict::kWarn;
    check.detail = "ffprobe/ffmpeg not found (apt install ffmpeg): only needed to inspect footage";
  }
  return check;
}

}  // namespace

int DoctorCommand(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
    std::puts("usage: osprey doctor [--endpoint URL] [--region R] [--stale-seconds N] [--json]");
    return kExitOk;
  }
  auto flags = ParseFlags(args, {"--endpoint", "--region", "--ca-bundle", "--profile", "--stale-seconds"}, {"--json"});
  if (!flags.ok()) return Report(flags.status(), kExitUsage);
  auto connection = ConnectionFromFlags(*flags, /*require_credentials=*/false);
  if (!connection.ok()) return Report(connection.status(), kExitUsage);
  const bool json = flags->count("--json") != 0;
  int64_t stale_s = 60;
  if (flags->count("--stale-seconds")) {
    const std::string& text = flags->at("--stale-seconds");
    char* end = nullptr;
    stale_s = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || stale_s < 1) {
      return Report(Status::InvalidArgument("--stale-seconds must be a whole number >= 1"),
                    kExitUsage);
    }
  }
  std::vector<Check> checks;
  ServerProbe probe;
  checks.push_back(CheckServer(*connection, &probe));
  if (probe.reachable) {
    checks.push_back(CheckClock(probe));
    checks.push_back(CheckCredentials(*connection));
    if (checks.back().verdict == Verdict::kOk) {
      checks.push_back(CheckStreams(*connection, stale_s * 1000));
    }
  }
  checks.push_back(CheckGStreamer());
  checks.push_back(CheckFfmpeg());

  bool failed = false;
  for (const Check& c : checks) failed = failed || c.verdict == Verdict::kFail;
  if (json) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("Checks").BeginArray();
    for (const Check& c : checks) {
      w.BeginObject().Key("Check").String(c.name).Key("Result").String(VerdictText(c.verdict));
      w.Key("Detail").String(c.detail).EndObject();
    }
    w.EndArray().Key("Healthy").Bool(!failed).EndObject();
    std::puts(out.c_str());
  } else {
    std::vector<std::vector<std::string>> rows = {{"CHECK", "RESULT", "DETAIL"}};
    for (const Check& c : checks) rows.push_back({c.name, VerdictText(c.verdict), c.detail});
    PrintTable(rows);
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace osprey::cli
