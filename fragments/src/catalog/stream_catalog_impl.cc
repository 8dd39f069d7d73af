// The file-backed StreamCatalog. One mutex guards the in-memory state and
// the file: a change is applied to a copy, written durably, and only then
// made visible, so a failed write leaves the catalog as it was and readers
// never see a change that is not on disk. Control-plane calls are rare
// (seconds apart), so serialising them on one fsync is the simple choice.
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <utility>

#include "catalog/catalog_file.h"
#include "osprey/base/file_util.h"
#include "osprey/fragments/stream_catalog.h"

namespace osprey::fragments {

std::string VideoStream::store_id() const { return name + "-" + std::to_string(creation_ms); }

namespace catalog {
namespace {

// 20 characters of [A-Za-z0-9] from the kernel CSPRNG (getrandom), with
// rejection sampling so every character is equally likely.
std::string NewVersion() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kLimit = 62 * 4;  // 248: largest multiple of 62 <= 256
  std::string out;
  unsigned char buf[64];
  while (out.size() < 20) {
    ssize_t n = ::getrandom(buf, sizeof buf, 0);
    if (n <= 0) {
      // getrandom only fails before the pool is seeded or on EINTR;
      // random_device reads the same kernel source.
      std::random_device rd;
      for (auto& b : buf) b = static_cast<unsigned char>(rd());
      n = sizeof buf;
    }
    for (ssize_t i = 0; i < n && out.size() < 20; ++i) {
      if (buf[i] < kLimit) out.push_back(kAlphabet[buf[i] % 62]);
    }
  }
  return out;
}

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The name inside "arn:...:stream/<name>/<ms>", or empty.
std::string NameFromArn(const std::string& arn) {
  size_t start = arn.find(":stream/");
  size_t end = arn.rfind('/');
  if (start == std::string::npos || end == std::string::npos || end <= start + 8) return {};
  return arn.substr(start + 8, end - start - 8);
}

class FileStreamCatalog final : public StreamCatalog {
 public:
  FileStreamCatalog(CatalogOptions options, CatalogState state)
      : options_(std::move(options)), state_(std::move(state)) {
    if (!options_.clock) options_.clock = SystemMs;
  }

  Result<VideoStream> Create(const CreateStreamInput& input) override {
    if (input.retention_hours < 0 || input.retention_hours > kMaxRetentionHours) {
      return Status::InvalidArgument("DataRetentionInHours must be between 0 and 87600");
    }
    if (input.tags.size() > kMaxTags) {
      return Status::ResourceExhausted("A stream can have at most 50 tags");
    }
    std::lock_guard lock(mu_);
    if (state_.streams.contains(input.name)) {
      return Status::AlreadyExists("The stream " + input.name + " already exists");
    }
    CatalogState next = state_;
    // Strictly increasing creation times: ARNs and store ids stay unique
    // even for a delete and re-create within one millisecond (or after the
    // clock stepped back).
    int64_t ms = std::max(options_.clock(), next.last_creation_ms + 1);
    next.last_creation_ms = ms;
    VideoStream s;
    s.name = input.name;
    s.arn = "arn:aws:kinesisvideo:" + options_.region + ":" + options_.account + ":stream/" +
            input.name + "/" + std::to_string(ms);
    s.device_name = input.device_name;
    s.media_type = input.media_type;
    s.kms_key_id = input.kms_key_id.empty() ? "arn:aws:kms:" + options_.region + ":" +
                                                  options_.account + ":alias/aws/kinesisvideo"
                                            : input.kms_key_id;
    s.version = NewVersion();
    s.status = "ACTIVE";
    s.creation_ms = ms;
    s.retention_hours = input.retention_hours;
    s.storage_tier = input.storage_tier.empty() ? "HOT" : input.storage_tier;
    s.tags = input.tags;
    next.streams.emplace(s.name, s);
    OSPREY_RETURN_IF_ERROR(Commit(std::move(next)));
    return s;
  }

  Result<VideoStream> GetByName(const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = state_.streams.find(name);
    if (it == state_.streams.end()) return NotFound(name);
    return it->second;
  }

  Result<VideoStream> GetByArn(const std::string& arn) const override {
    std::lock_guard lock(mu_);
    return FindArn(arn);
  }

  std::vector<VideoStream> List(const std::string& prefix, const std::string& after_name,
                                size_t limit) const override {
    std::lock_guard lock(mu_);
    std::vector<VideoStream> out;
    auto it = state_.streams.lower_bound(prefix);
    if (!after_name.empty() && after_name >= prefix) it = state_.streams.upper_bound(after_name);
    for (; it != state_.streams.end() && out.size() < limit; ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back(it->second);
    }
    return out;
  }

  Result<VideoStream> Delete(const std::string& arn,
                             const std::optional<std::string>& current_version) override {
    VideoStream removed;
    {
      std::lock_guard lock(mu_);
      OSPREY_ASSIGN_OR_RETURN(removed, FindArn(arn));
      if (current_version && *current_version != removed.version) return Mismatch(removed);
      CatalogState next = state_;
      next.streams.erase(removed.name);
      OSPREY_RETURN_IF_ERROR(Commit(std::move(next)));
    }
    std::vector<DeleteListener> listeners;
    {
      std::lock_guard lock(listeners_mu_);
      for (const auto& [id, l] : listeners_) listeners.push_back(l);
    }
    for (const auto& l : listeners) l(removed);
    return removed;
  }

  Result<VideoStream> Update(const std::string& name, const std::string& current_version,
                             const std::optional<std::string>& device_name,
                             const std::optional<std::string>& media_type) override {
    return Change(name, &current_version, true, [&](VideoStream* s) -> Status {
      if (device_name) s->device_name = *device_name;
      if (media_type) s->media_type = *media_type;
      return Status::Ok();
    });
  }

  Result<VideoStream> UpdateRetention(const std::string& name, const std::string& current_version,
                                      int64_t change_hours) override {
    return Change(name, &current_version, true, [&](VideoStream* s) -> Status {
      // Bounding the change first keeps the sum from overflowing.
      bool in_range = change_hours >= -kMaxRetentionHours && change_hours <= kMaxRetentionHours;
      int64_t next = in_range ? s->retention_hours + change_hours : -1;
      if (next < 0 || next > kMaxRetentionHours) {
        return Status::InvalidArgument(
            "Changing the data retention of " + std::to_string(s->retention_hours) +
            " hours by " + std::to_string(change_hours) +
            " hours leaves the allowed range of 0 to 87600 hours");
      }
      s->retention_hours = next;
      return Status::Ok();
    });
  }

  // Tags do not change the version (FORMAT.md "Stream catalog"): tagging
  // takes no CurrentVersion, and a producer that tags its stream must not
  // invalidate the version an operator just read for UpdateStream.
  Status Tag(const std::string& name, const std::map<std::string, std::string>& tags) override {
    return Change(name, nullptr, false, [&](VideoStream* s) -> Status {
      std::map<std::string, std::string> merged = s->tags;
      for (const auto& [k, v] : tags) merged[k] = v;
      if (merged.size() > kMaxTags) {
        return Status::ResourceExhausted("The stream would have " + std::to_string(merged.size()) +
                                         " tags; at most 50 are allowed");
      }
      s->tags = std::move(merged);
      return Status::Ok();
    }).status();
  }

  Status Untag(const std::string& name, const std::vector<std::string>& keys) override {
    return Change(name, nullptr, false, [&](VideoStream* s) -> Status {
      for (const auto& k : keys) s->tags.erase(k);
      return Status::Ok();
    }).status();
  }

  uint64_t OnDelete(DeleteListener listener) override {
    std::lock_guard lock(listeners_mu_);
    uint64_t id = ++next_listener_id_;
    listeners_.emplace_back(id, std::move(listener));
    return id;
  }

 private:
  static Status NotFound(const std::string& what) {
    return Status::NotFound("The requested stream " + what + " is not found or not active.");
  }
  static Status Mismatch(const VideoStream& s) {
    return Status::FailedPrecondition("The version of stream " + s.name +
                                      " does not match the CurrentVersion given");
  }

  // REQUIRES: mu_ is held.
  Result<VideoStream> FindArn(const std::string& arn) const {
    auto it = state_.streams.find(NameFromArn(arn));
    if (it == state_.streams.end() || it->second.arn != arn) return NotFound(arn);
    return it->second;
  }

  // Applies `edit` to a copy of stream `name`, checks the version when
  // `current_version` is given, assigns a new version when `bump`, and
  // commits.
  template <typename Edit>
  Result<VideoStream> Change(const std::string& name, const std::string* current_version,
                             bool bump, Edit edit) {
    std::lock_guard lock(mu_);
    auto it = state_.streams.find(name);
    if (it == state_.streams.end()) return NotFound(name);
    if (current_version && *current_version != it->second.version) return Mismatch(it->second);
    VideoStream s = it->second;
    OSPREY_RETURN_IF_ERROR(edit(&s));
    if (s == it->second && !bump) return s;  // nothing changed: no write
    if (bump) s.version = NewVersion();
    CatalogState next = state_;
    next.streams[name] = s;
    OSPREY_RETURN_IF_ERROR(Commit(std::move(next)));
    return s;
  }

  // Writes `next` and makes it current. REQUIRES: mu_ is held.
  Status Commit(CatalogState next) {
    // FORMAT.md "Stream catalog": the temporary file is `path`.tmp.
    AtomicWriteOptions write;
    write.temp_suffix = ".tmp";
    OSPREY_RETURN_IF_ERROR(WriteFileAtomically(options_.path, SerializeCatalog(next), write));
    state_ = std::move(next);
    return Status::Ok();
  }

  CatalogOptions options_;
  mutable std::mutex mu_;
  CatalogState state_;  // GUARDED_BY(mu_)

  std::mutex listeners_mu_;
  uint64_t next_listener_id_ = 0;                                // GUARDED_BY(listeners_mu_)
  std::vector<std::pair<uint64_t, DeleteListener>> listeners_;  // GUARDED_BY(listeners_mu_)
};

}  // namespace
}  // namespace catalog

Result<std::unique_ptr<StreamCatalog>> StreamCatalog::Open(const CatalogOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("CatalogOptions.path is empty");
  std::filesystem::path parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status::IOError("create " + parent.string() + ": " + ec.message());
  }
  OSPREY_ASSIGN_OR_RETURN(auto text, catalog::ReadWholeFile(options.path));
  catalog::CatalogState state;
  if (text) {
    auto parsed = catalog::ParseCatalog(*text);
    if (!parsed.ok()) return parsed.status().WithContext(options.path);
    state = std::move(parsed).value();
  }
  return std::unique_ptr<StreamCatalog>(
      new catalog::FileStreamCatalog(options, std::move(state)));
}

}  // namespace osprey::fragments
