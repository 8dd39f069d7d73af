// AccessControl: the one authorisation hook of osprey-server. Each API
// family (video/, kinesis/, firehose/) calls it where a request's action
// and streams are both known, with what the request names; the policy of
// the caller's access key (auth/policy.h) decides. The same object appends
// control-plane calls to the audit log (audit_log.h).
//
//   access::Call call{"kinesis", "PutRecord", {"events"}};
//   respond = access->Audited(request, call, std::move(respond));
//   if (Status s = access->Authorize(request, call); !s.ok()) -> the
//       family's AccessDeniedException (400 Kinesis/Firehose, 403 KVS)
//
// Who may do what: a request without an access key (--auth=none) or signed
// with a key that has no policy may do everything; any other key needs its
// policy to allow "<service>:<action>" on every stream the request names
// (or on "*" when it names none).
//
// Lifetime: the audit log must outlive this.
// Thread safety: const methods, safe from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/auth/credentials.h"
#include "osprey/base/status.h"
#include "osprey/server/http.h"

namespace osprey::server::access {

class AuditLog;

// One call as the check sees it.
struct Call {
  std::string_view service;  // "kinesisvideo", "kinesis" or "firehose"
  std::string_view action;   // "PutMedia", as the IAM action is named
  // Every stream the request names, as given: names or ARNs (stream,
  // consumer or delivery-stream ARNs). Empty: the call names none (List*),
  // and the resource is "*".
  std::vector<std::string> streams;
  // The request presents a token issued to an authorised caller instead of
  // a stream (a shard iterator, a pagination token): only the action is
  // checked (auth::EvaluateAction).
  bool capability = false;
};

class AccessControl {
 public:
  struct Options {
    std::string region = "us-east-1";
    std::string account = "000000000000";
    // The keys in force (they change on SIGHUP); null: --auth=none.
    std::function<std::shared_ptr<const auth::CredentialStore>()> credentials;
    AuditLog* audit = nullptr;  // null: not audited
  };
  explicit AccessControl(Options options);

  // OK, or PermissionDenied whose message is AWS's: "User: <key> is not
  // authorized to perform: kinesisvideo:PutMedia on resource: <arn> because
  // no identity-based policy allows the kinesisvideo:PutMedia action" (or
  // "with an explicit deny in an identity-based policy").
  Status Authorize(const Request& request, const Call& call) const;

  // For a control-plane action (IsAudited), a Responder that appends the
  // answer to the audit log and then passes it to `respond`; otherwise
  // `respond` itself.
  Responder Audited(const Request& request, const Call& call, Responder respond) const;

  // Create/Delete/Update/Tag/retention/reshard/consumer/encryption calls.
  static bool IsAudited(std::string_view service, std::string_view action);

  // The ARN shown for `stream` (kept when already an ARN).
  std::string ArnOf(std::string_view service, std::string_view stream) const;

 private:
  void Record(const Request& request, const Call& call, const Response& response) const;

  Options options_;
};

// The stream name inside a stream, consumer or delivery-stream ARN
// ("arn:aws:kinesis:r:a:stream/NAME/consumer/c:1" -> "NAME"); anything else
// is returned unchanged (and then matches only the resource "*").
std::string_view StreamNameOf(std::string_view name_or_arn);

}  // namespace osprey::server::access
