// The WebSocket uplink's pure parts (transport choice, endpoint, upgrade
// target, the server's error message, acks as text messages), and the
// libwebsockets upgrade request itself against a raw TCP listener: its
// SigV4 headers verify with osprey::auth's server-side Verifier, and a 403
// answer is PermissionDenied. The end-to-end upload against osprey-server
// is tests/integration/test_agent_ws.py.
#include "osprey/agent/uplink_transport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "osprey/auth/credentials.h"
#include "osprey/auth/verifier.h"

namespace osprey::agent {
namespace {

using namespace std::chrono_literals;

TEST(UplinkKindTest, ParsesNames) {
  EXPECT_EQ(*ParseUplinkKind(""), UplinkKind::kAuto);
  EXPECT_EQ(*ParseUplinkKind("auto"), UplinkKind::kAuto);
  EXPECT_EQ(*ParseUplinkKind("http"), UplinkKind::kHttp);
  EXPECT_EQ(*ParseUplinkKind("ws"), UplinkKind::kWebSocket);
  EXPECT_EQ(*ParseUplinkKind("websocket"), UplinkKind::kWebSocket);
  Result<UplinkKind> bad = ParseUplinkKind("WS");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(UplinkKindName(UplinkKind::kWebSocket), "websocket");
}

TEST(UplinkKindTest, AutoFollowsTheScheme) {
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kAuto, "http://h:1"), UplinkKind::kHttp);
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kAuto, "ws://h:1"), UplinkKind::kWebSocket);
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kAuto, "wss://h"), UplinkKind::kWebSocket);
  // The server has both routes on one port: an explicit choice wins.
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kWebSocket, "http://h:1"), UplinkKind::kWebSocket);
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kHttp, "ws://h:1"), UplinkKind::kHttp);
  // TLS either way: https:// for PutMedia, wss:// for the WebSocket.
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kHttp, "wss://h"), UplinkKind::kHttp);
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kAuto, "https://h"), UplinkKind::kHttp);
  EXPECT_EQ(*ResolveUplinkKind(UplinkKind::kWebSocket, "https://h"), UplinkKind::kWebSocket);
  EXPECT_FALSE(ResolveUplinkKind(UplinkKind::kAuto, "ftp://h").ok());
  EXPECT_FALSE(ResolveUplinkKind(UplinkKind::kAuto, "h:1").ok());
}

TEST(WsEndpointTest, ParsesSchemesHostsAndPorts) {
  WsEndpoint e = *ParseWsEndpoint("ws://127.0.0.1:8080");
  EXPECT_FALSE(e.tls);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 8080);
  EXPECT_EQ(e.host_header, "127.0.0.1:8080");
  e = *ParseWsEndpoint("wss://osprey.example/");
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.port, 443);
  EXPECT_EQ(e.host_header, "osprey.example");  // default port left out, as clients send it
  e = *ParseWsEndpoint("http://cam-gw:80");
  EXPECT_FALSE(e.tls);
  EXPECT_EQ(e.host_header, "cam-gw");
  e = *ParseWsEndpoint("ws://[::1]:9000");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.host_header, "[::1]:9000");
  e = *ParseWsEndpoint("https://osprey.example:8443");
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.port, 8443);
  EXPECT_EQ(e.host_header, "osprey.example:8443");
  for (const char* bad : {"ftp://h", "ws://", "ws://h:0", "ws://h:70000", "ws://h:1x",
                          "ws://h:1/prefix", "ws://[::1"}) {
    Result<WsEndpoint> r = ParseWsEndpoint(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(WsTargetTest, QueryAsTheIngestDocumentsIt) {
  EXPECT_EQ(WsPutMediaTarget("front-door", 1700000000123),
            "/ws/putMedia?StreamName=front-door&FragmentTimecodeType=ABSOLUTE"
            "&ProducerStartTimestamp=1700000000.123");
  // Names are percent-encoded (the server decodes; SigV4 canonicalises).
  EXPECT_EQ(WsPutMediaTarget("cam one/2", 5),
            "/ws/putMedia?StreamName=cam%20one%2F2&FragmentTimecodeType=ABSOLUTE"
            "&ProducerStartTimestamp=0.005");
}

TEST(WsServerErrorTest, MapsTheAwsErrorShape) {
  Status s = WsServerErrorStatus(
      R"({"__type":"ResourceNotFoundException","message":"The requested stream x is not found"})");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_NE(s.message().find("ResourceNotFoundException: The requested stream x"),
            std::string::npos);
  EXPECT_EQ(WsServerErrorStatus(R"({"__type":"InvalidArgumentException","message":"m"})").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(WsServerErrorStatus(R"({"__type":"AccessDeniedException","message":"m"})").code(),
            Status::Code::kPermissionDenied);
  EXPECT_EQ(WsServerErrorStatus(R"({"__type":"ClientLimitExceededException"})").code(),
            Status::Code::kUnavailable);
  // Acks are not errors, and an ack's ERROR is the Uplink's business.
  EXPECT_TRUE(WsServerErrorStatus(R"({"EventType":"IDLE"})").ok());
  EXPECT_TRUE(WsServerErrorStatus(
      R"({"EventType":"ERROR","FragmentTimecode":2000,"ErrorId":4004,"ErrorCode":"X"})").ok());
}

TEST(WsServerErrorTest, AckTextMessagesParseWithTheAckParser) {
  // One ack per text message, no newline (video-ingest.md).
  Result<UploadAck> a = ParseUploadAck(
      R"({"EventType":"PERSISTED","FragmentTimecode":1700000000000,"FragmentNumber":"91"})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, UploadAck::Type::kPersisted);
  EXPECT_EQ(a->fragment_timecode, 1700000000000);
}

// A TCP listener on 127.0.0.1 that reads one request head and answers
// `response`; the head is kept for the test.
class RawListener {
 public:
  explicit RawListener(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      while (head_.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        head_.append(buf, static_cast<size_t>(n));
      }
      (void)!::write(c, response_.data(), response_.size());
      ::close(c);
    });
  }
  ~RawListener() {
    ::shutdown(fd_, SHUT_RDWR);  // unblocks accept() when nobody came
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  // Waits for the one exchange to end; the request head it read.
  const std::string& Join() {
    thread_.join();
    return head_;
  }

 private:
  std::string response_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string head_;
  std::thread thread_;
};

WebSocketTransportOptions Options(const std::string& endpoint) {
  WebSocketTransportOptions o;
  o.common.endpoint = endpoint;
  o.common.stream_name = "cam";
  o.common.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  o.common.connect_timeout = 3000ms;
  return o;
}

TEST(WsTransportTest, SignedUpgradeAnd403IsPermissionDenied) {
  RawListener listener(
      "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
      "Connection: close\r\n\r\n{}");
  const std::string endpoint = "ws://127.0.0.1:" + std::to_string(listener.port());
  auto transport = MakeWebSocketTransport(Options(endpoint));
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  Result<std::unique_ptr<MediaSession>> session = (*transport)->Open(1700000000123);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), Status::Code::kPermissionDenied)
      << session.status().ToString();
  EXPECT_NE(session.status().message().find("HTTP 403"), std::string::npos);
  EXPECT_NE(listener.Join().find("GET /ws/putMedia?"), std::string::npos);
}

TEST(WsTransportTest, UpgradeRequestVerifiesWithTheServerVerifier) {
  RawListener listener("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  const uint16_t port = listener.port();
  auto transport = MakeWebSocketTransport(Options("ws://127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(transport.ok());
  EXPECT_FALSE((*transport)->Open(1700000000123).ok());
  const std::string head = listener.Join();
  ASSERT_NE(head.find("GET /ws/putMedia?StreamName=cam&FragmentTimecodeType=ABSOLUTE"
                      "&ProducerStartTimestamp=1700000000.123 HTTP/1.1\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Host: 127.0.0.1:" + std::to_string(port) + "\r\n"), std::string::npos);
  EXPECT_NE(head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("/kinesisvideo/aws4_request"), std::string::npos) << head;

  // Parse the head back into a RequestView and verify it as the server does.
  std::vector<std::pair<std::string, std::string>> headers;
  size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const std::string target = request_line.substr(4, request_line.rfind(' ') - 4);
  for (size_t pos = line_end + 2; pos < head.size();) {
    size_t end = head.find("\r\n", pos);
    if (end == pos || end == std::string::npos) break;
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    pos = end + 2;
  }
  std::vector<auth::HeaderField> fields;
  for (const auto& [k, v] : headers) fields.push_back({k, v});
  auto store = auth::CredentialStore::FromKeys(
      {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  ASSERT_TRUE(store.ok());
  auth::Verifier verifier(&*store);
  auth::VerifyResult r =
      verifier.Verify({"GET", target, fields}, auth::kEmptyPayloadSha256, "kinesisvideo");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.failure().message + "\n" + r.failure().detail);
}

TEST(WsTransportTest, RefusedConnectionIsUnavailable) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(fd);  // nobody listens there now
  auto transport = MakeWebSocketTransport(Options("ws://127.0.0.1:" + std::to_string(port)));
  ASSERT_TRUE(transport.ok());
  Result<std::unique_ptr<MediaSession>> session = (*transport)->Open(1);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), Status::Code::kUnavailable) << session.status().ToString();
}

TEST(WsTransportTest, WssDerivesAnHttpsControlEndpoint) {
  // DescribeStream goes to https://127.0.0.1:1, where nobody listens: the
  // stream is checked (and would be created) over TLS, not trusted blindly.
  auto transport = MakeWebSocketTransport(Options("wss://127.0.0.1:1"));
  ASSERT_TRUE(transport.ok());
  Status s = (*transport)->EnsureStream();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("connect 127.0.0.1:1"), std::string::npos) << s.ToString();
}

TEST(WsTransportTest, BadOptionsAreInvalidArgument) {
  EXPECT_EQ(MakeWebSocketTransport(Options("ftp://h")).status().code(),
            Status::Code::kInvalidArgument);
  WebSocketTransportOptions no_stream = Options("ws://h:1");
  no_stream.common.stream_name.clear();
  EXPECT_EQ(MakeWebSocketTransport(no_stream).status().code(), Status::Code::kInvalidArgument);
  WebSocketTransportOptions bad_ca = Options("wss://h:1");
  bad_ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(MakeWebSocketTransport(bad_ca).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace osprey::agent
