// Policy evaluation (policy.h): glob matching, the resource forms, roles.
#include "osprey/auth/policy.h"

#include <algorithm>

#include "text.h"

namespace osprey::auth {
namespace {

bool CharEquals(char a, char b, bool ignore_case) {
  return ignore_case ? internal::AsciiLower(a) == internal::AsciiLower(b) : a == b;
}

bool IsActionChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '*' || c == '?';
}

bool IsNamePatternChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '*' || c == '?';
}

std::string_view ResourceType(std::string_view service) {
  return service == "firehose" ? "deliverystream" : "stream";
}

// "arn:<partition>:<service>:<region>:<account>:<type>/<name>[/...]" against
// a stream of `r`. The part after the name is ignored (policy.h).
bool ArnMatches(std::string_view pattern, const ResourceRef& r) {
  std::string_view parts[6];
  for (int i = 0; i < 5; ++i) {
    const size_t colon = pattern.find(':');
    if (colon == std::string_view::npos) return false;
    parts[i] = pattern.substr(0, colon);
    pattern.remove_prefix(colon + 1);
  }
  parts[5] = pattern;
  std::string_view resource = parts[5];
  const size_t first = resource.find('/');
  if (first != std::string_view::npos) {
    const size_t second = resource.find('/', first + 1);
    if (second != std::string_view::npos) resource = resource.substr(0, second);
  }
  const std::string subject = std::string(ResourceType(r.service)) + "/" + std::string(r.stream);
  return GlobMatch(parts[1], "aws", false) && GlobMatch(parts[2], r.service, false) &&
         GlobMatch(parts[3], r.region, false) && GlobMatch(parts[4], r.account, false) &&
         GlobMatch(resource, subject, false);
}

bool ResourceMatches(std::string_view pattern, const ResourceRef& r) {
  if (pattern == "*") return true;
  if (r.is_account()) return false;
  if (pattern.starts_with("arn:")) return ArnMatches(pattern, r);
  return GlobMatch(pattern, r.stream, false);
}

bool ActionMatches(const Statement& s, std::string_view action) {
  return std::any_of(s.actions.begin(), s.actions.end(),
                     [&](const std::string& p) { return GlobMatch(p, action, true); });
}

template <typename ResourcePredicate>
Decision Decide(const Policy& policy, std::string_view action, ResourcePredicate matches) {
  bool allowed = false;
  for (const Statement& s : policy.statements) {
    if (!ActionMatches(s, action)) continue;
    if (!std::any_of(s.resources.begin(), s.resources.end(), matches)) continue;
    if (s.effect == Effect::kDeny) return Decision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Greedy with one backtrack point (the last '*'): linear in practice and
  // never exponential, whatever the pattern.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || CharEquals(pattern[p], text[t], ignore_case))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Decision Evaluate(const Policy& policy, std::string_view action, const ResourceRef& resource) {
  return Decide(policy, action,
                [&](const std::string& pattern) { return ResourceMatches(pattern, resource); });
}

Decision EvaluateAction(const Policy& policy, std::string_view action) {
  bool allowed = false;
  for (const Statement& s : policy.statements) {
    if (!ActionMatches(s, action)) continue;
    const bool everywhere =
        std::find(s.resources.begin(), s.resources.end(), "*") != s.resources.end();
    if (s.effect == Effect::kDeny) {
      if (everywhere) return Decision::kExplicitDeny;
    } else if (!s.resources.empty()) {
      allowed = true;
    }
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

std::string CheckActionPattern(std::string_view pattern) {
  if (pattern == "*") return {};
  const size_t colon = pattern.find(':');
  const bool ok = colon != std::string_view::npos && colon > 0 && colon + 1 < pattern.size() &&
                  pattern.size() <= 256 &&
                  std::all_of(pattern.begin(), pattern.begin() + colon, IsActionChar) &&
                  std::all_of(pattern.begin() + colon + 1, pattern.end(), IsActionChar);
  if (ok) return {};
  return "action '" + internal::Excerpt(pattern) +
         "' must be \"*\" or <service>:<operation> (e.g. \"kinesisvideo:PutMedia\", "
         "\"kinesis:Get*\")";
}

std::string CheckResourcePattern(std::string_view pattern) {
  if (pattern == "*") return {};
  if (pattern.starts_with("arn:")) {
    const bool printable =
        std::all_of(pattern.begin(), pattern.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (printable && pattern.size() <= 2048 &&
        std::count(pattern.begin(), pattern.end(), ':') >= 5) {
      return {};
    }
    return "resource '" + internal::Excerpt(pattern) +
           "' must be an ARN arn:<partition>:<service>:<region>:<account>:<type>/<name>";
  }
  if (!pattern.empty() && pattern.size() <= 256 &&
      std::all_of(pattern.begin(), pattern.end(), IsNamePatternChar)) {
    return {};
  }
  return "resource '" + internal::Excerpt(pattern) +
         "' must be \"*\", a stream name pattern of [A-Za-z0-9_.-] with * and ?, or an ARN";
}

std::string_view RoleNames() { return "admin, camera, viewer"; }

Result<std::vector<Statement>> RoleStatements(std::string_view role,
                                              const std::vector<std::string>& streams) {
  std::vector<std::string> where = streams.empty() ? std::vector<std::string>{"*"} : streams;
  for (const std::string& pattern : where) {
    std::string error = CheckResourcePattern(pattern);
    if (!error.empty()) return Status::InvalidArgument(error);
  }
  std::vector<Statement> out;
  if (role == "admin") {
    out.push_back({Effect::kAllow, {"*"}, std::move(where)});
  } else if (role == "camera") {
    out.push_back({Effect::kAllow,
                   {"kinesisvideo:PutMedia", "kinesisvideo:GetDataEndpoint",
                    "kinesisvideo:DescribeStream", "kinesisvideo:CreateStream"},
                   std::move(where)});
  } else if (role == "viewer") {
    out.push_back({Effect::kAllow,
                   {"kinesisvideo:List*", "kinesisvideo:Describe*", "kinesisvideo:Get*",
                    "kinesis:List*", "kinesis:Describe*", "kinesis:Get*",
                    "kinesis:SubscribeToShard", "firehose:List*", "firehose:Describe*"},
                   std::move(where)});
    // Listing names the account, not a stream: a viewer of some streams
    // still needs it to find them.
    out.push_back(
        {Effect::kAllow,
         {"kinesisvideo:ListStreams", "kinesis:ListStreams", "firehose:ListDeliveryStreams"},
         {"*"}});
  } else {
    return Status::InvalidArgument("unknown role '" + internal::Excerpt(role) +
                                   "' (known: " + std::string(RoleNames()) + ")");
  }
  return out;
}

}  // namespace osprey::auth
