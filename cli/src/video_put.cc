// osprey video put: upload a file, or a camera for as long as it runs, once.
//
//   osprey video put FILE|rtsp://...|v4l2:/dev/videoN --stream S [--fragment-ms MS]
//
// The upload is osprey-agent's own: the CLI runs the osprey-agent installed
// next to it (else the one on PATH) with a fresh spool directory, so a file
// is fragmented, timestamped and acknowledged exactly as a camera's footage
// is (and the stream is created when missing). Footage is sent at its own
// pace (a 60 s file takes about 60 s; producer timestamps are the upload's
// wall clock); a camera runs until Ctrl-C, which the agent turns into a
// drain of what it holds. The spool is deleted when the agent exits 0 with
// everything PERSISTED, and kept (its path printed) otherwise, so a later
// `osprey-agent --spool-dir` run can finish the upload.
//
// Exit codes: 0 uploaded, 1 the agent failed (its last log lines shown), 2
// bad usage.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_util.h"

namespace osprey::cli {
namespace {

namespace fs = std::filesystem;

// osprey-agent beside /proc/self/exe, else found through PATH by execvp.
std::string AgentPath() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "osprey-agent";
    if (fs::exists(beside, ec)) return beside.string();
  }
  return "osprey-agent";
}

// The agent's --source for what the user gave.
std::string SourceFor(const std::string& what) {
  if (what.starts_with("rtsp://") || what.starts_with("rtsps://") || what.starts_with("v4l2:") ||
      what.starts_with("file:") || what == "testsrc") {
    return what;
  }
  return "file:" + fs::absolute(what).string();
}

// Runs the agent; returns its exit status (or 128 + signal).
int RunAgent(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Ctrl-C goes to the whole foreground group: the agent drains on it, and
  // the CLI waits for the agent instead of dying first.
  struct sigaction ignore{}, old_int{}, old_term{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGTERM, &ignore, &old_term);
  const pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    FILE* log = std::fopen(log_path.c_str(), "w");
    if (log != nullptr) {
      dup2(fileno(log), STDERR_FILENO);
      dup2(fileno(log), STDOUT_FILENO);
    }
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (pid < 0) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> all;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return all;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f) != nullptr) all.emplace_back(buf);
  std::fclose(f);
  return all;
}

std::string Tail(const std::vector<std::string>& all, size_t lines) {
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i];
  return out;
}

// The agent's final "msg=stopped ..." line (other output, e.g. a sanitizer's
// report, may follow it); "" when it never got there.
std::string StoppedLine(const std::vector<std::string>& all) {
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->find(" msg=stopped ") != std::string::npos) return *it;
  }
  return "";
}

}  // namespace

int VideoPut(const std::vector<std::string>& args) {
  // One positional argument (what to upload); everything else is flags.
  static const std::vector<std::string> kValueFlags = {"--stream", "--fragment-ms", "--endpoint",
                                                       "--region", "--ca-bundle"};
  std::string what;
  std::vector<std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool takes_value = std::find(kValueFlags.begin(), kValueFlags.end(), a) != kValueFlags.end();
    if (takes_value && i + 1 < args.size()) {
      flags.push_back(a);
      flags.push_back(args[++i]);
    } else if (!a.starts_with("-") && what.empty()) {
      what = a;
    } else {
      flags.push_back(a);
    }
  }
  auto parsed = ParseApiCommand(flags, {"--stream", "--fragment-ms"}, {}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  if (what.empty()) {
    return Report(Status::InvalidArgument("what to upload is missing: osprey video put FILE|URL "
                                          "--stream S"),
                  kExitUsage);
  }
  const std::string source = SourceFor(what);
  if (source.starts_with("file:") && !fs::is_regular_file(source.substr(5))) {
    return Report(Status::NotFound("no such file: " + source.substr(5)), kExitUsage);
  }
  ApiCommand& p = *parsed;
  // A server that is not there (or refuses these keys) is said at once,
  // instead of after the agent has recorded the whole file and given up
  // draining it.
  auto check = CallApi(p.connection, client::KvsCall("/listStreams"), "{\"MaxResults\":1}");
  if (!check.ok()) return Report(check.status(), kExitFailed);
  const char* tmp = std::getenv("TMPDIR");
  std::string spool_pattern = (tmp != nullptr && *tmp ? std::string(tmp) : "/tmp") +
                              "/osprey-put-XXXXXX";
  std::vector<char> spool_buf(spool_pattern.begin(), spool_pattern.end());
  spool_buf.push_back('\0');
  if (mkdtemp(spool_buf.data()) == nullptr) {
    return Report(Status::FromErrno("mkdtemp " + spool_pattern, errno), kExitFailed);
  }
  const std::string spool = spool_buf.data();
  const client::Url& url = p.connection.url;
  const std::string endpoint = (url.tls ? "https://" : "http://") + url.host + ":" +
                               std::to_string(url.port);
  std::vector<std::string> argv = {AgentPath(), "--endpoint", endpoint, "--stream",
                                   p.flags["--stream"], "--source", source, "--spool-dir",
                                   spool + "/spool", "--region", p.connection.region,
                                   "--drain-ms", "60000"};
  if (!url.ca_file.empty()) {
    argv.push_back("--ca-file");
    argv.push_back(url.ca_file);
  }
  if (p.Has("--fragment-ms")) {
    argv.push_back("--fragment-ms");
    argv.push_back(p.flags["--fragment-ms"]);
  }
  const std::string log = spool + "/agent.log";
  std::fprintf(stderr, "uploading %s to %s (Ctrl-C stops a camera)\n", what.c_str(),
               p.flags["--stream"].c_str());
  const int rc = RunAgent(argv, log);
  const std::vector<std::string> lines = Lines(log);
  const std::string stopped = StoppedLine(lines);
  if (rc != 0 || stopped.find(" drained=true") == std::string::npos) {
    std::fprintf(stderr, "%s", Tail(lines, 5).c_str());
    return Report(Status::Unavailable("the upload did not finish (osprey-agent exit " +
                                      std::to_string(rc) + "); what was not acknowledged is "
                                      "kept in " + spool + "/spool"),
                  kExitFailed);
  }
  // "... msg=stopped drained=true fragments=N ... persisted=N ..."
  std::string persisted = "?";
  if (size_t at = stopped.find(" persisted="); at != std::string::npos) {
    size_t end = stopped.find_first_of(" \n", at + 11);
    persisted = stopped.substr(at + 11, end - at - 11);
  }
  std::error_code ec;
  fs::remove_all(spool, ec);
  std::printf("uploaded %s to %s: %s fragments persisted\n", what.c_str(),
              p.flags["--stream"].c_str(), persisted.c_str());
  return kExitOk;
}

}  // namespace osprey::cli
