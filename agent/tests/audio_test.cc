// The optional audio track: --audio parsing, the OpusHead, pipeline
// descriptions with audio, the Fragmenter's interleaving on synthetic
// frames (parsed back with the fragments parser), and real GStreamer
// captures (testsrc with voaacenc/opusenc, an ffmpeg-made MP4 with AAC).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "osprey/agent/capture_source.h"
#include "osprey/agent/fragmenter.h"
#include "osprey/fragments/mkv_parser.h"

namespace osprey::agent {
namespace {

struct CollectingSink : FragmentSink {
  Status OnFragment(const Fragment& f) override {
    fragments.push_back(f);
    return Status::Ok();
  }
  std::vector<Fragment> fragments;
};

std::string FakeAvcc() { return std::string("\x01\x64\x00\x1f\xff\xe0\x00", 7); }

std::string Nal(uint8_t type, size_t size = 20) {
  std::string s = {0, 0, 0, static_cast<char>(size)};
  s.push_back(static_cast<char>(0x60 | type));
  s.append(size - 1, 'x');
  return s;
}

AccessUnit Video(int64_t ms, bool idr) {
  AccessUnit u;
  u.capture_time_ms = ms;
  u.data = idr ? Nal(7) + Nal(8) + Nal(5) : Nal(1);
  u.key_hint = idr;
  return u;
}

AudioFrame Audio(int64_t ms) { return AudioFrame{"aac-" + std::to_string(ms), ms}; }

AudioFormat Aac() { return {AudioCodec::kAac, std::string("\x11\x90", 2), 48000, 2}; }

// A fragment parsed back: its tracks and (track, timecode) of each block.
struct Parsed : fragments::MkvHandler {
  Status OnTracks(const std::vector<fragments::TrackEntry>& t, std::span<const uint8_t>) override {
    tracks = t;
    return Status::Ok();
  }
  Status OnClusterStart(const fragments::ClusterStart& c) override {
    cluster_timecode = static_cast<int64_t>(c.timecode);
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    blocks.push_back({f.track_number, f.timecode});
    payloads.emplace_back(reinterpret_cast<const char*>(f.payload.data()), f.payload.size());
    return Status::Ok();
  }
  std::vector<fragments::TrackEntry> tracks;
  int64_t cluster_timecode = -1;
  std::vector<std::pair<uint64_t, int64_t>> blocks;
  std::vector<std::string> payloads;
};

Parsed Parse(const Fragment& f) {
  Parsed p;
  fragments::MkvParser parser(&p);
  const std::string all = f.stream_header + f.cluster;
  EXPECT_TRUE(parser.Feed({reinterpret_cast<const uint8_t*>(all.data()), all.size()}).ok());
  EXPECT_TRUE(parser.Finish().ok());
  return p;
}

TEST(AudioOptionTest, ParsesNoneAacOpus) {
  AudioCodec c = AudioCodec::kAac;
  ASSERT_TRUE(ParseAudioCodec("none", &c).ok());
  EXPECT_EQ(c, AudioCodec::kNone);
  ASSERT_TRUE(ParseAudioCodec("aac", &c).ok());
  EXPECT_EQ(c, AudioCodec::kAac);
  ASSERT_TRUE(ParseAudioCodec("opus", &c).ok());
  EXPECT_EQ(c, AudioCodec::kOpus);
  Status bad = ParseAudioCodec("mp3", &c);
  EXPECT_EQ(bad.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.message(), "audio must be none, aac or opus, got 'mp3'");
  EXPECT_STREQ(AudioCodecName(AudioCodec::kOpus), "opus");
}

TEST(AudioOptionTest, OpusHeadIsRfc7845) {
  const std::string h = BuildOpusHead(48000, 2, 312);
  EXPECT_EQ(h, std::string("OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00", 19));
}

TEST(AudioPipelineTest, NoneLeavesEveryDescriptionUnchanged) {
  for (SourceKind kind : {SourceKind::kTestPattern, SourceKind::kFile, SourceKind::kRtsp,
                          SourceKind::kV4l2}) {
    CaptureOptions o;
    o.kind = kind;
    o.location = kind == SourceKind::kRtsp ? "rtsp://cam/1" : "/x";
    FileVideoInfo file;
    file.h264 = true;
    file.audio = AudioCodec::kAac;  // the file has audio, but none was asked for
    const std::string d = BuildPipelineDescription(o, file);
    EXPECT_EQ(d.find("audio"), std::string::npos) << d;
    EXPECT_EQ(d.find("name=demux"), std::string::npos) << d;
  }
}

TEST(AudioPipelineTest, TestsrcEncodesTheRequestedCodec) {
  CaptureOptions o;
  o.audio = AudioCodec::kAac;
  std::string d = BuildPipelineDescription(o);
  EXPECT_NE(d.find("audiotestsrc is-live=true"), std::string::npos);
  EXPECT_NE(d.find("queue leaky=downstream"), std::string::npos);
  EXPECT_NE(d.find("voaacenc"), std::string::npos);
  EXPECT_NE(d.find("stream-format=raw ! appsink name=audio"), std::string::npos);
  // The video chain is the same as without audio.
  CaptureOptions none;
  EXPECT_EQ(d.rfind(BuildPipelineDescription(none), 0), 0u) << d;
  o.audio = AudioCodec::kOpus;
  d = BuildPipelineDescription(o);
  EXPECT_NE(d.find("opusenc"), std::string::npos);
  EXPECT_EQ(d.find("voaacenc"), std::string::npos);
}

TEST(AudioPipelineTest, FilesAndRtspPassAudioThrough) {
  CaptureOptions o;
  o.kind = SourceKind::kFile;
  o.location = "/v.mp4";
  o.audio = AudioCodec::kAac;
  FileVideoInfo file;
  file.h264 = true;
  file.audio = AudioCodec::kOpus;  // the file's codec wins: nothing is re-encoded
  std::string d = BuildPipelineDescription(o, file);
  EXPECT_NE(d.find("parsebin name=demux demux. ! video/x-h264"), std::string::npos) << d;
  EXPECT_NE(d.find("demux. ! audio/x-opus"), std::string::npos) << d;
  EXPECT_EQ(d.find("enc"), std::string::npos) << d;
  file.audio = AudioCodec::kNone;  // no usable audio: the video-only description
  CaptureOptions none = o;
  none.audio = AudioCodec::kNone;
  EXPECT_EQ(BuildPipelineDescription(o, file), BuildPipelineDescription(none, file));

  o.kind = SourceKind::kRtsp;
  o.location = "rtsp://cam/1";
  d = BuildPipelineDescription(o);
  EXPECT_NE(d.find("encoding-name=MPEG4-GENERIC ! rtpmp4gdepay"), std::string::npos) << d;
  EXPECT_EQ(d.find("enc "), std::string::npos) << d;
  o.audio = AudioCodec::kOpus;
  d = BuildPipelineDescription(o);
  EXPECT_NE(d.find("encoding-name=OPUS ! rtpopusdepay"), std::string::npos) << d;
}

TEST(FragmenterAudioTest, InterleavesInTimecodeOrderAndCutsAtVideoIdr) {
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  o.expect_audio = true;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFormat(Aac());
  const int64_t t0 = 1700000000000;
  // Audio arrives in bursts after the video (as an encoder delivers it),
  // and one frame shares the millisecond of the second IDR.
  int64_t next_audio = t0 - 40;
  for (int i = 0; i < 30; ++i) {  // 10 fps, IDR every 10 frames
    f.OnAccessUnit(Video(t0 + i * 100, i % 10 == 0));
    while (next_audio <= t0 + i * 100 - 50) {
      f.OnAudioFrame(Audio(next_audio));
      next_audio += 20;  // t0 - 40, t0 - 20, t0, ..., t0 + 1000, ...
    }
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 3u);
  EXPECT_EQ(f.stats().dropped_audio_frames, 2u);  // t0-40, t0-20: before the first IDR
  int64_t previous_last = 0;
  for (size_t i = 0; i < sink.fragments.size(); ++i) {
    const Fragment& fr = sink.fragments[i];
    Parsed p = Parse(fr);
    ASSERT_EQ(p.tracks.size(), 2u);
    EXPECT_EQ(p.tracks[1].codec_id, "A_AAC");
    EXPECT_EQ(p.tracks[1].codec_private, Aac().codec_private);
    EXPECT_EQ(p.tracks[1].sampling_frequency, 48000.0);
    EXPECT_EQ(p.tracks[1].channels, 2u);
    EXPECT_EQ(p.tracks[1].number, 2u);
    ASSERT_FALSE(p.blocks.empty());
    EXPECT_EQ(p.blocks[0].first, 1u) << "fragment " << i << " starts with video";
    EXPECT_EQ(p.blocks[0].second, fr.producer_timestamp_ms);
    EXPECT_EQ(fr.producer_timestamp_ms, t0 + static_cast<int64_t>(i) * 1000);
    for (size_t k = 1; k < p.blocks.size(); ++k) {
      EXPECT_GE(p.blocks[k].second, p.blocks[k - 1].second) << "fragment " << i << " block " << k;
    }
    EXPECT_GT(p.blocks.front().second, previous_last);  // 4004 never
    previous_last = p.blocks.back().second;
    EXPECT_EQ(fr.frames, 10u);
    EXPECT_GT(fr.audio_frames, 0u);
  }
  // The audio frame on the second IDR's millisecond opens fragment 2.
  Parsed second = Parse(sink.fragments[1]);
  ASSERT_GE(second.blocks.size(), 2u);
  EXPECT_EQ(second.blocks[1], (std::pair<uint64_t, int64_t>{2u, t0 + 1000}));
  EXPECT_EQ(second.payloads[1], "aac-" + std::to_string(t0 + 1000));
}

TEST(FragmenterAudioTest, WithoutAudioFramesAFragmentGetsTheVideoOnlyHeader) {
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFormat(Aac());
  for (int i = 0; i < 20; ++i) {
    f.OnAccessUnit(Video(i * 100, i % 10 == 0));
    if (i < 10) f.OnAudioFrame(Audio(i * 100 + 10));  // audio stops after 1 s
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 2u);
  EXPECT_EQ(Parse(sink.fragments[0]).tracks.size(), 2u);
  EXPECT_EQ(sink.fragments[0].audio_frames, 10u);
  Parsed second = Parse(sink.fragments[1]);
  EXPECT_EQ(second.tracks.size(), 1u);  // 4011 otherwise
  EXPECT_EQ(sink.fragments[1].audio_frames, 0u);
  EXPECT_EQ(second.blocks.size(), 10u);
}

TEST(FragmenterAudioTest, AStubWithoutAudioAtTheEndIsDropped) {
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFormat(Aac());
  for (int i = 0; i < 12; ++i) {  // stopped 100 ms after the second IDR
    f.OnAccessUnit(Video(i * 100, i % 10 == 0));
    if (i < 10) f.OnAudioFrame(Audio(i * 100 + 10));
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 1u);
  EXPECT_EQ(sink.fragments[0].audio_frames, 10u);
  EXPECT_EQ(f.stats().dropped_units, 2u);
}

TEST(FragmenterAudioTest, StalledAudioHoldsVideoOnlyForTheHoldTime) {
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  o.interleave_hold_ms = 300;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFormat(Aac());
  f.OnAudioFrame(Audio(0));
  for (int i = 0; i < 25; ++i) f.OnAccessUnit(Video(i * 100, i % 10 == 0));
  // Without any audio after t=0, video goes on, 0.3 s behind: units up to
  // 2.1 s are written, so the fragments of 0 s and 1 s are out although
  // the stream was never flushed.
  ASSERT_EQ(sink.fragments.size(), 2u);
  EXPECT_EQ(f.stats().units, 22u);
}

TEST(FragmenterAudioTest, ExpectAudioWaitsForTheFormatThenGivesUp) {
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  o.expect_audio = true;
  o.audio_start_wait_ms = 500;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  for (int i = 0; i < 5; ++i) f.OnAccessUnit(Video(i * 100, i % 10 == 0));
  EXPECT_EQ(f.stats().units, 0u);  // held: the format may still come
  f.OnAudioFormat(Aac());
  for (int i = 0; i < 5; ++i) f.OnAudioFrame(Audio(i * 100 + 5));
  for (int i = 5; i < 20; ++i) {
    f.OnAccessUnit(Video(i * 100, i % 10 == 0));
    f.OnAudioFrame(Audio(i * 100 + 5));
  }
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 2u);
  EXPECT_EQ(Parse(sink.fragments[0]).tracks.size(), 2u);  // both tracks from the start
  EXPECT_EQ(sink.fragments[0].audio_frames, 10u);

  CollectingSink sink2;
  Fragmenter g(o, &sink2);
  g.OnFormat({FakeAvcc(), 320, 240});
  for (int i = 0; i < 20; ++i) g.OnAccessUnit(Video(i * 100, i % 10 == 0));
  g.Flush();
  ASSERT_EQ(sink2.fragments.size(), 2u);  // no audio ever: video only after 0.5 s
  EXPECT_EQ(Parse(sink2.fragments[0]).tracks.size(), 1u);
  EXPECT_EQ(g.stats().units, 20u);
}

TEST(FragmenterAudioTest, AudioTimestampsAreRepairedAndKeptInsideTheFragment) {
  CollectingSink sink;
  Fragmenter f({}, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFormat({AudioCodec::kOpus, BuildOpusHead(48000, 2, 312), 48000, 2});
  f.OnAccessUnit(Video(1000, true));
  f.OnAudioFrame(Audio(1020));
  f.OnAudioFrame(Audio(1020));  // same ms: repaired to 1021
  f.OnAudioFrame(Audio(1019));  // backwards: repaired to 1022
  f.OnAccessUnit(Video(1100, false));
  f.Flush();
  ASSERT_EQ(sink.fragments.size(), 1u);
  Parsed p = Parse(sink.fragments[0]);
  ASSERT_EQ(p.tracks.size(), 2u);
  EXPECT_EQ(p.tracks[1].codec_id, "A_OPUS");
  EXPECT_EQ(p.tracks[1].codec_private.substr(0, 8), "OpusHead");
  std::vector<int64_t> audio;
  for (auto [track, tc] : p.blocks) {
    if (track == 2) audio.push_back(tc);
  }
  EXPECT_EQ(audio, (std::vector<int64_t>{1020, 1021, 1022}));
  EXPECT_EQ(f.stats().repaired_audio_timestamps, 2u);
}

TEST(FragmenterAudioTest, VideoOnlyOutputIsUnchangedByTheAudioCode) {
  // Without expect_audio and without an audio format, frames are written as
  // they come (no queue): the first unit's fragment is emitted at the next
  // IDR, exactly as before audio existed.
  CollectingSink sink;
  FragmenterOptions o;
  o.target_ms = 1000;
  Fragmenter f(o, &sink);
  f.OnFormat({FakeAvcc(), 320, 240});
  f.OnAudioFrame(Audio(5));  // no format: dropped
  for (int i = 0; i <= 10; ++i) f.OnAccessUnit(Video(i * 100, i % 10 == 0));
  ASSERT_EQ(sink.fragments.size(), 1u);
  EXPECT_EQ(Parse(sink.fragments[0]).tracks.size(), 1u);
  EXPECT_EQ(f.stats().dropped_audio_frames, 1u);
}

// --- Real GStreamer captures ------------------------------------------------

namespace fs = std::filesystem;

struct LockedFragmenter : CaptureSink {
  explicit LockedFragmenter(Fragmenter* f) : f(f) {}
  void OnFormat(const VideoFormat& v) override { f->OnFormat(v); }
  void OnAccessUnit(AccessUnit u) override { f->OnAccessUnit(std::move(u)); }
  void OnAudioFormat(const AudioFormat& a) override {
    formats.push_back(a);
    f->OnAudioFormat(a);
  }
  void OnAudioFrame(AudioFrame a) override {
    ++audio_frames;
    f->OnAudioFrame(std::move(a));
  }
  void OnEnd(const Status& s) override { f->OnEnd(s); }
  Fragmenter* f;
  std::vector<AudioFormat> formats;
  int audio_frames = 0;
};

// Captures `source` with `audio` for `ms` and returns the fragments.
std::vector<Fragment> CaptureWithAudio(const std::string& source, AudioCodec audio, int ms,
                                       std::vector<AudioFormat>* formats) {
  CaptureOptions co;
  EXPECT_TRUE(ParseSource(source, &co).ok());
  co.width = 320;
  co.height = 240;
  co.fps = 15;
  co.fragment_ms = 1000;
  co.audio = audio;
  auto opened = OpenGstCaptureSource(co);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return {};
  CollectingSink out;
  FragmenterOptions fo;
  fo.target_ms = 1000;
  fo.expect_audio = true;
  Fragmenter fragmenter(fo, &out);
  LockedFragmenter sink(&fragmenter);
  EXPECT_TRUE((*opened)->Start(&sink).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  (*opened)->Stop();
  fragmenter.Flush();
  *formats = sink.formats;
  return out.fragments;
}

std::string RunOutput(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << cmd << "\n" << out;
  return out;
}

// A fragment as a standalone MKV (what GetMedia sends, without the tags):
// ffprobe sees both streams and ffmpeg decodes them without an error.
void ExpectFfmpegDecodes(const Fragment& fr, const std::string& probe) {
  const fs::path path = fs::temp_directory_path() / ("osprey_audio_frag_" +
                                                     std::to_string(::getpid()) + ".mkv");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    // The stream header starts with the EBML header and the Segment.
    const std::string data = fr.stream_header + fr.cluster;
    std::fwrite(data.data(), 1, data.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(RunOutput("ffprobe -v error -show_entries stream=codec_name,sample_rate,channels "
                      "-of csv=p=0 '" + path.string() + "'"),
            probe);
  EXPECT_EQ(RunOutput("ffmpeg -nostdin -v error -i '" + path.string() + "' -f null - 2>&1"), "");
  fs::remove(path);
}

// Both tracks in every complete fragment, audio spanning the video.
void ExpectAudioFragments(const std::vector<Fragment>& frags, const std::string& codec_id) {
  ASSERT_GE(frags.size(), 3u);
  for (size_t i = 0; i + 1 < frags.size(); ++i) {  // the last is cut by Stop()
    Parsed p = Parse(frags[i]);
    ASSERT_EQ(p.tracks.size(), 2u) << "fragment " << i;
    EXPECT_EQ(p.tracks[1].codec_id, codec_id);
    EXPECT_EQ(p.blocks[0].first, 1u);
    int64_t first_audio = -1, last_audio = -1, last_video = -1;
    for (auto [track, tc] : p.blocks) {
      if (track == 2) {
        if (first_audio < 0) first_audio = tc;
        last_audio = tc;
      } else {
        last_video = tc;
      }
    }
    ASSERT_GE(first_audio, 0) << "fragment " << i;
    // Frames of 20-24 ms: the audio starts within one frame of the IDR and
    // ends within one frame of the last picture.
    EXPECT_LE(first_audio - frags[i].producer_timestamp_ms, 30) << "fragment " << i;
    EXPECT_GE(last_audio, last_video - 30) << "fragment " << i;
  }
}

TEST(AudioGstTest, TestsrcAac) {
  std::vector<AudioFormat> formats;
  auto frags = CaptureWithAudio("testsrc", AudioCodec::kAac, 4500, &formats);
  ASSERT_EQ(formats.size(), 1u);
  EXPECT_EQ(formats[0].codec, AudioCodec::kAac);
  EXPECT_EQ(formats[0].sample_rate, 48000u);
  EXPECT_EQ(formats[0].channels, 2u);
  // AAC-LC (object type 2), 48 kHz (index 3), 2 channels.
  EXPECT_EQ(formats[0].codec_private.substr(0, 2), std::string("\x11\x90", 2));
  ExpectAudioFragments(frags, "A_AAC");
  ExpectFfmpegDecodes(frags[1], "h264\naac,48000,2\n");
}

TEST(AudioGstTest, TestsrcOpus) {
  std::vector<AudioFormat> formats;
  auto frags = CaptureWithAudio("testsrc", AudioCodec::kOpus, 4500, &formats);
  ASSERT_EQ(formats.size(), 1u);
  EXPECT_EQ(formats[0].codec, AudioCodec::kOpus);
  EXPECT_EQ(formats[0].sample_rate, 48000u);
  EXPECT_EQ(formats[0].channels, 2u);
  EXPECT_EQ(formats[0].codec_private.substr(0, 10), std::string("OpusHead\x01\x02", 10));
  ExpectAudioFragments(frags, "A_OPUS");
  ExpectFfmpegDecodes(frags[1], "h264\nopus,48000,2\n");
}

TEST(AudioGstTest, FileAacIsPassedThrough) {
  const fs::path dir = fs::temp_directory_path() / ("osprey_audio_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string mp4 = (dir / "av.mp4").string();
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=15 -f lavfi "
      "-i sine=frequency=440:sample_rate=44100 -t 5 -c:v libx264 -g 15 -pix_fmt yuv420p "
      "-c:a aac -ac 2 '" + mp4 + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<AudioFormat> formats;
  auto frags = CaptureWithAudio("file:" + mp4, AudioCodec::kAac, 4000, &formats);
  fs::remove_all(dir);
  ASSERT_EQ(formats.size(), 1u);
  EXPECT_EQ(formats[0].codec, AudioCodec::kAac);
  EXPECT_EQ(formats[0].sample_rate, 44100u);  // the file's, not an encoder's 48 kHz
  EXPECT_EQ(formats[0].channels, 2u);
  ExpectAudioFragments(frags, "A_AAC");
}

TEST(AudioGstTest, LoopingFileKeepsBothTracksGoing) {
  const fs::path dir = fs::temp_directory_path() / ("osprey_audio_loop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string mp4 = (dir / "av.mp4").string();
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=15 -f lavfi "
      "-i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 -g 15 -bf 0 -pix_fmt yuv420p "
      "-c:a aac -ac 2 '" + mp4 + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<AudioFormat> formats;
  auto frags = CaptureWithAudio("file+loop:" + mp4, AudioCodec::kAac, 5500, &formats);
  fs::remove_all(dir);
  ASSERT_GE(formats.size(), 1u);
  // Three passes through a 2 s file: time keeps increasing across the
  // seeks and every fragment still has both tracks.
  ExpectAudioFragments(frags, "A_AAC");
  ASSERT_GE(frags.size(), 4u);
  for (size_t i = 1; i < frags.size(); ++i) {
    EXPECT_GT(frags[i].producer_timestamp_ms, frags[i - 1].producer_timestamp_ms);
  }
}

}  // namespace
}  // namespace osprey::agent
