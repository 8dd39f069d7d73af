#include "http/tls_context.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace osprey::server {
namespace {

namespace ssl = boost::asio::ssl;

// Our preference wins over the client's order: h2 when offered, else
// http/1.1. A client offering neither (an old one) proceeds without ALPN.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  for (std::string_view want : {std::string_view("h2"), std::string_view("http/1.1")}) {
    for (unsigned int i = 0; i < in_len;) {
      unsigned int len = in[i];
      if (i + 1 + len > in_len) break;
      if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == want) {
        *out = in + i + 1;
        *out_len = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The reason a PEM file cannot be used: the system's when it cannot even
// be opened (OpenSSL's would be "system lib"), else OpenSSL's.
std::string Unreadable(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::strerror(errno);
  std::fclose(f);
  return "";
}

std::string Reason(const boost::system::error_code& ec) {
  std::string why = ec.message();
  ERR_clear_error();
  return why;
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                          const std::string& key_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  for (const auto& [key, path] : {std::pair{"tls_cert", cert_file}, std::pair{"tls_key", key_file}}) {
    if (std::string why = Unreadable(path); !why.empty()) {
      return Status::InvalidArgument(std::string(key) + ": cannot read \"" + path + "\": " + why);
    }
  }
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("tls_cert: cannot use \"" + cert_file + "\": " + Reason(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("tls_key: cannot use \"" + key_file + "\": " + Reason(ec));
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls_key: \"" + key_file +
                                   "\" is not the key of the certificate in \"" + cert_file + "\"");
  }
  SSL_CTX_set_alpn_select_cb(native, &SelectAlpn, nullptr);
  // No session tickets to rotate and no session cache to bound: clients do
  // full handshakes, which our connection counts (long-lived uploads, a
  // few API calls per keep-alive connection) make cheap enough.
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return context;
}

}  // namespace osprey::server
