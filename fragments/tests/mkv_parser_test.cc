#include "osprey/fragments/mkv_parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mkv_builder.h"
#include "parse_helpers.h"

namespace osprey::fragments::testing {
namespace {

using Events = std::vector<std::string>;
std::string N(size_t v) { return std::to_string(v); }

TEST(MkvParserTest, UnknownSizeClustersEndAtNextClusterTagsAndEndOfStream) {
  const std::string start = StreamStart();
  const std::string c1 = Unknown(id::kCluster, Cat({Uint(id::kTimecode, 1000),
                                                    Uint(id::kPosition, 0),
                                                    Simple(1, 0, 0x80, "key"),
                                                    Simple(1, 40, 0x00, "p1")}));
  const std::string c2 = Unknown(id::kCluster, Cat({Uint(id::kTimecode, 2000),
                                                    Simple(1, -5, 0x81, "k2")}));
  const std::string tags = El(id::kTags, El(id::kTag, El(id::kSimpleTag,
      Cat({El(id::kTagName, "AWS_KINESISVIDEO_END_OF_FRAGMENT"), El(id::kTagString, "")}))));
  const std::string c3 = Unknown(id::kCluster, Cat({Uint(id::kTimecode, 3000),
                                                    Simple(1, 1, 0x88, "")}));
  const std::string in = start + c1 + c2 + tags + c3;
  ParseOutcome out = ParseEveryWay(in);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const size_t a = start.size(), b = a + c1.size(), t = b + c2.size(), c = t + tags.size();
  const size_t blk1 = a + 12 + 4 + 3;  // cluster header, Timecode, Position
  EXPECT_EQ(out.recorder.events,
            (Events{"ebml@0 doctype=matroska v2",
                    "segment@28 data@40 size=unknown",
                    "info scale=1000000 raw=12",
                    "tracks #1:V_MPEG4/ISO/AVC::cp0",
                    "cluster@" + N(a) + " data@" + N(a + 12) + " tc=1000 size=unknown",
                    "frame@" + N(blk1) + " track=1 tc=1000 rel=0 key=1 inv=0 disc=0 bg=0 dur=- "
                        "payload=" + EventRecorder::Hash("key"),
                    "frame@" + N(blk1 + 9) + " track=1 tc=1040 rel=40 key=0 inv=0 disc=0 bg=0 "
                        "dur=- payload=" + EventRecorder::Hash("p1"),
                    "cluster-end@" + N(a) + " end=" + N(b) + " frames=2",
                    "cluster@" + N(b) + " data@" + N(b + 12) + " tc=2000 size=unknown",
                    "frame@" + N(b + 16) + " track=1 tc=1995 rel=-5 key=1 inv=0 disc=1 bg=0 "
                        "dur=- payload=" + EventRecorder::Hash("k2"),
                    "cluster-end@" + N(b) + " end=" + N(t) + " frames=1",
                    "tags@" + N(t) + " raw=" + N(tags.size()) +
                        " [AWS_KINESISVIDEO_END_OF_FRAGMENT=;]",
                    "cluster@" + N(c) + " data@" + N(c + 12) + " tc=3000 size=unknown",
                    "frame@" + N(c + 16) + " track=1 tc=3001 rel=1 key=1 inv=1 disc=0 bg=0 "
                        "dur=- payload=" + EventRecorder::Hash(""),
                    "cluster-end@" + N(c) + " end=" + N(in.size()) + " frames=1",
                    "segment-end=" + N(in.size())}));
}

TEST(MkvParserTest, KnownSizesAndBlockGroups) {
  const std::string cluster = El(id::kCluster, Cat({
      Uint(id::kTimecode, 0),
      El(id::kBlockGroup, Cat({El(id::kBlock, BlockBody(1, 0, 0, "I")),
                               Uint(id::kBlockDuration, 33)})),
      El(id::kBlockGroup, Cat({El(id::kBlock, BlockBody(1, 66, 0, "P")),
                               El(id::kReferenceBlock, std::string("\xDE", 1))})),
      // B-frame: earlier than the P frame before it; Matroska allows that.
      El(id::kBlockGroup, Cat({El(id::kBlock, BlockBody(1, 33, 0, "B")),
                               El(id::kReferenceBlock, std::string("\xDE", 1))}))}));
  const std::string segment_body = El(id::kInfo, "") + TracksBytes() + cluster;
  const std::string in = EbmlHeaderBytes() + El(id::kSegment, segment_body);
  ParseOutcome out = ParseEveryWay(in);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.recorder.frames.size(), 3u);
  EXPECT_EQ(out.recorder.frames[0], (OwnedFrame{1, 0, true, "I"}));
  EXPECT_EQ(out.recorder.frames[1], (OwnedFrame{1, 66, false, "P"}));
  EXPECT_EQ(out.recorder.frames[2], (OwnedFrame{1, 33, false, "B"}));
  EXPECT_EQ(out.recorder.info.timecode_scale_ns, 1000000u);  // default: Info is empty
  const Events& ev = out.recorder.events;
  ASSERT_EQ(ev.size(), 10u);
  EXPECT_EQ(ev[1], "segment@28 data@" + N(28 + 4 + 1) + " size=" + N(segment_body.size()));
  EXPECT_EQ(ev[4].substr(ev[4].find("tc=")), "tc=0 size=" + N(cluster.size() - 5));
  EXPECT_NE(ev[5].find("bg=1 dur=33"), std::string::npos) << ev[5];
  EXPECT_EQ(ev[8], "cluster-end@" + N(in.size() - cluster.size()) + " end=" + N(in.size()) +
                       " frames=3");
  EXPECT_EQ(ev[9], "segment-end=" + N(in.size()));
}

TEST(MkvParserTest, UnknownSizeClusterEndsWithItsKnownSizeSegment) {
  const std::string body = TracksBytes() + Unknown(id::kCluster, Uint(id::kTimecode, 9) +
                                                                     Simple(1, 0, 0x80, "a"));
  const std::string first = EbmlHeaderBytes() + El(id::kSegment, body);
  ParserOptions options;
  options.allow_multiple_segments = true;
  ParseOutcome out = ParseEveryWay(first + first, options);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  const Events& ev = out.recorder.events;
  ASSERT_EQ(ev.size(), 14u);
  EXPECT_EQ(ev[5], "cluster-end@" + N(first.size() - body.size() + TracksBytes().size()) +
                       " end=" + N(first.size()) + " frames=1");
  EXPECT_EQ(ev[6], "segment-end=" + N(first.size()));
}

TEST(MkvParserTest, StripsTrailingNulsAndReadsTrackDetails) {
  std::string codec = "V_MPEG4/ISO/AVC";
  codec.resize(32, '\0');
  std::string name = "kinesis_video";
  name.resize(32, '\0');
  const std::string cp("\x01\x64\x00\x0A\x00", 5);
  const std::string video = El(id::kTrackEntry, Cat({
      Uint(id::kTrackNumber, 1), Uint(id::kTrackUid, 0x0102030405060708), Uint(id::kTrackType, 1),
      El(id::kCodecId, codec), El(id::kName, name), El(id::kCodecPrivate, cp),
      El(id::kVideo, Cat({Uint(id::kPixelWidth, 1280), Uint(id::kPixelHeight, 720)}))}));
  // SamplingFrequency as a 4-byte float 44100.0 = 0x472C4400.
  const std::string audio = El(id::kTrackEntry, Cat({
      Uint(id::kTrackNumber, 2), Uint(id::kTrackType, 2), El(id::kCodecId, "A_AAC"),
      El(id::kAudio, Cat({El(id::kSamplingFrequency, std::string("\x47\x2C\x44\x00", 4)),
                          Uint(id::kChannels, 2), Uint(id::kBitDepth, 16)}))}));
  std::string doc = "matroska";
  doc.push_back('\0');
  const std::string in = EbmlHeaderBytes(doc) + Unknown(id::kSegment) +
                         El(id::kInfo, Cat({Uint(id::kTimecodeScale, 100),
                                            El(id::kSegmentUid, std::string(16, '\x07'))})) +
                         El(id::kTracks, video + audio);
  ParseOutcome out = ParseEveryWay(in);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.recorder.ebml.doc_type, "matroska");
  EXPECT_EQ(out.recorder.info.timecode_scale_ns, 100u);
  EXPECT_EQ(out.recorder.info.segment_uid, std::string(16, '\x07'));
  ASSERT_EQ(out.recorder.tracks.size(), 2u);
  const TrackEntry& v = out.recorder.tracks[0];
  EXPECT_EQ(v.codec_id, "V_MPEG4/ISO/AVC");
  EXPECT_EQ(v.name, "kinesis_video");
  EXPECT_EQ(v.uid, 0x0102030405060708u);
  EXPECT_EQ(v.codec_private, cp);
  EXPECT_EQ(v.pixel_width, 1280u);
  EXPECT_EQ(v.pixel_height, 720u);
  EXPECT_FALSE(v.sampling_frequency.has_value());
  const TrackEntry& a = out.recorder.tracks[1];
  EXPECT_EQ(a.type, 2u);
  EXPECT_EQ(a.sampling_frequency, 44100.0);
  EXPECT_EQ(a.channels, 2u);
  EXPECT_EQ(a.bit_depth, 16u);
  EXPECT_EQ(out.recorder.events.back(), "segment-end=" + N(in.size()));
}

TEST(MkvParserTest, SkipsUnknownAndIgnoredElements) {
  const std::string in = Cat({
      EbmlHeaderBytes(), Unknown(id::kSegment),
      El(id::kSeekHead, El(0x4DBB, "whatever")), El(id::kVoid, std::string(10, '\0')),
      El(id::kInfo, Uint(id::kTimecodeScale, 1000000)), TracksBytes(),
      El(0x7E5B, "unknown level-1 element"), El(id::kCues, "cues"),
      Unknown(id::kCluster, Cat({El(id::kCrc32, "abcd"), Uint(id::kTimecode, 5),
                                 El(0x7E5B, "unknown in cluster"), Uint(id::kPrevSize, 9),
                                 Simple(1, 0, 0x80, "x")})),
      El(id::kChapters, "c"), El(id::kAttachments, "a")});
  ParseOutcome out = ParseEveryWay(in);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.recorder.frames.size(), 1u);
  EXPECT_EQ(out.recorder.frames[0], (OwnedFrame{1, 5, true, "x"}));
  EXPECT_EQ(out.recorder.events.size(), 8u);
}

TEST(MkvParserTest, MultipleSegmentsWhenAllowed) {
  const std::string one = StreamStart() +
                          Unknown(id::kCluster, Uint(id::kTimecode, 7) + Simple(1, 0, 0x80, "a"));
  ParserOptions options;
  options.allow_multiple_segments = true;
  ParseOutcome out = ParseEveryWay(one + one, options);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  // The second EBML header ends both the unknown-size Cluster and Segment;
  // the Cluster timecode order restarts with the new Segment.
  ASSERT_EQ(out.recorder.frames.size(), 2u);
  const Events& ev = out.recorder.events;
  ASSERT_EQ(ev.size(), 16u);
  EXPECT_EQ(ev[7], "segment-end=" + N(one.size()));
  EXPECT_EQ(ev[8], "ebml@" + N(one.size()) + " doctype=matroska v2");
}

TEST(MkvParserTest, PayloadIsAViewIntoTheInputWhenWhole) {
  const std::string in =
      StreamStart() + Unknown(id::kCluster, Uint(id::kTimecode, 0) + Simple(1, 0, 0x80, "abc"));
  struct Check : MkvHandler {
    const std::string* input = nullptr;
    bool in_input = false;
    Status OnFrame(const Frame& f) override {
      const auto* p = reinterpret_cast<const char*>(f.payload.data());
      in_input = p >= input->data() && p + f.payload.size() <= input->data() + input->size();
      return Status::Ok();
    }
  } whole, split;
  whole.input = split.input = &in;
  MkvParser p1(&whole);
  ASSERT_TRUE(p1.Feed(in).ok());
  EXPECT_TRUE(whole.in_input);
  MkvParser p2(&split);
  ASSERT_TRUE(p2.Feed(std::string_view(in).substr(0, in.size() - 1)).ok());
  ASSERT_TRUE(p2.Feed(std::string_view(in).substr(in.size() - 1)).ok());
  EXPECT_FALSE(split.in_input);  // assembled in the parser's buffer
  EXPECT_TRUE(p2.Finish().ok());
  EXPECT_EQ(p2.offset(), in.size());
}

TEST(MkvParserTest, EmptyStreamIsNotAnError) {
  ParseOutcome out = ParseEveryWay("");
  EXPECT_TRUE(out.status.ok());
  EXPECT_TRUE(out.recorder.events.empty());
}

}  // namespace
}  // namespace osprey::fragments::testing
