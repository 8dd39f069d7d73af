// What every osprey subcommand shares: flag parsing, the endpoint and
// credentials from flags or the AWS environment, time parsing, and the
// exit-code convention (0 done, 1 the operation failed, 2 bad usage), with
// errors printed as one line "osprey: <what went wrong>".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"
#include "osprey/base/value.h"
#include "osprey/client/http_client.h"

namespace osprey::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// "--name value" and "--name=value"; a flag in `switches` takes no value.
// InvalidArgument for a flag not in `known` or a missing value.
Result<std::map<std::string, std::string>> ParseFlags(const std::vector<std::string>& args,
                                                      const std::vector<std::string>& known,
                                                      const std::vector<std::string>& switches);

struct Connection {
  client::Url url;
  std::string region;
  auth::Credentials credentials;
};
// --endpoint, else OSPREY_ENDPOINT, else AWS_ENDPOINT_URL; --region, else
// AWS_REGION / AWS_DEFAULT_REGION, else us-east-1; AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN); for https://, the CA file
// from --ca-bundle, else AWS_CA_BUNDLE, else the system store. A profile of
// the AWS CLI's files (aws_profile.h: --profile, else AWS_PROFILE, else
// [default] without key variables) fills in keys, region, endpoint_url and
// ca_bundle where flags and variables leave them unset; --profile's keys
// win over the key variables, as in the AWS CLI.
// Without `require_credentials`, missing keys leave them empty (osprey
// doctor reports them itself).
Result<Connection> ConnectionFromFlags(const std::map<std::string, std::string>& flags,
                                       bool require_credentials = true);

// "2026-11-29T06:50:00Z", "2026-11-29T06:50:00.250Z", "2026-11-29 06:50:00"
// (UTC), or epoch seconds "1795934968.5" -> epoch ms.
Result<int64_t> ParseTime(const std::string& text);

std::vector<std::string> SplitList(const std::string& text);  // "a,b" -> {a, b}

// Prints "osprey: <message>" (the message alone, no status code name, so an
// AWS error reads "osprey: ResourceNotFoundException: ...") and returns `code`.
int Report(const Status& status, int code);

// One SigV4-signed JSON call. On HTTP 200: the parsed answer, and the raw
// text in *raw when given. Otherwise a Status whose message is
// "<AWS error name>: <its message>" on one line (connection failures keep
// their own message); callers exit with kExitFailed.
Result<Value> CallApi(const Connection& connection, const client::JsonCall& call,
                      const std::string& body, std::string* raw = nullptr);

// The text of a scalar member ("" when absent): strings as they are,
// integers and doubles as numbers, booleans as true/false.
std::string Text(const Value& doc, std::string_view key);

// Text(), but epoch-seconds members whose name ends in "Time" or
// "Timestamp" are shown as UTC ("2026-11-29T07:46:17.481Z"), for tables.
std::string DisplayText(const Value& doc, std::string_view key);

// Left-aligned columns separated by two spaces; rows[0] is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows);

// A subcommand that calls the server: its flags (plus --endpoint, --region
// and the --json switch, which every one of them takes) and the connection.
// InvalidArgument (exit kExitUsage) for an unknown flag, a missing required
// one, or no endpoint or credentials.
struct ApiCommand {
  std::map<std::string, std::string> flags;
  Connection connection;
  bool json = false;
  bool Has(const std::string& flag) const { return flags.count(flag) != 0; }
};
Result<ApiCommand> ParseApiCommand(const std::vector<std::string>& args,
                                   std::vector<std::string> known,
                                   std::vector<std::string> switches,
                                   const std::vector<std::string>& required);

}  // namespace osprey::cli
