#include "osprey/server/router.h"

namespace osprey::server {

void Router::AddTarget(std::string target, Route route) {
  targets_.insert_or_assign(std::move(target), std::move(route));
}

void Router::AddPath(std::string method, std::string path, Route route) {
  paths_.insert_or_assign(method + ' ' + path, std::move(route));
}

void Router::AddTargetFamily(std::string prefix, std::string service, std::string content_type) {
  families_.insert_or_assign(std::move(prefix), Family{std::move(service), std::move(content_type)});
}

const Route* Router::Find(std::string_view method, std::string_view path,
                          std::string_view amz_target, Unrouted* unrouted) const {
  if (!amz_target.empty()) {
    if (auto it = targets_.find(amz_target); it != targets_.end()) return &it->second;
    // Unknown operation of a known family: AWS answers 400
    // UnknownOperationException with no message (data-streams spec 2.2).
    for (const auto& [prefix, family] : families_) {
      if (amz_target.substr(0, prefix.size()) == prefix) {
        unrouted->error = ApiError{400, "UnknownOperationException", ""};
        unrouted->service = family.service;
        unrouted->content_type = family.content_type;
        return nullptr;
      }
    }
    unrouted->error = ApiError{400, "UnknownOperationException", ""};
    unrouted->service = "";
    return nullptr;
  }
  std::string key;
  key.reserve(method.size() + 1 + path.size());
  key.append(method).append(1, ' ').append(path);
  if (auto it = paths_.find(key); it != paths_.end()) {
    return &it->second;
  }
  // KVS operations are POST /<lowerCamelName>, signed for kinesisvideo
  // (video spec 1.2): an unknown one is 404 UnknownOperationException, and
  // the caller must still be authenticated to learn that.
  if (method == "POST") {
    unrouted->error = ApiError{404, "UnknownOperationException", ""};
    unrouted->service = "kinesisvideo";
    return nullptr;
  }
  unrouted->error = ApiError{404, "NotFoundException", "No such resource: " + std::string(path)};
  unrouted->service = "";
  return nullptr;
}

}  // namespace osprey::server
