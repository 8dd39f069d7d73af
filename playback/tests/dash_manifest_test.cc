// The MPEG-DASH manifest writer (dash_manifest.h; video-api.md 6.4): a
// golden static MPD, then the dynamic variants, the timeline rules and the
// kvs:ts / kvs:fn attributes.
#include "osprey/playback/dash_manifest.h"

#include <gtest/gtest.h>

namespace osprey::playback {
namespace {

const std::string kFn1 = "91343852333185057105875891022195998207386831087";
const std::string kFn2 = "91343852333185057105875891022195998207386831088";
const std::string kFn3 = "91343852333185057105875891022195998207386831089";
constexpr int64_t kT0 = 1700000000000;  // epoch ms

DashManifestInput Input(PlaybackMode mode) {
  DashManifestInput in;
  in.mode = mode;
  in.session_token = "tok_EN-1";
  DashRepresentation video;
  video.codecs = "avc1.64000c";
  video.width = 320;
  video.height = 240;
  video.frame_rate = 15.0;
  video.bandwidth = 80000;
  in.representations.push_back(video);
  in.segments = {{kFn1, kT0, 1000, kT0 + 40},
                 {kFn2, kT0 + 1000, 1000, kT0 + 1040},
                 {kFn3, kT0 + 2000, 967, kT0 + 2040}};
  in.now_ms = kT0 + 3500;
  return in;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

TEST(DashManifest, OnDemandIsAStaticMpdWithExactTimeline) {
  Result<std::string> mpd = BuildDashManifest(Input(PlaybackMode::kOnDemand));
  ASSERT_TRUE(mpd.ok()) << mpd.status().ToString();
  EXPECT_EQ(*mpd,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
            "xmlns:kvs=\"urn:osprey:kinesisvideo:dash:2017\" "
            "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" "
            "mediaPresentationDuration=\"PT2.967S\" minBufferTime=\"PT1.000S\" "
            "maxSegmentDuration=\"PT1.000S\">\n"
            "  <Period id=\"0\" start=\"PT0.000S\">\n"
            "    <AdaptationSet id=\"1\" contentType=\"video\" mimeType=\"video/mp4\" "
            "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
            "      <Representation id=\"1\" codecs=\"avc1.64000c\" bandwidth=\"80000\" "
            "width=\"320\" height=\"240\" frameRate=\"15\">\n"
            "        <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"1700000000000\" "
            "initialization=\"getMP4InitFragment.mp4?SessionToken=tok_EN-1&amp;TrackNumber=1\" "
            "media=\"getMP4MediaFragment.mp4?SessionToken=tok_EN-1&amp;TrackNumber=1&amp;"
            "Time=$Time$\">\n"
            "          <SegmentTimeline>\n"
            "            <S t=\"1700000000000\" d=\"1000\"/>\n"
            "            <S t=\"1700000001000\" d=\"1000\"/>\n"
            "            <S t=\"1700000002000\" d=\"967\"/>\n"
            "          </SegmentTimeline>\n"
            "        </SegmentTemplate>\n"
            "      </Representation>\n"
            "    </AdaptationSet>\n"
            "  </Period>\n"
            "</MPD>\n");
}

TEST(DashManifest, LiveIsDynamicOnTheProducerClock) {
  Result<std::string> mpd = BuildDashManifest(Input(PlaybackMode::kLive));
  ASSERT_TRUE(mpd.ok());
  EXPECT_NE(mpd->find(" type=\"dynamic\" availabilityStartTime=\"1970-01-01T00:00:00.000Z\" "
                      "publishTime=\"2023-11-14T22:13:23.500Z\" minimumUpdatePeriod=\"PT1.000S\" "
                      "timeShiftBufferDepth=\"PT2.967S\" suggestedPresentationDelay=\"PT2.967S\""),
            std::string::npos)
      << *mpd;
  EXPECT_EQ(Count(*mpd, "mediaPresentationDuration"), 0u);
  EXPECT_NE(mpd->find("presentationTimeOffset=\"0\""), std::string::npos);
  EXPECT_NE(mpd->find("  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" "
                      "value=\"2023-11-14T22:13:23.500Z\"/>\n</MPD>\n"),
            std::string::npos);
}

TEST(DashManifest, LiveReplayMapsTheSessionStartToItsCreation) {
  DashManifestInput in = Input(PlaybackMode::kLiveReplay);
  in.availability_start_ms = kT0 + 3'600'000;  // session created an hour later
  in.timeline_origin_ms = kT0 - 5000;          // its first fragment
  Result<std::string> mpd = BuildDashManifest(in);
  ASSERT_TRUE(mpd.ok());
  EXPECT_NE(mpd->find("availabilityStartTime=\"2023-11-14T23:13:20.000Z\""), std::string::npos);
  EXPECT_NE(mpd->find("presentationTimeOffset=\"1699999995000\""), std::string::npos);
  EXPECT_NE(mpd->find("minimumUpdatePeriod"), std::string::npos);
  in.ended = true;
  mpd = BuildDashManifest(in);
  ASSERT_TRUE(mpd.ok());
  EXPECT_EQ(Count(*mpd, "minimumUpdatePeriod"), 0u);
  // From the origin to the end of the last fragment: 5 s + 2.967 s.
  EXPECT_NE(mpd->find("type=\"dynamic\""), std::string::npos);
  EXPECT_NE(mpd->find("mediaPresentationDuration=\"PT7.967S\""), std::string::npos);
}

TEST(DashManifest, DisplayAttributesGoOnEveryS) {
  DashManifestInput in = Input(PlaybackMode::kOnDemand);
  in.display_fragment_timestamp = true;
  Result<std::string> mpd = BuildDashManifest(in);
  ASSERT_TRUE(mpd.ok());
  EXPECT_EQ(Count(*mpd, " kvs:ts=\""), 3u);
  EXPECT_EQ(Count(*mpd, " kvs:fn=\""), 0u);
  EXPECT_NE(mpd->find("<S t=\"1700000001000\" d=\"1000\" kvs:ts=\"2023-11-14T22:13:21.040Z\"/>"),
            std::string::npos);
  in.display_fragment_timestamp = false;
  in.display_fragment_number = true;
  mpd = BuildDashManifest(in);
  EXPECT_EQ(Count(*mpd, " kvs:ts=\""), 0u);
  EXPECT_NE(mpd->find("<S t=\"1700000002000\" d=\"967\" kvs:fn=\"" + kFn3 + "\"/>"),
            std::string::npos);
}

TEST(DashManifest, TimelineIsSortedDeduplicatedAndNeverOverlaps) {
  DashManifestInput in = Input(PlaybackMode::kOnDemand);
  in.display_fragment_number = true;
  const std::string resend = "91343852333185057105875891022195998207386831099";
  in.segments = {{kFn3, kT0 + 2500, 1000, 0},  // a gap of 500 ms before it
                 {resend, kT0, 1000, 0},       // resend of kFn1: the higher number wins
                 {kFn1, kT0, 1000, 0},
                 {kFn2, kT0 + 900, 1000, 0}};  // overlaps the first by 100 ms
  Result<std::string> mpd = BuildDashManifest(in);
  ASSERT_TRUE(mpd.ok());
  const std::string expected = "            <S t=\"1700000000000\" d=\"900\" kvs:fn=\"" + resend +
                               "\"/>\n"
                               "            <S t=\"1700000000900\" d=\"1000\" kvs:fn=\"" +
                               kFn2 +
                               "\"/>\n"
                               "            <S t=\"1700000002500\" d=\"1000\" kvs:fn=\"" +
                               kFn3 + "\"/>\n";
  EXPECT_NE(mpd->find(expected), std::string::npos) << *mpd;
  EXPECT_EQ(Count(*mpd, "<S "), 3u);
  EXPECT_NE(mpd->find("mediaPresentationDuration=\"PT3.500S\""), std::string::npos);
}

TEST(DashManifest, AudioIsItsOwnAdaptationSet) {
  DashManifestInput in = Input(PlaybackMode::kOnDemand);
  DashRepresentation audio;
  audio.track_number = 2;
  audio.video = false;
  audio.codecs = "mp4a.40.2";
  audio.sample_rate = 48000;
  audio.channels = 2;
  audio.bandwidth = 128000;
  in.representations.push_back(audio);
  Result<std::string> mpd = BuildDashManifest(in);
  ASSERT_TRUE(mpd.ok());
  EXPECT_NE(mpd->find("<AdaptationSet id=\"2\" contentType=\"audio\" mimeType=\"audio/mp4\""),
            std::string::npos);
  EXPECT_NE(mpd->find("<Representation id=\"2\" codecs=\"mp4a.40.2\" bandwidth=\"128000\" "
                      "audioSamplingRate=\"48000\">\n        <AudioChannelConfiguration "
                      "schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" "
                      "value=\"2\"/>"),
            std::string::npos);
  EXPECT_NE(mpd->find("TrackNumber=2&amp;Time=$Time$"), std::string::npos);
  EXPECT_EQ(Count(*mpd, "<SegmentTimeline>"), 2u);
}

TEST(DashManifest, FrameRates) {
  DashManifestInput in = Input(PlaybackMode::kOnDemand);
  in.representations[0].frame_rate = 29.97;
  EXPECT_NE(BuildDashManifest(in)->find("frameRate=\"30000/1001\""), std::string::npos);
  in.representations[0].frame_rate = 12.5;
  EXPECT_NE(BuildDashManifest(in)->find("frameRate=\"12500/1000\""), std::string::npos);
  in.representations[0].frame_rate.reset();
  EXPECT_EQ(BuildDashManifest(in)->find("frameRate"), std::string::npos);
}

TEST(DashManifest, RejectsWhatItCannotWrite) {
  DashManifestInput in = Input(PlaybackMode::kOnDemand);
  in.session_token = "a&b";
  EXPECT_EQ(BuildDashManifest(in).status().code(), Status::Code::kInvalidArgument);
  in = Input(PlaybackMode::kOnDemand);
  in.segments.clear();
  EXPECT_EQ(BuildDashManifest(in).status().code(), Status::Code::kInvalidArgument);
  in = Input(PlaybackMode::kLive);
  in.representations.clear();
  EXPECT_EQ(BuildDashManifest(in).status().code(), Status::Code::kInvalidArgument);
}

TEST(DashManifest, Durations) {
  EXPECT_EQ(DashDuration(0), "PT0.000S");
  EXPECT_EQ(DashDuration(1), "PT0.001S");
  EXPECT_EQ(DashDuration(61'234), "PT61.234S");
  EXPECT_EQ(DashDuration(-5), "PT0.000S");
}

}  // namespace
}  // namespace osprey::playback
