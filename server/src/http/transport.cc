#include "http/transport.h"

namespace osprey::server {

std::string Transport::alpn() {
  if (!tls_) return "";
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(tls_->native_handle(), &data, &size);
  return data == nullptr ? "" : std::string(reinterpret_cast<const char*>(data), size);
}

void Transport::Close() {
  beast::error_code ec;
  tcp().socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  tcp().close();
}

}  // namespace osprey::server
