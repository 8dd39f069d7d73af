// StreamCatalog: the metadata of every video stream (what KVS DescribeStream
// shows), persisted in one file under the data directory so it survives
// restarts. The fragments themselves live in the FragmentStore, in the folder
// named by VideoStream::store_id().
//
// The catalog checks the semantic rules of the control plane (name taken,
// version mismatch, retention range, tag limits); the syntax of names, ARNs
// and tag keys is checked by the API layer before it calls here.
//
// Every change is durable before the call returns: the file is rewritten to a
// temporary file, fsynced and renamed over the old one (FORMAT.md).
//
// Errors: NotFound (no such stream), AlreadyExists (CreateStream on a taken
// name), FailedPrecondition (CurrentVersion does not match: the API layer
// answers VersionMismatchException), InvalidArgument (retention out of
// range), ResourceExhausted (more than 50 tags), IOError.
//
// Thread safety: every method may be called from any thread concurrently.
// Listeners run on the calling thread of the change, after the catalog's
// lock is released; they must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::fragments {

struct VideoStream {
  std::string name;
  std::string arn;               // arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<creation ms>
  std::string device_name;       // may be empty
  std::string media_type;        // may be empty
  std::string kms_key_id;        // as given, or the default alias ARN
  std::string version;           // 20 random alphanumerics, new on each change
  std::string status = "ACTIVE"; // CREATING ACTIVE UPDATING DELETING
  int64_t creation_ms = 0;
  int64_t retention_hours = 0;   // 0..87600
  std::string storage_tier = "HOT";
  std::map<std::string, std::string> tags;

  // Folder of this stream in the FragmentStore: "<name>-<creation ms>", so
  // a stream deleted and created again under the same name never sees the
  // old fragments.
  std::string store_id() const;
  bool operator==(const VideoStream&) const = default;
};

struct CreateStreamInput {
  std::string name;
  std::string device_name;
  std::string media_type;
  std::string kms_key_id;  // empty: the default alias
  int64_t retention_hours = 0;
  std::string storage_tier = "HOT";
  std::map<std::string, std::string> tags;
};

struct CatalogOptions {
  std::string path;                   // the catalog file
  std::string region = "us-east-1";   // for ARNs
  std::string account = "000000000000";
  std::function<int64_t()> clock;     // epoch ms; default system clock
};

class StreamCatalog {
 public:
  // Loads `options.path` (absent: an empty catalog). Corruption when the
  // file cannot be parsed.
  static Result<std::unique_ptr<StreamCatalog>> Open(const CatalogOptions& options);
  virtual ~StreamCatalog() = default;

  virtual Result<VideoStream> Create(const CreateStreamInput& input) = 0;
  virtual Result<VideoStream> GetByName(const std::string& name) const = 0;
  virtual Result<VideoStream> GetByArn(const std::string& arn) const = 0;
  // Streams in name order with names beginning with `prefix` and greater
  // than `after_name`, at most `limit`.
  virtual std::vector<VideoStream> List(const std::string& prefix, const std::string& after_name,
                                        size_t limit) const = 0;
  // Removes the stream. `current_version`, when given, must match.
  virtual Result<VideoStream> Delete(const std::string& arn,
                                     const std::optional<std::string>& current_version) = 0;
  // UpdateStream: sets the fields that are given; new version.
  virtual Result<VideoStream> Update(const std::string& name, const std::string& current_version,
                                     const std::optional<std::string>& device_name,
                                     const std::optional<std::string>& media_type) = 0;
  // Adds `change_hours` (negative to decrease); new version. InvalidArgument
  // when the result leaves 0..87600.
  virtual Result<VideoStream> UpdateRetention(const std::string& name,
                                              const std::string& current_version,
                                              int64_t change_hours) = 0;
  // Overwrites existing keys; ResourceExhausted past 50 tags in total.
  virtual Status Tag(const std::string& name, const std::map<std::string, std::string>& tags) = 0;
  // Ignores keys that are not present.
  virtual Status Untag(const std::string& name, const std::vector<std::string>& keys) = 0;

  // Called after a stream is deleted (PutMedia sessions end with 4008,
  // GetMedia readers stop, the store deletes the folder). Returns an id.
  using DeleteListener = std::function<void(const VideoStream&)>;
  virtual uint64_t OnDelete(DeleteListener listener) = 0;
};

}  // namespace osprey::fragments
