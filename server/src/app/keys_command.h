// `osprey-server keys ...`: manage DATA_DIR/credentials.toml from the shell.
//
//   osprey-server keys add --data-dir D --name NAME
//                          [--role admin|camera|viewer] [--stream PATTERN]...
//                          [--requests-per-second N [--burst N]]
//       appends a new random key to the file (creating it, mode 0600) and
//       prints its id and secret once, as export lines.
//   osprey-server keys list --data-dir D
//       prints each key id with its role, streams and rate limit (never a
//       secret).
//
// The running server applies a change on SIGHUP. Runs on the calling
// thread; writes only the credentials file.
#pragma once

namespace osprey::server {

// argv[0] is "keys". Returns the process exit code (0 ok, 1 failure, 2
// usage error); prints to stdout/stderr.
int RunKeysCommand(int argc, char** argv);

}  // namespace osprey::server
