// End to end against real tools: ffmpeg encodes H.264 (+ AAC) into MKV, the
// fragments MkvParser splits it at key frames into stored-fragment form
// (stream header + one Cluster with epoch-ms timecodes, as PutMedia stores
// them), and every output (fMP4 init + media, MPEG-TS, progressive MP4) is
// checked with ffprobe (packet pts/dts/durations/key flags) and decoded by
// ffmpeg without a complaint.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "osprey/fragments/fragment_number.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/hls_playlist.h"
#include "osprey/playback/mp4_segments.h"
#include "osprey/playback/ts_segment.h"

namespace osprey::playback {
namespace {

constexpr int64_t kBase = 1700000000000;  // epoch ms of the first frame
// The largest negative composition offset with -bf 2 (40 ms at 90 kHz).
constexpr int64_t kFfmpegDtsShift = 3600;

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool Have(const std::string& tool) {
  return RunCommand("command -v " + tool + " >/dev/null && echo yes") == "yes\n";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

struct RawFrame {
  uint64_t track;
  int64_t tc;
  bool key;
  std::string data;
};

class Collector : public fragments::MkvHandler {
 public:
  Status OnInfo(const fragments::SegmentInfo&, std::span<const uint8_t> raw) override {
    header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>&, std::span<const uint8_t> raw) override {
    header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    frames.push_back({f.track_number, f.timecode, f.keyframe,
                      std::string(reinterpret_cast<const char*>(f.payload.data()),
                                  f.payload.size())});
    return Status::Ok();
  }
  std::string header;
  std::vector<RawFrame> frames;
};

struct StoredLike {
  std::string cluster;
  int64_t start_ms;
  int64_t duration_ms;
};

// Splits at video key frames; audio goes with the fragment its time falls in.
void Split(const Collector& c, int64_t frame_ms, std::vector<StoredLike>* out) {
  std::vector<int64_t> starts;
  for (const RawFrame& f : c.frames) {
    if (f.track == 1 && f.key) starts.push_back(f.tc);
  }
  int64_t end = 0;
  for (const RawFrame& f : c.frames) end = std::max(end, f.tc + frame_ms);
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t next = k + 1 < starts.size() ? starts[k + 1] : end;
    std::vector<fragments::FrameSpec> specs;
    for (const RawFrame& f : c.frames) {
      if (f.tc >= starts[k] && f.tc < next) {
        specs.push_back({f.track, kBase + f.tc, f.key, f.data});
      }
    }
    Result<std::string> cluster = fragments::EncodeCluster(uint64_t(kBase + starts[k]), specs);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    out->push_back({*cluster, kBase + starts[k], next - starts[k]});
  }
}

class RemuxToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Have("ffmpeg") && Have("ffprobe")) << "ffmpeg/ffprobe not installed";
    char tmpl[] = "/tmp/osprey_playback_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Encodes `seconds` of testsrc (and a sine with `audio`) and splits it.
  void Encode(const std::string& size, int seconds, bool audio, const std::string& vf = "") {
    const std::string mkv = dir_ + "/src.mkv";
    std::string cmd = "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=" + size +
                      ":rate=25 ";
    if (audio) cmd += "-f lavfi -i sine=frequency=440:sample_rate=48000 -c:a aac -b:a 64k ";
    if (!vf.empty()) cmd += "-vf " + vf + " -b:v 4M -maxrate 4M -bufsize 4M ";
    cmd += "-t " + std::to_string(seconds) +
           " -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 -keyint_min 25 "
           "-sc_threshold 0 -bf 2 -f matroska " + mkv;
    ASSERT_EQ(RunCommand(cmd), "");
    fragments::MkvParser parser(&collector_);
    ASSERT_TRUE(parser.Feed(ReadFile(mkv)).ok());
    ASSERT_TRUE(parser.Finish().ok());
    Split(collector_, 40, &fragments_);
    for (const StoredLike& s : fragments_) {
      Result<DemuxedFragment> d = Demux({collector_.header, s.cluster, s.start_ms, s.duration_ms});
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      demuxed_.push_back(std::move(*d));
    }
  }

  // ffprobe packets of the video stream as "pts,dts,duration,flags" lines.
  std::vector<std::string> Packets(const std::string& file, const std::string& stream = "v") {
    std::stringstream ss(RunCommand("ffprobe -v error -select_streams " + stream +
                             " -show_entries packet=pts,dts,duration,flags -of csv=p=0 " + file));
    std::vector<std::string> lines;
    for (std::string line; std::getline(ss, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }
  std::string DecodeErrors(const std::string& file) {
    return RunCommand("ffmpeg -hide_banner -v error -i " + file + " -f null -");
  }
  // Presentation times (ms) of the source's video frames, storage order.
  std::vector<int64_t> SourceVideoPts() const {
    std::vector<int64_t> pts;
    for (const RawFrame& f : collector_.frames) {
      if (f.track == 1) pts.push_back(f.tc);
    }
    return pts;
  }

  std::string dir_;
  Collector collector_;
  std::vector<StoredLike> fragments_;
  std::vector<DemuxedFragment> demuxed_;
};

TEST_F(RemuxToolsTest, Fmp4InitAndMediaSegments) {
  Encode("160x120", 4, /*audio=*/false);
  ASSERT_EQ(fragments_.size(), 4u);
  Result<std::string> init = BuildInitSegment(demuxed_[0].tracks[0].track);
  ASSERT_TRUE(init.ok());
  std::string all = *init;
  for (size_t k = 0; k < demuxed_.size(); ++k) {
    Result<std::string> media = BuildMediaSegment(demuxed_[k], 1, uint32_t(k + 1));
    ASSERT_TRUE(media.ok()) << media.status().ToString();
    all += *media;
    // Each segment alone (with the init) is a playable unit of 25 frames,
    // starting with a key frame at the fragment's timestamp.
    const std::string one = dir_ + "/one" + std::to_string(k) + ".mp4";
    WriteFile(one, *init + *media);
    const std::vector<std::string> p = Packets(one);
    ASSERT_EQ(p.size(), 25u) << k;
    // ffmpeg's mov demuxer turns the negative composition offsets of
    // B-frames (trun v1) into a constant shift of every pts by the largest
    // one ("dts_shift", 40 ms here; 0 in a fragment without them) and keeps
    // dts = tfdt: the first dts is the fragment's timestamp.
    long long pts = 0, dts = 0, dur = 0;
    char flags[8] = {};
    ASSERT_EQ(std::sscanf(p[0].c_str(), "%lld,%lld,%lld,%7s", &pts, &dts, &dur, flags), 4);
    EXPECT_EQ(dts, fragments_[k].start_ms * 90) << k;
    EXPECT_TRUE(pts == dts || pts == dts + kFfmpegDtsShift) << k;
    EXPECT_EQ(dur, 3600) << k;
    EXPECT_EQ(std::string(flags), "K_") << k;
    EXPECT_EQ(DecodeErrors(one), "") << k;
  }
  const std::string file = dir_ + "/all.mp4";
  WriteFile(file, all);
  EXPECT_EQ(RunCommand("ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 " +
                file), "h264,160,120\n");
  const std::vector<std::string> packets = Packets(file);
  const std::vector<int64_t> src = SourceVideoPts();
  ASSERT_EQ(packets.size(), 100u);
  ASSERT_EQ(src.size(), 100u);
  int keys = 0;
  int64_t prev_dts = -1;
  for (size_t i = 0; i < packets.size(); ++i) {
    long long pts = 0, dts = 0, dur = 0;
    char flags[8] = {};
    ASSERT_EQ(std::sscanf(packets[i].c_str(), "%lld,%lld,%lld,%7s", &pts, &dts, &dur, flags), 4);
    // Exact presentation times (plus ffmpeg's constant shift, see above).
    EXPECT_EQ(pts, (kBase + src[i]) * 90 + kFfmpegDtsShift) << i;
    EXPECT_EQ(dur, 3600) << i;                    // 40 ms each, last included
    EXPECT_GT(dts, prev_dts) << i;
    prev_dts = dts;
    if (flags[0] == 'K') ++keys;
  }
  EXPECT_EQ(keys, 4);
  EXPECT_EQ(DecodeErrors(file), "");
  // The playlist's view of the track: SPS with cropping (coded 160x128).
  Result<VideoInfo> info = DescribeTrack(demuxed_[0].tracks[0].track);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 160u);
  EXPECT_EQ(info->height, 120u);
  EXPECT_EQ(info->codecs.substr(0, 5), "avc1.");
}

TEST_F(RemuxToolsTest, MpegTsSegments) {
  Encode("320x240", 2, /*audio=*/true);
  ASSERT_EQ(fragments_.size(), 2u);
  std::string all;
  for (size_t k = 0; k < demuxed_.size(); ++k) {
    Result<std::string> ts = BuildTsSegment(demuxed_[k]);
    ASSERT_TRUE(ts.ok()) << ts.status().ToString();
    ASSERT_EQ(ts->size() % 188, 0u);
    all += *ts;
    const std::string file = dir_ + "/seg" + std::to_string(k) + ".ts";
    WriteFile(file, *ts);
    const std::vector<std::string> p = Packets(file);
    ASSERT_EQ(p.size(), 25u) << k;
    long long pts = 0;
    ASSERT_EQ(std::sscanf(p[0].c_str(), "%lld", &pts), 1);
    EXPECT_EQ(pts, (fragments_[k].start_ms * 90) % (1LL << 33)) << k;
    EXPECT_NE(p[0].find("K"), std::string::npos);
    EXPECT_FALSE(Packets(file, "a").empty()) << "audio muxed";
    EXPECT_EQ(DecodeErrors(file), "") << k;
  }
  const std::string file = dir_ + "/all.ts";
  WriteFile(file, all);
  EXPECT_EQ(Packets(file).size(), 50u);
  EXPECT_EQ(DecodeErrors(file), "");
}

TEST_F(RemuxToolsTest, Fmp4AudioTrack) {
  Encode("320x240", 2, /*audio=*/true);
  const TrackSamples* audio = demuxed_[0].Find(2);
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(DescribeTrack(audio->track)->codecs, "mp4a.40.2");
  Result<std::string> init = BuildInitSegment(audio->track);
  ASSERT_TRUE(init.ok());
  std::string all = *init;
  size_t frames = 0;
  for (const DemuxedFragment& d : demuxed_) {
    all += *BuildMediaSegment(d, 2, 1);
    frames += d.Find(2)->samples.size();
  }
  const std::string file = dir_ + "/audio.mp4";
  WriteFile(file, all);
  EXPECT_EQ(RunCommand("ffprobe -v error -show_entries stream=codec_name,sample_rate -of csv=p=0 " +
                file), "aac,48000\n");
  EXPECT_EQ(Packets(file, "a").size(), frames);
  EXPECT_EQ(DecodeErrors(file), "");
}

TEST_F(RemuxToolsTest, ProgressiveClip) {
  Encode("320x240", 4, /*audio=*/true);
  Result<std::string> clip = BuildClipMp4(demuxed_);
  ASSERT_TRUE(clip.ok()) << clip.status().ToString();
  EXPECT_EQ(clip->substr(36, 4), "moov");  // right after a 32-byte ftyp: fast start
  const std::string file = dir_ + "/clip.mp4";
  WriteFile(file, *clip);
  const std::vector<std::string> p = Packets(file);
  ASSERT_EQ(p.size(), 100u);
  int keys = 0;
  for (const std::string& line : p) keys += line.find('K') != std::string::npos;
  EXPECT_EQ(keys, 4);
  EXPECT_EQ(RunCommand("ffprobe -v error -show_entries stream=codec_name,nb_frames -of csv=p=0 " + file),
            "h264,100\naac," + std::to_string(Packets(file, "a").size()) + "\n");
  // Starts at 0 despite the B-frame delay (edit list).
  EXPECT_EQ(RunCommand("ffprobe -v error -select_streams v -read_intervals %+#1 -show_entries "
                "frame=pts_time -of default=nw=1:nk=1 " + file), "0.000000\n");
  const std::string duration =
      RunCommand("ffprobe -v error -show_entries format=duration -of csv=p=0 " + file);
  EXPECT_NEAR(std::stod(duration), 4.0, 0.05);
  EXPECT_EQ(DecodeErrors(file), "");
}

TEST_F(RemuxToolsTest, Cropped1080pFromRealEncoder) {
  const std::string mkv = dir_ + "/hd.mkv";
  ASSERT_EQ(RunCommand("ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=1920x1080:rate=25 "
                "-frames:v 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -f matroska " + mkv),
            "");
  fragments::MkvParser parser(&collector_);
  ASSERT_TRUE(parser.Feed(ReadFile(mkv)).ok());
  ASSERT_TRUE(parser.Finish().ok());
  Result<std::vector<Track>> tracks = ParseTracks(collector_.header);
  ASSERT_TRUE(tracks.ok());
  Result<VideoInfo> info = DescribeTrack((*tracks)[0]);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, 1920u);
  EXPECT_EQ(info->height, 1080u);
  ASSERT_TRUE(info->frame_rate.has_value());
  EXPECT_DOUBLE_EQ(*info->frame_rate, 25.0);
}

// Cost of remuxing one 1 s fragment of noisy 1080p25 (printed; the bound is loose
// so that a loaded CI machine does not fail it).
TEST_F(RemuxToolsTest, RemuxCost1080p) {
  // Noise makes the bitrate realistic (about 4 Mbit/s) instead of testsrc's
  // 200 kbit/s.
  Encode("1920x1080", 2, /*audio=*/false, "noise=alls=12:allf=t");
  ASSERT_GE(fragments_.size(), 2u);
  const auto now = [] { return std::chrono::steady_clock::now(); };
  constexpr int kRounds = 20;
  double demux_us = 0, fmp4_us = 0, ts_us = 0;
  for (int r = 0; r < kRounds; ++r) {
    auto t0 = now();
    Result<DemuxedFragment> d =
        Demux({collector_.header, fragments_[0].cluster, fragments_[0].start_ms,
               fragments_[0].duration_ms});
    auto t1 = now();
    Result<std::string> m = BuildMediaSegment(*d, 1, 1);
    auto t2 = now();
    Result<std::string> ts = BuildTsSegment(*d);
    auto t3 = now();
    ASSERT_TRUE(m.ok() && ts.ok());
    demux_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
    fmp4_us += std::chrono::duration<double, std::micro>(t2 - t1).count();
    ts_us += std::chrono::duration<double, std::micro>(t3 - t2).count();
  }
  std::printf("1080p25 fragment of %zu bytes: demux %.0f us, fMP4 %.0f us, MPEG-TS %.0f us\n",
              fragments_[0].cluster.size(), demux_us / kRounds, fmp4_us / kRounds,
              ts_us / kRounds);
  EXPECT_LT((demux_us + fmp4_us) / kRounds, 50'000.0);
}

// The playlist, init and media segments as a player sees them: ffmpeg's HLS
// demuxer reads our media playlist (the segment URLs are file names here,
// query string included, hence the options relaxing Debian ffmpeg's segment
// extension checks) and decodes every frame.
TEST_F(RemuxToolsTest, HlsPlaylistPlaysInFfmpeg) {
  Encode("160x120", 4, /*audio=*/false);
  for (ContainerFormat container : {ContainerFormat::kFragmentedMp4, ContainerFormat::kMpegTs}) {
    const bool mp4 = container == ContainerFormat::kFragmentedMp4;
    MediaPlaylistInput in;
    in.mode = PlaybackMode::kOnDemand;
    in.container = container;
    in.discontinuity = DiscontinuityMode::kNever;
    in.session_token = "TOKEN";
    for (size_t k = 0; k < demuxed_.size(); ++k) {
      const std::string number = fragments::FormatFragmentNumber(kBase, k + 1);
      in.fragments.push_back({number, fragments_[k].start_ms, fragments_[k].duration_ms});
      WriteFile(dir_ + "/" + (mp4 ? MediaSegmentUrl(number, "TOKEN", 1) : TsSegmentUrl(number, "TOKEN")),
                mp4 ? *BuildMediaSegment(demuxed_[k], 1, uint32_t(k + 1))
                    : *BuildTsSegment(demuxed_[k]));
    }
    if (mp4) WriteFile(dir_ + "/" + InitSegmentUrl("TOKEN", 1), *BuildInitSegment(demuxed_[0].tracks[0].track));
    Result<std::string> playlist = BuildMediaPlaylist(in);
    ASSERT_TRUE(playlist.ok());
    const std::string m3u8 = dir_ + (mp4 ? "/fmp4.m3u8" : "/ts.m3u8");
    WriteFile(m3u8, *playlist);
    const std::string probe = RunCommand(
        "ffprobe -v error -allowed_extensions ALL -allowed_segment_extensions ALL -extension_picky 0 -select_streams v -count_frames "
        "-show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 " + m3u8);
    // (The stream is listed twice: once in the HLS program, once alone.)
    EXPECT_NE(probe.find("h264,160,120,100\n"), std::string::npos) << probe;
    EXPECT_EQ(probe.find("error"), std::string::npos) << probe;
    EXPECT_EQ(RunCommand("ffmpeg -hide_banner -v error -allowed_extensions ALL -allowed_segment_extensions ALL -extension_picky 0 -i " + m3u8 +
                         " -f null -"), "") << (mp4 ? "fMP4" : "TS");
  }
}

}  // namespace
}  // namespace osprey::playback
