// StreamEngineImpl: opening, the commit protocol, shard logs, lookups,
// the retention sweep and closing.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <filesystem>
#include <set>

#include "engine_impl.h"
#include "osprey/base/logging.h"
#include "osprey/streams/file_shard_log.h"

namespace osprey::streams {

Result<std::vector<PutRecordResult>> StreamEngine::PutRecords(std::string_view stream,
                                                              std::vector<RecordInput> records) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::vector<PutRecordResult>>> out;
  PutRecordsAsync(stream, std::move(records), [&](Result<std::vector<PutRecordResult>> r) {
    std::lock_guard lock(mu);
    out.emplace(std::move(r));
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return out.has_value(); });
  return std::move(*out);
}

Result<std::unique_ptr<StreamEngine>> OpenStreamEngine(const EngineOptions& options) {
  auto engine = std::make_unique<engine::StreamEngineImpl>(options);
  OSPREY_RETURN_IF_ERROR(engine->Open());
  return std::unique_ptr<StreamEngine>(std::move(engine));
}

namespace engine {
namespace {

namespace fs = std::filesystem;

EngineOptions WithDefaults(EngineOptions o) {
  if (!o.clock) {
    o.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  o.log_options.clock = o.clock;
  return o;
}

void RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) log::Warn("streams", "could not remove directory", {{"path", path}, {"error", ec.message()}});
}

}  // namespace

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

StreamEngineImpl::StreamEngineImpl(EngineOptions options)
    : options_(WithDefaults(std::move(options))),
      registry_path_(options_.root_dir + "/registry"),
      keys_(options_.root_dir + "/master.key") {}

StreamEngineImpl::~StreamEngineImpl() { (void)Close(); }

Status StreamEngineImpl::Open() {
  std::error_code ec;
  fs::create_directories(options_.root_dir + "/streams", ec);
  if (ec) return Status::IOError("create " + options_.root_dir + ": " + ec.message());
  // Two engines on one root would overwrite each other's registry.
  const std::string lock_path = options_.root_dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("open " + lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK ? Status::FailedPrecondition(options_.root_dir + " is already open")
                                : Status::FromErrno("flock " + lock_path, errno);
  }
  OSPREY_ASSIGN_OR_RETURN(meta_, LoadRegistry(registry_path_));
  OSPREY_ASSIGN_OR_RETURN(IteratorCodec codec,
                          IteratorCodec::OpenKeyFile(options_.root_dir + "/iterator.key"));
  codec_ = std::make_unique<IteratorCodec>(std::move(codec));
  RemoveOrphans();
  std::unique_lock lock(mu_);
  for (const auto& [name, s] : meta_.streams) {
    StreamRuntime& rt = runtime_[name];
    rt.dir = StreamDir(s);
    for (const auto& sh : s.shards) {
      OSPREY_ASSIGN_OR_RETURN(rt.shards[sh.index], OpenShard(rt.dir, sh.index));
    }
    RebuildRoutesLocked(s, &rt);
  }
  return Status::Ok();
}

void StreamEngineImpl::RemoveOrphans() {
  std::set<std::string> streams;
  for (const auto& [name, s] : meta_.streams) {
    const std::string dir = StreamDir(s);
    streams.insert(fs::path(dir).filename().string());
    std::set<std::string> shards;
    for (const auto& sh : s.shards) shards.insert(ShardIdFor(sh.index));
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (shards.contains(e.path().filename().string())) continue;
      log::Warn("streams", "removing a shard directory the registry does not know",
                {{"path", e.path().string()}});
      RemoveAll(e.path().string());
    }
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.root_dir + "/streams", ec)) {
    if (streams.contains(e.path().filename().string())) continue;
    log::Warn("streams", "removing a stream directory the registry does not know",
              {{"path", e.path().string()}});
    RemoveAll(e.path().string());
  }
}

std::string StreamEngineImpl::StreamDir(const StreamMeta& s) const {
  // The id keeps a deleted stream's files apart from a new stream of the
  // same name, and names such as ".." harmless.
  return options_.root_dir + "/streams/" + std::to_string(s.id) + "-" + s.name;
}

Result<std::shared_ptr<ShardRuntime>> StreamEngineImpl::OpenShard(const std::string& stream_dir,
                                                                  uint32_t index) {
  auto rt = std::make_shared<ShardRuntime>();
  rt->index = index;
  rt->dir = stream_dir + "/" + ShardIdFor(index);
  OSPREY_ASSIGN_OR_RETURN(rt->log, OpenFileShardLog(rt->dir, options_.log_options));
  return rt;
}

void StreamEngineImpl::RebuildRoutesLocked(const StreamMeta& s, StreamRuntime* rt) {
  rt->routes.clear();
  for (const auto& sh : s.shards) {
    if (sh.open()) rt->routes.push_back({sh.range, rt->shards.at(sh.index), sh.created_ms});
  }
  std::sort(rt->routes.begin(), rt->routes.end(),
            [](const Route& a, const Route& b) { return a.range.start < b.range.start; });
}

Status StreamEngineImpl::CommitLocked(RegistryMeta next) {
  OSPREY_RETURN_IF_ERROR(SaveRegistry(registry_path_, next));
  meta_ = std::move(next);
  return Status::Ok();
}

Status StreamEngineImpl::MutateStream(std::string_view name, const StreamEdit& edit) {
  std::vector<std::shared_ptr<ShardRuntime>> dropped;
  std::vector<std::string> dirs_to_remove;
  Status result;
  {
    std::unique_lock lock(mu_);
    if (closed_) return Status::FailedPrecondition("engine closed");
    if (!meta_.streams.contains(name)) return StreamNotFound(name);
    RegistryMeta next = meta_;
    StreamMeta& s = next.streams.find(name)->second;
    OSPREY_RETURN_IF_ERROR(edit(s, Now()));
    StreamRuntime& rt = runtime_.find(name)->second;
    std::map<uint32_t, std::shared_ptr<ShardRuntime>> added;
    for (const auto& sh : s.shards) {
      if (rt.shards.contains(sh.index)) continue;
      auto opened = OpenShard(rt.dir, sh.index);
      if (!opened.ok()) {
        result = opened.status();
        break;
      }
      added[sh.index] = std::move(opened).value();
    }
    if (result.ok()) result = CommitLocked(std::move(next));
    if (!result.ok()) {
      for (auto& [i, a] : added) {
        dirs_to_remove.push_back(a->dir);
        dropped.push_back(std::move(a));
      }
    } else {
      rt.shards.merge(added);
      const StreamMeta& now_meta = meta_.streams.find(name)->second;
      for (auto it = rt.shards.begin(); it != rt.shards.end();) {
        if (now_meta.FindShard(it->first) != nullptr) {
          ++it;
          continue;
        }
        dirs_to_remove.push_back(it->second->dir);
        dropped.push_back(std::move(it->second));
        it = rt.shards.erase(it);
      }
      RebuildRoutesLocked(now_meta, &rt);
    }
  }
  // Closing a log joins its syncer thread: never under mu_.
  dropped.clear();
  for (const auto& d : dirs_to_remove) RemoveAll(d);
  return result;
}

StreamStatus StreamEngineImpl::StatusOf(const StreamMeta& s, int64_t now_ms) const {
  if (now_ms < s.created_ms + options_.create_delay_ms) return StreamStatus::kCreating;
  if (now_ms < s.updating_until_ms) return StreamStatus::kUpdating;
  return StreamStatus::kActive;
}

Result<const StreamMeta*> StreamEngineImpl::FindStreamLocked(std::string_view name) const {
  auto it = meta_.streams.find(name);
  if (it == meta_.streams.end()) return StreamNotFound(name);
  return &it->second;
}

uint32_t StreamEngineImpl::OpenShardsLocked() const {
  uint32_t n = 0;
  for (const auto& [name, s] : meta_.streams) n += s.OpenShardCount();
  return n;
}

Status StreamEngineImpl::StreamNotFound(std::string_view name) const {
  return Status::NotFound("Stream " + std::string(name) + " under account " + Account() +
                          " not found.");
}

Status StreamEngineImpl::NotActive(std::string_view name, StreamStatus status) const {
  return Status::FailedPrecondition("Stream " + std::string(name) + " under account " + Account() +
                                    " not ACTIVE, instead in state " +
                                    std::string(StreamStatusName(status)));
}

Status StreamEngineImpl::ShardLimitExceeded(uint32_t additional) const {
  return Status::ResourceExhausted(
      "This request would exceed the shard limit for the account " + Account() + " in " +
      options_.region + ". Current shard count for the account: " +
      std::to_string(OpenShardsLocked()) + ". Limit: " + std::to_string(options_.shard_limit) +
      ". Number of additional shards that would have resulted from this request: " +
      std::to_string(additional) +
      ". Refer to the AWS Service Limits page "
      "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
      "limits and how to request higher limits.");
}

Result<RetentionSweepResult> StreamEngineImpl::ApplyRetention(int64_t now_ms) {
  struct Work {
    std::string name;
    int64_t retention_ms;
    bool has_expired_shards = false;
    std::vector<std::shared_ptr<ShardRuntime>> shards;
  };
  std::vector<Work> work;
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::FailedPrecondition("engine closed");
    for (const auto& [name, s] : meta_.streams) {
      Work w{name, s.retention_ms(), false, {}};
      for (const auto& sh : s.shards) {
        if (sh.closed_ms && *sh.closed_ms + w.retention_ms <= now_ms) w.has_expired_shards = true;
      }
      for (const auto& [i, rt] : runtime_.find(name)->second.shards) w.shards.push_back(rt);
      work.push_back(std::move(w));
    }
  }
  RetentionSweepResult out;
  Status first_error;
  for (const auto& w : work) {
    for (const auto& sh : w.shards) {
      auto r = sh->log->ApplyRetention(now_ms, w.retention_ms);
      if (!r.ok()) {
        if (first_error.ok()) first_error = r.status();
        continue;
      }
      out.segments_deleted += r->segments_deleted;
      out.bytes_deleted += r->bytes_deleted;
    }
    if (!w.has_expired_shards) continue;
    // A closed shard holds only records older than its close, so once the
    // close is past retention all its data is and it leaves the stream.
    uint64_t removed = 0;
    Status st = MutateStream(w.name, [&](StreamMeta& s, int64_t) {
      auto gone = [&](const ShardMeta& sh) {
        return sh.closed_ms && *sh.closed_ms + s.retention_ms() <= now_ms;
      };
      removed = static_cast<uint64_t>(std::count_if(s.shards.begin(), s.shards.end(), gone));
      std::erase_if(s.shards, gone);
      return Status::Ok();
    });
    if (st.ok()) {
      out.shards_removed += removed;
    } else if (st.code() != Status::Code::kNotFound && first_error.ok()) {
      first_error = st;  // NotFound: deleted meanwhile
    }
  }
  if (!first_error.ok()) return first_error;
  return out;
}

Status StreamEngineImpl::Close() {
  std::map<std::string, StreamRuntime, std::less<>> runtime;
  {
    std::unique_lock lock(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    runtime.swap(runtime_);
  }
  Status first;
  for (auto& [name, rt] : runtime) {
    rt.routes.clear();
    for (auto& [i, sh] : rt.shards) {
      Status st = sh->log->Close();
      if (!st.ok() && first.ok()) first = st;
    }
  }
  runtime.clear();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
  return first;
}

}  // namespace engine
}  // namespace osprey::streams
