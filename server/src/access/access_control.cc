#include "access/access_control.h"

#include <chrono>
#include <ctime>

#include "access/audit_log.h"
#include "osprey/auth/policy.h"
#include "osprey/base/json_writer.h"

namespace osprey::server::access {

namespace {

constexpr std::string_view kAudited[] = {
    // Kinesis Video Streams control plane
    "kinesisvideo:CreateStream",
    "kinesisvideo:DeleteStream",
    "kinesisvideo:UpdateStream",
    "kinesisvideo:UpdateDataRetention",
    "kinesisvideo:TagStream",
    "kinesisvideo:UntagStream",
    "kinesisvideo:TagResource",
    "kinesisvideo:UntagResource",
    // Kinesis Data Streams
    "kinesis:CreateStream",
    "kinesis:DeleteStream",
    "kinesis:UpdateShardCount",
    "kinesis:SplitShard",
    "kinesis:MergeShards",
    "kinesis:UpdateStreamMode",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:DecreaseStreamRetentionPeriod",
    "kinesis:AddTagsToStream",
    "kinesis:RemoveTagsFromStream",
    "kinesis:TagResource",
    "kinesis:UntagResource",
    "kinesis:RegisterStreamConsumer",
    "kinesis:DeregisterStreamConsumer",
    "kinesis:StartStreamEncryption",
    "kinesis:StopStreamEncryption",
    "kinesis:EnableEnhancedMonitoring",
    "kinesis:DisableEnhancedMonitoring",
    // Firehose
    "firehose:CreateDeliveryStream",
    "firehose:DeleteDeliveryStream",
    "firehose:UpdateDestination",
    "firehose:TagDeliveryStream",
    "firehose:UntagDeliveryStream",
    "firehose:StartDeliveryStreamEncryption",
    "firehose:StopDeliveryStreamEncryption",
};

std::string FullAction(const Call& call) {
  return std::string(call.service) + ":" + std::string(call.action);
}

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

// "127.0.0.1:4242" -> "127.0.0.1"; "[::1]:4242" -> "::1".
std::string_view SourceAddress(std::string_view remote) {
  if (remote.starts_with('[')) {
    const size_t close = remote.find(']');
    return close == std::string_view::npos ? remote : remote.substr(1, close - 1);
  }
  const size_t colon = remote.rfind(':');
  if (colon == std::string_view::npos || remote.find(':') != colon) return remote;
  return remote.substr(0, colon);
}

}  // namespace

std::string_view StreamNameOf(std::string_view s) {
  if (!s.starts_with("arn:")) return s;
  // The resource part follows the fifth ':'.
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    pos = s.find(':', pos);
    if (pos == std::string_view::npos) return s;
    ++pos;
  }
  std::string_view resource = s.substr(pos);
  const size_t slash = resource.find('/');
  if (slash == std::string_view::npos) return s;
  std::string_view name = resource.substr(slash + 1);
  name = name.substr(0, name.find('/'));
  return name.empty() ? s : name;
}

AccessControl::AccessControl(Options options) : options_(std::move(options)) {}

bool AccessControl::IsAudited(std::string_view service, std::string_view action) {
  for (std::string_view a : kAudited) {
    if (a.size() == service.size() + 1 + action.size() && a.starts_with(service) &&
        a[service.size()] == ':' && a.ends_with(action)) {
      return true;
    }
  }
  return false;
}

std::string AccessControl::ArnOf(std::string_view service, std::string_view stream) const {
  if (stream.starts_with("arn:")) return std::string(stream);
  return "arn:aws:" + std::string(service) + ":" + options_.region + ":" + options_.account + ":" +
         (service == "firehose" ? "deliverystream/" : "stream/") + std::string(stream);
}

Status AccessControl::Authorize(const Request& request, const Call& call) const {
  if (!options_.credentials || request.access_key_id.empty() || request.internal) {
    return Status::Ok();
  }
  const std::shared_ptr<const auth::CredentialStore> store = options_.credentials();
  const auth::AccessKey* key = store->Find(request.access_key_id);
  if (key != nullptr && !key->policy) return Status::Ok();
  const std::string action = FullAction(call);

  auto deny = [&](auth::Decision decision, std::string_view resource) {
    return Status::PermissionDenied(
        "User: " + request.access_key_id + " is not authorized to perform: " + action +
        " on resource: " + std::string(resource) +
        (decision == auth::Decision::kExplicitDeny
             ? " with an explicit deny in an identity-based policy"
             : " because no identity-based policy allows the " + action + " action"));
  };
  // A key removed by a reload while its request was in flight: refuse.
  if (key == nullptr) return deny(auth::Decision::kImplicitDeny, "*");

  if (call.streams.empty()) {
    auth::Decision d;
    if (call.capability) {
      d = auth::EvaluateAction(*key->policy, action);
    } else {
      d = auth::Evaluate(*key->policy, action,
                         {call.service, options_.region, options_.account, ""});
    }
    return d == auth::Decision::kAllow ? Status::Ok() : deny(d, "*");
  }
  for (const std::string& stream : call.streams) {
    const auth::ResourceRef ref{call.service, options_.region, options_.account,
                                StreamNameOf(stream)};
    // An empty name would mean "the account": never what a request that
    // names a stream asks for.
    const auth::Decision d = ref.stream.empty() ? auth::Decision::kImplicitDeny
                                                : auth::Evaluate(*key->policy, action, ref);
    if (d != auth::Decision::kAllow) return deny(d, ArnOf(call.service, stream));
  }
  return Status::Ok();
}

Responder AccessControl::Audited(const Request& request, const Call& call,
                                 Responder respond) const {
  if (options_.audit == nullptr || !IsAudited(call.service, call.action)) return respond;
  // Copies: the Responder may run after the request and `call` are gone.
  struct Copy {
    Request request;
    std::string service, action;
    std::vector<std::string> streams;
  };
  auto copy = std::make_shared<Copy>();
  copy->request.request_id = request.request_id;
  copy->request.remote = request.remote;
  copy->request.access_key_id = request.access_key_id;
  copy->service = call.service;
  copy->action = call.action;
  copy->streams = call.streams;
  return [this, copy, respond = std::move(respond)](Response response) {
    Record(copy->request, Call{copy->service, copy->action, copy->streams}, response);
    respond(std::move(response));
  };
}

void AccessControl::Record(const Request& request, const Call& call,
                           const Response& response) const {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.Key("time").String(NowRfc3339());
  w.Key("request_id").String(request.request_id);
  w.Key("access_key_id");
  if (request.access_key_id.empty()) {
    w.Null();
  } else {
    w.String(request.access_key_id);
  }
  w.Key("source").String(SourceAddress(request.remote));
  w.Key("action").String(FullAction(call));
  w.Key("resource");
  if (call.streams.empty()) {
    w.String("*");
  } else {
    w.String(ArnOf(call.service, call.streams.front()));
  }
  w.Key("status").Int64(response.status);
  const bool ok = response.status >= 200 && response.status < 300;
  w.Key("result").String(ok ? "ok" : "error");
  if (!ok) w.Key("error").String(response.headers.Get("x-amzn-ErrorType").value_or("Unknown"));
  w.EndObject();
  options_.audit->Append(line);
}

}  // namespace osprey::server::access
