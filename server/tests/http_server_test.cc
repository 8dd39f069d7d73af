// In-process tests of the HTTP layer: real sockets on 127.0.0.1, a real
// Beast client, and test routes registered on a Router.
#include "osprey/server/http_server.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"
#include "osprey/base/metrics.h"
#include "test_routes.h"

namespace osprey::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (getenv("OSPREY_TEST_DEBUG")) log::SetLevel(log::Level::kDebug);
    Route echo;
    echo.api = "Echo";
    echo.buffered = [](Request r, Responder respond) {
      Response res = Response::Text(200, r.method + " " + r.path + " " + r.body);
      respond(std::move(res));
    };
    router_.AddPath("POST", "/echo", echo);
    router_.AddPath("GET", "/echo", echo);

    Route small = echo;
    small.api = "Small";
    small.max_body_bytes = 10;
    router_.AddPath("POST", "/small", small);

    Route slow;
    slow.api = "Slow";
    slow.buffered = [](Request, Responder respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(300ms);
        respond(Response::Text(200, "done"));
      }).detach();
    };
    router_.AddPath("POST", "/slow", slow);

    Route duplex;
    duplex.api = "Duplex";
    duplex.body = Route::Body::kStreaming;
    duplex.signs_empty_payload = true;  // like PutMedia: the body streams in
    duplex.streaming = [](std::shared_ptr<Exchange> ex) {
      ex->StartResponse(200, Headers{});
      Pump(ex);
    };
    router_.AddPath("POST", "/duplex", duplex);

    router_.AddPath("POST", "/live", testing::LiveRoute());

    // Like GetMedia: a signed JSON body, then an open-ended answer.
    Route tail;
    tail.api = "Tail";
    tail.service = "kinesisvideo";
    tail.body = Route::Body::kStreaming;
    tail.streaming = [](std::shared_ptr<Exchange> ex) {
      ex->ReadSome([ex](Status s, std::string_view data, bool eof) {
        EXPECT_TRUE(s.ok());
        EXPECT_TRUE(data.empty());
        EXPECT_TRUE(eof);
        ex->StartResponse(200, Headers{});
        ex->Write("body was " + ex->request().body);
        ex->Write(" and more");
        ex->Finish();
      });
    };
    router_.AddPath("POST", "/tail", tail);

    Route ws;
    ws.api = "WsEcho";
    ws.body = Route::Body::kWebSocket;
    ws.websocket = [](std::shared_ptr<WebSocket> socket) { WsPump(socket); };
    router_.AddPath("GET", "/ws", ws);

    Route signed_route = echo;
    signed_route.api = "Signed";
    signed_route.service = "kinesis";
    router_.AddPath("POST", "/signed", signed_route);
    Route empty_payload = signed_route;
    empty_payload.signs_empty_payload = true;
    router_.AddPath("POST", "/signed-empty", empty_payload);

    router_.AddTargetFamily("Kinesis_20131202.", "kinesis", "application/x-amz-json-1.1");
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  static void Pump(std::shared_ptr<Exchange> ex) {
    ex->ReadSome([ex](Status s, std::string_view data, bool eof) {
      if (!s.ok()) return;
      if (!data.empty()) ex->Write("echo:" + std::string(data));
      if (eof) return ex->Finish();
      Pump(ex);
    });
  }

  static void WsPump(std::shared_ptr<WebSocket> socket) {
    socket->Read([socket](Status s, std::string message, bool binary) {
      if (!s.ok()) return;
      socket->Send("ws:" + message, binary);
      WsPump(socket);
    });
  }

  void StartServer(HttpServerOptions options = {}, Authenticator auth = nullptr) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    auto server = HttpServer::Start(options, &router_, std::move(auth), &metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  tcp::socket Connect() {
    tcp::socket socket(ioc_);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    return socket;
  }

  // Reads until the peer closes; returns everything read. Fails the test if
  // that takes longer than `limit`.
  std::string ReadUntilClosed(tcp::socket& socket, std::chrono::milliseconds limit) {
    std::string all;
    auto deadline = std::chrono::steady_clock::now() + limit;
    socket.non_blocking(true);
    char buf[4096];
    for (;;) {
      beast::error_code ec;
      size_t n = socket.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        if (std::chrono::steady_clock::now() > deadline) {
          ADD_FAILURE() << "connection still open after " << limit.count() << " ms";
          return all;
        }
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) return all;
      all.append(buf, n);
    }
  }

  // Reads whatever part of a streamed response body arrives next.
  static bool ReadBodyPiece(tcp::socket& socket, beast::flat_buffer& buffer,
                            http::response_parser<http::buffer_body>& parser, std::string* got) {
    char out[256];
    parser.get().body().data = out;
    parser.get().body().size = sizeof out;
    beast::error_code ec;
    http::read_some(socket, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      ADD_FAILURE() << ec.message();
      return false;
    }
    got->append(out, sizeof out - parser.get().body().size);
    return true;
  }

  http::response<http::string_body> Roundtrip(beast::tcp_stream& stream,
                                              http::request<http::string_body> req) {
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  }

  net::io_context ioc_;
  Router router_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  beast::tcp_stream stream(Connect());
  std::string first_id;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req{http::verb::post, "/echo?x=1", 11};
    req.set(http::field::host, "localhost");
    req.body() = "n" + std::to_string(i);
    auto res = Roundtrip(stream, req);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "POST /echo n" + std::to_string(i));
    EXPECT_TRUE(res.keep_alive());
    std::string id(res["x-amzn-RequestId"]);
    EXPECT_EQ(id.size(), 36u);
    EXPECT_NE(id, first_id);
    first_id = id;
  }
  // The count is taken when the write completes on the server, which may be
  // just after the client has read the answer: allow it a moment.
  const std::string want = "osprey_http_requests_total{api=\"Echo\",status=\"200\"} 3";
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = metrics_.RenderPrometheus();
    if (text.find(want) != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(text.find(want), std::string::npos) << text;
}

TEST_F(HttpServerTest, UnknownTargetOfKnownFamilyIsUnknownOperation) {
  StartServer();
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> req{http::verb::post, "/", 11};
  req.set("X-Amz-Target", "Kinesis_20131202.NoSuchThing");
  req.body() = "{}";
  auto res = Roundtrip(stream, req);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(res["x-amzn-ErrorType"], "UnknownOperationException");
  EXPECT_EQ(res[http::field::content_type], "application/x-amz-json-1.1");
  EXPECT_EQ(res.body(), R"({"__type":"UnknownOperationException"})");
}

TEST_F(HttpServerTest, UnknownPostPathIsKvsUnknownOperation404) {
  StartServer();
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> req{http::verb::post, "/noSuchOperation", 11};
  req.body() = "{}";
  auto res = Roundtrip(stream, req);
  EXPECT_EQ(res.result_int(), 404);
  EXPECT_EQ(res["x-amzn-ErrorType"], "UnknownOperationException");
}

TEST_F(HttpServerTest, AnnouncedOversizeBodyIsRefusedBeforeItIsRead) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  tcp::socket socket = Connect();
  // 1 GiB announced, not a byte of it sent: the answer must come anyway.
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n";
  net::write(socket, net::buffer(head));
  std::string reply = ReadUntilClosed(socket, 2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("RequestEntityTooLargeException"), std::string::npos);
  EXPECT_NE(reply.find("1073741824 bytes exceeds the limit of 1024"), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  StartServer();
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string(
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                         "Expect: 100-continue\r\n\r\n")));
  std::string interim(25, '\0');
  net::read(socket, net::buffer(interim));
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  net::write(socket, net::buffer(std::string("abc")));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.body(), "POST /echo abc");
}

TEST_F(HttpServerTest, ExpectContinueIsNotSentWhenTheBodyIsRefused) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string(
                         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                         "Expect: 100-continue\r\n\r\n")));
  std::string reply = ReadUntilClosed(socket, 3000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
}

TEST_F(HttpServerTest, ChunkedBodyOverRouteLimitIsRefused) {
  StartServer();
  tcp::socket socket = Connect();
  std::string req =
      "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n";
  net::write(socket, net::buffer(req));
  std::string reply = ReadUntilClosed(socket, 2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
}

TEST_F(HttpServerTest, MalformedRequestGets400AndTheConnectionCloses) {
  StartServer();
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string("THIS IS NOT HTTP\r\n\r\n")));
  std::string reply = ReadUntilClosed(socket, 2000ms);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("BadRequestException"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServerTest, SlowHeaderIsCutOffAtTheHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = 400ms;
  StartServer(options);
  tcp::socket socket = Connect();
  auto start = std::chrono::steady_clock::now();
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {  // one byte per 50 ms: 2 s if never cut
    beast::error_code ec;
    net::write(socket, net::buffer(head.data() + (i % head.size()), 1), ec);
    closed = static_cast<bool>(ec);
    std::this_thread::sleep_for(50ms);
  }
  std::string rest = ReadUntilClosed(socket, 2000ms);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(rest.empty()) << rest;
  EXPECT_LT(elapsed, 2000ms);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = 300ms;
  StartServer(options);
  tcp::socket socket = Connect();
  std::string reply = ReadUntilClosed(socket, 2000ms);
  EXPECT_TRUE(reply.empty());
}

TEST_F(HttpServerTest, StreamingRouteReadsAndWritesAtTheSameTime) {
  StartServer();
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string(
                         "POST /duplex HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  http::read_header(socket, buffer, parser);
  ASSERT_EQ(parser.get().result_int(), 200);
  EXPECT_TRUE(parser.get().chunked());
  // Each piece is echoed back before the next one is sent: the request body
  // is still open while the response body flows.
  for (std::string piece : {"alpha", "beta", "gamma"}) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    net::write(socket, net::buffer(std::string(size) + piece + "\r\n"));
    std::string got;
    while (got.find("echo:" + piece) == std::string::npos) {
      ASSERT_TRUE(ReadBodyPiece(socket, buffer, parser, &got));
    }
  }
  net::write(socket, net::buffer(std::string("0\r\n\r\n")));
  std::string rest;
  while (!parser.is_done()) ASSERT_TRUE(ReadBodyPiece(socket, buffer, parser, &rest));
  EXPECT_EQ(rest, "");
  // Both directions ended cleanly, so the connection serves another request.
  beast::tcp_stream stream(std::move(socket));
  http::request<http::string_body> req{http::verb::get, "/echo", 11};
  auto res = Roundtrip(stream, req);
  EXPECT_EQ(res.body(), "GET /echo ");
}

TEST_F(HttpServerTest, StreamedAnswerToASignedBodyVerifiesTheBodyHashFirst) {
  std::vector<std::string> hashes;
  std::mutex mu;
  StartServer({}, [&](const Request&, std::string_view hash, std::string_view) {
    std::lock_guard lock(mu);
    hashes.emplace_back(hash);
    AuthDecision d;
    d.ok = true;
    return d;
  });
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> req{http::verb::post, "/tail", 11};
  req.body() = R"({"StreamName":"cam"})";
  auto res = Roundtrip(stream, req);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res.body(), R"(body was {"StreamName":"cam"} and more)");
  // The connection is still good for another request.
  EXPECT_EQ(Roundtrip(stream, req).body(), res.body());
  std::lock_guard lock(mu);
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(hashes[0], auth::Sha256Hex(R"({"StreamName":"cam"})"));
}

// HTTP/2 (h2c, prior knowledge) through the same routes, driven by the real
// nghttp client: a streamed answer to a signed body, and a streamed upload
// echoed while it arrives.
std::string RunNghttp(const std::string& args) {
  std::string out;
  FILE* p = popen(("nghttp " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST_F(HttpServerTest, Http2StreamsAnswersAndUploadsThroughTheSameRoutes) {
  StartServer();
  std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
  char path[] = "/tmp/osprey-h2-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  // Larger than the 1 MiB stream window: the upload only completes if
  // reading it reopens the window.
  std::string body(3 * 1024 * 1024, 'z');
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);

  std::string tail = RunNghttp("-d " + std::string(path) + " " + base + "/tail");
  EXPECT_NE(tail.find("body was " + std::string(20, 'z')), std::string::npos) << tail.substr(0, 300);
  EXPECT_NE(tail.find(" and more"), std::string::npos);

  std::string duplex = RunNghttp("-d " + std::string(path) + " " + base + "/duplex");
  size_t echoed = 0;
  for (size_t at = duplex.find("echo:"); at != std::string::npos; at = duplex.find("echo:", at + 1)) {
    ++echoed;
  }
  EXPECT_GE(echoed, 1u) << duplex.substr(0, 300);
  size_t zs = std::count(duplex.begin(), duplex.end(), 'z');
  EXPECT_EQ(zs, body.size());  // every uploaded byte came back, once
  unlink(path);
}

TEST_F(HttpServerTest, CorsPreflightAndExposedHeadersForBrowsers) {
  StartServer({}, [](const Request&, std::string_view, std::string_view) {
    AuthDecision d;  // everything denied: the preflight must not need auth
    d.error = ApiError{403, "MissingAuthenticationTokenException", "Missing Authentication Token"};
    return d;
  });
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> preflight{http::verb::options, "/", 11};
  preflight.set("Origin", "http://localhost:3000");
  preflight.set("Access-Control-Request-Method", "POST");
  preflight.set("Access-Control-Request-Headers", "x-amz-target,authorization");
  auto res = Roundtrip(stream, preflight);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res["Access-Control-Allow-Origin"], "*");
  EXPECT_EQ(res["Access-Control-Allow-Methods"], "POST");
  EXPECT_EQ(res["Access-Control-Allow-Headers"], "x-amz-target,authorization");
  EXPECT_EQ(res["Access-Control-Max-Age"], "172800");

  http::request<http::string_body> call{http::verb::post, "/signed", 11};
  call.set("Origin", "http://localhost:3000");
  auto denied = Roundtrip(stream, call);
  EXPECT_EQ(denied.result_int(), 403);
  EXPECT_EQ(denied["Access-Control-Allow-Origin"], "*");
  EXPECT_NE(denied["Access-Control-Expose-Headers"].find("x-amzn-ErrorType"), std::string::npos);

  http::request<http::string_body> same_origin{http::verb::get, "/echo", 11};
  EXPECT_EQ(Roundtrip(stream, same_origin)["Access-Control-Allow-Origin"], "");
}

TEST_F(HttpServerTest, ShutdownTellsOpenStreamsToWindDown) {
  HttpServerOptions options;
  options.shutdown_grace = 20000ms;  // far longer than the test may take
  StartServer(options);
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string(
                         "POST /live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "4\r\ndata\r\n")));
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  http::read_header(socket, buffer, parser);
  std::string got;
  while (got.find("started") == std::string::npos) {
    ASSERT_TRUE(ReadBodyPiece(socket, buffer, parser, &got));
  }
  auto start = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [this] { server_->Shutdown(); });
  while (!parser.is_done()) ASSERT_TRUE(ReadBodyPiece(socket, buffer, parser, &got));
  EXPECT_EQ(got, "startedbye");
  stopped.get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5000ms);
}

TEST_F(HttpServerTest, WebSocketUpgradeOnTheSamePort) {
  StartServer();
  websocket::stream<tcp::socket> ws(Connect());
  ws.handshake("127.0.0.1", "/ws");
  ws.text(true);
  ws.write(net::buffer(std::string("hello")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "ws:hello");
  ws.close(websocket::close_code::normal);
}

TEST_F(HttpServerTest, AuthenticatorSeesBodyHashAndItsRejectionIsAwsShaped) {
  std::mutex mu;
  std::vector<std::string> hashes;
  StartServer({}, [&](const Request& r, std::string_view hash, std::string_view service) {
    std::lock_guard lock(mu);
    hashes.emplace_back(hash);
    EXPECT_EQ(service, "kinesis");
    AuthDecision d;
    if (r.headers.Get("x-test-allow")) {
      d.ok = true;
      d.access_key_id = "AK";
    } else {
      d.error = ApiError{403, "InvalidSignatureException", "bad signature"};
    }
    return d;
  });
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> req{http::verb::post, "/signed", 11};
  req.body() = "abc";
  auto denied = Roundtrip(stream, req);
  EXPECT_EQ(denied.result_int(), 403);
  EXPECT_EQ(denied["x-amzn-ErrorType"], "InvalidSignatureException");
  EXPECT_EQ(denied.body(), R"({"__type":"InvalidSignatureException","message":"bad signature"})");
  req.set("x-test-allow", "1");
  EXPECT_EQ(Roundtrip(stream, req).result_int(), 200);
  http::request<http::string_body> empty{http::verb::post, "/signed-empty", 11};
  empty.set("x-test-allow", "1");
  empty.body() = "abc";
  EXPECT_EQ(Roundtrip(stream, empty).result_int(), 200);
  // Routes without a service are never sent to the authenticator.
  http::request<http::string_body> open{http::verb::post, "/echo", 11};
  EXPECT_EQ(Roundtrip(stream, open).result_int(), 200);

  std::lock_guard lock(mu);
  ASSERT_EQ(hashes.size(), 3u);
  EXPECT_EQ(hashes[0], auth::Sha256Hex("abc"));
  EXPECT_EQ(hashes[2], std::string(auth::kEmptyPayloadSha256));
}

TEST_F(HttpServerTest, ShutdownLetsTheRequestInFlightFinish) {
  StartServer();
  beast::tcp_stream stream(Connect());
  http::request<http::string_body> req{http::verb::post, "/slow", 11};
  req.prepare_payload();
  http::write(stream, req);
  std::this_thread::sleep_for(50ms);  // the handler is now running
  auto stopped = std::async(std::launch::async, [this] { server_->Shutdown(); });
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "done");
  EXPECT_FALSE(res.keep_alive());
  stopped.get();
  // Nothing listens any more.
  tcp::socket again(ioc_);
  beast::error_code ec;
  again.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()), ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace osprey::server
