// Golden tests of the HLS playlists (video-api.md 6.3).
#include "osprey/playback/hls_playlist.h"

#include <gtest/gtest.h>

namespace osprey::playback {
namespace {

const std::string kFn1 = "91343852333185057105875891022195998207386831087";
const std::string kFn2 = "91343852333185057105875891022195998207386831088";
const std::string kFn3 = "91343852333185057105875891022195998207386831089";

TEST(MasterPlaylist, VideoOnly) {
  MasterPlaylistInput in;
  in.session_token = "tok_EN-1";
  in.video_codecs = "avc1.4d4029";
  in.width = 1280;
  in.height = 720;
  in.frame_rate = 15.0;
  in.bandwidth = 1953544;
  Result<std::string> p = BuildMasterPlaylist(in);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p,
            "#EXTM3U\n"
            "#EXT-X-VERSION:1\n"
            "#EXT-X-STREAM-INF:CODECS=\"avc1.4d4029\",RESOLUTION=1280x720,FRAME-RATE=15.0,"
            "BANDWIDTH=1953544\n"
            "getHLSMediaPlaylist.m3u8?SessionToken=tok_EN-1&TrackNumber=1\n");
}

TEST(MasterPlaylist, AudioRenditionForFmp4AndMuxedForTs) {
  MasterPlaylistInput in;
  in.session_token = "T";
  in.video_codecs = "avc1.640028";
  in.width = 1920;
  in.height = 1080;
  in.frame_rate = 29.97;
  in.bandwidth = 4000000;
  in.audio_track = 2;
  in.audio_codecs = "mp4a.40.2";
  EXPECT_EQ(*BuildMasterPlaylist(in),
            "#EXTM3U\n"
            "#EXT-X-VERSION:1\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,"
            "AUTOSELECT=YES,URI=\"getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=2\"\n"
            "#EXT-X-STREAM-INF:CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
            "FRAME-RATE=29.97,BANDWIDTH=4000000,AUDIO=\"audio\"\n"
            "getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=1\n");
  in.container = ContainerFormat::kMpegTs;
  in.frame_rate.reset();
  EXPECT_EQ(*BuildMasterPlaylist(in),
            "#EXTM3U\n"
            "#EXT-X-VERSION:1\n"
            "#EXT-X-STREAM-INF:CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
            "BANDWIDTH=4000000\n"
            "getHLSMediaPlaylist.m3u8?SessionToken=T&TrackNumber=1\n");
}

TEST(MasterPlaylist, RejectsTokenNeedingEscapes) {
  MasterPlaylistInput in;
  in.session_token = "a&b";
  EXPECT_FALSE(BuildMasterPlaylist(in).ok());
  in.session_token = "";
  EXPECT_FALSE(BuildMasterPlaylist(in).ok());
}

MediaPlaylistInput ThreeFragments() {
  MediaPlaylistInput in;
  in.session_token = "TOK";
  in.fragments = {{kFn1, 1643353235931, 1857},
                  {kFn2, 1643353237788, 2000},  // contiguous
                  {kFn3, 1643353239888, 2500}};  // 100 ms gap
  return in;
}

TEST(MediaPlaylist, OnDemandFmp4WithTimestampsAlwaysDiscontinuity) {
  MediaPlaylistInput in = ThreeFragments();
  in.mode = PlaybackMode::kOnDemand;
  in.display_fragment_timestamp = true;
  const std::string url = "getMP4MediaFragment.mp4?FragmentNumber=";
  EXPECT_EQ(*BuildMediaPlaylist(in),
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-TARGETDURATION:3\n"
            "#EXT-X-MEDIA-SEQUENCE:1\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?SessionToken=TOK&TrackNumber=1\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:2022-01-28T07:00:35.931Z\n"
            "#EXTINF:1.857,\n" +
                url + kFn1 + "&SessionToken=TOK&TrackNumber=1\n" +
                "#EXT-X-DISCONTINUITY\n"
                "#EXT-X-PROGRAM-DATE-TIME:2022-01-28T07:00:37.788Z\n"
                "#EXTINF:2.000,\n" +
                url + kFn2 + "&SessionToken=TOK&TrackNumber=1\n" +
                "#EXT-X-DISCONTINUITY\n"
                "#EXT-X-PROGRAM-DATE-TIME:2022-01-28T07:00:39.888Z\n"
                "#EXTINF:2.500,\n" +
                url + kFn3 + "&SessionToken=TOK&TrackNumber=1\n" + "#EXT-X-ENDLIST\n");
}

TEST(MediaPlaylist, LiveTsOnDiscontinuity) {
  MediaPlaylistInput in = ThreeFragments();
  in.mode = PlaybackMode::kLive;
  in.container = ContainerFormat::kMpegTs;
  in.discontinuity = DiscontinuityMode::kOnDiscontinuity;
  in.media_sequence = 42;
  in.discontinuity_sequence = 3;
  const std::string url = "getTSFragment.ts?FragmentNumber=";
  EXPECT_EQ(*BuildMediaPlaylist(in),
            "#EXTM3U\n"
            "#EXT-X-VERSION:3\n"
            "#EXT-X-TARGETDURATION:3\n"
            "#EXT-X-MEDIA-SEQUENCE:42\n"
            "#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXTINF:1.857,\n" +
                url + kFn1 + "&SessionToken=TOK\n" + "#EXTINF:2.000,\n" + url + kFn2 +
                "&SessionToken=TOK\n" + "#EXT-X-DISCONTINUITY\n" + "#EXTINF:2.500,\n" + url +
                kFn3 + "&SessionToken=TOK\n");
}

TEST(MediaPlaylist, LiveReplayNeverAndEnded) {
  MediaPlaylistInput in = ThreeFragments();
  in.mode = PlaybackMode::kLiveReplay;
  in.discontinuity = DiscontinuityMode::kNever;
  in.track_number = 2;
  in.fragments.resize(1);
  std::string p = *BuildMediaPlaylist(in);
  EXPECT_NE(p.find("#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:2\n"), std::string::npos);
  EXPECT_NE(p.find("TrackNumber=2\n"), std::string::npos);
  EXPECT_EQ(p.find("#EXT-X-ENDLIST"), std::string::npos);
  EXPECT_EQ(p.find("DISCONTINUITY"), std::string::npos);
  in.ended = true;
  p = *BuildMediaPlaylist(in);
  EXPECT_NE(p.find("#EXT-X-ENDLIST\n"), std::string::npos);
}

TEST(MediaPlaylist, ExtinfAgreesWithFragmentLength) {
  // amazon-kinesis-client-nodejs#117: EXTINF must be FragmentLengthInMilliseconds.
  MediaPlaylistInput in;
  in.session_token = "T";
  in.fragments = {{kFn1, 0, 999}, {kFn2, 999, 10001}, {kFn3, 11000, 40}};
  const std::string p = *BuildMediaPlaylist(in);
  EXPECT_NE(p.find("#EXTINF:0.999,"), std::string::npos);
  EXPECT_NE(p.find("#EXTINF:10.001,"), std::string::npos);
  EXPECT_NE(p.find("#EXTINF:0.040,"), std::string::npos);
  EXPECT_NE(p.find("#EXT-X-TARGETDURATION:11\n"), std::string::npos);
}

TEST(ProgramDateTime, Format) {
  EXPECT_EQ(FormatProgramDateTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatProgramDateTime(1643353235931), "2022-01-28T07:00:35.931Z");
  EXPECT_EQ(FormatProgramDateTime(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Discontinuity, Tolerance) {
  PlaylistFragment a{kFn1, 1000, 2000};
  PlaylistFragment b{kFn2, 3050, 2000};
  PlaylistFragment c{kFn2, 3051, 2000};
  PlaylistFragment d{kFn2, 2949, 2000};
  EXPECT_FALSE(IsDiscontinuity(DiscontinuityMode::kOnDiscontinuity, a, b));
  EXPECT_TRUE(IsDiscontinuity(DiscontinuityMode::kOnDiscontinuity, a, c));
  EXPECT_TRUE(IsDiscontinuity(DiscontinuityMode::kOnDiscontinuity, a, d));
  EXPECT_TRUE(IsDiscontinuity(DiscontinuityMode::kAlways, a, b));
  EXPECT_FALSE(IsDiscontinuity(DiscontinuityMode::kNever, a, c));
}

}  // namespace
}  // namespace osprey::playback
