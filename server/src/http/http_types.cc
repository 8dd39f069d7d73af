#include <cctype>

#include "osprey/base/json_writer.h"
#include "osprey/server/http.h"

namespace osprey::server {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void Headers::Set(std::string_view name, std::string value) {
  std::erase_if(entries_, [&](const Entry& e) { return EqualsIgnoreCase(e.first, name); });
  entries_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : entries_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

Response Response::Json(int status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  r.headers.Add("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::Text(int status, std::string body, std::string_view content_type) {
  return Json(status, std::move(body), content_type);
}

Response ErrorResponse(const ApiError& error, std::string_view content_type) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("__type").String(error.type);
  if (!error.message.empty()) w.Key("message").String(error.message);
  w.EndObject();
  Response r = Response::Json(error.status, std::move(body), content_type);
  r.headers.Add("x-amzn-ErrorType", error.type);
  return r;
}

}  // namespace osprey::server
