// The control plane's input checks (botocore kinesisvideo model, video-api.md
// section 2) and the StreamInfo writer.
#include <cstdint>

#include "video/control_plane_internal.h"

namespace osprey::server::video::control_plane {

namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}
bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || Digit(c); }
bool WordOrPunct(char c) {  // [\w\-\.\+]
  return Alnum(c) || c == '_' || c == '-' || c == '.' || c == '+';
}

template <typename Pred>
bool AllOf(std::string_view s, Pred ok) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

Status Length(std::string_view member, std::string_view value, size_t length, size_t min,
              size_t max) {
  if (length < min) {
    return ValidationError(member, value,
                           "Member must have length greater than or equal to " + std::to_string(min));
  }
  if (length > max) {
    return ValidationError(member, value,
                           "Member must have length less than or equal to " + std::to_string(max));
  }
  return Status::Ok();
}

Status Pattern(std::string_view member, std::string_view value, std::string_view pattern) {
  return ValidationError(member, value,
                         "Member must satisfy regular expression pattern: " + std::string(pattern));
}

// Decodes the UTF-8 (already validated by the JSON parser) into code points.
std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int extra = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    uint32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k <= extra && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += 1 + extra;
  }
  return out;
}

// [\p{L}\p{Z}\p{N}_.:/=+\-@]. ASCII exactly; beyond ASCII every character
// but the C1 controls, the BOM and private-use characters is accepted: an
// approximation of the Unicode classes that never rejects a letter, space or
// number (the server carries no Unicode tables).
bool TagChar(uint32_t c) {
  if (c < 0x80) {
    char a = static_cast<char>(c);
    return Alnum(a) || a == ' ' || std::string_view("_.:/=+-@").find(a) != std::string_view::npos;
  }
  if (c <= 0x9F) return false;              // C1 controls
  if (c == 0x2028 || c == 0x2029) return true;  // Zl, Zp are \p{Z}
  if (c == 0xFEFF || (c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000) return false;
  return true;
}

Status CheckTagText(std::string_view member, std::string_view text, size_t min, size_t max) {
  std::vector<uint32_t> cps = CodePoints(text);
  OSPREY_RETURN_IF_ERROR(Length(member, text, cps.size(), min, max));
  for (uint32_t c : cps) {
    if (!TagChar(c)) return Pattern(member, text, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
  }
  return Status::Ok();
}

}  // namespace

Status CheckResourceArn(std::string_view member, std::string_view arn) {
  OSPREY_RETURN_IF_ERROR(Length(member, arn, arn.size(), 1, 1024));
  // arn:<partition>:kinesisvideo:<region>:<account>:<type>/<name>/<digits>;
  // no part may hold ':' and the resource no extra '/'.
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  bool ok = parts.size() == 6 && parts[0] == "arn" &&
            AllOf(parts[1], [](char c) { return Lower(c) || Digit(c) || c == '-'; }) &&
            parts[2] == "kinesisvideo" &&
            AllOf(parts[3], [](char c) { return Lower(c) || Digit(c) || c == '-'; }) &&
            AllOf(parts[4], Digit);
  if (ok) {
    std::string_view resource = parts[5];
    size_t a = resource.find('/');
    size_t b = resource.rfind('/');
    ok = a != std::string_view::npos && b != a && AllOf(resource.substr(0, a), Lower) &&
         AllOf(resource.substr(a + 1, b - a - 1), NameChar) && AllOf(resource.substr(b + 1), Digit);
  }
  if (!ok) {
    return Pattern(member, arn,
                   "arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+");
  }
  return Status::Ok();
}

Status CheckVersion(std::string_view member, std::string_view version) {
  OSPREY_RETURN_IF_ERROR(Length(member, version, version.size(), 1, 64));
  if (!AllOf(version, Alnum)) return Pattern(member, version, "[a-zA-Z0-9]+");
  return Status::Ok();
}

Status CheckDeviceName(std::string_view member, std::string_view name) {
  OSPREY_RETURN_IF_ERROR(Length(member, name, name.size(), 1, 128));
  if (!AllOf(name, NameChar)) return Pattern(member, name, "[a-zA-Z0-9_.-]+");
  return Status::Ok();
}

Status CheckMediaType(std::string_view member, std::string_view media_type) {
  OSPREY_RETURN_IF_ERROR(Length(member, media_type, media_type.size(), 1, 128));
  bool ok = true;
  size_t start = 0;
  for (;;) {
    size_t comma = media_type.find(',', start);
    std::string_view part =
        media_type.substr(start, comma == std::string_view::npos ? comma : comma - start);
    size_t slash = part.find('/');
    ok = ok && slash != std::string_view::npos && AllOf(part.substr(0, slash), WordOrPunct) &&
         AllOf(part.substr(slash + 1), WordOrPunct);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!ok) {
    return Pattern(member, media_type,
                   "[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+(,[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+)*");
  }
  return Status::Ok();
}

Status CheckKmsKeyId(std::string_view member, std::string_view key) {
  OSPREY_RETURN_IF_ERROR(Length(member, key, CodePoints(key).size(), 1, 2048));
  if (key.find_first_of("\r\n") != std::string_view::npos) return Pattern(member, key, ".+");
  return Status::Ok();
}

Status CheckTagMap(std::string_view member, const std::map<std::string, std::string>& tags) {
  if (tags.size() > 50) {
    return Status::ResourceExhausted("A resource can have at most 50 tags; the request has " +
                                     std::to_string(tags.size()));
  }
  if (tags.empty()) return ValidationError(member, "{}", "Member must have length greater than or equal to 1");
  for (const auto& [key, value] : tags) {
    OSPREY_RETURN_IF_ERROR(CheckTagText(member, key, 1, 128));
    OSPREY_RETURN_IF_ERROR(CheckTagText(member, value, 0, 256));
  }
  return Status::Ok();
}

Status CheckTagKeyList(std::string_view member, const std::vector<std::string>& keys) {
  if (keys.empty()) return ValidationError(member, "[]", "Member must have length greater than or equal to 1");
  if (keys.size() > 50) {
    return ValidationError(member, "[...]", "Member must have length less than or equal to 50");
  }
  for (const auto& key : keys) OSPREY_RETURN_IF_ERROR(CheckTagText(member, key, 1, 128));
  return Status::Ok();
}

Status CheckNextToken(std::string_view member, std::string_view token) {
  OSPREY_RETURN_IF_ERROR(Length(member, token, token.size(), 0, 1024));
  for (char c : token) {
    if (!Alnum(c) && c != '+' && c != '/' && c != '=') return Pattern(member, token, "[a-zA-Z0-9+/=]*");
  }
  return Status::Ok();
}

Result<fragments::VideoStream> Resolve(const JsonRequest& body, const VideoContext& context) {
  if (context.catalog == nullptr) return Status::Internal("the stream catalog is not configured");
  OSPREY_ASSIGN_OR_RETURN(auto arn, body.String("StreamARN"));
  if (arn) OSPREY_RETURN_IF_ERROR(CheckResourceArn("StreamARN", *arn));
  return ResolveStream(body, *context.catalog);
}

void WriteStreamInfo(JsonWriter* w, const fragments::VideoStream& s) {
  w->BeginObject();
  if (!s.device_name.empty()) w->Key("DeviceName").String(s.device_name);
  w->Key("StreamName").String(s.name);
  w->Key("StreamARN").String(s.arn);
  if (!s.media_type.empty()) w->Key("MediaType").String(s.media_type);
  w->Key("KmsKeyId").String(s.kms_key_id);
  w->Key("Version").String(s.version);
  w->Key("Status").String(s.status);
  // Epoch seconds with the milliseconds as a fraction, as a JSON number.
  w->Key("CreationTime").Double(static_cast<double>(s.creation_ms) / 1000.0);
  w->Key("DataRetentionInHours").Int64(s.retention_hours);
  w->EndObject();
}

}  // namespace osprey::server::video::control_plane
