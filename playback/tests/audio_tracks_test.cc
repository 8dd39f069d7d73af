// Audio tracks next to the video, on synthetic fragments (no tools): Opus
// demux, the 'Opus'/'dOps' sample entry converted from the OpusHead, CODECS
// strings, what MPEG-TS carries, and the multi-track fMP4 of getClipStream
// (one traf per track, data offsets into one mdat).
#include <gtest/gtest.h>

#include <vector>

#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/media_fragment.h"
#include "osprey/playback/mp4_segments.h"
#include "osprey/playback/ts_segment.h"

namespace osprey::playback {
namespace {

uint32_t U32(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint8_t(s[at + 3]);
}
uint32_t U16(std::string_view s, size_t at) { return (uint32_t(uint8_t(s[at])) << 8) | uint8_t(s[at + 1]); }

// Body offsets of every box `type` directly inside [begin, end).
std::vector<size_t> Boxes(std::string_view data, std::string_view type, size_t begin, size_t end) {
  std::vector<size_t> out;
  for (size_t pos = begin; pos + 8 <= end;) {
    const uint32_t size = U32(data, pos);
    if (size < 8 || pos + size > end) break;
    if (data.substr(pos + 4, 4) == type) out.push_back(pos + 8);
    pos += size;
  }
  return out;
}
size_t BoxEnd(std::string_view data, size_t body) { return body - 8 + U32(data, body - 8); }

// An avcC whose SPS is x264's 160x120.
std::string Avcc() {
  const std::string sps("\x67\x64\x00\x0b\xac\xd9\x42\x84\x7e\x5c\x04\x40\x00\x00\x03\x00\x40"
                        "\x00\x00\x0c\x83\xc5\x0a\x65\x80", 25);
  std::string a = {1, sps[1], sps[2], sps[3], char(0xFF), char(0xE1), 0, char(sps.size())};
  return a + sps + std::string("\x01\x00\x04\x68\xce\x38\x80", 7);
}

std::string Nal(int type, size_t size = 10) {
  std::string payload(size, char(0xAB));
  payload[0] = char(0x60 | type);
  return std::string("\x00\x00\x00", 3) + char(size) + payload;
}

// OpusHead: stereo, pre-skip 312, input 44100 Hz, gain -256 (0xff00).
const std::string kOpusHead("OpusHead\x01\x02\x38\x01\x44\xac\x00\x00\x00\xff\x00", 19);
const std::string kAsc("\x11\x90", 2);  // AAC-LC 48 kHz stereo

std::string Header(const std::string& audio_codec, const std::string& audio_private) {
  fragments::TrackEntry v;
  v.number = 1;
  v.uid = 1;
  v.type = 1;
  v.codec_id = "V_MPEG4/ISO/AVC";
  v.codec_private = Avcc();
  v.pixel_width = 160;
  v.pixel_height = 120;
  fragments::TrackEntry a;
  a.number = 2;
  a.uid = 2;
  a.type = 2;
  a.codec_id = audio_codec;
  a.codec_private = audio_private;
  a.sampling_frequency = 48000.0;
  a.channels = 2;
  return fragments::EncodeStreamHeader(fragments::SegmentInfo{}, {v, a});
}

constexpr int64_t kStart = 1700000000000;

// 200 ms: 5 pictures every 40 ms and 10 audio frames every 20 ms,
// interleaved by time; `audio` false leaves the audio track without frames.
std::string Cluster(bool audio = true) {
  static const std::string idr = Nal(5), p = Nal(1, 20), a = "AUDIO-FRAME";
  std::vector<fragments::FrameSpec> frames;
  for (int ms = 0; ms < 200; ms += 20) {
    if (ms % 40 == 0) frames.push_back({1, kStart + ms, ms == 0, ms == 0 ? idr : p});
    if (audio) frames.push_back({2, kStart + ms, true, a});
  }
  return *fragments::EncodeCluster(kStart, frames);
}

TEST(AudioTracks, OpusIsDemuxedAndDescribed) {
  const std::string header = Header("A_OPUS", kOpusHead), cluster = Cluster();
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 200});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const TrackSamples* opus = f->Find(2);
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->track.codec, Codec::kOpus);
  EXPECT_TRUE(opus->track.is_audio());
  EXPECT_FALSE(opus->track.is_video());
  EXPECT_EQ(opus->samples.size(), 10u);
  for (const Sample& s : opus->samples) EXPECT_TRUE(s.sync);
  EXPECT_EQ(TimescaleOf(opus->track), 48000u);
  EXPECT_EQ(AudioCodecsString(opus->track), "opus");
  Result<VideoInfo> info = DescribeTrack(opus->track);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->codecs, "opus");
  EXPECT_EQ(AudioCodecsString(f->Find(1)->track), "");
}

TEST(AudioTracks, AacCodecsString) {
  Track aac;
  aac.codec = Codec::kAac;
  aac.codec_private = kAsc;
  EXPECT_EQ(AudioCodecsString(aac), "mp4a.40.2");
  EXPECT_TRUE(TsCarries(aac));
}

TEST(AudioTracks, OpusInitSegmentHasDops) {
  Result<std::vector<Track>> tracks = ParseTracks(Header("A_OPUS", kOpusHead));
  ASSERT_TRUE(tracks.ok());
  Result<std::string> init = BuildInitSegment((*tracks)[1]);
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  const std::string& m = *init;
  const size_t entry = m.find("Opus\0\0\0\0\0\0\0\x01", 0);
  ASSERT_NE(entry, std::string::npos);
  EXPECT_EQ(U16(m, entry + 4 + 6 + 2 + 8), 2u);           // channelcount
  EXPECT_EQ(U32(m, entry + 4 + 6 + 2 + 8 + 8), 48000u << 16);  // samplerate
  const size_t dops = m.find("dOps");
  ASSERT_NE(dops, std::string::npos);
  EXPECT_EQ(U32(m, dops - 4), 8u + 11u);  // box size: no mapping table for family 0
  // Version 0, 2 channels, pre-skip 312, 44100 Hz, gain 0xff00, family 0:
  // the OpusHead's little-endian fields in big-endian order.
  EXPECT_EQ(m.substr(dops + 4, 11), std::string("\x00\x02\x01\x38\x00\x00\xac\x44\xff\x00\x00", 11));
  const size_t hdlr = m.find("hdlr");
  ASSERT_NE(hdlr, std::string::npos);
  EXPECT_EQ(m.substr(hdlr + 12, 4), "soun");

  Track bad = (*tracks)[1];
  bad.codec_private = "OpusHea";
  EXPECT_EQ(BuildInitSegment(bad).status().code(), Status::Code::kInvalidArgument);
}

TEST(AudioTracks, MpegTsLeavesOpusOut) {
  const std::string header = Header("A_OPUS", kOpusHead), cluster = Cluster();
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 200});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(TsCarries(f->Find(2)->track));
  EXPECT_TRUE(TsCarries(f->Find(1)->track));
  Result<std::string> ts = BuildTsSegment(*f);
  ASSERT_TRUE(ts.ok()) << ts.status().ToString();
  // Two elementary streams would give two PMT entries; the PMT of a video
  // only TS has stream type 0x1B (H.264) and no 0x06 (private: Opus).
  const size_t pmt = ts->find(std::string("\x02\xb0", 2));
  ASSERT_NE(pmt, std::string::npos);
  const std::string pmt_section = ts->substr(pmt, 40);
  EXPECT_NE(pmt_section.find('\x1b'), std::string::npos);
  EXPECT_EQ(pmt_section.find(std::string("Opus")), std::string::npos);
  // A fragment with nothing but Opus has nothing TS can carry.
  DemuxedFragment only_opus = *f;
  only_opus.tracks.erase(only_opus.tracks.begin());
  EXPECT_EQ(BuildTsSegment(only_opus).status().code(), Status::Code::kInvalidArgument);
}

TEST(AudioTracks, MultiTrackInitSegment) {
  Result<std::vector<Track>> tracks = ParseTracks(Header("A_AAC", kAsc));
  ASSERT_TRUE(tracks.ok());
  Result<std::string> init = BuildInitSegment(std::span<const Track>(*tracks));
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  const std::string& m = *init;
  const std::vector<size_t> moov = Boxes(m, "moov", 0, m.size());
  ASSERT_EQ(moov.size(), 1u);
  const size_t moov_end = BoxEnd(m, moov[0]);
  EXPECT_EQ(Boxes(m, "trak", moov[0], moov_end).size(), 2u);
  const std::vector<size_t> mvhd = Boxes(m, "mvhd", moov[0], moov_end);
  ASSERT_EQ(mvhd.size(), 1u);
  EXPECT_EQ(U32(m, BoxEnd(m, mvhd[0]) - 4), 3u);  // next_track_ID
  const std::vector<size_t> mvex = Boxes(m, "mvex", moov[0], moov_end);
  ASSERT_EQ(mvex.size(), 1u);
  const std::vector<size_t> trex = Boxes(m, "trex", mvex[0], BoxEnd(m, mvex[0]));
  ASSERT_EQ(trex.size(), 2u);
  EXPECT_EQ(U32(m, trex[0] + 4), 1u);
  EXPECT_EQ(U32(m, trex[1] + 4), 2u);
  EXPECT_NE(m.find("avc1"), std::string::npos);
  EXPECT_NE(m.find("mp4a"), std::string::npos);
  // The one-track overload is the one-element span.
  EXPECT_EQ(*BuildInitSegment((*tracks)[0]), *BuildInitSegment(std::span<const Track>(&(*tracks)[0], 1)));
}

TEST(AudioTracks, MultiTrackMediaSegmentOffsets) {
  const std::string header = Header("A_AAC", kAsc), cluster = Cluster();
  Result<DemuxedFragment> f = Demux({header, cluster, kStart, 200});
  ASSERT_TRUE(f.ok());
  const std::vector<uint64_t> both = {1, 2};
  Result<std::string> seg = BuildMediaSegment(*f, both, 3);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  const std::string& m = *seg;
  const std::vector<size_t> moof = Boxes(m, "moof", 0, m.size());
  ASSERT_EQ(moof.size(), 1u);
  const size_t moof_start = moof[0] - 8;
  const std::vector<size_t> traf = Boxes(m, "traf", moof[0], BoxEnd(m, moof[0]));
  ASSERT_EQ(traf.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const TrackSamples& ts = *f->Find(both[k]);
    const std::vector<size_t> tfhd = Boxes(m, "tfhd", traf[k], BoxEnd(m, traf[k]));
    ASSERT_EQ(tfhd.size(), 1u);
    EXPECT_EQ(U32(m, tfhd[0] + 4), both[k]);
    const std::vector<size_t> trun = Boxes(m, "trun", traf[k], BoxEnd(m, traf[k]));
    ASSERT_EQ(trun.size(), 1u);
    ASSERT_EQ(U32(m, trun[0] + 4), ts.samples.size());
    size_t data = moof_start + U32(m, trun[0] + 8);
    for (size_t i = 0; i < ts.samples.size(); ++i) {
      const uint32_t size = U32(m, trun[0] + 12 + i * 16 + 4);
      EXPECT_EQ(m.substr(data, size), ts.samples[i].data) << "track " << both[k] << " sample " << i;
      if (k == 1) {
        EXPECT_EQ(U32(m, trun[0] + 12 + i * 16), 1024u);  // AAC frame duration
      }
      data += size;
    }
    if (k == 1) {
      EXPECT_EQ(data, m.size());
    }
  }

  // A fragment without audio frames: only the video traf.
  const std::string video_only = Cluster(false);
  Result<DemuxedFragment> g = Demux({header, video_only, kStart, 200});
  ASSERT_TRUE(g.ok());
  Result<std::string> seg2 = BuildMediaSegment(*g, both, 4);
  ASSERT_TRUE(seg2.ok());
  const std::vector<size_t> moof2 = Boxes(*seg2, "moof", 0, seg2->size());
  ASSERT_EQ(moof2.size(), 1u);
  EXPECT_EQ(Boxes(*seg2, "traf", moof2[0], BoxEnd(*seg2, moof2[0])).size(), 1u);
  EXPECT_EQ(*seg2, *BuildMediaSegment(*g, 1, 4));
  const std::vector<uint64_t> audio_only = {2};
  EXPECT_FALSE(BuildMediaSegment(*g, audio_only, 4).ok());
  const std::vector<uint64_t> unknown = {1, 9};
  EXPECT_FALSE(BuildMediaSegment(*f, unknown, 4).ok());
}

}  // namespace
}  // namespace osprey::playback
