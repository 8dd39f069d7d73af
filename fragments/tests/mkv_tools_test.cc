// Checks against real tools: an H.264 MKV made by ffmpeg must parse with the
// same frame count ffprobe reports, and what our writers produce from those
// frames must be accepted by mkvinfo (mkvtoolnix) and decoded by ffmpeg.
// Skipped when ffmpeg, ffprobe or mkvinfo is not installed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "osprey/fragments/mkv_writer.h"
#include "parse_helpers.h"

namespace osprey::fragments::testing {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool Have(const char* tool) {
  return RunCommand(std::string("command -v ") + tool + " >/dev/null").exit_code == 0;
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

class MkvToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // deploy/install-deps.sh installs all three: their absence is a broken
    // machine, not a reason to pass quietly.
    ASSERT_TRUE(Have("ffmpeg") && Have("ffprobe") && Have("mkvinfo"))
        << "ffmpeg, ffprobe or mkvinfo not installed (run deploy/install-deps.sh)";
    char tmpl[] = "/tmp/osprey_mkv_tools_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // 2 s at 10 fps, a key frame every 10 frames: 20 H.264 frames.
    const CommandResult r = RunCommand(
        "ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=10 -t 2 "
        "-c:v libx264 -pix_fmt yuv420p -g 10 -f matroska " + dir_ + "/ffmpeg.mkv");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void TearDown() override {
    // OSPREY_KEEP_TMP=1 keeps the files for a look with mkvinfo.
    if (!dir_.empty() && std::getenv("OSPREY_KEEP_TMP") == nullptr) RunCommand("rm -rf " + dir_);
  }

  // Packets of the first video stream, as ffprobe counts them, plus codec,
  // width and height: "h264,160,120,20".
  static std::string Probe(const std::string& path) {
    CommandResult r = RunCommand("ffprobe -v error -count_packets -select_streams v:0 -show_entries "
                          "stream=codec_name,width,height,nb_read_packets -of csv=p=0 " + path);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  }

  // mkvinfo must exit 0 (1 means warnings, 2 errors) and list what we expect;
  // -v, because without it mkvinfo stops at the first Cluster.
  static void ExpectMkvinfoAccepts(const std::string& path, const std::vector<std::string>& must) {
    const CommandResult r = RunCommand("mkvinfo -v " + path);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (const std::string& m : must) EXPECT_NE(r.output.find(m), std::string::npos) << m;
  }

  // ffmpeg decodes every frame without a complaint.
  static void ExpectDecodes(const std::string& path) {
    const CommandResult r = RunCommand("ffmpeg -hide_banner -v error -i " + path + " -f null -");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
  }

  std::string dir_;
};

TEST_F(MkvToolsTest, ParsesFfmpegOutputWithFfprobesFrameCount) {
  ASSERT_EQ(Probe(dir_ + "/ffmpeg.mkv"), "h264,160,120,20");
  const std::string file = ReadFile(dir_ + "/ffmpeg.mkv");
  ParseOutcome out = ParseEveryWay(file);
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_EQ(out.recorder.frames.size(), 20u);
  ASSERT_EQ(out.recorder.tracks.size(), 1u);
  EXPECT_EQ(out.recorder.tracks[0].codec_id, "V_MPEG4/ISO/AVC");
  EXPECT_EQ(out.recorder.tracks[0].pixel_width, 160u);
  EXPECT_EQ(out.recorder.tracks[0].pixel_height, 120u);
  EXPECT_EQ(out.recorder.info.timecode_scale_ns, 1000000u);
  int keyframes = 0;
  for (size_t i = 0; i < out.recorder.frames.size(); ++i) {
    keyframes += out.recorder.frames[i].keyframe;
    EXPECT_EQ(out.recorder.frames[i].keyframe, i % 10 == 0) << i;
  }
  EXPECT_EQ(keyframes, 2);
  EXPECT_EQ(out.recorder.frames[0].timecode, 0);
}

TEST_F(MkvToolsTest, GetMediaChunkIsAcceptedByMkvinfoAndFfprobe) {
  ParseOutcome src = ParseInChunks(ReadFile(dir_ + "/ffmpeg.mkv"), 0);
  ASSERT_TRUE(src.status.ok()) << src.status.ToString();
  std::vector<FrameSpec> frames;
  for (const OwnedFrame& f : src.recorder.frames) {
    frames.push_back({f.track, f.timecode, f.keyframe, f.payload});
  }
  auto cluster = EncodeCluster(0, frames);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string header = src.recorder.info_raw + src.recorder.tracks_raw;  // as ingested
  GetMediaChunk c = SampleChunk(header, *cluster);
  const std::string path = dir_ + "/chunk.mkv";
  WriteFile(path, WriteGetMediaChunk(c));
  EXPECT_EQ(Probe(path), "h264,160,120,20");
  ExpectMkvinfoAccepts(path, {"Codec ID: V_MPEG4/ISO/AVC", "Name: AWS_KINESISVIDEO_FRAGMENT_NUMBER",
                              "String: 1511852109.126", "Name: AWS_KINESISVIDEO_CONTINUATION_TOKEN",
                              "String: 15858"});
  ExpectDecodes(path);
}

TEST_F(MkvToolsTest, ProducerStreamIsAcceptedByMkvinfoAndFfprobe) {
  ParseOutcome src = ParseInChunks(ReadFile(dir_ + "/ffmpeg.mkv"), 0);
  ASSERT_TRUE(src.status.ok()) << src.status.ToString();
  SegmentInfo info;
  info.segment_uid = std::string(16, '\x11');
  info.writing_app = "osprey-agent";
  ProducerMkvWriter w(info, src.recorder.tracks);
  std::string out;
  w.WriteHeader(&out);
  const int64_t base = 1700000000000;  // absolute epoch ms, as kvssink sends
  for (const OwnedFrame& f : src.recorder.frames) {
    if (f.keyframe) {
      if (f.timecode != 0) w.WriteTags({Tag{{{"fragment", std::to_string(f.timecode)}}}}, &out);
      w.StartCluster(base + f.timecode, &out);
    }
    ASSERT_TRUE(w.WriteFrame({f.track, base + f.timecode, f.keyframe, f.payload}, &out).ok());
  }
  w.WriteTags({Tag{{{std::string(kTagEndOfFragment), ""}}}}, &out);
  const std::string path = dir_ + "/producer.mkv";
  WriteFile(path, out);
  EXPECT_EQ(Probe(path), "h264,160,120,20");
  ExpectMkvinfoAccepts(path, {"Codec ID: V_MPEG4/ISO/AVC", "Name: AWS_KINESISVIDEO_END_OF_FRAGMENT"});
  ExpectDecodes(path);
  ParseOutcome back = ParseInChunks(out, 1);
  ASSERT_TRUE(back.status.ok()) << back.status.ToString();
  ASSERT_EQ(back.recorder.frames.size(), src.recorder.frames.size());
  for (size_t i = 0; i < back.recorder.frames.size(); ++i) {
    EXPECT_EQ(back.recorder.frames[i].timecode, base + src.recorder.frames[i].timecode);
    EXPECT_EQ(back.recorder.frames[i].payload, src.recorder.frames[i].payload);
  }
}

}  // namespace
}  // namespace osprey::fragments::testing
