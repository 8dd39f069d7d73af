// ListFragments and GetMediaForFragmentList over real sockets against a real
// file store and catalog (video_media_test_util.h).
#include <set>

#include <simdjson.h>

#include "video/archived_media.h"
#include "video_media_test_util.h"

namespace osprey::server::video::testing {
namespace {

class ArchivedMediaTest : public MediaServerTest {
 protected:
  struct Listed {
    int status = 0;
    std::string error_type;
    std::vector<std::string> numbers;
    std::string body;  // the response as sent
    std::optional<std::string> next_token;
  };

  Listed List(const std::string& body) {
    MediaClient c(server_->port());
    Listed out;
    out.status = c.Post("/listFragments", body);
    out.error_type = c.Header("x-amzn-ErrorType");
    EXPECT_TRUE(c.ReadToEnd());
    out.body = c.body();
    if (out.status != 200) return out;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(c.body());
    for (simdjson::dom::element f : doc["Fragments"].get_array()) {
      out.numbers.emplace_back(std::string_view(f["FragmentNumber"].get_string()));
    }
    std::string_view token;
    if (doc["NextToken"].get_string().get(token) == simdjson::SUCCESS) out.next_token = std::string(token);
    return out;
  }

  static std::string Selector(const std::string& type, int64_t start_ms, int64_t end_ms) {
    return R"("FragmentSelector":{"FragmentSelectorType":")" + type +
           R"(","TimestampRange":{"StartTimestamp":)" + fragments::FormatEpochSeconds(start_ms) +
           R"(,"EndTimestamp":)" + fragments::FormatEpochSeconds(end_ms) + "}}";
  }
};

TEST_F(ArchivedMediaTest, ListFragmentsPagesThroughARange) {
  const int64_t t0 = 1'700'000'000'000;
  std::vector<std::string> all;
  for (int i = 0; i < 25; ++i) {
    all.push_back(Number(stream_, Append(stream_, t0 + i * 1000, t0 - 500 + i * 1000).index));
  }
  StartServer();
  std::vector<std::string> seen;
  std::string body = R"({"StreamName":"cam","MaxResults":10,)" +
                     Selector("SERVER_TIMESTAMP", t0, t0 + 24'000) + "}";
  std::vector<size_t> sizes;
  for (int page = 0; page < 5; ++page) {
    Listed l = List(body);
    ASSERT_EQ(l.status, 200);
    sizes.push_back(l.numbers.size());
    seen.insert(seen.end(), l.numbers.begin(), l.numbers.end());
    if (!l.next_token) break;
    body = R"({"StreamName":"cam","MaxResults":10,"NextToken":")" + *l.next_token + "\"}";
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{10, 10, 5}));
  EXPECT_EQ(seen, all);

  // Fields of one fragment, timestamps as epoch seconds with milliseconds.
  Listed one = List(R"({"StreamName":"cam",)" + Selector("SERVER_TIMESTAMP", t0 + 3000, t0 + 3000) + "}");
  ASSERT_EQ(one.numbers.size(), 1u);
  auto meta = Log(stream_)->Find(fragments::ParseFragmentNumber(all[3]).value().index).value();
  EXPECT_EQ(one.body, R"({"Fragments":[{"FragmentNumber":")" + all[3] + R"(","FragmentSizeInBytes":)" +
                            std::to_string(meta.size_bytes) +
                            R"(,"ProducerTimestamp":1700000002.500,"ServerTimestamp":1700000003.000,)"
                            R"("FragmentLengthInMilliseconds":200}]})");
  EXPECT_FALSE(one.next_token);

  // Producer time selects differently; the range is inclusive at both ends.
  Listed prod = List(R"({"StreamName":"cam",)" + Selector("PRODUCER_TIMESTAMP", t0 - 500, t0 + 1500) + "}");
  EXPECT_EQ(prod.numbers, (std::vector<std::string>{all[0], all[1], all[2]}));
  Listed none = List(R"({"StreamName":"cam",)" + Selector("SERVER_TIMESTAMP", t0 + 100'000, t0 + 200'000) + "}");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.numbers.empty());
}

TEST_F(ArchivedMediaTest, ListFragmentsDefaultsTo100Results) {
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i < 101; ++i) Append(stream_, t0 + i, t0 + i);
  StartServer();
  Listed l = List(R"({"StreamName":"cam",)" + Selector("SERVER_TIMESTAMP", t0, t0 + 1000) + "}");
  EXPECT_EQ(l.numbers.size(), 100u);
  ASSERT_TRUE(l.next_token);
  Listed rest = List(R"({"StreamName":"cam","NextToken":")" + *l.next_token + "\"}");
  EXPECT_EQ(rest.numbers.size(), 1u);
  EXPECT_FALSE(rest.next_token);
}

TEST_F(ArchivedMediaTest, ListFragmentsRejectsBadInput) {
  auto other = CreateStream("other");
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i < 3; ++i) Append(stream_, t0 + i, t0 + i);
  StartServer();
  const std::string sel = Selector("SERVER_TIMESTAMP", t0, t0 + 10);
  Listed first = List(R"({"StreamName":"cam","MaxResults":1,)" + sel + "}");
  ASSERT_TRUE(first.next_token);
  std::string flipped = *first.next_token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  struct Case {
    std::string body;
    int status;
    std::string type;
  };
  for (const Case& k : std::vector<Case>{
           {R"({"StreamName":"cam"})", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam","MaxResults":0,)" + sel + "}", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam","MaxResults":1001,)" + sel + "}", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam",)" + Selector("ARRIVAL", t0, t0) + "}", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam",)" + Selector("SERVER_TIMESTAMP", t0 + 10, t0) + "}", 400,
            "InvalidArgumentException"},
           {R"({"StreamName":"cam","FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP"}})", 400,
            "InvalidArgumentException"},
           {R"({"StreamName":"cam","NextToken":"garbage!"})", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam","NextToken":"QUJD"})", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam","NextToken":")" + flipped + "\"}", 400, "InvalidArgumentException"},
           {R"({"StreamName":"cam","NextToken":")" + first.next_token->substr(0, 20) + "\"}", 400,
            "InvalidArgumentException"},
           {R"({"StreamName":"other","NextToken":")" + *first.next_token + "\"}", 400,
            "InvalidArgumentException"},
           {R"({"StreamName":"nope",)" + sel + "}", 404, "ResourceNotFoundException"},
       }) {
    Listed l = List(k.body);
    EXPECT_EQ(l.status, k.status) << k.body;
    EXPECT_EQ(l.error_type, k.type) << k.body;
  }
  (void)other;
}

TEST_F(ArchivedMediaTest, GetMediaForFragmentListSendsChunksInRequestedOrder) {
  std::vector<fragments::FragmentMeta> metas;
  for (int i = 0; i < 4; ++i) {
    metas.push_back(Append(stream_, NowMs() - 5000 + i, 1'700'000'000'000 + i * 200, 100,
                           {{"n", std::to_string(i)}}));
  }
  StartServer();
  std::vector<std::string> want = {Number(stream_, metas[2].index), Number(stream_, metas[0].index),
                                   Number(stream_, metas[3].index), Number(stream_, metas[0].index)};
  std::string list;
  for (const auto& n : want) list += (list.empty() ? "\"" : ",\"") + n + "\"";
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMediaForFragmentList", R"({"StreamName":"cam","Fragments":[)" + list + "]}"), 200);
  EXPECT_EQ(c.Header("Content-Type"), "video/webm");
  ASSERT_TRUE(c.ReadToEnd());
  EXPECT_TRUE(c.clean_end());
  auto chunks = c.Chunks();
  ASSERT_EQ(chunks.size(), 4u);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(chunks[i].number(), want[i]);
    EXPECT_EQ(chunks[i].tags.at("AWS_KINESISVIDEO_CONTINUATION_TOKEN"), want[i]);
    EXPECT_EQ(chunks[i].tags.count("AWS_KINESISVIDEO_SERVER_TIMESTAMP"), 1u);
    EXPECT_EQ(chunks[i].tags.count("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"), 1u);
  }
  EXPECT_EQ(chunks[0].tags.at("n"), "2");
  EXPECT_EQ(chunks[1].cluster, Log(stream_)->Read(metas[0].index).value().cluster);
}

TEST_F(ArchivedMediaTest, GetMediaForFragmentListChecksEveryNumberFirst) {
  auto other = CreateStream("other");
  auto mine = Append(stream_, NowMs(), 1'700'000'000'000);
  auto foreign = Append(other, NowMs(), 1'700'000'000'000);
  StartServer();
  std::string big = "[";
  for (int i = 0; i < 1001; ++i) big += (i ? ",\"" : "\"") + Number(stream_, mine.index) + "\"";
  big += "]";
  struct Case {
    std::string fragments;
    int status;
    std::string type;
  };
  for (const Case& k : std::vector<Case>{
           {"[]", 400, "InvalidArgumentException"},
           {big, 400, "InvalidArgumentException"},
           {R"(["12x"])", 400, "InvalidArgumentException"},
           {"[\"" + Number(stream_, mine.index) + "\",\"" + Number(other, foreign.index) + "\"]", 404,
            "ResourceNotFoundException"},
           {"[\"" + Number(stream_, mine.index + 1) + "\"]", 404, "ResourceNotFoundException"},
           {R"(["123"])", 404, "ResourceNotFoundException"},
       }) {
    MediaClient c(server_->port());
    EXPECT_EQ(c.Post("/getMediaForFragmentList", R"({"StreamName":"cam","Fragments":)" + k.fragments + "}"),
              k.status)
        << k.fragments.substr(0, 200);
    EXPECT_EQ(c.Header("x-amzn-ErrorType"), k.type);
  }
  {
    MediaClient c(server_->port());
    EXPECT_EQ(c.Post("/getMediaForFragmentList", R"({"StreamName":"cam"})"), 400);
  }
}

TEST_F(ArchivedMediaTest, GetMediaForFragmentListEndsWithErrorChunkWhenAFragmentVanishes) {
  auto a = Append(stream_, NowMs(), 1'700'000'000'000);
  auto b = Append(stream_, NowMs(), 1'700'000'000'200);
  StartServer();
  // Checked present, then unreadable by the time it is read.
  Log(stream_)->FailRead(b.index, Status::NotFound("removed by retention"), false);
  MediaClient c(server_->port());
  ASSERT_EQ(c.Post("/getMediaForFragmentList", R"({"StreamName":"cam","Fragments":[")" +
                                                   Number(stream_, a.index) + "\",\"" +
                                                   Number(stream_, b.index) + "\"]}"),
            200);
  ASSERT_TRUE(c.ReadToEnd());
  auto chunks = c.Chunks();
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_FALSE(chunks[0].error());
  EXPECT_EQ(chunks[1].number(), Number(stream_, b.index));
  EXPECT_EQ(chunks[1].tags.at("AWS_KINESISVIDEO_ERROR_ID"), "4000");
  EXPECT_EQ(chunks[1].tags.at("AWS_KINESISVIDEO_ERROR_CODE"), "FRAGMENT_NOT_FOUND");
}

}  // namespace
}  // namespace osprey::server::video::testing
