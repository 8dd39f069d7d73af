// An HTTP/2 stream that never ends by itself (an upload that stays open) is
// told to wind down when the server shuts down. The client is a minimal
// nghttp2 client on a blocking socket, so the test controls when the upload
// would end (never).
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "osprey/base/metrics.h"
#include "osprey/server/http_server.h"
#include "test_routes.h"

namespace osprey::server {
namespace {

using namespace std::chrono_literals;

struct Client {
  int fd = -1;
  std::string body;
  bool closed = false;

  static ssize_t Send(nghttp2_session*, const uint8_t* data, size_t len, int, void* user) {
    return ::send(static_cast<Client*>(user)->fd, data, len, MSG_NOSIGNAL);
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len,
                    void* user) {
    static_cast<Client*>(user)->body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t, uint32_t, void* user) {
    static_cast<Client*>(user)->closed = true;
    return 0;
  }
  // The upload: four bytes, then nothing more, ever.
  static ssize_t Upload(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t*,
                        nghttp2_data_source* source, void*) {
    if (source->ptr == nullptr || length < 4) return NGHTTP2_ERR_DEFERRED;
    std::memcpy(buf, "data", 4);
    source->ptr = nullptr;
    return 4;
  }
};

// Pumps the client until `done` or `limit`; false on timeout or error.
template <typename Done>
bool Pump(nghttp2_session* session, Client* c, Done done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (nghttp2_session_send(session) != 0) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{c->fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[16384];
    ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0) return done();
    if (nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buf), n) < 0) return false;
  }
  return true;
}

TEST(Http2ShutdownTest, OpenStreamIsToldToWindDown) {
  Router router;
  router.AddPath("POST", "/live", testing::LiveRoute());
  MetricsRegistry metrics;
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.shutdown_grace = 20000ms;  // far longer than the test may take
  auto server = HttpServer::Start(options, &router, nullptr, &metrics);
  ASSERT_TRUE(server.ok());

  Client client;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), (*server)->port()});
  client.fd = socket.native_handle();

  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_send_callback(callbacks, &Client::Send);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Client::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Client::OnClose);
  nghttp2_session* session;
  nghttp2_session_client_new(&session, callbacks, &client);
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  std::string authority = "127.0.0.1:" + std::to_string((*server)->port());
  auto nv = [](const char* n, const std::string& v) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n)),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), std::strlen(n),
                      v.size(), NGHTTP2_NV_FLAG_NONE};
  };
  std::string post = "POST", path = "/live", scheme = "http";
  nghttp2_nv headers[] = {nv(":method", post), nv(":path", path), nv(":scheme", scheme),
                          nv(":authority", authority)};
  nghttp2_data_provider upload{};
  upload.source.ptr = &client;  // non-null: the four bytes are still to send
  upload.read_callback = &Client::Upload;
  ASSERT_GT(nghttp2_submit_request(session, nullptr, headers, 4, &upload, nullptr), 0);

  ASSERT_TRUE(Pump(session, &client, [&] { return client.body == "started"; }, 5000ms))
      << client.body;
  auto start = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&] { (*server)->Shutdown(); });
  EXPECT_TRUE(Pump(session, &client, [&] { return client.closed; }, 5000ms));
  EXPECT_EQ(client.body, "startedbye");
  stopped.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5000ms);
  nghttp2_session_del(session);
}

}  // namespace
}  // namespace osprey::server
