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
// AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN).
Result<Connection> ConnectionFromFlags(const std::map<std::string, std::string>& flags);

// "2026-11-29T06:50:00Z", "2026-11-29T06:50:00.250Z", "2026-11-29 06:50:00"
// (UTC), or epoch seconds "1795934968.5" -> epoch ms.
Result<int64_t> ParseTime(const std::string& text);

std::vector<std::string> SplitList(const std::string& text);  // "a,b" -> {a, b}

}  // namespace osprey::cli
