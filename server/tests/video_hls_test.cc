// HLS routes called through the Router (no sockets: app.cc does not register
// them yet) against a real catalog and file store: session URL, playlists,
// segments, token errors.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>

#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/mkv_writer.h"
#include "video/hls_internal.h"
#include "video/hls_routes.h"

namespace osprey::server::video {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

class HlsRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/osprey_hls_routes_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fragments::CatalogOptions copt;
    copt.path = dir_ + "/catalog";
    catalog_ = fragments::StreamCatalog::Open(copt).value();
    fragments::StoreOptions sopt;
    sopt.root = dir_ + "/store";
    store_ = fragments::OpenFileFragmentStore(sopt).value();
    context_.catalog = catalog_.get();
    context_.store = store_.get();
    context_.data_endpoint = "http://osprey:8080";
    RegisterHlsRoutes(&router_, MakePlaybackState(&context_, MakeSegmentStore(&context_)));

    fragments::CreateStreamInput in;
    in.name = "cam";
    in.retention_hours = 24;
    stream_ = catalog_->Create(in).value();
    auto log = store_->OpenStream(stream_.store_id()).value();
    const std::string sps = Hex("6764000bacd942847e5c0440000003004000000c83c50a6580");
    fragments::TrackEntry t;
    t.number = 1;
    t.type = 1;
    t.codec_id = "V_MPEG4/ISO/AVC";
    t.codec_private = std::string{1, sps[1], sps[2], sps[3], char(0xFF), char(0xE1), 0,
                                  char(sps.size())} + sps +
                      std::string("\x01\x00\x04\x68\xce\x38\x80", 7);  // one PPS
    t.pixel_width = 160;
    t.pixel_height = 120;
    for (int k = 0; k < 3; ++k) {
      fragments::FragmentInput f;
      f.stream_header = fragments::EncodeStreamHeader({}, {t});
      const std::string idr = std::string("\x00\x00\x00\x02\x65\x88", 6);
      const std::string p = std::string("\x00\x00\x00\x02\x41\x9a", 6);
      std::vector<fragments::FrameSpec> frames = {{1, kT0 + 2000 * k, true, idr},
                                                  {1, kT0 + 2000 * k + 1000, false, p}};
      f.cluster = fragments::EncodeCluster(uint64_t(kT0 + 2000 * k), frames).value();
      f.meta.index = log->ReserveIndex();
      f.meta.producer_timestamp_ms = kT0 + 2000 * k;
      f.meta.server_timestamp_ms = kT0 + 2000 * k + 500;
      f.meta.duration_ms = 2000;
      numbers_.push_back(fragments::FormatFragmentNumber(stream_.creation_ms, f.meta.index));
      std::promise<Status> done;
      log->AppendAsync(std::move(f), [&done](Status s) { done.set_value(std::move(s)); });
      ASSERT_TRUE(done.get_future().get().ok());
    }
  }
  void TearDown() override {
    (void)store_->Close();
    std::filesystem::remove_all(dir_);
  }

  Response Call(const std::string& method, const std::string& target, std::string body = "") {
    Request r;
    r.method = method;
    r.target = target;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    Unrouted unrouted;
    const Route* route = router_.Find(r.method, r.path, "", &unrouted);
    EXPECT_NE(route, nullptr) << target;
    if (route == nullptr) return {};
    Response out;
    route->buffered(std::move(r), [&out](Response resp) { out = std::move(resp); });
    return out;
  }

  // The token of a new ON_DEMAND session over the three fragments.
  std::string OnDemandToken(const std::string& extra = "") {
    Response r = Call("POST", "/getHLSStreamingSessionURL",
                      R"({"StreamName":"cam","PlaybackMode":"ON_DEMAND",)"
                      R"("HLSFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP",)"
                      R"("TimestampRange":{"StartTimestamp":1700000000,"EndTimestamp":1700000010}})" +
                          extra + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string prefix =
        R"({"HLSStreamingSessionURL":"http://osprey:8080/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=)";
    EXPECT_EQ(r.body.substr(0, prefix.size()), prefix);
    return r.body.substr(prefix.size(), r.body.size() - prefix.size() - 2);
  }

  std::string dir_;
  std::unique_ptr<fragments::StreamCatalog> catalog_;
  std::unique_ptr<fragments::FragmentStore> store_;
  VideoContext context_;
  Router router_;
  fragments::VideoStream stream_;
  std::vector<std::string> numbers_;
};

TEST_F(HlsRoutesTest, OnDemandSessionPlaylistsAndSegments) {
  const std::string token = OnDemandToken();
  Response master = Call("GET", "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + token);
  ASSERT_EQ(master.status, 200) << master.body;
  EXPECT_EQ(master.headers.Get("Content-Type"), "application/vnd.apple.mpegurl");
  EXPECT_EQ(master.headers.Get("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(master.body.find("CODECS=\"avc1.64000b\",RESOLUTION=160x120,FRAME-RATE=25.0,"),
            std::string::npos) << master.body;

  Response media = Call("GET", "/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=" + token +
                                   "&TrackNumber=1");
  ASSERT_EQ(media.status, 200) << media.body;
  EXPECT_NE(media.body.find("#EXT-X-PLAYLIST-TYPE:VOD\n"), std::string::npos);
  EXPECT_NE(media.body.find("#EXTINF:2.000,\ngetMP4MediaFragment.mp4?FragmentNumber=" +
                            numbers_[0] + "&SessionToken=" + token + "&TrackNumber=1\n"),
            std::string::npos) << media.body;
  EXPECT_NE(media.body.find(numbers_[2]), std::string::npos);
  EXPECT_EQ(media.body.find("DISCONTINUITY"), std::string::npos);  // NEVER for producer ts
  EXPECT_NE(media.body.find("#EXT-X-ENDLIST\n"), std::string::npos);

  Response init = Call("GET", "/hls/v1/getMP4InitFragment.mp4?SessionToken=" + token +
                                  "&TrackNumber=1");
  ASSERT_EQ(init.status, 200) << init.Body();
  ASSERT_TRUE(init.shared_body) << "cached bytes go out without a copy";
  EXPECT_EQ(init.Body().substr(4, 4), "ftyp");
  Response seg = Call("GET", "/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=" + numbers_[1] +
                                 "&SessionToken=" + token + "&TrackNumber=1");
  ASSERT_EQ(seg.status, 200) << seg.Body();
  EXPECT_EQ(seg.headers.Get("Content-Type"), "video/mp4");
  EXPECT_EQ(seg.Body().substr(4, 4), "moof");
  Response ts = Call("GET", "/hls/v1/getTSFragment.ts?FragmentNumber=" + numbers_[1] +
                                "&SessionToken=" + token);
  ASSERT_EQ(ts.status, 200) << ts.Body();
  EXPECT_EQ(ts.headers.Get("Content-Type"), "video/mp2t");
  EXPECT_EQ(ts.Body()[0], 0x47);
}

TEST_F(HlsRoutesTest, TokenAndFragmentErrors) {
  const std::string token = OnDemandToken();
  std::string bad = token;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  Response r = Call("GET", "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + bad);
  EXPECT_EQ(r.status, 403);
  r = Call("GET", "/hls/v1/getHLSMasterPlaylist.m3u8");
  EXPECT_EQ(r.status, 400);
  r = Call("GET", "/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=" +
                      fragments::FormatFragmentNumber(stream_.creation_ms + 1, 5) +
                      "&SessionToken=" + token + "&TrackNumber=1");
  EXPECT_EQ(r.status, 404);
  r = Call("GET", "/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=123&SessionToken=" + token);
  EXPECT_EQ(r.status, 400);
  r = Call("GET", "/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=" + token + "&TrackNumber=3");
  EXPECT_EQ(r.status, 400);
  // A stream deleted and created again under the same name refuses old tokens.
  ASSERT_TRUE(catalog_->Delete(stream_.arn, std::nullopt).ok());
  fragments::CreateStreamInput in;
  in.name = "cam";
  in.retention_hours = 24;
  ASSERT_TRUE(catalog_->Create(in).ok());
  r = Call("GET", "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" + token);
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(HlsRoutesTest, SessionRequestErrors) {
  // LIVE: the fragments are from 2023, far more than 30 s ago.
  Response r = Call("POST", "/getHLSStreamingSessionURL", R"({"StreamName":"cam"})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(r.body.find("No fragments found"), std::string::npos);
  r = Call("POST", "/getHLSStreamingSessionURL",
           R"({"StreamName":"cam","PlaybackMode":"ON-DEMAND"})");
  EXPECT_EQ(r.status, 400);
  r = Call("POST", "/getHLSStreamingSessionURL",
           R"({"StreamName":"cam","PlaybackMode":"ON_DEMAND"})");
  EXPECT_EQ(r.status, 400);
  r = Call("POST", "/getHLSStreamingSessionURL", R"({"StreamName":"nope"})");
  EXPECT_EQ(r.status, 404);
  r = Call("POST", "/getHLSStreamingSessionURL", R"({"StreamName":"cam","Expires":299})");
  EXPECT_EQ(r.status, 400);
  fragments::CreateStreamInput in;
  in.name = "noretention";
  ASSERT_TRUE(catalog_->Create(in).ok());
  r = Call("POST", "/getHLSStreamingSessionURL", R"({"StreamName":"noretention"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"), "NoDataRetentionException");
}

}  // namespace
}  // namespace osprey::server::video
