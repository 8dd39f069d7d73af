// HttpEndpoint delivery (spec 6) against an in-process HTTP endpoint.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <thread>

#include "json_value.h"
#include "osprey/base/base64.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct Seen {
  std::map<std::string, std::string> headers;
  std::string body;
};

// Answers each POST with what `answer` returns (status, body); records requests.
class Endpoint {
 public:
  using Answer = std::function<std::pair<int, std::string>(const Seen&)>;
  explicit Endpoint(Answer answer) : answer_(std::move(answer)), acceptor_(ioc_, {tcp::v4(), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }
  ~Endpoint() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket s(ioc_);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ingest?x=1"; }
  std::vector<Seen> seen() {
    std::lock_guard l(mu_);
    return seen_;
  }

 private:
  void Run() {
    while (!stop_) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) break;
      beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(socket, buf, req, ec);
      if (ec) continue;
      Seen s;
      for (const auto& f : req) s.headers[std::string(f.name_string())] = std::string(f.value());
      s.headers["target"] = std::string(req.target());
      s.body = req.body();
      auto [status, body] = answer_(s);
      {
        std::lock_guard l(mu_);
        seen_.push_back(s);
      }
      http::response<http::string_body> res{static_cast<http::status>(status), 11};
      res.set(http::field::content_type, "application/json");
      res.body() = body;
      res.prepare_payload();
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  Answer answer_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

std::string RequestIdOf(const Seen& s) { return GetString(ParseJson(s.body).value(), "requestId"); }

std::pair<int, std::string> Ok(const Seen& s) {
  return {200, R"({"requestId":")" + RequestIdOf(s) + R"(","timestamp":1578090903599})"};
}

class HttpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("http"); }
  void TearDown() override {
    if (engine_) (void)engine_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    FirehoseOptions o = testing::ManualOptions(dir_, clock_);
    o.allow_plain_http = true;
    engine_ = std::move(FirehoseEngine::Open(o).value());
  }
  Status Create(const std::string& url, const std::string& backup_mode = "FailedDataOnly") {
    CreateRequest r;
    r.name = "h";
    r.destination_kind = std::string(kHttpEndpoint);
    testing::DestSpec s3;
    s3.bucket = "backup";
    s3.error_prefix = "errors/!{firehose:error-output-type}/";
    s3.prefix = "all/";
    r.destination = Value::MakeMap({
        {"EndpointConfiguration", Value::MakeMap({{"Url", Value::String(url)},
                                                  {"Name", Value::String("sink")},
                                                  {"AccessKey", Value::String("secret-key")}})},
        {"BufferingHints", Value::MakeMap({{"SizeInMBs", Value::Int(1)}, {"IntervalInSeconds", Value::Int(0)}})},
        {"RequestConfiguration",
         Value::MakeMap({{"ContentEncoding", Value::String("NONE")},
                         {"CommonAttributes", Value::MakeArray({Value::MakeMap(
                                                  {{"AttributeName", Value::String("site")},
                                                   {"AttributeValue", Value::String("dock-3")}})})}})},
        {"RetryOptions", Value::MakeMap({{"DurationInSeconds", Value::Int(10)}})},
        {"S3BackupMode", Value::String(backup_mode)},
        {"S3DestinationDescription", testing::Dest(s3)},
    });
    return engine_->Create(r);
  }

  std::string dir_;
  testing::ManualClock clock_;
  std::unique_ptr<FirehoseEngine> engine_;
};

TEST_F(HttpEndpointTest, DeliversWithProtocolHeaders) {
  Endpoint endpoint(Ok);
  Open();
  ASSERT_TRUE(Create(endpoint.url()).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "h", {"hello", "hello world"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto seen = endpoint.seen();
  ASSERT_EQ(seen.size(), 1u);
  const Seen& s = seen[0];
  EXPECT_EQ(s.headers.at("target"), "/ingest?x=1");
  EXPECT_EQ(s.headers.at("X-Amz-Firehose-Protocol-Version"), "1.0");
  EXPECT_EQ(s.headers.at("X-Amz-Firehose-Access-Key"), "secret-key");
  EXPECT_EQ(s.headers.at("X-Amz-Firehose-Source-Arn"), "arn:aws:firehose:us-east-1:000000000000:deliverystream/h");
  EXPECT_EQ(s.headers.at("X-Amz-Firehose-Common-Attributes"), R"({"commonAttributes":{"site":"dock-3"}})");
  EXPECT_EQ(s.headers.at("X-Amz-Firehose-Request-Id"), RequestIdOf(s));
  EXPECT_EQ(s.headers.at("Content-Type"), "application/json");
  EXPECT_NE(s.body.find(R"("records":[{"data":"aGVsbG8="},{"data":"aGVsbG8gd29ybGQ="}])"), std::string::npos) << s.body;
  EXPECT_EQ(engine_->TEST_Stats("h")->checkpoint, 3u);
  EXPECT_TRUE(testing::ReadTree(dir_ + "/s3/backup").empty());
}

TEST_F(HttpEndpointTest, RetriesThenWritesErrorRecords) {
  Endpoint endpoint([](const Seen&) { return std::make_pair(401, std::string(R"({"errorMessage":"Unauthorized"})")); });
  Open();
  ASSERT_TRUE(Create(endpoint.url()).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "h", {"sample raw data"}).ok());
  for (int i = 0; i < 12 && testing::ReadTree(dir_ + "/s3/backup").empty(); ++i) {
    engine_->TEST_RunDeliveryOnce();
    clock_.Advance(3'000);
  }
  auto seen = endpoint.seen();
  ASSERT_GE(seen.size(), 3u);
  for (const Seen& s : seen) EXPECT_EQ(s.headers.at("X-Amz-Firehose-Request-Id"), seen[0].headers.at("X-Amz-Firehose-Request-Id"));
  auto objects = testing::ReadTree(dir_ + "/s3/backup");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("errors/http-endpoint-failed/h-1-", 0), 0u) << objects.begin()->first;
  const std::string& line = objects.begin()->second;
  EXPECT_NE(line.find(R"("errorCode":"HttpEndpoint.DestinationException")"), std::string::npos) << line;
  EXPECT_NE(line.find("Received the following response from the endpoint destination. 401: "), std::string::npos);
  EXPECT_NE(line.find(R"("rawData":")" + base64::Encode("sample raw data") + "\""), std::string::npos);
  EXPECT_NE(line.find(R"("subsequenceNumber":0,"dataId":")"), std::string::npos);
  EXPECT_EQ(engine_->TEST_Stats("h")->checkpoint, 2u);
}

TEST_F(HttpEndpointTest, InvalidResponseIsRetried413IsNot) {
  int calls = 0;
  Endpoint endpoint([&](const Seen& s) {
    ++calls;
    if (calls == 1) return std::make_pair(200, std::string(R"({"requestId":"other","timestamp":1})"));
    if (calls == 2) return Ok(s);
    return std::make_pair(413, std::string("{}"));
  });
  Open();
  ASSERT_TRUE(Create(endpoint.url()).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "h", {"a"}).ok());
  engine_->TEST_RunDeliveryOnce();
  EXPECT_EQ(engine_->TEST_Stats("h")->checkpoint, 1u);
  clock_.Advance(2'000);
  engine_->TEST_RunDeliveryOnce();
  EXPECT_EQ(engine_->TEST_Stats("h")->checkpoint, 2u);
  ASSERT_TRUE(testing::PutSync(engine_.get(), "h", {"b"}).ok());
  engine_->TEST_RunDeliveryOnce();  // 413: dropped, not retried, no error object
  EXPECT_EQ(engine_->TEST_Stats("h")->checkpoint, 3u);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(testing::ReadTree(dir_ + "/s3/backup").empty());
}

TEST_F(HttpEndpointTest, AllDataBackup) {
  Endpoint endpoint(Ok);
  Open();
  ASSERT_TRUE(Create(endpoint.url(), "AllData").ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "h", {"x\n", "y\n"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = testing::ReadTree(dir_ + "/s3/backup");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("all/2024/05/01/13/h-1-", 0), 0u) << objects.begin()->first;
  EXPECT_EQ(objects.begin()->second, "x\ny\n");
  EXPECT_EQ(endpoint.seen().size(), 1u);
}

TEST_F(HttpEndpointTest, PlainHttpNeedsTheOption) {
  FirehoseOptions o;
  o.root_dir = dir_ + "/firehose";
  o.s3_root = dir_ + "/s3";
  o.create_delay_ms = 0;
  o.start_workers = false;
  engine_ = std::move(FirehoseEngine::Open(o).value());
  EXPECT_EQ(Create("http://127.0.0.1:1/").code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace osprey::firehose
