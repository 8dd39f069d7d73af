// Named profiles from the AWS CLI's shared files, so `osprey --profile NAME`
// uses the same keys, region and endpoint as `aws --profile NAME`:
//
//   ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE)   [NAME]
//       aws_access_key_id, aws_secret_access_key, aws_session_token
//   ~/.aws/config (AWS_CONFIG_FILE)                     [profile NAME] ([default])
//       region, endpoint_url, ca_bundle, and keys too (the CLI accepts them there)
//
// The credentials file wins over the config file for keys, as in the AWS
// CLI. Only static keys: no role assumption, SSO or credential_process
// (a profile that only has those is NotFound with that reason).
#pragma once

#include <string>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"

namespace osprey::cli {

struct AwsProfile {
  auth::Credentials credentials;  // empty access key: the profile has none
  std::string region;             // "" when not set
  std::string endpoint_url;       // "" when not set
  std::string ca_bundle;          // "" when not set
};

// Reads profile `name` from the two files (either may be missing; a file
// that cannot be read for another reason is an error). NotFound when
// neither file has the profile; InvalidArgument for a half key pair.
Result<AwsProfile> LoadAwsProfile(const std::string& name);

// The same from explicit paths (tests; LoadAwsProfile resolves the
// environment and $HOME and calls this).
Result<AwsProfile> LoadAwsProfileFrom(const std::string& name,
                                      const std::string& credentials_path,
                                      const std::string& config_path);

}  // namespace osprey::cli
