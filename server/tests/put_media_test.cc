// PutMedia over real sockets (chunked HTTP/1.1 and WebSocket) against the
// HTTP server with only the PutMedia routes, an in-memory catalog and store.
// The full-binary test with the AWS CLI and GStreamer is
// tests/integration/test_put_media.py.
#include <chrono>
#include <regex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "ingest_test_util.h"
#include "osprey/base/metrics.h"
#include "osprey/server/http_server.h"
#include "video/video_routes.h"

namespace osprey::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using fragments::testing::MakeProducerStream;
using fragments::testing::MemoryFragmentLog;
using fragments::testing::Spec;

class FakeCatalog : public fragments::StreamCatalog {
 public:
  fragments::VideoStream Add(const std::string& name) {
    fragments::VideoStream s;
    s.name = name;
    s.creation_ms = 1'600'000'000'000;
    s.arn = "arn:aws:kinesisvideo:us-east-1:000000000000:stream/" + name + "/1600000000000";
    streams_[name] = s;
    return s;
  }
  void DeleteNow(const std::string& name) {
    fragments::VideoStream s = streams_.at(name);
    streams_.erase(name);
    for (auto& l : listeners_) l(s);
  }
  Result<fragments::VideoStream> Create(const fragments::CreateStreamInput&) override {
    return Status::Internal("unused");
  }
  Result<fragments::VideoStream> GetByName(const std::string& name) const override {
    auto it = streams_.find(name);
    if (it == streams_.end()) return Status::NotFound("Stream " + name + " not found");
    return it->second;
  }
  Result<fragments::VideoStream> GetByArn(const std::string& arn) const override {
    for (const auto& [n, s] : streams_) {
      if (s.arn == arn) return s;
    }
    return Status::NotFound("no stream " + arn);
  }
  std::vector<fragments::VideoStream> List(const std::string&, const std::string&,
                                           size_t) const override {
    return {};
  }
  Result<fragments::VideoStream> Delete(const std::string&,
                                        const std::optional<std::string>&) override {
    return Status::Internal("unused");
  }
  Result<fragments::VideoStream> Update(const std::string&, const std::string&,
                                        const std::optional<std::string>&,
                                        const std::optional<std::string>&) override {
    return Status::Internal("unused");
  }
  Result<fragments::VideoStream> UpdateRetention(const std::string&, const std::string&,
                                                 int64_t) override {
    return Status::Internal("unused");
  }
  Status Tag(const std::string&, const std::map<std::string, std::string>&) override {
    return Status::Ok();
  }
  Status Untag(const std::string&, const std::vector<std::string>&) override {
    return Status::Ok();
  }
  uint64_t OnDelete(DeleteListener listener) override {
    listeners_.push_back(std::move(listener));
    return listeners_.size();
  }

 private:
  std::map<std::string, fragments::VideoStream> streams_;
  std::vector<DeleteListener> listeners_;
};

class FakeStore : public fragments::FragmentStore {
 public:
  Result<std::shared_ptr<fragments::FragmentLog>> OpenStream(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto& log = logs_[id];
    if (!log) log = std::make_shared<MemoryFragmentLog>();
    return std::shared_ptr<fragments::FragmentLog>(log);
  }
  std::shared_ptr<MemoryFragmentLog> Log(const std::string& id) {
    std::lock_guard lock(mu_);
    auto& log = logs_[id];
    if (!log) log = std::make_shared<MemoryFragmentLog>();
    return log;
  }
  std::vector<std::string> StreamIds() const override { return {}; }
  Status DeleteStream(const std::string&) override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemoryFragmentLog>> logs_;
};

class PutMediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.Add("cam");
    context_.catalog = &catalog_;
    context_.store = &store_;
    context_.limits.idle_ack_interval_ms = 200;
    context_.limits.idle_timeout_ms = 1500;
    video::RegisterPutMediaRoutes(&router_, &context_);
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    auto server = HttpServer::Start(options, &router_, nullptr, &metrics_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override { server_.reset(); }

  tcp::socket Connect() {
    tcp::socket socket(ioc_);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    return socket;
  }

  static std::string Head(const std::string& extra) {
    return "POST /putMedia HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
           "Content-Type: application/json\r\nx-amzn-fragment-timecode-type: ABSOLUTE\r\n"
           "x-amzn-producer-start-timestamp: 1700000000.000\r\n" +
           extra + "\r\n";
  }
  static std::string Chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + std::string(data) + "\r\n";
  }

  // Reads until `until` matches or the peer closes or `limit` passes.
  static std::string ReadFor(tcp::socket& socket, std::chrono::milliseconds limit,
                             const std::string& until = "") {
    std::string all;
    auto deadline = std::chrono::steady_clock::now() + limit;
    socket.non_blocking(true);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      beast::error_code ec;
      size_t n = socket.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) break;
      all.append(buf, n);
      if (!until.empty() && all.find(until) != std::string::npos) break;
    }
    return all;
  }
  static std::vector<std::string> Acks(const std::string& response) {
    std::vector<std::string> out;
    std::regex ack(R"re(\{"EventType":"([A-Z]+)"[^\n]*\}\n)re");
    for (auto it = std::sregex_iterator(response.begin(), response.end(), ack);
         it != std::sregex_iterator(); ++it) {
      out.push_back((*it)[1]);
    }
    return out;
  }

  net::io_context ioc_;
  FakeCatalog catalog_;
  FakeStore store_;
  video::VideoContext context_;
  Router router_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(PutMediaTest, ChunkedUploadGetsOneAckPerChunkAndStoresEveryCluster) {
  auto s = MakeProducerStream(Spec(3));
  tcp::socket socket = Connect();
  std::string req = Head("x-amzn-stream-name: cam\r\n");
  // Chunk boundaries that follow nothing in particular.
  for (size_t at = 0; at < s.bytes.size(); at += 777) req += Chunk(s.bytes.substr(at, 777));
  net::write(socket, net::buffer(req));
  std::string got = ReadFor(socket, 5s, "PERSISTED");
  // Three PERSISTED before the body ends (END_OF_FRAGMENT), as kvssink waits.
  for (int i = 0; i < 50 && Acks(got).size() < 9; ++i) got += ReadFor(socket, 100ms);
  net::write(socket, net::buffer(std::string("0\r\n\r\n")));
  got += ReadFor(socket, 5s, "0\r\n\r\n");  // the terminating chunk
  EXPECT_TRUE(got.ends_with("\r\n0\r\n\r\n")) << got;
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
  std::vector<std::string> acks = Acks(got);
  for (const char* type : {"BUFFERING", "RECEIVED", "PERSISTED"}) {
    EXPECT_EQ(std::count(acks.begin(), acks.end(), type), 3) << type << "\n" << got;
  }
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back(), "PERSISTED");
  // Each ack is its own chunk: "<hex>\r\n{...}\n\r\n".
  EXPECT_TRUE(std::regex_search(got, std::regex("\r\n[0-9a-f]+\r\n\\{\"EventType\":\"PERSISTED\"[^\n]*\\}\n\r\n")));
  auto stored = store_.Log("cam-1600000000000")->All();
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(stored[i].cluster, s.clusters[i]);
}

TEST_F(PutMediaTest, HeaderErrorsAnswerBeforeTheBody) {
  {
    tcp::socket socket = Connect();
    net::write(socket, net::buffer(Head("x-amzn-stream-name: nope\r\n")));
    std::string got = ReadFor(socket, 3s, "}");
    EXPECT_NE(got.find("404"), std::string::npos) << got;
    EXPECT_NE(got.find("ResourceNotFoundException"), std::string::npos) << got;
  }
  {
    tcp::socket socket = Connect();
    net::write(socket, net::buffer(Head("")));  // neither name nor ARN
    std::string got = ReadFor(socket, 3s, "}");
    EXPECT_NE(got.find("400"), std::string::npos) << got;
    EXPECT_NE(got.find("InvalidArgumentException"), std::string::npos) << got;
  }
  {
    tcp::socket socket = Connect();
    std::string head = Head("x-amzn-stream-name: cam\r\n");
    head.replace(head.find("ABSOLUTE"), 8, "SOMETIME");
    net::write(socket, net::buffer(head));
    std::string got = ReadFor(socket, 3s, "}");
    EXPECT_NE(got.find("InvalidArgumentException"), std::string::npos) << got;
  }
}

TEST_F(PutMediaTest, IdleAcksWhileQuietThenCloseAfterTheTimeout) {
  tcp::socket socket = Connect();
  auto s = MakeProducerStream(Spec(1, false));
  net::write(socket, net::buffer(Head("x-amzn-stream-name: cam\r\n") + Chunk(s.bytes)));
  std::string got = ReadFor(socket, 4s, "\r\n0\r\n\r\n");
  std::vector<std::string> acks = Acks(got);
  ASSERT_GE(acks.size(), 3u) << got;
  EXPECT_EQ(acks[0], "BUFFERING");
  EXPECT_GE(std::count(acks.begin(), acks.end(), "IDLE"), 3) << got;
  // The open Cluster was sealed at the idle timeout.
  EXPECT_EQ(acks[acks.size() - 2], "RECEIVED");
  EXPECT_EQ(acks.back(), "PERSISTED");
  EXPECT_EQ(store_.Log("cam-1600000000000")->All().size(), 1u);
}

TEST_F(PutMediaTest, NewestProducerWinsAndStreamDeletionEndsTheUpload) {
  auto s = MakeProducerStream(Spec(1, false));
  tcp::socket first = Connect();
  net::write(first, net::buffer(Head("x-amzn-stream-name: cam\r\n") + Chunk(s.bytes)));
  EXPECT_NE(ReadFor(first, 3s, "BUFFERING").find("BUFFERING"), std::string::npos);
  tcp::socket second = Connect();
  net::write(second, net::buffer(Head("x-amzn-stream-name: cam\r\n")));
  std::string old = ReadFor(first, 3s, "\r\n0\r\n\r\n");
  EXPECT_NE(old.find(R"("ErrorId":4000,"ErrorCode":"STREAM_READ_ERROR")"), std::string::npos) << old;
  EXPECT_TRUE(store_.Log("cam-1600000000000")->All().empty());  // the open fragment is dropped

  catalog_.DeleteNow("cam");
  std::string deleted = ReadFor(second, 3s, "\r\n0\r\n\r\n");
  EXPECT_NE(deleted.find(R"("ErrorId":4008,"ErrorCode":"STREAM_NOT_ACTIVE")"), std::string::npos)
      << deleted;
}

TEST_F(PutMediaTest, GarbageGetsAnErrorAckAndTheConnectionCloses) {
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(Head("x-amzn-stream-name: cam\r\n") + Chunk("garbage bytes")));
  std::string got = ReadFor(socket, 3s, "\r\n0\r\n\r\n");
  EXPECT_NE(got.find(R"("ErrorId":4006,"ErrorCode":"INVALID_MKV_DATA")"), std::string::npos) << got;
}

TEST_F(PutMediaTest, WebSocketCarriesTheSameBytesAndAcks) {
  auto s = MakeProducerStream(Spec(2));
  websocket::stream<tcp::socket> ws(Connect());
  ws.handshake("127.0.0.1", "/ws/putMedia?StreamName=cam&FragmentTimecodeType=ABSOLUTE");
  ws.binary(true);
  for (size_t at = 0; at < s.bytes.size(); at += 500) {
    ws.write(net::buffer(s.bytes.substr(at, 500)));
  }
  ws.text(true);
  ws.write(net::buffer(std::string("END_OF_STREAM")));
  std::vector<std::string> got;
  for (;;) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws.read(buffer, ec);
    if (ec) break;
    got.push_back(beast::buffers_to_string(buffer.data()));
  }
  ASSERT_EQ(got.size(), 6u);
  EXPECT_TRUE(got[0].starts_with(R"({"EventType":"BUFFERING","FragmentTimecode":1700000000000,)"))
      << got[0];
  EXPECT_EQ(got[0].back(), '}');
  EXPECT_EQ(std::count_if(got.begin(), got.end(),
                          [](const std::string& m) { return m.find("PERSISTED") != std::string::npos; }),
            2);
  auto stored = store_.Log("cam-1600000000000")->All();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].cluster, s.clusters[1]);
}

TEST_F(PutMediaTest, WebSocketUnknownStreamIsOneErrorMessage) {
  websocket::stream<tcp::socket> ws(Connect());
  ws.handshake("127.0.0.1", "/ws/putMedia?StreamName=nope");
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()).find(R"({"__type":"ResourceNotFoundException")"), 0u);
}

}  // namespace
}  // namespace osprey::server
