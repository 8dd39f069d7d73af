#include "app/auth_keys.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace osprey::server {

namespace {

// Written by the signal handler (async-signal-safe: write(2) only).
std::atomic<int> g_hangup_write_fd{-1};

void OnHangup(int) {
  const int saved = errno;
  const int fd = g_hangup_write_fd.load();
  if (fd >= 0) {
    const char byte = 'H';
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved;
}

}  // namespace

AuthKeys::AuthKeys(std::string path, auth::CredentialStore initial)
    : path_(std::move(path)), current_(std::make_shared<Snapshot>(std::move(initial))) {}

std::shared_ptr<const auth::CredentialStore> AuthKeys::store() const {
  std::shared_ptr<Snapshot> snapshot = current();
  return std::shared_ptr<const auth::CredentialStore>(snapshot, &snapshot->store);
}

Result<std::vector<std::string>> AuthKeys::Reload() {
  OSPREY_ASSIGN_OR_RETURN(auth::LoadedCredentials loaded, auth::CredentialStore::Load(path_));
  current_.store(std::make_shared<Snapshot>(std::move(loaded.store)));
  return std::move(loaded.warnings);
}

Result<std::unique_ptr<HangupWatcher>> HangupWatcher::Start(std::function<void()> on_hangup) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return Status::FromErrno("pipe", errno);
  // The reading end blocks; the handler's end must never block.
  ::fcntl(fds[0], F_SETFL, 0);
  g_hangup_write_fd.store(fds[1]);
  struct sigaction sa {};
  sa.sa_handler = &OnHangup;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(SIGHUP, &sa, nullptr) != 0) {
    const int err = errno;
    g_hangup_write_fd.store(-1);
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::FromErrno("sigaction SIGHUP", err);
  }
  return std::unique_ptr<HangupWatcher>(new HangupWatcher(fds[0], std::move(on_hangup)));
}

HangupWatcher::HangupWatcher(int read_fd, std::function<void()> on_hangup)
    : read_fd_(read_fd), on_hangup_(std::move(on_hangup)), thread_([this] { Run(); }) {}

HangupWatcher::~HangupWatcher() {
  ::signal(SIGHUP, SIG_IGN);
  const int write_fd = g_hangup_write_fd.exchange(-1);
  ::close(write_fd);  // the reader sees end of file and returns
  thread_.join();
  ::close(read_fd_);
}

void HangupWatcher::Run() {
  char buf[16];
  for (;;) {
    const ssize_t n = ::read(read_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    on_hangup_();  // several signals in one read: one reload is enough
  }
}

}  // namespace osprey::server
