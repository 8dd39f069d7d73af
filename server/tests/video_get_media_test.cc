// GetMedia over real sockets: the HTTP server with the read routes, a real
// file fragment store and stream catalog (video_media_test_util.h). The AWS
// CLI / boto3 / mkvinfo / ffprobe checks are in
// tests/integration/test_get_media.py.
#include <thread>

#include "video_media_test_util.h"

namespace osprey::server::video::testing {
namespace {

std::string GetMediaBody(const std::string& stream, const std::string& selector) {
  return R"({"StreamName":")" + stream + R"(","StartSelector":)" + selector + "}";
}

class GetMediaTest : public MediaServerTest {};

TEST_F(GetMediaTest, EarliestSendsEveryFragmentInOrderWithItsTags) {
  const int64_t t0 = NowMs() - 60'000;
  std::vector<fragments::FragmentMeta> metas;
  for (int i = 0; i < 3; ++i) {
    std::vector<fragments::SimpleTag> md;
    if (i == 1) md.push_back({"motion", "yes"});
    metas.push_back(Append(stream_, t0 + i * 200, 1'700'000'000'000 + i * 200, 100, md));
  }
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"EARLIEST"})")), 200);
  EXPECT_EQ(c.Header("Content-Type"), "video/webm");
  ASSERT_TRUE(c.ReadChunks(3)) << c.body().size();
  auto chunks = c.Chunks();
  ASSERT_EQ(chunks.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& tags = chunks[i].tags;
    const std::string number = Number(stream_, metas[i].index);
    EXPECT_EQ(chunks[i].number(), number);
    EXPECT_EQ(tags.at("AWS_KINESISVIDEO_CONTINUATION_TOKEN"), number);
    EXPECT_EQ(tags.at("AWS_KINESISVIDEO_SERVER_TIMESTAMP"),
              fragments::FormatEpochSeconds(t0 + i * 200));
    EXPECT_EQ(tags.at("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"),
              fragments::FormatEpochSeconds(1'700'000'000'000 + i * 200));
    const int64_t behind = std::stoll(tags.at("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"));
    EXPECT_GE(behind, 60'000 - i * 200);
    EXPECT_LT(behind, 120'000);
    EXPECT_EQ(chunks[i].frames, 5u);
    EXPECT_EQ(chunks[i].cluster, Log(stream_)->Read(metas[i].index).value().cluster);
  }
  EXPECT_EQ(chunks[1].tags.at("motion"), "yes");
  EXPECT_EQ(chunks[0].tags.count("motion"), 0u);
  EXPECT_FALSE(c.ended()) << "GetMedia stays open at the live head";
}

TEST_F(GetMediaTest, NowWaitsForTheNextPersistedFragment) {
  Append(stream_, NowMs(), 1'700'000'000'000);
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"NOW"})")), 200);
  EXPECT_FALSE(c.ReadUntil([](const std::string& b) { return !b.empty(); }, 300ms))
      << "NOW must not send the fragment already stored";
  for (int i = 1; i <= 3; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto meta = Append(stream_, NowMs(), 1'700'000'000'000 + i * 200);
    ASSERT_TRUE(c.ReadChunks(static_cast<size_t>(i), 5s));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(c.Chunks().back().number(), Number(stream_, meta.index));
    // Not a latency test (2 shared cores); the benchmark measures it.
    EXPECT_LT(took, 2s);
  }
}

TEST_F(GetMediaTest, FragmentNumberAndContinuationTokenStartAfterThatFragment) {
  std::vector<fragments::FragmentMeta> metas;
  for (int i = 0; i < 4; ++i) metas.push_back(Append(stream_, NowMs(), 1'700'000'000'000 + i * 200));
  StartServer();
  for (std::string type : {"FRAGMENT_NUMBER", "CONTINUATION_TOKEN"}) {
    std::string field = type == "FRAGMENT_NUMBER" ? "AfterFragmentNumber" : "ContinuationToken";
    MediaClient c(server_->port());
    ASSERT_EQ(c.Post("/getMedia",
                     GetMediaBody("cam", R"({"StartSelectorType":")" + type + R"(",")" + field +
                                             R"(":")" + Number(stream_, metas[1].index) + "\"}")),
              200);
    ASSERT_TRUE(c.ReadChunks(2));
    auto chunks = c.Chunks();
    EXPECT_EQ(chunks[0].number(), Number(stream_, metas[2].index)) << type;
    EXPECT_EQ(chunks[1].number(), Number(stream_, metas[3].index)) << type;
  }
}

TEST_F(GetMediaTest, TimestampSelectorsStartWithTheFragmentContainingIt) {
  const int64_t t0 = NowMs() - 10'000;
  std::vector<fragments::FragmentMeta> metas;
  for (int i = 0; i < 4; ++i) metas.push_back(Append(stream_, t0 + i * 1000, 1'600'000'000'000 + i * 200));
  // Closed readers at the live head hold their slot until their next write.
  context_.limits.max_get_media_per_stream = 10;
  StartServer();
  struct Case {
    std::string type;
    int64_t ms;
    size_t first;
  };
  for (const Case& k : {Case{"SERVER_TIMESTAMP", t0 + 2100, 2},   // inside fragment 2 (200 ms)
                        Case{"SERVER_TIMESTAMP", t0 + 1500, 2},   // in a gap: the next one
                        Case{"PRODUCER_TIMESTAMP", 1'600'000'000'000 + 250, 1},
                        Case{"SERVER_TIMESTAMP", t0 - 5000, 0}}) {
    MediaClient c(server_->port());
    char ts[64];
    std::snprintf(ts, sizeof ts, "%.3f", static_cast<double>(k.ms) / 1000.0);
    ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":")" + k.type +
                                                          R"(","StartTimestamp":)" + ts + "}")),
              200)
        << k.type << " " << ts << " " << (c.ReadToEnd(1s), c.body());
    ASSERT_TRUE(c.ReadChunks(1));
    EXPECT_EQ(c.Chunks()[0].number(), Number(stream_, metas[k.first].index)) << k.type << " " << ts;
  }
}

TEST_F(GetMediaTest, BadRequestsGetKvsErrorsBeforeStreaming) {
  auto other = CreateStream("other");
  Append(stream_, NowMs(), 1'700'000'000'000);
  auto foreign = Append(other, NowMs(), 1'700'000'000'000);
  StartServer();
  struct Case {
    std::string body;
    int status;
    std::string type;
  };
  const std::string bad_number(47, '1');
  for (const Case& k : std::vector<Case>{
           {R"({"StreamName":"cam"})", 400, "InvalidArgumentException"},
           {GetMediaBody("cam", R"({})"), 400, "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"LATEST"})"), 400, "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"FRAGMENT_NUMBER"})"), 400,
            "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"12a"})"),
            400, "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"SERVER_TIMESTAMP"})"), 400,
            "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"a b"})"),
            400, "InvalidArgumentException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"abc"})"),
            400, "InvalidArgumentException"},
           {GetMediaBody("nope", R"({"StartSelectorType":"NOW"})"), 404, "ResourceNotFoundException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" +
                                    Number(other, foreign.index) + "\"}"),
            404, "ResourceNotFoundException"},
           {GetMediaBody("cam", R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" +
                                    bad_number + "\"}"),
            404, "ResourceNotFoundException"},
           {"not json", 400, "InvalidArgumentException"},
       }) {
    MediaClient c(server_->port());
    EXPECT_EQ(c.Post("/getMedia", k.body), k.status) << k.body;
    EXPECT_EQ(c.Header("x-amzn-ErrorType"), k.type) << k.body;
    c.ReadToEnd(2s);
    EXPECT_NE(c.body().find("\"message\""), std::string::npos) << c.body();
  }
}

TEST_F(GetMediaTest, AtMostMaxReadersPerStream) {
  context_.limits.max_get_media_per_stream = 2;
  auto other = CreateStream("other");
  StartServer();
  MediaClient a(server_->port()), b(server_->port()), c(server_->port()), d(server_->port());
  const std::string now = R"({"StartSelectorType":"NOW"})";
  EXPECT_EQ(a.Post("/getMedia", GetMediaBody("cam", now)), 200);
  EXPECT_EQ(b.Post("/getMedia", GetMediaBody("cam", now)), 200);
  EXPECT_EQ(c.Post("/getMedia", GetMediaBody("cam", now)), 400);
  EXPECT_EQ(c.Header("x-amzn-ErrorType"), "ConnectionLimitExceededException");
  EXPECT_EQ(d.Post("/getMedia", GetMediaBody("other", now)), 200) << "the limit is per stream";
}

TEST_F(GetMediaTest, ReaderSlotIsFreedWhenTheResponseEnds) {
  context_.limits.max_get_media_per_stream = 1;
  Append(stream_, NowMs(), 1'700'000'000'000);
  StartServer();
  {
    MediaClient a(server_->port());
    ASSERT_EQ(a.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"EARLIEST"})")), 200);
    ASSERT_TRUE(a.ReadChunks(1));
    a.Close();
  }
  // The server notices the closed connection at its next write.
  for (int i = 0; i < 3; ++i) Append(stream_, NowMs(), 1'700'000'000'200 + i * 200);
  bool admitted = false;
  for (int i = 0; i < 100 && !admitted; ++i) {
    MediaClient b(server_->port());
    admitted = b.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"NOW"})")) == 200;
    if (!admitted) {
      Append(stream_, NowMs(), 1'700'000'001'000 + i * 200);
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(admitted);
}

TEST_F(GetMediaTest, DeletedStreamEndsWithErrorChunk) {
  Append(stream_, NowMs(), 1'700'000'000'000);
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"EARLIEST"})")), 200);
  ASSERT_TRUE(c.ReadChunks(1));
  ASSERT_TRUE(catalog_->Delete(stream_.arn, std::nullopt).ok());
  ASSERT_TRUE(c.ReadToEnd());
  EXPECT_TRUE(c.clean_end());
  auto chunks = c.Chunks();
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].tags.at("AWS_KINESISVIDEO_ERROR_ID"), "4008");
  EXPECT_EQ(chunks[1].tags.at("AWS_KINESISVIDEO_ERROR_CODE"), "STREAM_NOT_ACTIVE");
  EXPECT_EQ(chunks[1].tags.count("AWS_KINESISVIDEO_SERVER_TIMESTAMP"), 0u);
}

TEST_F(GetMediaTest, ReadErrorsEndWithErrorChunksAndRetentionGapsAreSkipped) {
  std::vector<fragments::FragmentMeta> metas;
  for (int i = 0; i < 5; ++i) metas.push_back(Append(stream_, NowMs(), 1'700'000'000'000 + i * 200));
  auto log = Log(stream_);
  // Gone from the index and the files (retention): skipped.
  log->FailRead(metas[1].index, Status::NotFound("gone"), /*hide=*/true);
  // Listed but unreadable: 5000 INTERNAL_ERROR ends the response.
  log->FailRead(metas[3].index, Status::Corruption("bad checksum"), false);
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"EARLIEST"})")), 200);
  ASSERT_TRUE(c.ReadToEnd());
  auto chunks = c.Chunks();
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].number(), Number(stream_, metas[0].index));
  EXPECT_EQ(chunks[1].number(), Number(stream_, metas[2].index));
  EXPECT_EQ(chunks[2].number(), Number(stream_, metas[3].index));
  EXPECT_EQ(chunks[2].tags.at("AWS_KINESISVIDEO_ERROR_ID"), "5000");

  // Listed but the store says NotFound: 4000.
  log->FailRead(metas[3].index, Status::NotFound("lost"), false);
  MediaClient d(server_->port());
  ASSERT_EQ(d.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" +
                                                    Number(stream_, metas[2].index) + "\"}")),
            200);
  ASSERT_TRUE(d.ReadToEnd());
  ASSERT_EQ(d.Chunks().size(), 1u);
  EXPECT_EQ(d.Chunks()[0].tags.at("AWS_KINESISVIDEO_ERROR_ID"), "4000");
  EXPECT_EQ(d.Chunks()[0].number(), Number(stream_, metas[3].index));
}

TEST_F(GetMediaTest, SlowLiveReaderIsToldAndDisconnectedWithoutSlowingIngest) {
  context_.limits.get_media_queue_bytes = 2u << 20;
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"NOW"})")), 200);
  std::this_thread::sleep_for(100ms);  // the reader reaches the live head
  // The client reads nothing while 40 MB are ingested: socket buffers fill,
  // the reader falls behind, and ingest goes on at its own pace.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) Append(stream_, NowMs(), 1'700'000'000'000 + i * 200, 40'000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  ASSERT_TRUE(c.ReadToEnd(20s));
  auto chunks = c.Chunks();
  ASSERT_FALSE(chunks.empty());
  EXPECT_LT(chunks.size(), 201u);
  EXPECT_EQ(chunks.back().tags.at("AWS_KINESISVIDEO_ERROR_ID"), "3002");
  EXPECT_EQ(chunks.back().tags.at("AWS_KINESISVIDEO_ERROR_CODE"), "READER_TOO_SLOW");
  for (size_t i = 0; i + 1 < chunks.size(); ++i) EXPECT_FALSE(chunks[i].error());
}

TEST_F(GetMediaTest, ShutdownEndsTheResponseCleanly) {
  Append(stream_, NowMs(), 1'700'000'000'000);
  StartServer();
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMedia", GetMediaBody("cam", R"({"StartSelectorType":"EARLIEST"})")), 200);
  ASSERT_TRUE(c.ReadChunks(1));
  std::thread stop([this] { server_->Shutdown(); });
  EXPECT_TRUE(c.ReadToEnd(5s));
  EXPECT_TRUE(c.clean_end()) << "terminating chunk, not a cut connection";
  stop.join();
  ASSERT_EQ(c.Chunks().size(), 1u);
  EXPECT_FALSE(c.Chunks()[0].error());
}

}  // namespace
}  // namespace osprey::server::video::testing
