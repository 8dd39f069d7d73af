// Uplink tests: the ack parser, and the whole upload path (spool -> uplink ->
// HTTP PutMedia -> acks -> spool marker) against FakeKvsServer.
#include "osprey/agent/uplink.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "fake_kvs_server.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/client/http_client.h"

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(UploadAckTest, ParsesEachKind) {
  auto a = ParseUploadAck(
      R"({"EventType":"PERSISTED","FragmentTimecode":1700000000123,"FragmentNumber":"9134"})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, UploadAck::Type::kPersisted);
  EXPECT_EQ(a->fragment_timecode, 1700000000123);
  EXPECT_EQ(a->fragment_number, "9134");
  auto e = ParseUploadAck(
      R"({"EventType":"ERROR","FragmentTimecode":5,"FragmentNumber":"9","ErrorId":4004,"ErrorCode":"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, UploadAck::Type::kError);
  EXPECT_EQ(e->error_id, 4004);
  EXPECT_TRUE(IsPermanentAckError(e->error_id));
  EXPECT_FALSE(IsPermanentAckError(4000));
  auto idle = ParseUploadAck(R"( {"EventType":"IDLE"} )");
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->type, UploadAck::Type::kIdle);
  EXPECT_FALSE(ParseUploadAck("not json").ok());
  EXPECT_FALSE(ParseUploadAck(R"({"EventType":"IDLE"} x)").ok());
}

TEST(ParseEndpointTest, AcceptsHttpHostPort) {
  auto u = client::ParseEndpoint("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  auto d = client::ParseEndpoint("http://osprey.local/");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "osprey.local");
  EXPECT_EQ(d->port, 80);
  auto s = client::ParseEndpoint("https://osprey.local:8443");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->tls);
  EXPECT_EQ(s->port, 8443);
  EXPECT_FALSE(d->tls);
  EXPECT_EQ(client::ParseEndpoint("https://osprey.local")->port, 443);
  for (const char* bad : {"ftp://x", "x:80", "http://", "https://", "http://h:0", "http://h:99999",
                          "http://h/path"}) {
    EXPECT_EQ(client::ParseEndpoint(bad).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

class UplinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("uplink_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    SpoolOptions o;
    o.dir = dir_.string();
    spool_ = std::move(Spool::Open(o)).value();
    fragments::SegmentInfo info;
    fragments::TrackEntry track;
    track.number = 1;
    track.uid = 1;
    track.type = 1;
    track.codec_id = "V_MPEG4/ISO/AVC";
    track.codec_private = std::string("\x01\x64\x00\x1f\xff\xe0\x00", 7);
    writer_ = std::make_unique<fragments::ProducerMkvWriter>(info, std::vector{track});
    writer_->WriteHeader(&header_);
  }
  void TearDown() override {
    spool_.reset();
    fs::remove_all(dir_);
  }

  void AppendFragment(int64_t ts) {
    std::string cluster;
    writer_->StartCluster(static_cast<uint64_t>(ts), &cluster);
    ASSERT_TRUE(writer_->WriteFrame({1, ts, true, "frame-0"}, &cluster).ok());
    ASSERT_TRUE(writer_->WriteFrame({1, ts + 100, false, "frame-1"}, &cluster).ok());
    ASSERT_TRUE(spool_->Append(ts, header_, cluster).ok());
  }

  std::unique_ptr<MediaTransport> Transport(const std::string& endpoint) {
    HttpTransportOptions o;
    o.endpoint = endpoint;
    o.stream_name = "cam";
    o.credentials = {"AKIDEXAMPLE", "secret", ""};
    o.ack_timeout = 5s;
    return std::move(MakeHttpPutMediaTransport(o)).value();
  }

  static bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  fs::path dir_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<fragments::ProducerMkvWriter> writer_;
  std::string header_;
};

TEST_F(UplinkTest, CreatesStreamUploadsBacklogThenLiveInOrder) {
  testing::FakeKvsServer server;
  for (int i = 0; i < 5; ++i) AppendFragment(1700000000000 + i * 2000);
  auto transport = Transport(server.endpoint());
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  Uplink uplink(uo, spool_.get(), transport.get());
  uplink.Start();
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 5; }));
  for (int i = 5; i < 8; ++i) AppendFragment(1700000000000 + i * 2000);
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 8; }));
  EXPECT_TRUE(uplink.Stop(2s));
  EXPECT_TRUE(server.stream_created());
  auto clusters = server.clusters();
  ASSERT_EQ(clusters.size(), 8u);  // nothing twice
  for (int i = 0; i < 8; ++i) EXPECT_EQ(clusters[i], 1700000000000 + i * 2000);
  // Signed like the KVS producer.
  bool saw_put_media = false;
  for (const std::string& head : server.request_heads()) {
    if (head.rfind("POST /putMedia ", 0) != 0) continue;
    saw_put_media = true;
    EXPECT_NE(head.find("x-amzn-stream-name: cam"), std::string::npos);
    EXPECT_NE(head.find("x-amzn-fragment-timecode-type: ABSOLUTE"), std::string::npos);
    EXPECT_NE(head.find("x-amzn-producer-start-timestamp: 1700000000.000"), std::string::npos);
    EXPECT_NE(head.find("transfer-encoding: chunked"), std::string::npos);
    EXPECT_NE(head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
              std::string::npos);
    EXPECT_NE(head.find("/us-east-1/kinesisvideo/aws4_request"), std::string::npos);
  }
  EXPECT_TRUE(saw_put_media);
}

TEST_F(UplinkTest, LostAckResendsOnlyUnacknowledgedFragment) {
  testing::FakeKvsServer server;
  server.DropAfterClusters(3);  // fragments 1, 2 PERSISTED; 3 received, no ack
  for (int i = 0; i < 5; ++i) AppendFragment(1700000000000 + i * 2000);
  auto transport = Transport(server.endpoint());
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  uo.max_in_flight = 1;  // deterministic: one fragment at a time
  Uplink uplink(uo, spool_.get(), transport.get());
  uplink.Start();
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 5; }));
  EXPECT_TRUE(uplink.Stop(2s));
  EXPECT_GE(server.put_media_calls(), 2);
  auto clusters = server.clusters();
  // 1, 2, 3 (ack lost), then 3 again with the same timestamp, 4, 5.
  std::vector<int64_t> expected;
  for (int i : {0, 1, 2, 2, 3, 4}) expected.push_back(1700000000000 + i * 2000);
  EXPECT_EQ(clusters, expected);
}

TEST_F(UplinkTest, ServerDownThenUpUploadsBacklog) {
  // Nothing listens yet: the uplink retries with backoff; the spool keeps
  // everything.
  auto transport = Transport("http://127.0.0.1:1");
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  uo.backoff_max = 100ms;
  {
    Uplink uplink(uo, spool_.get(), transport.get());
    uplink.Start();
    for (int i = 0; i < 3; ++i) AppendFragment(1700000000000 + i * 2000);
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(uplink.Stop(0ms));
    EXPECT_GE(uplink.Stats().errors, 1u);
  }
  EXPECT_EQ(spool_->acked_seq(), 0u);
  testing::FakeKvsServer server;
  auto transport2 = Transport(server.endpoint());
  Uplink uplink(uo, spool_.get(), transport2.get());
  uplink.Start();
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 3; }));
  EXPECT_TRUE(uplink.Stop(1s));
  EXPECT_EQ(server.clusters().size(), 3u);
}

TEST_F(UplinkTest, HeaderChangeStartsNewSession) {
  testing::FakeKvsServer server;
  AppendFragment(1700000000000);
  // A different stream header (new caps).
  fragments::SegmentInfo info;
  fragments::TrackEntry track;
  track.number = 1;
  track.uid = 1;
  track.type = 1;
  track.codec_id = "V_MPEG4/ISO/AVC";
  track.codec_private = std::string("\x01\x42\x00\x1e\xff\xe0\x00", 7);
  fragments::ProducerMkvWriter other(info, {track});
  std::string other_header, cluster;
  other.WriteHeader(&other_header);
  other.StartCluster(1700000002000, &cluster);
  ASSERT_TRUE(other.WriteFrame({1, 1700000002000, true, "x"}, &cluster).ok());
  ASSERT_TRUE(spool_->Append(1700000002000, other_header, cluster).ok());
  auto transport = Transport(server.endpoint());
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  Uplink uplink(uo, spool_.get(), transport.get());
  uplink.Start();
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 2; }));
  EXPECT_TRUE(uplink.Stop(1s));
  EXPECT_EQ(server.put_media_calls(), 2);
  EXPECT_EQ(server.clusters().size(), 2u);
}

TEST_F(UplinkTest, SessionIsRenewedAtMaximumDurationWithoutResending) {
  testing::FakeKvsServer server;
  auto transport = Transport(server.endpoint());
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  uo.max_session = 300ms;
  Uplink uplink(uo, spool_.get(), transport.get());
  uplink.Start();
  for (int i = 0; i < 4; ++i) {
    AppendFragment(1700000000000 + i * 2000);
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 4; }));
  EXPECT_TRUE(uplink.Stop(1s));
  EXPECT_GE(server.put_media_calls(), 2);
  EXPECT_EQ(server.clusters().size(), 4u);  // nothing sent twice
  EXPECT_EQ(uplink.Stats().errors, 0u);
}

TEST_F(UplinkTest, RottenRecordIsSkippedNotRetriedForever) {
  testing::FakeKvsServer server;
  for (int i = 0; i < 3; ++i) AppendFragment(1700000000000 + i * 2000);
  // Flip a byte in the middle record (records are the same size).
  fs::path seg = dir_ / "seg-00000000000000000001.osp";
  auto size = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put('\x5a');
  }
  auto transport = Transport(server.endpoint());
  UplinkOptions uo;
  uo.backoff_min = 20ms;
  Uplink uplink(uo, spool_.get(), transport.get());
  uplink.Start();
  ASSERT_TRUE(WaitUntil([&] { return spool_->acked_seq() == 3; }));
  EXPECT_TRUE(uplink.Stop(1s));
  EXPECT_EQ(uplink.Stats().rejected, 1u);
  std::vector<int64_t> expected = {1700000000000, 1700000004000};
  EXPECT_EQ(server.clusters(), expected);
}

}  // namespace
}  // namespace osprey::agent
