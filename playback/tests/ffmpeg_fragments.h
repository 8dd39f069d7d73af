// Test support: real encoded video as stored fragments. ffmpeg writes an
// MKV, fragments::MkvParser reads it back, the frames are cut at video key
// frames into (stream header, one Cluster with epoch-ms timecodes) pairs as
// PutMedia stores them, and each pair is demuxed with playback::Demux.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback::test {

inline constexpr int64_t kBaseMs = 1700000000000;  // epoch ms of the first frame

// stdout and stderr of a shell command.
inline std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

inline bool HaveTool(const std::string& tool) {
  return RunCommand("command -v " + tool + " >/dev/null && echo yes") == "yes\n";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

struct StoredFragment {
  std::string cluster;
  int64_t start_ms = 0;
  int64_t duration_ms = 0;
};

struct EncodedStream {
  std::string header;  // Info + Tracks
  std::vector<StoredFragment> fragments;
  std::vector<DemuxedFragment> demuxed;  // one per fragment
};

class FrameCollector : public fragments::MkvHandler {
 public:
  struct RawFrame {
    uint64_t track;
    int64_t tc;
    bool key;
    std::string data;
  };
  Status OnInfo(const fragments::SegmentInfo&, std::span<const uint8_t> raw) override {
    header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>&,
                  std::span<const uint8_t> raw) override {
    header.append(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    frames.push_back(
        {f.track_number, f.timecode, f.keyframe,
         std::string(reinterpret_cast<const char*>(f.payload.data()), f.payload.size())});
    return Status::Ok();
  }
  std::string header;
  std::vector<RawFrame> frames;
};

// Reads the MKV at `mkv_path` (video is track 1, frames `frame_ms` long)
// and fills `out`. Call with ASSERT_NO_FATAL_FAILURE.
inline void SplitMkv(const std::string& mkv_path, int64_t frame_ms, EncodedStream* out) {
  FrameCollector c;
  fragments::MkvParser parser(&c);
  ASSERT_TRUE(parser.Feed(ReadFile(mkv_path)).ok());
  ASSERT_TRUE(parser.Finish().ok());
  out->header = c.header;
  std::vector<int64_t> starts;
  int64_t end = 0;
  for (const auto& f : c.frames) {
    if (f.track == 1 && f.key) starts.push_back(f.tc);
    end = std::max(end, f.tc + frame_ms);
  }
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t next = k + 1 < starts.size() ? starts[k + 1] : end;
    std::vector<fragments::FrameSpec> specs;
    for (const auto& f : c.frames) {
      if (f.tc >= starts[k] && f.tc < next) {
        specs.push_back({f.track, kBaseMs + f.tc, f.key, f.data});
      }
    }
    Result<std::string> cluster = fragments::EncodeCluster(uint64_t(kBaseMs + starts[k]), specs);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    out->fragments.push_back({*cluster, kBaseMs + starts[k], next - starts[k]});
    Result<DemuxedFragment> d =
        Demux({out->header, out->fragments.back().cluster, out->fragments.back().start_ms,
               out->fragments.back().duration_ms});
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    out->demuxed.push_back(std::move(*d));
  }
}

}  // namespace osprey::playback::test
