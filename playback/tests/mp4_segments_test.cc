// Demux and fMP4/clip box contents on synthetic fragments (no tools needed):
// exact timestamps, B-frame decode order, sample flags from the NAL types.
#include "osprey/playback/mp4_segments.h"

#include <gtest/gtest.h>

#include <map>

#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {
namespace {

uint32_t U32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint8_t(s[at + 3]);
}
uint64_t U64(std::string_view s, size_t at) { return (uint64_t(U32(s, at)) << 32) | U32(s, at + 4); }

// Offset of the body of the box at `path` ("moof/traf/trun"), or npos.
size_t FindBox(std::string_view data, std::string_view path, size_t begin = 0,
               size_t end = std::string_view::npos) {
  if (end == std::string_view::npos) end = data.size();
  const size_t slash = path.find('/');
  const std::string_view head = path.substr(0, slash);
  for (size_t pos = begin; pos + 8 <= end;) {
    const uint32_t size = U32(data, pos);
    if (size < 8 || pos + size > end) return std::string_view::npos;
    if (data.substr(pos + 4, 4) == head) {
      if (slash == std::string_view::npos) return pos + 8;
      return FindBox(data, path.substr(slash + 1), pos + 8, pos + size);
    }
    pos += size;
  }
  return std::string_view::npos;
}

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// avcC of the x264 160x120 SPS, 4-byte NAL lengths.
std::string Avcc() {
  const std::string sps = Hex("6764000bacd942847e5c0440000003004000000c83c50a6580");
  std::string a = {1, sps[1], sps[2], sps[3], char(0xFF), char(0xE1), 0, char(sps.size())};
  return a + sps + std::string("\x01\x00\x04\x68\xce\x38\x80", 7);
}

// One AVCC frame of NAL type `type`.
std::string Nal(int type, size_t size = 10) {
  std::string payload(size, char(0xAB));
  payload[0] = char(0x60 | type);
  return std::string("\x00\x00\x00", 3) + char(size) + payload;
}

std::string StreamHeader() {
  fragments::TrackEntry t;
  t.number = 1;
  t.uid = 1;
  t.type = 1;
  t.codec_id = "V_MPEG4/ISO/AVC";
  t.codec_private = Avcc();
  t.pixel_width = 160;
  t.pixel_height = 120;
  return fragments::EncodeStreamHeader(fragments::SegmentInfo{}, {t});
}

constexpr int64_t kStart = 1700000000000;

// I P B B P (presentation 0, 120, 40, 80, 160 ms), 200 ms long.
std::string BFrameCluster(bool key_flag_on_p = false) {
  const std::string i = Nal(5), p = Nal(1, 20), b = Nal(1, 12);
  std::vector<fragments::FrameSpec> frames = {
      {1, kStart, true, i},           {1, kStart + 120, key_flag_on_p, p},
      {1, kStart + 40, false, b},     {1, kStart + 80, false, b},
      {1, kStart + 160, false, p}};
  return *fragments::EncodeCluster(kStart, frames);
}

TEST(Demux, BFrameDecodeTimesAndDurations) {
  const std::string header = StreamHeader(), cluster = BFrameCluster(true);
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 200});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->tracks.size(), 1u);
  const auto& s = f->tracks[0].samples;
  ASSERT_EQ(s.size(), 5u);
  const int64_t us = kStart * 1000;
  const int64_t pts[] = {0, 120, 40, 80, 160}, dts[] = {0, 40, 80, 120, 160};
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(s[k].pts_us, us + pts[k] * 1000) << k;
    EXPECT_EQ(s[k].dts_us, us + dts[k] * 1000) << k;
    EXPECT_EQ(s[k].duration_us, 40000) << k;  // the last one reaches start + 200 ms
  }
  EXPECT_TRUE(s[0].sync);
  EXPECT_FALSE(s[1].sync);  // key flag set, but NAL type 1: not a sync sample
  EXPECT_EQ(f->duration_us, 200000);
}

TEST(Demux, LastDurationFromSpacingWhenLengthUnknown) {
  const std::string header = StreamHeader(), cluster = BFrameCluster();
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 0});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->tracks[0].samples.back().duration_us, 40000);
  EXPECT_EQ(f->duration_us, 200000);
}

TEST(Demux, Errors) {
  const std::string header = StreamHeader();
  EXPECT_FALSE(Demux({header, "", kStart, 0}).ok());
  EXPECT_FALSE(Demux({header, "garbage", kStart, 0}).ok());
  std::vector<fragments::FrameSpec> frames = {{2, kStart, true, "x"}};
  const std::string other_track = *fragments::EncodeCluster(kStart, frames);
  EXPECT_FALSE(Demux({header, other_track, kStart, 0}).ok());
}

TEST(Fmp4, InitSegment) {
  Result<std::vector<Track>> tracks = ParseTracks(StreamHeader());
  ASSERT_TRUE(tracks.ok());
  Result<std::string> init = BuildInitSegment((*tracks)[0]);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->substr(4, 4), "ftyp");
  const size_t avcc = FindBox(*init, "moov/trak/mdia/minf/stbl/stsd");
  ASSERT_NE(avcc, std::string::npos);
  EXPECT_NE(init->find(Avcc()), std::string::npos);
  const size_t trex = FindBox(*init, "moov/mvex/trex");
  ASSERT_NE(trex, std::string::npos);
  EXPECT_EQ(U32(*init, trex + 4), 1u);  // track_ID
  const size_t mdhd = FindBox(*init, "moov/trak/mdia/mdhd");
  EXPECT_EQ(U32(*init, mdhd + 4 + 16), kVideoTimescale);
}

TEST(Fmp4, MediaSegmentTimesFlagsAndOffsets) {
  const std::string header = StreamHeader(), cluster = BFrameCluster();
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 200});
  ASSERT_TRUE(f.ok());
  Result<std::string> seg = BuildMediaSegment(*f, 1, 7);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  const std::string& m = *seg;
  EXPECT_EQ(U32(m, FindBox(m, "moof/mfhd") + 4), 7u);
  const size_t tfdt = FindBox(m, "moof/traf/tfdt");
  EXPECT_EQ(uint8_t(m[tfdt]), 1);  // version 1
  EXPECT_EQ(U64(m, tfdt + 4), uint64_t(kStart) * 90);
  const size_t trun = FindBox(m, "moof/traf/trun");
  EXPECT_EQ(uint8_t(m[trun]), 1);
  ASSERT_EQ(U32(m, trun + 4), 5u);
  const int32_t offsets[] = {0, 80, -40, -40, 0};  // pts - dts in ms
  const size_t mdat = FindBox(m, "mdat");
  size_t expect_data = mdat;
  EXPECT_EQ(U32(m, trun + 8), mdat);  // data_offset from the moof start (0)
  for (size_t k = 0; k < 5; ++k) {
    const size_t at = trun + 12 + k * 16;
    EXPECT_EQ(U32(m, at), 3600u) << k;  // 40 ms at 90 kHz
    const uint32_t size = U32(m, at + 4);
    EXPECT_EQ(U32(m, at + 8), k == 0 ? 0x02000000u : 0x01010000u) << k;
    EXPECT_EQ(int32_t(U32(m, at + 12)), offsets[k] * 90) << k;
    EXPECT_EQ(m.substr(expect_data, size), f->tracks[0].samples[k].data);
    expect_data += size;
  }
  EXPECT_EQ(expect_data, m.size());
  EXPECT_FALSE(BuildMediaSegment(*f, 2, 1).ok());
}

TEST(Clip, MoovFirstAndTables) {
  const std::string header = StreamHeader(), c1 = BFrameCluster();
  const std::string idr = Nal(5), p = Nal(1);  // FrameSpec holds views
  std::vector<fragments::FrameSpec> frames = {{1, kStart + 200, true, idr},
                                              {1, kStart + 240, false, p}};
  const std::string c2 = *fragments::EncodeCluster(kStart + 200, frames);
  std::vector<DemuxedFragment> fs = {*Demux({header, c1, kStart, 200}),
                                     *Demux({header, c2, kStart + 200, 80})};
  Result<std::string> clip = BuildClipMp4(fs);
  ASSERT_TRUE(clip.ok()) << clip.status().ToString();
  const std::string& m = *clip;
  EXPECT_EQ(m.substr(4, 4), "ftyp");
  EXPECT_EQ(m.substr(U32(m, 0) + 4, 4), "moov");  // fast start
  const size_t stss = FindBox(m, "moov/trak/mdia/minf/stbl/stss");
  ASSERT_NE(stss, std::string::npos);
  EXPECT_EQ(U32(m, stss + 4), 2u);
  EXPECT_EQ(U32(m, stss + 8), 1u);
  EXPECT_EQ(U32(m, stss + 12), 6u);
  const size_t stts = FindBox(m, "moov/trak/mdia/minf/stbl/stts");
  EXPECT_EQ(U32(m, stts + 4), 1u);       // one run
  EXPECT_EQ(U32(m, stts + 8), 7u);       // 7 samples
  EXPECT_EQ(U32(m, stts + 12), 3600u);   // of 40 ms
  const size_t elst = FindBox(m, "moov/trak/edts/elst");
  ASSERT_NE(elst, std::string::npos);
  EXPECT_EQ(U64(m, elst + 8 + 8), 40u * 90);  // media_time: the B-frame delay
  const size_t co64 = FindBox(m, "moov/trak/mdia/minf/stbl/co64");
  EXPECT_EQ(U32(m, co64 + 4), 2u);
  EXPECT_EQ(U64(m, co64 + 8), FindBox(m, "mdat"));
  EXPECT_EQ(m.substr(U64(m, co64 + 8), fs[0].tracks[0].samples[0].data.size()),
            fs[0].tracks[0].samples[0].data);
}

}  // namespace
}  // namespace osprey::playback
