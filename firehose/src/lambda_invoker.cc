// MakeMappedInvoker (processor.h): LambdaArn -> local command or HTTP URL.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "http_client.h"
#include "osprey/firehose/processor.h"

namespace osprey::firehose {
namespace {

// Runs `command` under /bin/sh -c with `input` on stdin; returns stdout.
// Reads and writes with poll so a command that answers before reading all
// of its input cannot deadlock us.
Result<std::string> RunCommand(const std::string& command, const std::string& input) {
  // A command that exits without reading its input must not kill us with
  // SIGPIPE: block it on this (worker) thread; write then fails with EPIPE.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Status::FromErrno("pipe", errno);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Status::FromErrno("pipe", errno);
  }
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno("fork", errno);
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  int wfd = in_pipe[1], rfd = out_pipe[0];
  ::fcntl(wfd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  std::string out;
  if (input.empty()) {
    ::close(wfd);
    wfd = -1;
  }
  while (rfd >= 0) {
    pollfd fds[2] = {{rfd, POLLIN, 0}, {wfd, POLLOUT, 0}};
    int n = ::poll(fds, wfd >= 0 ? 2 : 1, 300'000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // timeout (5 min, the Lambda limit) or error
    if (wfd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(wfd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written >= input.size()) {
        ::close(wfd);
        wfd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t r = ::read(rfd, buf, sizeof buf);
      if (r > 0) out.append(buf, static_cast<size_t>(r));
      else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(rfd);
        rfd = -1;
      }
    }
  }
  if (wfd >= 0) ::close(wfd);
  if (rfd >= 0) {
    ::close(rfd);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Unavailable("Lambda.FunctionError: command exited with status " +
                               std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
  return out;
}

class MappedInvoker : public LambdaInvoker {
 public:
  explicit MappedInvoker(std::map<std::string, std::string> functions) : functions_(std::move(functions)) {}

  Result<std::string> Invoke(const std::string& arn, const std::string& event) override {
    auto it = functions_.find(arn);
    if (it == functions_.end()) {
      return Status::NotFound("Lambda.ResourceNotFound: no function configured for " + arn);
    }
    const std::string& target = it->second;
    if (target.rfind("exec:", 0) == 0) return RunCommand(target.substr(5), event);
    auto res = HttpCall("POST", target, {{"Content-Type", "application/json"}}, event, 300'000);
    if (!res.ok()) return Status::Unavailable("Lambda.FunctionError: " + res.status().message());
    if (res->status == 429) return Status::ResourceExhausted("Lambda.InvokeLimitExceeded: HTTP 429");
    if (res->status == 404) return Status::NotFound("Lambda.ResourceNotFound: HTTP 404");
    if (res->status < 200 || res->status >= 300 || !res->Header("X-Amz-Function-Error").empty()) {
      return Status::Unavailable("Lambda.FunctionError: HTTP " + std::to_string(res->status));
    }
    return std::move(res->body);
  }

 private:
  std::map<std::string, std::string> functions_;
};

}  // namespace

std::shared_ptr<LambdaInvoker> MakeMappedInvoker(std::map<std::string, std::string> functions) {
  return std::make_shared<MappedInvoker>(std::move(functions));
}

}  // namespace osprey::firehose
