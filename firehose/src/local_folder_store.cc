// The embedded local-folder object store (object_store.h).
#include <string>
#include <string_view>

#include "osprey/base/file_util.h"
#include "osprey/firehose/object_store.h"

namespace osprey::firehose {
namespace {

// Keys are relative paths; reject anything that could leave the bucket.
Status CheckKey(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') {
    return Status::InvalidArgument("object key '" + std::string(key) + "' is not a file path");
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return Status::InvalidArgument("object key '" + std::string(key) + "' has an unusable segment");
    }
    start = end + 1;
  }
  if (key.find('\0') != std::string_view::npos) return Status::InvalidArgument("NUL in object key");
  return Status::Ok();
}

class LocalFolderStore : public ObjectStore {
 public:
  explicit LocalFolderStore(std::string root) : root_(std::move(root)) {}

  Status Put(const std::string& bucket, const std::string& key, std::string_view body) override {
    if (bucket.empty() || bucket == "." || bucket == ".." || bucket.find('/') != std::string::npos) {
      return Status::InvalidArgument("bad bucket name '" + bucket + "'");
    }
    OSPREY_RETURN_IF_ERROR(CheckKey(key));
    std::string path = root_ + "/" + bucket + "/" + key;
    OSPREY_RETURN_IF_ERROR(MakeDirs(path.substr(0, path.rfind('/'))));
    return WriteFileAtomically(path, body);
  }

 private:
  std::string root_;
};

}  // namespace

std::unique_ptr<ObjectStore> OpenLocalFolderStore(std::string root) {
  return std::make_unique<LocalFolderStore>(std::move(root));
}

}  // namespace osprey::firehose
