#include "osprey/firehose/naming.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace osprey::firehose {
namespace {

struct Expr {
  std::string_view ns;
  std::string_view value;
};

// Splits `text` into literals and !{ns:value} expressions; calls `on_literal`
// and `on_expr` in order. InvalidArgument on a malformed expression.
template <typename L, typename E>
Status Walk(std::string_view text, L on_literal, E on_expr) {
  size_t i = 0;
  while (i < text.size()) {
    size_t start = text.find("!{", i);
    if (start == std::string_view::npos) {
      on_literal(text.substr(i));
      break;
    }
    on_literal(text.substr(i, start - i));
    size_t end = text.find('}', start);
    if (end == std::string_view::npos) {
      return Status::InvalidArgument("Expression '" + std::string(text.substr(start)) +
                                     "' in prefix is not terminated");
    }
    std::string_view body = text.substr(start + 2, end - start - 2);
    size_t colon = body.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == body.size()) {
      return Status::InvalidArgument("Invalid expression '!{" + std::string(body) + "}' in prefix");
    }
    OSPREY_RETURN_IF_ERROR(on_expr(Expr{body.substr(0, colon), body.substr(colon + 1)}));
    i = end + 1;
  }
  return Status::Ok();
}

bool IsPartitionNs(std::string_view ns) {
  return ns == "partitionKeyFromQuery" || ns == "partitionKeyFromLambda";
}

Status CheckExpr(const Expr& e) {
  if (e.ns == "timestamp") return FormatJavaTime(e.value, 0).status();
  if (e.ns == "firehose") {
    if (e.value == "random-string" || e.value == "error-output-type") return Status::Ok();
    return Status::InvalidArgument("Unknown firehose expression '" + std::string(e.value) + "' in prefix");
  }
  if (IsPartitionNs(e.ns)) return Status::Ok();
  return Status::InvalidArgument("Unknown expression namespace '" + std::string(e.ns) + "' in prefix");
}

void AppendPadded(std::string* out, int value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", width, value);
  *out += buf;
}

std::tm Utc(int64_t time_ms) {
  std::time_t secs = static_cast<std::time_t>(time_ms / 1000);
  if (time_ms < 0 && time_ms % 1000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

Result<std::string> FormatJavaTime(std::string_view pattern, int64_t time_ms) {
  std::tm tm = Utc(time_ms);
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {
      size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return Status::InvalidArgument("Unterminated quote in timestamp pattern '" +
                                       std::string(pattern) + "'");
      }
      if (end == i + 1) out += '\'';  // '' is a literal quote
      else out += pattern.substr(i + 1, end - i - 1);
      i = end + 1;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      out += c;
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c) ++n;
    bool ok = true;
    switch (c) {
      case 'y':
        if (n == 2) AppendPadded(&out, (tm.tm_year + 1900) % 100, 2);
        else if (n == 1 || n == 4) AppendPadded(&out, tm.tm_year + 1900, n == 4 ? 4 : 1);
        else ok = false;
        break;
      case 'M': ok = n <= 2; if (ok) AppendPadded(&out, tm.tm_mon + 1, static_cast<int>(n)); break;
      case 'd': ok = n <= 2; if (ok) AppendPadded(&out, tm.tm_mday, static_cast<int>(n)); break;
      case 'D': ok = n == 1 || n == 3; if (ok) AppendPadded(&out, tm.tm_yday + 1, static_cast<int>(n)); break;
      case 'H': ok = n <= 2; if (ok) AppendPadded(&out, tm.tm_hour, static_cast<int>(n)); break;
      case 'm': ok = n <= 2; if (ok) AppendPadded(&out, tm.tm_min, static_cast<int>(n)); break;
      case 's': ok = n <= 2; if (ok) AppendPadded(&out, tm.tm_sec, static_cast<int>(n)); break;
      default: ok = false;
    }
    if (!ok) {
      return Status::InvalidArgument("Unsupported pattern letters '" + std::string(n, c) +
                                     "' in timestamp expression '" + std::string(pattern) + "'");
    }
    i += n;
  }
  return out;
}

Status ValidatePrefixes(std::string_view prefix, const std::optional<std::string>& error_prefix,
                        bool dynamic_partitioning) {
  bool prefix_has_expr = false;
  bool prefix_has_partition = false;
  OSPREY_RETURN_IF_ERROR(Walk(prefix, [](std::string_view) {}, [&](const Expr& e) -> Status {
    OSPREY_RETURN_IF_ERROR(CheckExpr(e));
    prefix_has_expr = true;
    if (e.ns == "firehose" && e.value == "error-output-type") {
      return Status::InvalidArgument(
          "The expression !{firehose:error-output-type} is not allowed in Prefix");
    }
    if (IsPartitionNs(e.ns)) prefix_has_partition = true;
    return Status::Ok();
  }));
  if (error_prefix) {
    bool has_expr = false;
    bool has_type = false;
    OSPREY_RETURN_IF_ERROR(Walk(*error_prefix, [](std::string_view) {}, [&](const Expr& e) -> Status {
      OSPREY_RETURN_IF_ERROR(CheckExpr(e));
      has_expr = true;
      if (IsPartitionNs(e.ns)) {
        return Status::InvalidArgument(
            "Partition key expressions are not allowed in ErrorOutputPrefix");
      }
      if (e.ns == "firehose" && e.value == "error-output-type") has_type = true;
      return Status::Ok();
    }));
    if (has_expr && !has_type) {
      return Status::InvalidArgument(
          "ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions");
    }
  }
  if (prefix_has_expr && (!error_prefix || error_prefix->empty())) {
    return Status::InvalidArgument("ErrorOutputPrefix can't be null when Prefix contains expressions");
  }
  if (prefix_has_partition && !dynamic_partitioning) {
    return Status::InvalidArgument(
        "Partition key expressions in Prefix require dynamic partitioning to be enabled");
  }
  if (dynamic_partitioning && !prefix_has_partition) {
    return Status::InvalidArgument(
        "Prefix must contain partitionKeyFromQuery or partitionKeyFromLambda expressions when "
        "dynamic partitioning is enabled");
  }
  return Status::Ok();
}

Result<std::string> EvaluatePrefix(std::string_view prefix, const PrefixContext& context,
                                   bool default_time) {
  std::string out;
  bool has_time = false;
  OSPREY_RETURN_IF_ERROR(Walk(prefix, [&](std::string_view lit) { out += lit; },
                              [&](const Expr& e) -> Status {
    if (e.ns == "timestamp") {
      has_time = true;
      OSPREY_ASSIGN_OR_RETURN(std::string t, FormatJavaTime(e.value, context.time_ms));
      out += t;
    } else if (e.ns == "firehose" && e.value == "random-string") {
      out += NewUuid().substr(0, 11);
    } else if (e.ns == "firehose" && e.value == "error-output-type") {
      out += context.error_output_type;
    } else if (IsPartitionNs(e.ns)) {
      const auto* keys = e.ns == "partitionKeyFromQuery" ? context.query_keys : context.lambda_keys;
      if (keys == nullptr || keys->find(std::string(e.value)) == keys->end()) {
        return Status::InvalidArgument("partition key '" + std::string(e.value) + "' not found");
      }
      out += keys->at(std::string(e.value));
    } else {
      return Status::InvalidArgument("unknown expression in prefix");
    }
    return Status::Ok();
  }));
  if (default_time && !has_time) {
    OSPREY_ASSIGN_OR_RETURN(std::string t, FormatJavaTime("yyyy/MM/dd/HH/", context.time_ms));
    out += t;
  }
  if (out.size() > 512) return Status::InvalidArgument("evaluated prefix longer than 512 characters");
  return out;
}

Result<std::string> EvaluateErrorPrefix(std::string_view prefix,
                                        const std::optional<std::string>& error_prefix,
                                        const PrefixContext& context) {
  if (error_prefix && !error_prefix->empty()) return EvaluatePrefix(*error_prefix, context, false);
  OSPREY_ASSIGN_OR_RETURN(std::string t, FormatJavaTime("yyyy/MM/dd/HH/", context.time_ms));
  std::string out(prefix);
  out += context.error_output_type;
  out += '/';
  out += t;
  return out;
}

std::string ObjectSuffix(std::string_view stream_name, int64_t version_id, int64_t write_ms,
                         std::string_view uuid, std::string_view extension) {
  std::string out(stream_name);
  out += '-';
  out += std::to_string(version_id);
  out += '-';
  out += FormatJavaTime("yyyy-MM-dd-HH-mm-ss", write_ms).value();
  out += '-';
  out += uuid;
  out += extension;
  return out;
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

}  // namespace osprey::firehose
