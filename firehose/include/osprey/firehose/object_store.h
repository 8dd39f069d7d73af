// ObjectStore: where a delivery stream's S3 objects go.
//
// Implementations:
//  * the embedded local folder (OpenLocalFolderStore): bucket NAME is the
//    directory {root}/NAME/ and an object key is a relative path below it
//    ("2024/05/01/13/cam-1-...gz" -> {root}/NAME/2024/05/01/13/cam-1-...gz);
//    every object is written atomically (temp file, fsync, rename, directory
//    fsync), so a reader never sees half an object and a confirmed object
//    survives power loss;
//  * an S3-compatible endpoint (OpenS3Store): path-style requests
//    (http://ENDPOINT/BUCKET/KEY) signed with SigV4 (service "s3", payload
//    hash in x-amz-content-sha256); PutObject up to multipart_threshold,
//    multipart upload (initiate, parts, complete; abort on failure) above;
//  * tests use fakes that fail on demand.
//
// Errors: NotFound (no such bucket, for stores that know buckets),
// PermissionDenied, InvalidArgument (key unusable: absolute, "..",
// empty segment), IOError / Unavailable (retryable).
//
// Thread safety: Put may be called from several delivery workers at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "osprey/base/status.h"

namespace osprey::firehose {

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Stores `body` as `key` in `bucket`, replacing any object with that key;
  // returns OK only once the object is durable.
  virtual Status Put(const std::string& bucket, const std::string& key, std::string_view body) = 0;
};

// The local folder store rooted at `root` (created lazily, per bucket).
std::unique_ptr<ObjectStore> OpenLocalFolderStore(std::string root);

struct S3StoreOptions {
  std::string endpoint;  // "http://host:port" or "https://host:port" (http_client.h: TLS)
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  uint64_t multipart_threshold = 16ull << 20;  // bodies above use multipart upload
  uint64_t part_size = 8ull << 20;             // >= 5 MiB except the last (S3 rule)
  int64_t timeout_ms = 120'000;                // per HTTP request
};

// An S3-compatible object store. Errors: NotFound (NoSuchBucket),
// PermissionDenied (403), Unavailable (transport, 5xx and other answers).
std::unique_ptr<ObjectStore> OpenS3Store(S3StoreOptions options);

}  // namespace osprey::firehose
