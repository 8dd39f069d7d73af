// The server's TLS context: certificate chain and key from PEM files,
// TLS 1.2 or later, and ALPN offering "h2" before "http/1.1" so HTTP/2
// clients (curl --http2, browsers, the AWS SDKs' h2 clients) get HTTP/2 on
// the same port as everyone else.
//
// Thread safety: the context is immutable after MakeServerTlsContext()
// returns and shared by every connection, on any thread.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "osprey/base/result.h"

namespace osprey::server {

// InvalidArgument naming the file and OpenSSL's reason when the chain or key
// cannot be read, or the key does not belong to the certificate.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace osprey::server
