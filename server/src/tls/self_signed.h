// The certificates of `osprey-server --self-signed`: a CA of our own and a
// server certificate it signs, kept in one directory (DATA_DIR/tls/):
//
//   ca.pem          the CA certificate: what clients trust (--ca-bundle,
//                   --ca-file, KVSSINK_CA_CERT_PATH)
//   ca-key.pem      its private key (0600)
//   server.pem      the server certificate followed by ca.pem (the chain
//                   the server sends)
//   server-key.pem  its private key (0600)
//
// Keys are ECDSA P-256. The CA is valid for 10 years and is never replaced
// once written, so clients keep trusting the server across restarts. The
// server certificate (397 days) is reissued by the same CA when it is
// missing, was not signed by ca.pem, lacks one of the wanted names, or has
// fewer than 30 days left. Made with the OpenSSL C API, no shell-out.
//
// Thread safety: pure functions of the file system; two processes racing on
// one directory each write whole files (temporary file, then rename).
#pragma once

#include <string>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::server::tls {

struct SelfSignedFiles {
  std::string ca_cert;     // absolute paths in `dir`
  std::string ca_key;
  std::string cert;
  std::string key;
  bool ca_created = false;    // this call made the CA
  bool cert_created = false;  // this call issued the server certificate
};

// The names every self-signed server certificate carries: localhost,
// 127.0.0.1, ::1 and this machine's host name, then `extra` (DNS names or
// IP addresses), without duplicates.
std::vector<std::string> DefaultSubjectAltNames(const std::vector<std::string>& extra);

// Creates `dir` (0700) if missing and makes or reuses the four files above
// so that the server certificate names every entry of `names`. IOError when
// a file cannot be written; Corruption when an existing CA file cannot be
// parsed (it is not overwritten: clients may trust it).
Result<SelfSignedFiles> EnsureSelfSigned(const std::string& dir,
                                         const std::vector<std::string>& names);

}  // namespace osprey::server::tls
