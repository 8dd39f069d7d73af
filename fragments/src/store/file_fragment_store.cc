// FileFragmentStore: every stream folder under one root, one shared Syncer.
// Private to the store; the public entry point is OpenFileFragmentStore().

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>

#include "osprey/base/logging.h"
#include "store/file_fragment_log.h"
#include "store/syncer.h"

namespace osprey::fragments {
namespace {

using store::FileFragmentLog;
using store::Syncer;

StoreOptions WithDefaults(StoreOptions o) {
  if (!o.clock) {
    o.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!o.sync) {
    o.sync = [](int fd) {
      return ::fdatasync(fd) == 0 ? Status::Ok() : Status::FromErrno("fdatasync", errno);
    };
  }
  return o;
}

bool ValidStreamId(const std::string& id) {
  if (id.empty() || id.size() > 255 || id == "." || id == "..") return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

class FileFragmentStore final : public FragmentStore {
 public:
  explicit FileFragmentStore(const StoreOptions& options)
      : options_(WithDefaults(options)), injected_sync_(static_cast<bool>(options.sync)) {}

  ~FileFragmentStore() override {
    (void)Close();
  }

  Status Open() {
    std::error_code ec;
    std::filesystem::create_directories(options_.root, ec);
    if (ec) return Status::IOError("create " + options_.root + ": " + ec.message());
    // One process per root: an advisory lock, dropped by the kernel when the
    // holder dies, so kill -9 leaves nothing stale.
    const std::string lock_path = options_.root + "/LOCK";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) return Status::FromErrno("open " + lock_path, errno);
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return errno == EWOULDBLOCK ? Status::FailedPrecondition(options_.root + " is already open")
                                  : Status::FromErrno("flock " + lock_path, errno);
    }
    root_fd_ = ::open(options_.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) return Status::FromErrno("open " + options_.root, errno);
    // An injected sync seam (tests counting calls) is never bypassed by syncfs.
    syncer_ = std::make_shared<Syncer>(options_, root_fd_, /*allow_syncfs=*/!injected_sync_);
    DIR* d = ::opendir(options_.root.c_str());
    if (d == nullptr) return Status::FromErrno("opendir " + options_.root, errno);
    std::vector<std::string> ids;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (!ValidStreamId(name)) continue;
      struct stat st;
      if (::fstatat(root_fd_, name.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) {
        ids.push_back(name);
      }
    }
    ::closedir(d);
    for (const auto& id : ids) {
      OSPREY_ASSIGN_OR_RETURN(auto log,
                              FileFragmentLog::Open(options_.root + "/" + id, options_, syncer_));
      logs_[id] = std::move(log);
    }
    syncer_->Start();
    return Status::Ok();
  }

  Result<std::shared_ptr<FragmentLog>> OpenStream(const std::string& id) override {
    if (!ValidStreamId(id)) return Status::InvalidArgument("bad stream id: " + id);
    std::lock_guard lock(mu_);
    if (closed_) return Status::FailedPrecondition("fragment store is closed");
    if (auto it = logs_.find(id); it != logs_.end()) return std::shared_ptr<FragmentLog>(it->second);
    OSPREY_ASSIGN_OR_RETURN(auto log,
                            FileFragmentLog::Open(options_.root + "/" + id, options_, syncer_));
    // The new folder's entry must survive a crash before its files matter.
    OSPREY_RETURN_IF_ERROR(SyncDirectory(options_.root));
    logs_[id] = log;
    return std::shared_ptr<FragmentLog>(std::move(log));
  }

  std::vector<std::string> StreamIds() const override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, log] : logs_) out.push_back(id);
    return out;
  }

  Status DeleteStream(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = logs_.find(id);
    if (it == logs_.end()) return Status::NotFound("no stream " + id);
    std::shared_ptr<FileFragmentLog> log = it->second;
    logs_.erase(it);
    log->Shut(/*deleted=*/true);  // fails new appends, waits for in-flight ones
    std::error_code ec;
    std::filesystem::remove_all(log->dir(), ec);
    if (ec) return Status::IOError("remove " + log->dir() + ": " + ec.message());
    log::Info("fragments", "stream deleted", {{"dir", log->dir()}});
    return SyncDirectory(options_.root);
  }

  Status Close() override {
    std::map<std::string, std::shared_ptr<FileFragmentLog>> logs;
    {
      std::lock_guard lock(mu_);
      if (closed_) return Status::Ok();
      closed_ = true;
      logs.swap(logs_);
    }
    for (auto& [id, log] : logs) log->Shut(/*deleted=*/false);
    if (syncer_) syncer_->Close();
    // Another store may open the root now. Logs still held by callers keep
    // their segment fds for reads; appends to them fail.
    std::lock_guard lock(mu_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
    if (root_fd_ >= 0) ::close(root_fd_);
    lock_fd_ = root_fd_ = -1;
    return Status::Ok();
  }

 private:
  const StoreOptions options_;
  const bool injected_sync_;
  int lock_fd_ = -1;  // flock'ed LOCK file; set by Open, closed by Close
  int root_fd_ = -1;  // for syncfs
  std::shared_ptr<Syncer> syncer_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileFragmentLog>> logs_;  // GUARDED_BY(mu_)
  bool closed_ = false;                                           // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<FragmentStore>> OpenFileFragmentStore(const StoreOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("fragment store root is empty");
  auto store = std::make_unique<FileFragmentStore>(options);
  OSPREY_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<FragmentStore>(std::move(store));
}

}  // namespace osprey::fragments
