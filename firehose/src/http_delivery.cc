#include "http_delivery.h"

#include "http_client.h"
#include "json_value.h"
#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"
#include "osprey/firehose/compression.h"

namespace osprey::firehose {

std::string BuildHttpRequestBody(const std::vector<std::string>& records, const std::string& request_id,
                                 int64_t now_ms, bool gzip) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("requestId").String(request_id).Key("timestamp").Int64(now_ms);
  w.Key("records").BeginArray();
  for (const std::string& r : records) w.BeginObject().Key("data").String(base64::Encode(r)).EndObject();
  w.EndArray().EndObject();
  if (!gzip) return body;
  auto packed = Compress(Compression::kGzip, body, "");
  return packed.ok() ? std::move(*packed) : body;
}

HttpOutcome PostToEndpoint(const HttpEndpointDestination& d, const std::string& source_arn,
                           const std::string& request_id, const std::string& body) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"X-Amz-Firehose-Protocol-Version", "1.0"},
      {"X-Amz-Firehose-Request-Id", request_id},
      {"X-Amz-Firehose-Source-Arn", source_arn},
  };
  if (d.gzip) headers.emplace_back("Content-Encoding", "gzip");
  if (!d.access_key.empty()) headers.emplace_back("X-Amz-Firehose-Access-Key", d.access_key);
  if (!d.common_attributes.empty()) {
    std::string attrs;
    JsonWriter w(&attrs);
    w.BeginObject().Key("commonAttributes").BeginObject();
    for (const auto& [k, v] : d.common_attributes) w.Key(k).String(v);
    w.EndObject().EndObject();
    headers.emplace_back("X-Amz-Firehose-Common-Attributes", attrs);
  }
  HttpOutcome out;
  auto res = HttpCall("POST", d.url, headers, body, 180'000);
  if (!res.ok()) {
    const std::string& m = res.status().message();
    size_t colon = m.find(':');
    std::string kind = colon == std::string::npos ? "ConnectionFailed" : m.substr(0, colon);
    out.error_code = "HttpEndpoint." + kind;
    out.error_message = m;
    return out;
  }
  if (res->status == 413) {
    out.permanent = true;
    out.error_code = "HttpEndpoint.DestinationException";
    out.error_message = "413: request too large for the endpoint";
    return out;
  }
  std::string snippet = res->body.substr(0, 8192);
  if (res->status != 200) {
    out.error_code = "HttpEndpoint.DestinationException";
    out.error_message = "Received the following response from the endpoint destination. " +
                        std::to_string(res->status) + ": " + snippet;
    return out;
  }
  auto parsed = ParseJson(res->body);
  bool valid = parsed.ok() && parsed->type() == Value::Type::kMap &&
               GetString(*parsed, "requestId") == request_id;
  if (valid) {
    const Value* ts = parsed->Find("timestamp");
    valid = ts != nullptr && (ts->type() == Value::Type::kInt || ts->type() == Value::Type::kDouble ||
                              (ts->type() == Value::Type::kString && !ts->as_string().empty() &&
                               ts->as_string().find_first_not_of("0123456789") == std::string::npos));
  }
  if (!valid) {
    out.error_code = "HttpEndpoint.InvalidResponseFromDestination";
    out.error_message = "The response received from the endpoint is invalid: " + snippet;
    return out;
  }
  out.delivered = true;
  return out;
}

}  // namespace osprey::firehose
