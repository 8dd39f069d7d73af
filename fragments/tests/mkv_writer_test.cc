#include "osprey/fragments/mkv_writer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "parse_helpers.h"

namespace osprey::fragments::testing {
namespace {

SegmentInfo TestInfo() {
  SegmentInfo info;
  info.segment_uid = std::string(16, '\x2A');
  info.writing_app = "Kinesis Video SDK 3.5.0";
  info.muxing_app = "osprey";
  return info;
}

std::vector<TrackEntry> TestTracks() {
  TrackEntry v;
  v.number = 1;
  v.uid = 0x1122334455667788;
  v.type = 1;
  v.codec_id = "V_MPEG4/ISO/AVC";
  v.name = "kinesis_video";
  v.codec_private = std::string("\x01\x42\xC0\x1E\xFF\xE1\x00\x00", 8);
  v.pixel_width = 640;
  v.pixel_height = 480;
  TrackEntry a;
  a.number = 2;
  a.uid = 2;
  a.type = 2;
  a.codec_id = "A_AAC";
  a.name = "audio";
  a.sampling_frequency = 48000.0;
  a.channels = 2;
  a.bit_depth = 16;
  return {v, a};
}

TEST(MkvWriterTest, FormatEpochSecondsHasExactlyThreeDecimals) {
  EXPECT_EQ(FormatEpochSeconds(1511852109126), "1511852109.126");
  EXPECT_EQ(FormatEpochSeconds(1511852108000), "1511852108.000");
  EXPECT_EQ(FormatEpochSeconds(5), "0.005");
  EXPECT_EQ(FormatEpochSeconds(0), "0.000");
  EXPECT_EQ(FormatEpochSeconds(-1), "-0.001");
}

TEST(MkvWriterTest, StreamHeaderRoundTripsThroughTheParser) {
  const std::string in =
      EncodeEbmlHeader() + "\x18\x53\x80\x67\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF" +
      EncodeStreamHeader(TestInfo(), TestTracks());
  ParseOutcome out = ParseEveryWay(in);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.recorder.info, TestInfo());
  EXPECT_EQ(out.recorder.tracks, TestTracks());
  EXPECT_EQ(out.recorder.ebml.doc_type, "matroska");
  EXPECT_EQ(out.recorder.ebml.doc_type_version, 2u);
  EXPECT_EQ(out.recorder.info_raw + out.recorder.tracks_raw,
            EncodeStreamHeader(TestInfo(), TestTracks()));
}

TEST(MkvWriterTest, ProducerStreamRoundTrips) {
  ProducerMkvWriter w(TestInfo(), TestTracks());
  std::string out;
  w.WriteHeader(&out);
  w.StartCluster(1700000000000, &out);
  ASSERT_TRUE(w.WriteFrame({1, 1700000000000, true, "IDR"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({2, 1700000000010, true, "aac"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({1, 1700000000066, false, "P"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({1, 1700000000033, false, "B"}, &out).ok());
  w.WriteTags({Tag{{{"motion", "yes"}, {"zone", "door"}}}}, &out);
  w.StartCluster(1700000002000, &out);
  ASSERT_TRUE(w.WriteFrame({1, 1700000002000, true, std::string(300, 'x')}, &out).ok());
  w.WriteTags({Tag{{{std::string(kTagEndOfFragment), ""}}}}, &out);

  ParseOutcome p = ParseEveryWay(out);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.recorder.frames,
            (std::vector<OwnedFrame>{{1, 1700000000000, true, "IDR"},
                                     {2, 1700000000010, true, "aac"},
                                     {1, 1700000000066, false, "P"},
                                     {1, 1700000000033, false, "B"},
                                     {1, 1700000002000, true, std::string(300, 'x')}}));
  ASSERT_EQ(p.recorder.tags.size(), 2u);
  EXPECT_EQ(p.recorder.tags[0], (std::vector<Tag>{Tag{{{"motion", "yes"}, {"zone", "door"}}}}));
  EXPECT_EQ(p.recorder.tags[1][0].simple_tags[0].name, kTagEndOfFragment);
  EXPECT_EQ(p.recorder.tracks, TestTracks());
}

TEST(MkvWriterTest, ProducerClusterBytesMatchThePicLayout) {
  ProducerMkvWriter w(TestInfo(), TestTracks());
  std::string header;
  w.WriteHeader(&header);
  const std::string ebml = EncodeEbmlHeader();
  EXPECT_EQ(header.substr(0, ebml.size() + 5), ebml + "\x18\x53\x80\x67\xFF");
  EXPECT_EQ(header.substr(ebml.size() + 5), EncodeStreamHeader(TestInfo(), TestTracks()));
  std::string out;
  w.StartCluster(0x0102030405, &out);
  ASSERT_TRUE(w.WriteFrame({1, 0x0102030405 - 2, true, "ab"}, &out).ok());
  const std::string expected(
      "\x1F\x43\xB6\x75\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF"  // Cluster, unknown size
      "\xE7\x88\x00\x00\x00\x01\x02\x03\x04\x05"          // Timecode, 8 bytes
      "\xA7\x81\x00"                                      // Position 0
      "\xA3\x01\x00\x00\x00\x00\x00\x00\x06"              // SimpleBlock, 8-byte size
      "\x81\xFF\xFE\x80"
      "ab",
      12 + 10 + 3 + 9 + 4 + 2);
  EXPECT_EQ(out, expected);
}

// The audio TrackEntry kvssink writes for Opus (and what the agent writes
// with --audio opus): A_OPUS, the OpusHead as CodecPrivate, Audio with an
// 8-byte float SamplingFrequency and Channels.
TEST(MkvWriterTest, OpusAudioTrackBytesAndRoundTrip) {
  TrackEntry a;
  a.number = 2;
  a.uid = 2;
  a.type = 2;
  a.codec_id = "A_OPUS";
  a.name = "audio";
  a.codec_private = std::string("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00", 19);
  a.sampling_frequency = 48000.0;
  a.channels = 2;
  const std::string tracks = EncodeTracks({a});
  // Audio master: SamplingFrequency (B5, 8-byte IEEE double 48000.0) then
  // Channels (9F) 2.
  const std::string audio("\xE1\x8D\xB5\x88\x40\xE7\x70\x00\x00\x00\x00\x00\x9F\x81\x02", 15);
  EXPECT_NE(tracks.find(audio), std::string::npos);
  EXPECT_NE(tracks.find(std::string("\x63\xA2\x93", 3) + a.codec_private), std::string::npos);

  TrackEntry v = TestTracks()[0];
  ProducerMkvWriter w(TestInfo(), {v, a});
  std::string out;
  w.WriteHeader(&out);
  w.StartCluster(5000, &out);
  ASSERT_TRUE(w.WriteFrame({1, 5000, true, "IDR"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({2, 5000, true, "opus0"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({2, 5020, true, "opus1"}, &out).ok());
  ASSERT_TRUE(w.WriteFrame({1, 5033, false, "P"}, &out).ok());
  ParseOutcome p = ParseEveryWay(out);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.recorder.tracks.size(), 2u);
  EXPECT_EQ(p.recorder.tracks[1], a);
  ASSERT_EQ(p.recorder.frames.size(), 4u);
  EXPECT_EQ(p.recorder.frames[1], (OwnedFrame{2, 5000, true, "opus0"}));
  EXPECT_EQ(p.recorder.frames[2].timecode, 5020);
  EXPECT_TRUE(p.recorder.frames[2].keyframe);
}

TEST(MkvWriterTest, ProducerRejectsBadFrames) {
  ProducerMkvWriter w(TestInfo(), TestTracks());
  std::string out;
  EXPECT_EQ(w.WriteFrame({1, 0, true, "x"}, &out),
            Status::FailedPrecondition("WriteFrame before StartCluster"));
  w.StartCluster(1000, &out);
  const size_t size = out.size();
  EXPECT_EQ(w.WriteFrame({3, 1000, true, "x"}, &out),
            Status::InvalidArgument("track 3 is not declared in Tracks"));
  EXPECT_EQ(w.WriteFrame({1, 1000 + 32768, true, "x"}, &out),
            Status::InvalidArgument("frame timecode 33768 is too far from the Cluster timecode "
                                    "1000 for an int16 offset"));
  EXPECT_EQ(out.size(), size);
  EXPECT_TRUE(w.WriteFrame({1, 1000 - 32768, true, "x"}, &out).ok());
  w.WriteTags({}, &out);
  EXPECT_EQ(w.WriteFrame({1, 1000, true, "x"}, &out).code(), Status::Code::kFailedPrecondition);
}

TEST(MkvWriterTest, GetMediaChunksRoundTrip) {
  const FrameSpec frames[] = {{1, 2000, true, "key"}, {1, 2033, false, "p"}};
  auto cluster = EncodeCluster(2000, frames);
  ASSERT_TRUE(cluster.ok());
  const std::string header = EncodeStreamHeader(TestInfo(), TestTracks());
  GetMediaChunk c = SampleChunk(header, *cluster);
  const std::string chunk = WriteGetMediaChunk(c);
  c.fragment_metadata.clear();
  const std::string error =
      WriteGetMediaErrorChunk("91343852333181432392682062607743920146459484482", 4000,
                              "FRAGMENT_NOT_FOUND");
  ParserOptions options;
  options.allow_multiple_segments = true;
  ParseOutcome p = ParseEveryWay(chunk + WriteGetMediaChunk(c) + error, options);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  const std::vector<Tag> aws_start = {Tag{{{std::string(kTagFragmentNumber), c.fragment_number},
                                           {std::string(kTagServerTimestamp), "1511852109.126"},
                                           {std::string(kTagProducerTimestamp),
                                            "1511852108.513"}}}};
  const std::vector<Tag> aws_end = {Tag{{{std::string(kTagMillisBehindNow), "15858"},
                                         {std::string(kTagContinuationToken),
                                          c.fragment_number}}}};
  ASSERT_EQ(p.recorder.tags.size(), 6u);
  EXPECT_EQ(p.recorder.tags[0], aws_start);
  EXPECT_EQ(p.recorder.tags[1], (std::vector<Tag>{Tag{{{"motion", "yes"}}}}));
  EXPECT_EQ(p.recorder.tags[2], aws_end);
  EXPECT_EQ(p.recorder.tags[3], aws_start);  // second chunk: no metadata Tags
  EXPECT_EQ(p.recorder.tags[4], aws_end);
  EXPECT_EQ(p.recorder.tags[5],
            (std::vector<Tag>{Tag{{{std::string(kTagFragmentNumber),
                                    "91343852333181432392682062607743920146459484482"},
                                   {std::string(kTagErrorId), "4000"},
                                   {std::string(kTagErrorCode), "FRAGMENT_NOT_FOUND"}}}}));
  EXPECT_EQ(p.recorder.frames.size(), 4u);
  EXPECT_EQ(p.recorder.frames[1], (OwnedFrame{1, 2033, false, "p"}));
  // Element order of the first chunk.
  std::vector<std::string> kinds;
  for (const std::string& e : p.recorder.events) {
    kinds.push_back(e.substr(0, e.find_first_of("@ =")));
    if (kinds.back() == "segment-end") break;
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"ebml", "segment", "info", "tracks", "tags",
                                             "cluster", "frame", "frame", "cluster-end", "tags",
                                             "tags", "segment-end"}));
}

TEST(MkvWriterTest, EncodeClusterRejectsOutOfRangeOffsetsAndTracks) {
  const FrameSpec far[] = {{1, 40000, true, "x"}};
  EXPECT_EQ(EncodeCluster(0, far).status().code(), Status::Code::kInvalidArgument);
  const FrameSpec bad_track[] = {{128, 0, true, "x"}};
  EXPECT_EQ(EncodeCluster(0, bad_track).status(),
            Status::InvalidArgument("track number 128 is not in 1..127"));
}

}  // namespace
}  // namespace osprey::fragments::testing
