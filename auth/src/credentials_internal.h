// Key validation shared by the TOML parser (credentials_toml.cc) and
// CredentialStore::FromKeys (credentials.cc).
#pragma once

#include <string>
#include <string_view>

namespace osprey::auth::internal {

// Each returns an empty string when valid, otherwise what is wrong (never
// quoting a secret).
std::string CheckAccessKeyId(std::string_view id);
std::string CheckSecretAccessKey(std::string_view secret);

}  // namespace osprey::auth::internal
